/* event32.c: machine mode's events in legacy protected mode: delivery through 32-bit interrupt and trap gates, to the same privilege or to an inner one on the TSS's stack (SDM 6.11, 6.12.1), and IRETD back to the same privilege or to an outer one. */
#include "engine/engine_internal.h"

/* A 32-bit TSS's ESPn and SSn (SDM 7.2.1, Figure 7-2). */
#define TSS32_ESP(n) (4u + 8u * (n))
#define TSS32_SS(n) (8u + 8u * (n))
#define TSS32_AVAIL 9u
#define TSS32_BUSY 0xBu

/* (n) doublewords of (v), the first highest, below (sp) on a new
 * 32-bit stack (ss), each within its limit (expand-up or expand-down)
 * before any is written: #SS(sel) (SDM 6.12.1). */
static void push_new32(struct eng *e, const struct engine_seg *ss,
                       uint32_t sp, const uint32_t *v, unsigned n)
{
    bool down = (ss->type & 4) != 0;

    for (unsigned i = 0; i < n; i++) {
        uint32_t off = sp - 4 * (i + 1);
        if (down ? off <= ss->limit || off > 0xFFFFFFFCu
                 : off > ss->limit || ss->limit - off < 3)
            eng_fault(e, VEC_SS, true, eng_sel_err(ss->selector, false));
    }
    for (unsigned i = 0; i < n; i++)
        eng_write_la(e, (ss->base + (uint32_t)(sp - 4 * (i + 1))) &
                            0xFFFFFFFFull, 4, v[i], true);
}

/*
 * The 8-byte gate (SDM 6.11, Figure 6-2): beyond the IDT's limit, not a
 * 32-bit interrupt or trap gate #GP(vector); INT n through a gate of
 * lower privilege #GP(vector); not present #NP(vector). Its code
 * segment: NULL #GP(EXT), not code or more privileged... #GP(sel), not
 * present #NP(sel). To the same privilege, EFLAGS, CS, EIP and the error
 * code are pushed on the current stack (SDM 6.12.1, Figure 6-4); to an
 * inner one, on the stack the TSS names for it (SSn:ESPn; a TSS too
 * short #TS(TSS)), SS and ESP first. TF, NT, RF, VM clear, IF too
 * through an interrupt gate. False: what the engine does not run (a
 * task gate, a 16-bit gate or TSS or stack, virtual-8086 mode).
 */
bool eng_deliver32(struct eng *e, unsigned vec, bool has_err, uint32_t err,
                   bool soft, uint64_t return_rip, uint64_t rf)
{
    struct engine_state *st = e->st;
    unsigned cpl = eng_cpl(e);
    bool ext = !soft;

    if (vec * 8 + 7 > st->idt_limit)
        eng_fault(e, VEC_GP, true, eng_idt_err(vec, ext));
    uint64_t gate = eng_read_la(e, (st->idt_base + vec * 8) & 0xFFFFFFFFull,
                                8, true);
    unsigned type = (gate >> 40) & 0xF, dpl = (gate >> 45) & 3;
    if (!(gate & DESC_S) && (type == 5 || type == 6 || type == 7))
        return false; /* a task gate, 16-bit gates */
    if ((gate & DESC_S) || (type != 0xE && type != 0xF))
        eng_fault(e, VEC_GP, true, eng_idt_err(vec, ext));
    if (soft && cpl > dpl)
        eng_fault(e, VEC_GP, true, eng_idt_err(vec, ext));
    if (!(gate & DESC_P))
        eng_fault(e, VEC_NP, true, eng_idt_err(vec, ext));
    uint16_t sel = (uint16_t)(gate >> 16);
    uint64_t target = (gate & 0xFFFF) | ((gate >> 32) & 0xFFFF0000);
    struct engine_seg cs = eng_gate_code(e, sel, ext, false);
    unsigned new_cpl = (cs.type & 4) ? cpl : cs.dpl;
    if (!cs.db || (st->rflags & RFLAGS_VM))
        return false; /* 16-bit code; virtual-8086 mode */
    if (target > cs.limit)
        eng_fault(e, VEC_GP, true, ext);
    /* the frame, highest first (Figure 6-4) */
    uint32_t frame[6];
    unsigned n = 0;
    if (new_cpl < cpl) {
        const struct engine_seg *tr = &st->tr;
        if (tr->type != TSS32_BUSY && tr->type != TSS32_AVAIL)
            return false; /* a 16-bit TSS */
        if (TSS32_SS(new_cpl) + 1 > tr->limit)
            eng_fault(e, VEC_TS, true, eng_sel_err(tr->selector, ext));
        uint32_t esp = (uint32_t)eng_read_la(
            e, (tr->base + TSS32_ESP(new_cpl)) & 0xFFFFFFFFull, 4, true);
        uint16_t ss_sel = (uint16_t)eng_read_la(
            e, (tr->base + TSS32_SS(new_cpl)) & 0xFFFFFFFFull, 2, true);
        struct engine_seg ss = eng_stack_seg(e, ss_sel, new_cpl, VEC_TS);
        if (!ss.db)
            return false; /* a 16-bit stack */
        frame[n++] = st->seg[ENGINE_SS].selector;
        frame[n++] = (uint32_t)st->gpr[ENGINE_RSP];
        frame[n++] = (uint32_t)(st->rflags | rf);
        frame[n++] = st->seg[ENGINE_CS].selector;
        frame[n++] = (uint32_t)return_rip;
        if (has_err)
            frame[n++] = err;
        push_new32(e, &ss, esp, frame, n);
        st->seg[ENGINE_SS] = ss;
        st->gpr[ENGINE_RSP] = (uint32_t)(esp - 4 * n);
    } else {
        frame[n++] = (uint32_t)(st->rflags | rf);
        frame[n++] = st->seg[ENGINE_CS].selector;
        frame[n++] = (uint32_t)return_rip;
        if (has_err)
            frame[n++] = err;
        uint64_t m = eng_mask(eng_stack_width(e)), sp = eng_sp(e);
        for (unsigned i = 0; i < n; i++) {
            uint64_t la = eng_linear32(e, ENGINE_SS, (sp - 4 * (i + 1)) & m,
                                       4, true);
            eng_write_la(e, la, 4, frame[i], cpl < 3);
        }
        eng_sp_set(e, (sp - 4 * n) & m);
    }
    cs.selector = (uint16_t)((sel & ~3u) | new_cpl);
    cs.l = 0;
    st->seg[ENGINE_CS] = cs;
    st->rflags &= ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
    if (type == 0xE)
        st->rflags &= ~RFLAGS_IF;
    st->rip = target;
    return true;
}

/*
 * IRETD in protected mode (SDM IRET): pops EIP, CS, EFLAGS; to the same
 * privilege the code segment is checked as RET's; to an outer one (CS's
 * RPL above the CPL), ESP and SS too, SS checked as the stack of that
 * privilege, and ES, DS, FS and GS made null where they hold a data or
 * non-conforming code segment more privileged than it. The flags it may
 * change follow POPF's rules at the CPL it ran at. A task return (NT) or
 * a return to virtual-8086 mode goes back.
 */
void eng_iret32(struct eng *e, const struct eng_insn *in)
{
    struct engine_state *st = e->st;
    unsigned cpl = eng_cpl(e);
    uint64_t m = eng_mask(eng_stack_width(e)), sp = eng_sp(e);

    (void)in;
    if (st->rflags & RFLAGS_NT)
        eng_handback(e, ENGINE_WHY_SYSTEM);
    uint64_t eip = eng_read(e, ENGINE_SS, sp, 4);
    uint16_t sel = (uint16_t)eng_read(e, ENGINE_SS, (sp + 4) & m, 4);
    uint64_t fl = eng_read(e, ENGINE_SS, (sp + 8) & m, 4);
    if ((fl & RFLAGS_VM) && cpl == 0)
        eng_handback(e, ENGINE_WHY_SYSTEM);
    unsigned rpl = sel & 3;
    bool outer = rpl > cpl;
    struct engine_seg cs = eng_far_target(e, sel, eip, true), ss = {0};
    uint32_t esp = 0;
    if (outer) {
        esp = (uint32_t)eng_read(e, ENGINE_SS, (sp + 12) & m, 4);
        uint16_t ss_sel = (uint16_t)eng_read(e, ENGINE_SS, (sp + 16) & m, 4);
        ss = eng_stack_seg(e, ss_sel, rpl, VEC_GP);
    }
    uint64_t mask = RFLAGS_ARITH | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT |
                    RFLAGS_AC | RFLAGS_ID | RFLAGS_RF;
    if (cpl == 0)
        mask |= RFLAGS_IOPL;
    if (cpl <= ((st->rflags & RFLAGS_IOPL) >> 12))
        mask |= RFLAGS_IF;
    uint64_t old = st->rflags;
    st->rflags = (old & ~mask) | (fl & mask) | RFLAGS_FIXED1;
    st->seg[ENGINE_CS] = cs;
    if (outer) {
        st->seg[ENGINE_SS] = ss;
        st->gpr[ENGINE_RSP] = ss.db ? esp : (st->gpr[ENGINE_RSP] &
                                             ~0xFFFFull) | (esp & 0xFFFF);
        static const unsigned data[] = {ENGINE_ES, ENGINE_DS, ENGINE_FS,
                                        ENGINE_GS};
        for (unsigned i = 0; i < 4; i++) {
            struct engine_seg *s = &st->seg[data[i]];
            bool conforming = (s->type & 0xC) == 0xC;
            if ((s->selector & ~3u) && s->s && !conforming && s->dpl < rpl)
                *s = (struct engine_seg){.selector = 0};
        }
    } else {
        eng_sp_set(e, (sp + 12) & m);
    }
    e->next_rip = eip;
    e->branch_taken = true;
    e->mode_changed = true;
    if (st->rflags & ~old & RFLAGS_IF)
        e->stop_after = true; /* an interrupt may be due */
}
