/* event32.c: machine mode's events in legacy protected mode: delivery through 32-bit interrupt and trap gates to a handler of the same privilege (SDM 6.11, 6.12.1), and IRETD back to the same privilege. */
#include "engine/engine_internal.h"

/*
 * The 8-byte gate (SDM 6.11, Figure 6-2): beyond the IDT's limit, not a
 * 32-bit interrupt or trap gate #GP(vector); INT n through a gate of
 * lower privilege #GP(vector); not present #NP(vector). Its code
 * segment: NULL #GP(EXT), not code or more privileged... #GP(sel), not
 * present #NP(sel). Same privilege: EFLAGS, CS, EIP and the error code
 * are pushed on the current stack, 4 bytes each (SDM 6.12.1, Figure
 * 6-4); TF, NT, RF, VM clear, IF too through an interrupt gate. False:
 * what the engine does not run (a task gate, a 16-bit gate, a change of
 * privilege through the TSS).
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
    if (new_cpl != cpl || !cs.db)
        return false; /* an inner stack from the TSS; 16-bit code */
    if (target > cs.limit)
        eng_fault(e, VEC_GP, true, ext);
    uint32_t frame[4];
    unsigned n = 0;
    if (has_err)
        frame[n++] = err;
    frame[n++] = (uint32_t)return_rip;
    frame[n++] = st->seg[ENGINE_CS].selector;
    frame[n++] = (uint32_t)(st->rflags | rf);
    uint64_t m = eng_mask(eng_stack_width(e)), sp = eng_sp(e);
    for (unsigned i = 0; i < n; i++) {
        uint64_t la = eng_linear32(e, ENGINE_SS, (sp - 4 * (n - i)) & m, 4,
                                   true);
        eng_write_la(e, la, 4, frame[i], cpl < 3);
    }
    eng_sp_set(e, (sp - 4 * n) & m);
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
 * IRETD in protected mode to the same privilege (SDM IRET): pops EIP, CS,
 * EFLAGS; the code segment is checked as RET's; the flags it may change
 * follow POPF's rules at the CPL. A task return (NT), a return to
 * virtual-8086 mode or to an outer privilege goes back.
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
    struct engine_seg cs = eng_far_target(e, sel, eip, true);
    uint64_t mask = RFLAGS_ARITH | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT |
                    RFLAGS_AC | RFLAGS_ID | RFLAGS_RF;
    if (cpl == 0)
        mask |= RFLAGS_IOPL;
    if (cpl <= ((st->rflags & RFLAGS_IOPL) >> 12))
        mask |= RFLAGS_IF;
    uint64_t old = st->rflags;
    st->rflags = (old & ~mask) | (fl & mask) | RFLAGS_FIXED1;
    eng_sp_set(e, (sp + 12) & m);
    st->seg[ENGINE_CS] = cs;
    e->next_rip = eip;
    e->branch_taken = true;
    e->mode_changed = true;
    if (st->rflags & ~old & RFLAGS_IF)
        e->stop_after = true; /* an interrupt may be due */
}
