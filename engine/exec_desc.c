/* exec_desc.c: machine mode's descriptor tables and segment loads: LGDT, LIDT, SGDT, SIDT, LLDT, LTR, SLDT, STR, and MOV, POP to a segment register with their descriptor checks. */
#include "engine/engine_internal.h"

#define DST (&in->op[0])

void eng_desc_set_bit(struct eng *e, uint16_t sel, unsigned bit)
{
    const struct engine_state *st = e->st;
    uint64_t base = (sel & 4) ? st->ldt.base : st->gdt_base;
    uint64_t la = base + (sel & ~7u) + bit / 8;

    if (!eng_mode64(e))
        la &= 0xFFFFFFFFull;
    uint64_t b = eng_read_la(e, la, 1, true);
    if (!(b & (1u << (bit % 8))))
        eng_write_la(e, la, 1, b | (1u << (bit % 8)), true);
}

/* Offsets within a memory operand wrap at the address size. */
static uint64_t ea_plus(const struct eng_insn *in, uint64_t ea, unsigned n)
{
    return (ea + n) & eng_mask(in->addrsize);
}

/* LGDT, LIDT (SDM LGDT): a 16-bit limit, then a 64-bit base in 64-bit
 * mode (canonical, or #GP(0)), else a 32-bit one (24 bits with a 16-bit
 * operand size). */
static void exec_lgdt(struct eng *e, const struct eng_insn *in)
{
    struct engine_state *st = e->st;

    eng_need_cpl0(e);
    uint64_t ea = eng_ea(e, in, DST), base;
    uint16_t limit = (uint16_t)eng_read(e, DST->seg, ea, 2);
    if (eng_mode64(e)) {
        base = eng_read(e, DST->seg, ea_plus(in, ea, 2), 8);
        if (!eng_canonical(base))
            eng_gp0(e);
    } else {
        base = eng_read(e, DST->seg, ea_plus(in, ea, 2), 4);
        if (in->opsize == 2)
            base &= 0xFFFFFF;
    }
    if (in->mnemonic == ZYDIS_MNEMONIC_LGDT) {
        st->gdt_base = base;
        st->gdt_limit = limit;
    } else {
        st->idt_base = base;
        st->idt_limit = limit;
    }
}

/* SGDT, SIDT: at any CPL unless CR4.UMIP; the base is 8 bytes in 64-bit
 * mode, else 4. */
static void exec_sgdt(struct eng *e, const struct eng_insn *in)
{
    const struct engine_state *st = e->st;
    bool gdt = in->mnemonic == ZYDIS_MNEMONIC_SGDT;

    if ((st->cr4 & CR4_UMIP) && eng_cpl(e) > 0)
        eng_gp0(e);
    uint64_t ea = eng_ea(e, in, DST);
    eng_write(e, DST->seg, ea, 2, gdt ? st->gdt_limit : st->idt_limit);
    eng_write(e, DST->seg, ea_plus(in, ea, 2), eng_mode64(e) ? 8 : 4,
              gdt ? st->gdt_base : st->idt_base);
}

/* SLDT, STR: the selector, zero-extended into a register. */
static void exec_sldt_str(struct eng *e, const struct eng_insn *in)
{
    const struct engine_state *st = e->st;

    if ((st->cr4 & CR4_UMIP) && eng_cpl(e) > 0)
        eng_gp0(e);
    eng_opnd_write(e, in, DST, in->mnemonic == ZYDIS_MNEMONIC_STR
                                   ? st->tr.selector : st->ldt.selector);
}

/* An LDT or TSS descriptor from the GDT: 16 bytes in IA-32e mode, whose
 * second half holds base 63:32 (SDM 7.2.3, 8.2.3). */
static struct engine_seg system_desc(struct eng *e, uint16_t sel)
{
    uint64_t d[2];
    struct engine_seg s;
    bool lma = (e->st->efer & EFER_LMA) != 0;

    if ((sel & 4) || !eng_desc_read(e, sel, d))
        eng_sel_fault(e, VEC_GP, sel);
    if (lma && (uint64_t)(sel & ~7u) + 15 > e->st->gdt_limit)
        eng_sel_fault(e, VEC_GP, sel);
    eng_seg_from_desc(&s, sel, d);
    if (lma) {
        s.base |= d[1] << 32;
        if (!eng_canonical(s.base))
            eng_sel_fault(e, VEC_GP, sel);
    }
    return s;
}

/* LLDT (SDM LLDT): a NULL selector leaves the LDT unusable; otherwise an
 * LDT descriptor (type 2) in the GDT, present. */
static void exec_lldt(struct eng *e, const struct eng_insn *in)
{
    eng_need_cpl0(e);
    uint16_t sel = (uint16_t)eng_opnd_read(e, in, DST);
    if ((sel & ~3u) == 0) {
        e->st->ldt = (struct engine_seg){.selector = sel};
        return;
    }
    struct engine_seg s = system_desc(e, sel);
    if (s.s || s.type != 2)
        eng_sel_fault(e, VEC_GP, sel);
    if (!s.present)
        eng_sel_fault(e, VEC_NP, sel);
    e->st->ldt = s;
}

/* LTR (SDM LTR): an available TSS (type 9; or 1, a 16-bit one, outside
 * IA-32e mode) in the GDT, present; it becomes busy in the GDT too. */
static void exec_ltr(struct eng *e, const struct eng_insn *in)
{
    eng_need_cpl0(e);
    uint16_t sel = (uint16_t)eng_opnd_read(e, in, DST);
    if ((sel & ~3u) == 0)
        eng_gp0(e);
    struct engine_seg s = system_desc(e, sel);
    bool lma = (e->st->efer & EFER_LMA) != 0;
    if (s.s || !(s.type == 9 || (!lma && s.type == 1)))
        eng_sel_fault(e, VEC_GP, sel);
    if (!s.present)
        eng_sel_fault(e, VEC_NP, sel);
    eng_desc_set_bit(e, sel, 41); /* type bit 1: busy */
    s.type |= 2;
    e->st->tr = s;
}

/* A segment descriptor (sel) loaded as (s): its accessed bit set, in its
 * table too. */
static void set_accessed(struct eng *e, uint16_t sel, struct engine_seg *s)
{
    if (!(s->type & 1)) {
        eng_desc_set_bit(e, sel, 40);
        s->type |= 1;
    }
}

/*
 * The stack segment (sel) for privilege (pl), with the checks an event to
 * an inner privilege makes of the TSS's SSn (SDM 6.12.1.1: (vec) #TS)
 * and IRET of the one it returns to ((vec) #GP): a null selector, one
 * outside its table, an RPL or DPL other than (pl), not a writable data
 * segment: (vec)(sel); not present: #SS(sel). Its accessed bit is set.
 */
struct engine_seg eng_stack_seg(struct eng *e, uint16_t sel, unsigned pl,
                                unsigned vec)
{
    struct engine_seg ss;
    uint64_t d[2];

    if ((sel & ~3u) == 0 || (sel & 3) != pl || !eng_desc_read(e, sel, d))
        eng_sel_fault(e, vec, sel);
    eng_seg_from_desc(&ss, sel, d);
    if (!ss.s || (ss.type & 8) || !(ss.type & 2) || ss.dpl != pl)
        eng_sel_fault(e, vec, sel);
    if (!ss.present)
        eng_sel_fault(e, VEC_SS, sel);
    set_accessed(e, sel, &ss);
    return ss;
}

/*
 * A data or stack segment load (SDM MOV, POP; 3.4.4.1 for 64-bit mode):
 * NULL is allowed for DS, ES, FS, GS (they become unusable, their base
 * 0), and for SS only in 64-bit mode at CPL < 3 with RPL = CPL. SS needs
 * a writable data segment with RPL = DPL = CPL (#GP(sel)), present
 * (#SS(sel)); the others a data or readable code segment, whose DPL is
 * at least the CPL and the RPL unless it is conforming code (#GP(sel)),
 * present (#NP(sel)). The descriptor's accessed bit is set.
 */
void eng_load_sreg(struct eng *e, unsigned sreg, uint16_t sel)
{
    struct engine_state *st = e->st;
    unsigned cpl = eng_cpl(e), rpl = sel & 3;
    struct engine_seg s;
    uint64_t d[2];

    if (sreg == ENGINE_CS)
        eng_fault(e, VEC_UD, false, 0);
    if ((sel & ~3u) == 0) {
        if (sreg != ENGINE_SS) {
            st->seg[sreg] = (struct engine_seg){.selector = sel};
            return;
        }
        if (!eng_mode64(e) || cpl == 3 || rpl != cpl)
            eng_gp0(e);
        st->seg[sreg] = (struct engine_seg){.selector = sel,
                                            .dpl = (uint8_t)cpl, .s = 1,
                                            .type = 3, .db = 1};
        return;
    }
    if (sreg == ENGINE_SS) {
        st->seg[sreg] = eng_stack_seg(e, sel, cpl, VEC_GP);
        return;
    }
    if (!eng_desc_read(e, sel, d))
        eng_sel_fault(e, VEC_GP, sel);
    eng_seg_from_desc(&s, sel, d);
    bool code = (s.type & 8) != 0, conforming = code && (s.type & 4);
    if (!s.s || (code && !(s.type & 2)) ||
        (!conforming && (rpl > s.dpl || cpl > s.dpl)))
        eng_sel_fault(e, VEC_GP, sel);
    if (!s.present)
        eng_sel_fault(e, VEC_NP, sel);
    set_accessed(e, sel, &s);
    st->seg[sreg] = s;
}

eng_exec_fn eng_exec_desc_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_LGDT: case ZYDIS_MNEMONIC_LIDT: return exec_lgdt;
    case ZYDIS_MNEMONIC_SGDT: case ZYDIS_MNEMONIC_SIDT: return exec_sgdt;
    case ZYDIS_MNEMONIC_SLDT: case ZYDIS_MNEMONIC_STR: return exec_sldt_str;
    case ZYDIS_MNEMONIC_LLDT: return exec_lldt;
    case ZYDIS_MNEMONIC_LTR: return exec_ltr;
    default: return NULL;
    }
}
