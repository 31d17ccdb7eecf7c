/* flags.c: the condition codes of Jcc, SETcc and CMOVcc, and the lazy flags made whole (the flags of a result are engine_internal.h's inline functions). */
#include "engine/engine_internal.h"

/* The mnemonics of each condition, in condition-code order (O, NO, B, NB,
 * Z, NZ, BE, NBE, S, NS, P, NP, L, NL, LE, NLE). */
static const ZydisMnemonic cc_mnemonics[3][16] = {
    {ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB,
     ZYDIS_MNEMONIC_JNB, ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ,
     ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE, ZYDIS_MNEMONIC_JS,
     ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP, ZYDIS_MNEMONIC_JNP,
     ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE,
     ZYDIS_MNEMONIC_JNLE},
    {ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB,
     ZYDIS_MNEMONIC_SETNB, ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ,
     ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE, ZYDIS_MNEMONIC_SETS,
     ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_SETNP,
     ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE,
     ZYDIS_MNEMONIC_SETNLE},
    {ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB,
     ZYDIS_MNEMONIC_CMOVNB, ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ,
     ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE, ZYDIS_MNEMONIC_CMOVS,
     ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP, ZYDIS_MNEMONIC_CMOVNP,
     ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE,
     ZYDIS_MNEMONIC_CMOVNLE},
};

unsigned eng_cc_of(ZydisMnemonic m)
{
    for (unsigned k = 0; k < 3; k++)
        for (unsigned cc = 0; cc < 16; cc++)
            if (cc_mnemonics[k][cc] == m)
                return cc;
    return 0;
}

enum cc_kind eng_cc_kind(ZydisMnemonic m)
{
    for (unsigned k = 0; k < 3; k++)
        for (unsigned cc = 0; cc < 16; cc++)
            if (cc_mnemonics[k][cc] == m)
                return (enum cc_kind)(CC_JCC + k);
    return CC_NONE;
}

void eng_flags_make_whole(struct eng *e)
{
    eng_set_arith(e, eng_lazy_arith(&e->lazy));
    e->lazy.op = LAZY_NONE;
}
