/* opnd.c: the engine's operands: general-purpose registers of every width, effective addresses, and reads and writes of any operand. */
#include "engine/engine_internal.h"

uint64_t eng_gpr_get(const struct eng *e, unsigned reg, unsigned size)
{
    return e->st->gpr[reg] & eng_mask(size);
}

/* 32-bit writes zero the upper half; 8- and 16-bit writes keep the rest
 * (SDM 3.4.1.1). */
void eng_gpr_set(struct eng *e, unsigned reg, unsigned size, uint64_t v)
{
    uint64_t *r = &e->st->gpr[reg];

    if (size >= 4)
        *r = size == 4 ? (uint32_t)v : v;
    else
        *r = (*r & ~eng_mask(size)) | (v & eng_mask(size));
}

uint64_t eng_reg_get(const struct eng *e, const struct eng_opnd *o)
{
    if (o->high8)
        return (e->st->gpr[o->reg] >> 8) & 0xFF;
    return eng_gpr_get(e, o->reg, o->size);
}

void eng_reg_set(struct eng *e, const struct eng_opnd *o, uint64_t v)
{
    if (o->high8) {
        uint64_t *r = &e->st->gpr[o->reg];
        *r = (*r & ~0xFF00ull) | (v & 0xFF) << 8;
        return;
    }
    eng_gpr_set(e, o->reg, o->size, v);
}

uint64_t eng_opnd_read(struct eng *e, const struct eng_insn *in,
                       const struct eng_opnd *o)
{
    switch (o->type) {
    case OPND_REG:
        if (o->regkind != REGK_GPR)
            eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
        return eng_reg_get(e, o);
    case OPND_MEM:
        return eng_read(e, o->seg, eng_ea(e, in, o), o->size);
    case OPND_IMM:
        return o->imm; /* sign-extended as the encoding says; users mask */
    default:
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    }
}

void eng_opnd_write(struct eng *e, const struct eng_insn *in,
                    const struct eng_opnd *o, uint64_t v)
{
    switch (o->type) {
    case OPND_REG:
        if (o->regkind != REGK_GPR)
            eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
        eng_reg_set(e, o, v);
        return;
    case OPND_MEM:
        eng_write(e, o->seg, eng_ea(e, in, o), o->size, v);
        return;
    default:
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    }
}
