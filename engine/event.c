/* event.c: the engine's privilege transfers: exception and interrupt delivery through the 64-bit IDT, IRETQ, SYSCALL, SYSRET, and descriptors. */
#include <string.h>

#include "engine/engine_internal.h"

#define DESC_P (1ull << 47)
#define DESC_S (1ull << 44)
#define DESC_L (1ull << 53)
#define DESC_DB (1ull << 54)
#define DESC_G (1ull << 55)

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

/*
 * The frame: SS, RSP, RFLAGS, CS, RIP (and the error code), pushed on a
 * 16-byte aligned stack: the TSS's RSPn on a change of privilege, the IST
 * stack if the gate names one, else the current one (SDM 6.14.2). Any
 * fault on the way hands the instruction back: KVM then runs it and
 * delivers the fault (a #DF, a triple fault) as the hardware does.
 */
static bool deliver(struct eng *e, unsigned vec, bool has_err, uint32_t err,
                    bool soft, uint64_t return_rip, uint64_t rf)
{
    struct engine_state *st = e->st;
    unsigned cpl = eng_cpl(e);
    uint64_t gate[2], cdesc[2];

    if (vec * 16 + 15 > st->idt_limit)
        return false;
    gate[0] = eng_read_la(e, st->idt_base + vec * 16, 8, true);
    gate[1] = eng_read_la(e, st->idt_base + vec * 16 + 8, 8, true);
    unsigned type = (gate[0] >> 40) & 0xF, dpl = (gate[0] >> 45) & 3;
    if (!(gate[0] & DESC_P) || (type != 0xE && type != 0xF))
        return false;
    if (soft && cpl > dpl) {
        /* INT n through a gate of lower privilege: #GP(vector * 8 + 2) */
        eng_fault(e, VEC_GP, true, vec * 8 + 2);
    }
    uint16_t sel = (uint16_t)(gate[0] >> 16);
    uint64_t target = (gate[0] & 0xFFFF) | ((gate[0] >> 32) & 0xFFFF0000) |
                      gate[1] << 32;
    unsigned ist = (gate[0] >> 32) & 7;
    if ((sel & ~3u) == 0 || !eng_desc_read(e, sel, cdesc))
        return false;
    struct engine_seg cs;
    eng_seg_from_desc(&cs, sel, cdesc);
    if (!cs.present || !cs.s || !(cs.type & 8) || !cs.l || cs.db ||
        cs.dpl > cpl || !eng_canonical(target))
        return false;
    unsigned new_cpl = (cs.type & 4) ? cpl : cs.dpl; /* conforming keeps */
    uint64_t rsp = st->gpr[ENGINE_RSP];
    if (new_cpl < cpl || ist) {
        uint64_t tss = st->tr.base;
        uint64_t off = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * new_cpl;
        if (off + 7 > st->tr.limit)
            return false;
        rsp = eng_read_la(e, tss + off, 8, true);
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
            return false;
        eng_write_la(e, la, 8, frame[i], new_cpl < cpl || cpl < 3);
    }
    rsp -= 8 * n;
    if (new_cpl < cpl)
        st->seg[ENGINE_SS] = null_ss(new_cpl);
    cs.selector = (uint16_t)((sel & ~3u) | new_cpl);
    cs.dpl = (uint8_t)new_cpl;
    st->seg[ENGINE_CS] = cs;
    st->gpr[ENGINE_RSP] = rsp;
    st->rflags &= ~(FL_TF | FL_NT | FL_RF | FL_VM);
    if (type == 0xE)
        st->rflags &= ~FL_IF;
    st->rip = target;
    return true;
}

static void deliver_or_handback(struct eng *e, unsigned vec, bool has_err,
                                uint32_t err, bool soft,
                                uint64_t return_rip, uint64_t rf)
{
    struct engine_state saved = *e->st;
    jmp_buf outer;

    /* A fault during delivery is not delivered by the engine. */
    memcpy(outer, e->unwind, sizeof(jmp_buf));
    if (setjmp(e->unwind) == 0) {
        if (deliver(e, vec, has_err, err, soft, return_rip, rf)) {
            memcpy(e->unwind, outer, sizeof(jmp_buf));
            return;
        }
    }
    memcpy(e->unwind, outer, sizeof(jmp_buf));
    *e->st = saved;
    if (soft && e->fault_vec == VEC_GP && e->fault_err == vec * 8 + 2) {
        /* the gate's DPL refused INT n: that #GP is delivered instead */
        uint32_t gp_err = e->fault_err;
        if (setjmp(e->unwind) == 0 &&
            deliver(e, VEC_GP, true, gp_err, false, e->insn_rip, FL_RF)) {
            memcpy(e->unwind, outer, sizeof(jmp_buf));
            return;
        }
        memcpy(e->unwind, outer, sizeof(jmp_buf));
        *e->st = saved;
    }
    eng_handback(e, ENGINE_WHY_EVENT);
}

void eng_deliver(struct eng *e, unsigned vec, bool has_err, uint32_t err,
                 bool soft, uint64_t return_rip)
{
    deliver_or_handback(e, vec, has_err, err, soft, return_rip, 0);
}

void eng_deliver_fault(struct eng *e, unsigned vec, bool has_err,
                       uint32_t err)
{
    deliver_or_handback(e, vec, has_err, err, false, e->insn_rip, FL_RF);
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
