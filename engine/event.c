/* event.c: the engine's privilege transfers: exception and interrupt delivery through the 64-bit IDT, IRETQ, SYSCALL, SYSRET, and descriptors. */
#include <string.h>

#include "engine/engine_internal.h"


/* A descriptor's two quadwords from the GDT (TI = 0) or LDT; false if the
 * selector points outside the table. Read as supervisor accesses. */
bool eng_desc_read(struct eng *e, uint16_t sel, uint64_t desc[2])
{
    const struct engine_state *st = e->st;
    uint64_t base = st->gdt_base, limit = st->gdt_limit;
    uint64_t off = sel & ~7u;

    if (sel & 4) {
        if (!st->ldt.present)
            return false;
        base = st->ldt.base;
        limit = st->ldt.limit;
    }
    if (off + 7 > limit)
        return false;
    desc[0] = eng_read_la(e, base + off, 8, true);
    desc[1] = off + 15 <= limit ? eng_read_la(e, base + off + 8, 8, true)
                                : 0;
    return true;
}

void eng_seg_from_desc(struct engine_seg *s, uint16_t sel,
                       const uint64_t desc[2])
{
    uint64_t d = desc[0];
    uint32_t limit = (uint32_t)((d & 0xFFFF) | ((d >> 32) & 0xF0000));

    s->selector = sel;
    s->base = ((d >> 16) & 0xFFFFFF) | ((d >> 32) & 0xFF000000);
    s->type = (uint8_t)((d >> 40) & 0xF);
    s->s = (d & DESC_S) != 0;
    s->dpl = (uint8_t)((d >> 45) & 3);
    s->present = (d & DESC_P) != 0;
    s->l = (d & DESC_L) != 0;
    s->db = (d & DESC_DB) != 0;
    s->g = (d & DESC_G) != 0;
    s->limit = s->g ? (limit << 12) | 0xFFF : limit;
}

/* A NULL SS for a 64-bit inner-privilege stack (SDM 6.14.4). */
static struct engine_seg null_ss(unsigned rpl)
{
    return (struct engine_seg){.selector = (uint16_t)rpl, .dpl = (uint8_t)rpl,
                               .s = 1, .type = 3, .db = 1};
}

struct engine_seg eng_gate_code(struct eng *e, uint16_t sel, bool ext,
                                bool want64)
{
    uint64_t desc[2];
    struct engine_seg cs;

    if ((sel & ~3u) == 0)
        eng_fault(e, VEC_GP, true, ext);
    if (!eng_desc_read(e, sel, desc))
        eng_fault(e, VEC_GP, true, eng_sel_err(sel, ext));
    eng_seg_from_desc(&cs, sel, desc);
    if (!cs.s || !(cs.type & 8) || cs.dpl > eng_cpl(e) ||
        (want64 && (!cs.l || cs.db)))
        eng_fault(e, VEC_GP, true, eng_sel_err(sel, ext));
    if (!cs.present)
        eng_fault(e, VEC_NP, true, eng_sel_err(sel, ext));
    return cs;
}

/*
 * The frame: SS, RSP, RFLAGS, CS, RIP (and the error code), pushed on a
 * 16-byte aligned stack: the TSS's RSPn on a change of privilege, the IST
 * stack if the gate names one, else the current one (SDM 6.14.2). What
 * the gate, the code segment or the stack refuse raises the fault the
 * SDM names for it (6.12.1, 6.14: #GP, #NP, #TS, #SS, #PF), which the
 * caller delivers in turn. False: a descriptor the engine does not run (a
 * 32-bit TSS, a stack switch through a null TSS).
 */
static bool deliver(struct eng *e, unsigned vec, bool has_err, uint32_t err,
                    bool soft, uint64_t return_rip, uint64_t rf)
{
    struct engine_state *st = e->st;
    unsigned cpl = eng_cpl(e);
    uint64_t gate[2];
    bool ext = !soft;

    if (!(st->efer & EFER_LMA)) /* machine mode's legacy protected mode */
        return e->ops.machine && eng_deliver32(e, vec, has_err, err, soft,
                                               return_rip, rf);
    if (vec * 16 + 15 > st->idt_limit)
        eng_fault(e, VEC_GP, true, eng_idt_err(vec, ext));
    gate[0] = eng_read_la(e, st->idt_base + vec * 16, 8, true);
    gate[1] = eng_read_la(e, st->idt_base + vec * 16 + 8, 8, true);
    unsigned type = (gate[0] >> 40) & 0xF, dpl = (gate[0] >> 45) & 3;
    if (type != 0xE && type != 0xF)
        eng_fault(e, VEC_GP, true, eng_idt_err(vec, ext));
    /* INT n through a gate of lower privilege: #GP(vector * 8 + 2) */
    if (soft && cpl > dpl)
        eng_fault(e, VEC_GP, true, eng_idt_err(vec, ext));
    if (!(gate[0] & DESC_P))
        eng_fault(e, VEC_NP, true, eng_idt_err(vec, ext));
    uint16_t sel = (uint16_t)(gate[0] >> 16);
    uint64_t target = (gate[0] & 0xFFFF) | ((gate[0] >> 32) & 0xFFFF0000) |
                      gate[1] << 32;
    unsigned ist = (gate[0] >> 32) & 7;
    struct engine_seg cs = eng_gate_code(e, sel, ext, true);
    if (!eng_canonical(target))
        eng_fault(e, VEC_GP, true, ext);
    unsigned new_cpl = (cs.type & 4) ? cpl : cs.dpl; /* conforming keeps */
    uint64_t rsp = st->gpr[ENGINE_RSP];
    if (new_cpl < cpl || ist) {
        uint64_t tss = st->tr.base;
        uint64_t off = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * new_cpl;
        if (!st->tr.present)
            return false;
        if (off + 7 > st->tr.limit)
            eng_fault(e, VEC_TS, true, eng_sel_err(st->tr.selector, ext));
        rsp = eng_read_la(e, tss + off, 8, true);
        if (!eng_canonical(rsp))
            eng_fault(e, VEC_SS, true, ext);
    }
    rsp &= ~15ull;
    uint64_t frame[6];
    unsigned n = 0;
    if (has_err)
        frame[n++] = err;
    frame[n++] = return_rip;
    frame[n++] = st->seg[ENGINE_CS].selector;
    frame[n++] = st->rflags | rf;
    frame[n++] = st->gpr[ENGINE_RSP];
    frame[n++] = st->seg[ENGINE_SS].selector;
    /* Pushes to an inner level's stack are implicit supervisor accesses
     * (SMAP applies whatever AC says); at the same level they are the
     * code's own. */
    for (unsigned i = 0; i < n; i++) {
        uint64_t la = rsp - 8 * (n - i);
        if (!eng_canonical(la))
            eng_fault(e, VEC_SS, true, ext);
        eng_write_la(e, la, 8, frame[i], new_cpl < cpl || cpl < 3);
    }
    rsp -= 8 * n;
    if (new_cpl < cpl)
        st->seg[ENGINE_SS] = null_ss(new_cpl);
    cs.selector = (uint16_t)((sel & ~3u) | new_cpl);
    cs.dpl = (uint8_t)new_cpl;
    st->seg[ENGINE_CS] = cs;
    st->gpr[ENGINE_RSP] = rsp;
    st->rflags &= ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
    if (type == 0xE)
        st->rflags &= ~RFLAGS_IF;
    st->rip = target;
    return true;
}

/* SDM 6.15, Table 6-4: the classes that decide a double fault. */
enum fault_class { BENIGN, CONTRIBUTORY, PAGE_FAULT };

static enum fault_class class_of(unsigned vec)
{
    switch (vec) {
    case VEC_DE: case VEC_TS: case VEC_NP: case VEC_SS: case VEC_GP:
        return CONTRIBUTORY;
    case VEC_PF:
        return PAGE_FAULT;
    default:
        return BENIGN;
    }
}

struct event {
    unsigned vec;
    bool has_err, soft;
    uint32_t err;
    uint64_t return_rip, rf;
};

/* One delivery: 0 if done, -1 if the engine does not run it, else how it
 * unwound (UNWIND_FAULT: what it raised is in e->fault_*), the state
 * then as before. */
static int attempt(struct eng *e, const struct event *ev)
{
    struct engine_state saved = *e->st;
    jmp_buf outer;

    memcpy(outer, e->unwind, sizeof(jmp_buf));
    int how = setjmp(e->unwind);
    bool done = how == 0 && deliver(e, ev->vec, ev->has_err, ev->err,
                                    ev->soft, ev->return_rip, ev->rf);
    memcpy(e->unwind, outer, sizeof(jmp_buf));
    if (done)
        return 0;
    *e->st = saved;
    return how ? how : -1;
}

/*
 * Delivers an event, and whatever its delivery raises, as the CPU does
 * (SDM 6.15, Table 6-5): a contributory fault while delivering a
 * contributory one, or a contributory fault or #PF while delivering a
 * #PF, is a #DF; any other is delivered in its place (its frame points at
 * the instruction, for INT n too); a fault while delivering #DF shuts
 * the CPU down (a triple fault). Only what the engine does not run is
 * handed back.
 */
static void deliver_or_fault(struct eng *e, struct event ev)
{
    for (;;) {
        e->fault_cr2_valid = false;
        int how = attempt(e, &ev);
        if (how == 0)
            return;
        if (how < 0)
            eng_handback(e, ENGINE_WHY_EVENT);
        if (how != UNWIND_FAULT || ev.vec == VEC_DF)
            longjmp(e->unwind, how == UNWIND_FAULT ? UNWIND_SHUTDOWN : how);
        enum fault_class first = class_of(ev.vec);
        enum fault_class second = class_of(e->fault_vec);
        if ((first == CONTRIBUTORY && second == CONTRIBUTORY) ||
            (first == PAGE_FAULT && second != BENIGN)) {
            ev.vec = VEC_DF, ev.has_err = true, ev.err = 0;
        } else {
            ev.vec = e->fault_vec, ev.has_err = e->fault_has_err;
            ev.err = e->fault_err;
            if (e->fault_cr2_valid)
                e->st->cr2 = e->fault_cr2;
        }
        if (ev.soft)
            ev.return_rip = e->insn_rip;
        ev.soft = false;
        ev.rf = RFLAGS_RF;
    }
}

void eng_deliver(struct eng *e, unsigned vec, bool has_err, uint32_t err,
                 bool soft, uint64_t return_rip)
{
    deliver_or_fault(e, (struct event){vec, has_err, soft, err, return_rip,
                                       0});
}

void eng_deliver_fault(struct eng *e, unsigned vec, bool has_err,
                       uint32_t err)
{
    deliver_or_fault(e, (struct event){vec, has_err, false, err,
                                       e->insn_rip, RFLAGS_RF});
}

void eng_deliver_rep_db(struct eng *e)
{
    deliver_or_fault(e, (struct event){VEC_DB, false, false, 0, e->insn_rip,
                                       RFLAGS_RF});
}

bool engine_interrupt(struct engine *ext, struct engine_state *st,
                      unsigned vector)
{
    struct eng *e = (struct eng *)ext;
    struct engine_state saved = *st;

    e->st = st;
    e->insn_rip = st->rip;
    if (setjmp(e->unwind) == 0 &&
        deliver(e, vector, false, 0, false, st->rip, 0)) {
        st->interrupt_shadow = false;
        return true;
    }
    *st = saved;
    return false;
}
