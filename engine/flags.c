/* flags.c: the arithmetic flags of a result (CF, PF, AF, ZF, SF, OF) and the condition codes of Jcc, SETcc and CMOVcc. */
#include "engine/engine_internal.h"

/* PF: the low byte of the result has an even number of set bits. */
static uint64_t parity(uint64_t res)
{
    return __builtin_parity((unsigned)(res & 0xFF)) ? 0 : RFLAGS_PF;
}

static uint64_t sign_bit(unsigned size)
{
    return 1ull << (size * 8 - 1);
}

/* ZF, SF, PF of (res) at (size) bytes. */
static uint64_t szp(uint64_t res, unsigned size)
{
    res &= eng_mask(size);
    return (res ? 0 : RFLAGS_ZF) | (res & sign_bit(size) ? RFLAGS_SF : 0) |
           parity(res);
}

/* AND, OR, XOR, TEST: CF = OF = 0; AF is undefined and left 0 [I: as
 * Intel parts clear it]. */
uint64_t eng_flags_logic(uint64_t res, unsigned size)
{
    return szp(res, size);
}

uint64_t eng_flags_add(uint64_t a, uint64_t b, uint64_t carry_in,
                       unsigned size)
{
    uint64_t m = eng_mask(size), res = (a + b + carry_in) & m;
    uint64_t fl = szp(res, size);

    a &= m;
    b &= m;
    /* carry out of the top bit: the sum wrapped (or equalled with CF) */
    if (res < a || (carry_in && res == a))
        fl |= RFLAGS_CF;
    if (((a ^ res) & (b ^ res)) & sign_bit(size))
        fl |= RFLAGS_OF;
    if ((a ^ b ^ res) & 0x10)
        fl |= RFLAGS_AF;
    return fl;
}

uint64_t eng_flags_sub(uint64_t a, uint64_t b, uint64_t borrow_in,
                       unsigned size)
{
    uint64_t m = eng_mask(size), res = (a - b - borrow_in) & m;
    uint64_t fl = szp(res, size);

    a &= m;
    b &= m;
    if (a < b || (borrow_in && a == b))
        fl |= RFLAGS_CF;
    if (((a ^ b) & (a ^ res)) & sign_bit(size))
        fl |= RFLAGS_OF;
    if ((a ^ b ^ res) & 0x10)
        fl |= RFLAGS_AF;
    return fl;
}

/* Condition code (cc) = the low nibble of Jcc's opcode (SDM B.1.4.7). */
bool eng_cond(uint64_t f, unsigned cc)
{
    bool of = f & RFLAGS_OF, cf = f & RFLAGS_CF, zf = f & RFLAGS_ZF, sf = f & RFLAGS_SF;
    bool pf = f & RFLAGS_PF, r;

    switch (cc >> 1) {
    case 0: r = of; break;               /* O */
    case 1: r = cf; break;               /* B */
    case 2: r = zf; break;               /* E */
    case 3: r = cf || zf; break;         /* BE */
    case 4: r = sf; break;               /* S */
    case 5: r = pf; break;               /* P */
    case 6: r = sf != of; break;         /* L */
    default: r = zf || sf != of; break;  /* LE */
    }
    return (cc & 1) ? !r : r;
}

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
