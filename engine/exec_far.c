/* exec_far.c: machine mode's far JMP, CALL and RET to a code segment of the same privilege, the way into 64-bit mode from 32-bit code (SDM 9.8.5); gates, task switches and returns to an outer level go back. */
#include "engine/engine_internal.h"

#define DST (&in->op[0])

/*
 * The code segment a far transfer goes to, checked as SDM JMP, CALL
 * (protected mode, "same privilege") and RET, IRET (to the same
 * privilege or to an outer one, the RPL's): NULL #GP(0); outside the
 * table, not code #GP(sel); a system descriptor (call gate, task gate,
 * TSS) goes back; conforming code needs DPL <= CPL, other code DPL = CPL
 * and RPL <= CPL (a return: RPL >= CPL, conforming code DPL <= RPL,
 * other code DPL = RPL); not present #NP(sel); L and D both set in
 * IA-32e mode #GP(sel). The offset must be canonical for 64-bit code,
 * within the limit otherwise (#GP(0)). Its CPL is the CPL, or a
 * return's RPL.
 */
struct engine_seg eng_far_target(struct eng *e, uint16_t sel, uint64_t off,
                                 bool ret)
{
    unsigned cpl = eng_cpl(e), rpl = sel & 3;
    bool lma = (e->st->efer & EFER_LMA) != 0;
    struct engine_seg cs;
    uint64_t d[2];

    if ((sel & ~3u) == 0)
        eng_gp0(e);
    if (ret && rpl < cpl)
        eng_sel_fault(e, VEC_GP, sel);
    if (!eng_desc_read(e, sel, d))
        eng_sel_fault(e, VEC_GP, sel);
    eng_seg_from_desc(&cs, sel, d);
    if (!cs.s) {
        if (ret)
            eng_sel_fault(e, VEC_GP, sel);
        eng_handback(e, ENGINE_WHY_SYSTEM); /* gates and task switches */
    }
    if (!(cs.type & 8))
        eng_sel_fault(e, VEC_GP, sel);
    if (cs.type & 4) {
        if (cs.dpl > (ret ? rpl : cpl))
            eng_sel_fault(e, VEC_GP, sel);
    } else if (ret ? cs.dpl != rpl : (rpl > cpl || cs.dpl != cpl)) {
        eng_sel_fault(e, VEC_GP, sel);
    }
    if (!cs.present)
        eng_sel_fault(e, VEC_NP, sel);
    if (!lma)
        cs.l = 0; /* L is reserved outside IA-32e mode */
    if (cs.l && cs.db)
        eng_sel_fault(e, VEC_GP, sel);
    if (cs.l ? !eng_canonical(off) : off > cs.limit)
        eng_gp0(e);
    cs.selector = (uint16_t)((sel & ~3u) | (ret ? rpl : cpl));
    return cs;
}

/* Makes (cs) the code segment, its accessed bit set, at (off). */
static void enter(struct eng *e, struct engine_seg cs, uint64_t off)
{
    if (!(cs.type & 1)) {
        eng_desc_set_bit(e, cs.selector, 40);
        cs.type |= 1;
    }
    e->st->seg[ENGINE_CS] = cs;
    e->next_rip = off;
    e->branch_taken = true;
    e->mode_changed = true;
}

/* The operand's selector and offset: ptr16:16/32 in the instruction, or
 * m16:16/32/64 (offset first, then the selector). */
static uint16_t far_pointer(struct eng *e, const struct eng_insn *in,
                            unsigned *osz, uint64_t *off)
{
    if (DST->type == OPND_PTR) {
        *osz = in->opsize == 2 ? 2 : 4;
        *off = DST->imm & eng_mask(*osz);
        return DST->ptr_seg;
    }
    if (DST->type != OPND_MEM)
        eng_fault(e, VEC_UD, false, 0);
    *osz = DST->size > 2 ? DST->size - 2u : in->opsize;
    uint64_t ea = eng_ea(e, in, DST);
    *off = eng_read(e, DST->seg, ea, *osz);
    return (uint16_t)eng_read(e, DST->seg,
                              (ea + *osz) & eng_mask(in->addrsize), 2);
}

static void far_jmp(struct eng *e, const struct eng_insn *in)
{
    unsigned osz;
    uint64_t off;
    uint16_t sel = far_pointer(e, in, &osz, &off);

    enter(e, eng_far_target(e, sel, off, false), off);
}

/* CALL: CS then the return offset, each of the operand size (CS
 * zero-extended), written before anything changes. */
static void far_call(struct eng *e, const struct eng_insn *in)
{
    struct engine_state *st = e->st;
    unsigned osz;
    uint64_t off;
    uint16_t sel = far_pointer(e, in, &osz, &off);
    struct engine_seg cs = eng_far_target(e, sel, off, false);
    uint64_t m = eng_mask(eng_stack_width(e));
    uint64_t sp1 = (eng_sp(e) - osz) & m, sp2 = (sp1 - osz) & m;

    eng_write(e, ENGINE_SS, sp1, osz, st->seg[ENGINE_CS].selector);
    eng_write(e, ENGINE_SS, sp2, osz, e->next_rip);
    eng_sp_set(e, sp2);
    enter(e, cs, off);
}

/* RET far [imm16]: pops the offset, then CS, then releases imm16 bytes. */
static void far_ret(struct eng *e, const struct eng_insn *in)
{
    unsigned osz = in->opsize;
    uint64_t m = eng_mask(eng_stack_width(e)), sp = eng_sp(e);
    uint64_t off = eng_read(e, ENGINE_SS, sp, osz);
    uint16_t sel = (uint16_t)eng_read(e, ENGINE_SS, (sp + osz) & m, 2);
    uint64_t extra = in->nopnd && DST->type == OPND_IMM ? DST->imm & 0xFFFF
                                                        : 0;
    struct engine_seg cs = eng_far_target(e, sel, off, true);

    if ((sel & 3) > eng_cpl(e))
        eng_handback(e, ENGINE_WHY_SYSTEM); /* to an outer level */
    eng_sp_set(e, (sp + 2 * osz + extra) & m);
    enter(e, cs, off);
}

void eng_exec_far(struct eng *e, const struct eng_insn *in)
{
    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_JMP: far_jmp(e, in); return;
    case ZYDIS_MNEMONIC_CALL: far_call(e, in); return;
    case ZYDIS_MNEMONIC_RET: far_ret(e, in); return;
    default: eng_handback(e, ENGINE_WHY_SYSTEM);
    }
}
