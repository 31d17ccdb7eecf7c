/* exec_bcd.c: the engine's decimal-arithmetic adjustments of 32-bit code (DAA, DAS, AAA, AAS, AAM, AAD; #UD in 64-bit mode, where Zydis decodes none of them). */
#include "engine/engine_internal.h"

/* The flags an adjustment leaves undefined are cleared [I]. */
static void set_flags(struct eng *e, uint64_t f)
{
    e->st->rflags = (e->st->rflags & ~RFLAGS_ARITH) | f;
}

static uint64_t al(const struct eng *e) { return e->st->gpr[ENGINE_RAX] & 0xFF; }

static void al_set(struct eng *e, uint64_t v)
{
    eng_gpr_set(e, ENGINE_RAX, 1, v);
}

/* DAA, DAS (SDM Vol. 2A): AL adjusted by 6 and by 60H; OF undefined. DAS
 * keeps the borrow of its first step in CF where DAA's second step
 * decides CF alone (as the two pseudo-codes differ). */
static void exec_daa_das(struct eng *e, const struct eng_insn *in)
{
    bool sub = in->mnemonic == ZYDIS_MNEMONIC_DAS;
    uint64_t old_al = al(e), a = old_al, f = 0;
    bool old_cf = (e->st->rflags & RFLAGS_CF) != 0;

    if ((a & 0xF) > 9 || (e->st->rflags & RFLAGS_AF)) {
        if (sub && a < 6)
            f |= RFLAGS_CF;
        a = sub ? a - 6 : a + 6;
        if (old_cf)
            f |= RFLAGS_CF;
        f |= RFLAGS_AF;
    }
    if (old_al > 0x99 || old_cf) {
        a = sub ? a - 0x60 : a + 0x60;
        f |= RFLAGS_CF;
    } else if (!sub) {
        f &= ~RFLAGS_CF;
    }
    al_set(e, a);
    set_flags(e, f | eng_flags_logic(a, 1));
}

/* AAA, AAS (SDM Vol. 2A): AX +/- 106H when AL's low digit is past 9 or AF
 * is set, then AL's high digit cleared; AF = CF = the adjustment; OF, SF,
 * ZF, PF undefined. */
static void exec_aaa_aas(struct eng *e, const struct eng_insn *in)
{
    uint64_t ax = e->st->gpr[ENGINE_RAX] & 0xFFFF, f = 0;

    if ((ax & 0xF) > 9 || (e->st->rflags & RFLAGS_AF)) {
        ax = in->mnemonic == ZYDIS_MNEMONIC_AAS ? ax - 0x106 : ax + 0x106;
        f = RFLAGS_AF | RFLAGS_CF;
    }
    eng_gpr_set(e, ENGINE_RAX, 2, ax & 0xFF0F);
    set_flags(e, f);
}

/* AAM imm8: AH = AL / imm8, AL = AL % imm8, #DE for 0; AAD imm8: AL =
 * AL + AH * imm8, AH = 0. SF, ZF, PF of AL; OF, AF, CF undefined (SDM
 * Vol. 2A). */
static void exec_aam_aad(struct eng *e, const struct eng_insn *in)
{
    uint64_t base = (uint64_t)in->op[0].imm & 0xFF, a = al(e);
    uint64_t ah = (e->st->gpr[ENGINE_RAX] >> 8) & 0xFF, ax;

    if (in->mnemonic == ZYDIS_MNEMONIC_AAM) {
        if (base == 0)
            eng_fault(e, VEC_DE, false, 0);
        ax = (a / base) << 8 | a % base;
    } else {
        ax = (a + ah * base) & 0xFF;
    }
    eng_gpr_set(e, ENGINE_RAX, 2, ax);
    set_flags(e, eng_flags_logic(ax & 0xFF, 1));
}

eng_exec_fn eng_exec_bcd_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_DAA: case ZYDIS_MNEMONIC_DAS: return exec_daa_das;
    case ZYDIS_MNEMONIC_AAA: case ZYDIS_MNEMONIC_AAS: return exec_aaa_aas;
    case ZYDIS_MNEMONIC_AAM: case ZYDIS_MNEMONIC_AAD: return exec_aam_aad;
    default: return NULL;
    }
}
