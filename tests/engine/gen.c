/* gen.c: random instruction sequences for the engine's differential test: integer, flag, shift, multiply and divide, string, stack and branch instructions, with some that fault; 64-bit code, and what 32-bit code shares with it. */
#include <string.h>

#include "tests/engine/gen_internal.h"

/* The flags each condition code reads (O, NO, B, NB, Z, NZ, BE, NBE, S, NS,
 * P, NP, L, NL, LE, NLE). */
static const unsigned cc_reads[16] = {
    OF, OF, CF, CF, ZF, ZF, CF | ZF, CF | ZF, SF, SF, PF, PF,
    SF | OF, SF | OF, ZF | SF | OF, ZF | SF | OF,
};

/* ---- the instruction kinds ---- */

static bool gen_alu(struct g *g)
{
    static const ZydisMnemonic ms[] = {
        ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_ADC, ZYDIS_MNEMONIC_SUB,
        ZYDIS_MNEMONIC_SBB, ZYDIS_MNEMONIC_AND, ZYDIS_MNEMONIC_OR,
        ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_CMP, ZYDIS_MNEMONIC_TEST};
    ZydisMnemonic m = ms[rnd(g, 9)];
    unsigned sz = pick_size(g), form = rnd(g, 5);
    bool ok;

    if ((m == ZYDIS_MNEMONIC_ADC || m == ZYDIS_MNEMONIC_SBB) &&
        (!(g->def & CF) || g->no_flags_read))
        m = m == ZYDIS_MNEMONIC_ADC ? ZYDIS_MNEMONIC_ADD : ZYDIS_MNEMONIC_SUB;
    uint64_t imm = gen_rand(&g->rng);
    if (sz == 8 || rnd(g, 2))
        imm = (uint64_t)(int64_t)(int32_t)imm; /* imm32, sign-extended */
    imm &= sz == 8 ? ~0ull : (1ull << (sz * 8)) - 1;
    if (rnd(g, 3) == 0)
        imm = (uint64_t)(int64_t)(int8_t)imm & (sz == 8 ? ~0ull : (1ull << (sz * 8)) - 1);
    switch (form) {
    case 0: ok = EMIT(g, m, R(pick(g, sz)), R(pick(g, sz))); break;
    case 1: ok = EMIT(g, m, R(pick(g, sz)), I(imm)); break;
    case 2: ok = m != ZYDIS_MNEMONIC_TEST &&
                 EMIT(g, m, R(pick(g, sz)), M(g, sz)); break;
    case 3: ok = EMIT(g, m, M(g, sz), R(pick(g, sz))); break;
    default: ok = EMIT(g, m, M(g, sz), I(imm)); break;
    }
    if (ok) {
        bool logic = m == ZYDIS_MNEMONIC_AND || m == ZYDIS_MNEMONIC_OR ||
                     m == ZYDIS_MNEMONIC_XOR || m == ZYDIS_MNEMONIC_TEST;
        g->def = logic ? ALL & ~AF : ALL;
    }
    return ok;
}

static bool gen_unary(struct g *g)
{
    static const ZydisMnemonic ms[] = {ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC,
                                       ZYDIS_MNEMONIC_NEG, ZYDIS_MNEMONIC_NOT};
    ZydisMnemonic m = ms[rnd(g, 4)];
    unsigned sz = pick_size(g);
    bool ok = rnd(g, 2) ? EMIT(g, m, R(pick(g, sz))) : EMIT(g, m, M(g, sz));

    if (ok && m == ZYDIS_MNEMONIC_NEG)
        g->def = ALL;
    else if (ok && m != ZYDIS_MNEMONIC_NOT)
        g->def |= ALL & ~CF;
    return ok;
}

static bool gen_shift(struct g *g)
{
    static const ZydisMnemonic ms[] = {
        ZYDIS_MNEMONIC_SHL, ZYDIS_MNEMONIC_SHR, ZYDIS_MNEMONIC_SAR,
        ZYDIS_MNEMONIC_ROL, ZYDIS_MNEMONIC_ROR, ZYDIS_MNEMONIC_RCL,
        ZYDIS_MNEMONIC_RCR};
    ZydisMnemonic m = ms[rnd(g, 7)];
    unsigned sz = pick_size(g), bits = sz * 8, kind = rnd(g, 3);
    bool rot = m >= ZYDIS_MNEMONIC_RCL && m <= ZYDIS_MNEMONIC_ROR;
    bool thru = m == ZYDIS_MNEMONIC_RCL || m == ZYDIS_MNEMONIC_RCR;
    ZydisEncoderOperand dst = rnd(g, 3) ? R(pick(g, sz)) : M(g, sz);
    unsigned count = kind == 0 ? 1 : 1 + rnd(g, bits - 1);
    bool ok;

    rot = m == ZYDIS_MNEMONIC_ROL || m == ZYDIS_MNEMONIC_ROR || thru;
    if (thru && (!(g->def & CF) || g->no_flags_read))
        return false;
    if (kind == 2 && g->no_rcx)
        kind = 1;
    if (kind == 2)
        ok = EMIT(g, m, dst, R(ZYDIS_REGISTER_CL));
    else
        ok = EMIT(g, m, dst, I(count));
    if (!ok)
        return false;
    if (rot) {
        if (kind == 2)
            g->def &= ~OF;
        else
            g->def = (g->def | CF | (count == 1 ? OF : 0)) & ~(count == 1 ? 0 : OF);
    } else if (kind == 2) {
        g->def &= ~(OF | AF | (sz < 4 ? CF : 0));
    } else {
        g->def = (CF | PF | ZF | SF | (count == 1 ? OF : 0)) |
                 (g->def & 0);
    }
    return true;
}

static bool gen_double_shift(struct g *g)
{
    ZydisMnemonic m = rnd(g, 2) ? ZYDIS_MNEMONIC_SHLD : ZYDIS_MNEMONIC_SHRD;
    static const unsigned sizes[] = {2, 4, 8};
    unsigned sz = sizes[rnd(g, g->m32 ? 2 : 3)];
    ZydisEncoderOperand dst = rnd(g, 3) ? R(pick(g, sz)) : M(g, sz);
    bool cl = sz >= 4 && !g->no_rcx && rnd(g, 2);
    unsigned count = 1 + rnd(g, sz * 8 - 1);

    if (!(cl ? EMIT(g, m, dst, R(pick(g, sz)), R(ZYDIS_REGISTER_CL))
             : EMIT(g, m, dst, R(pick(g, sz)), I(count))))
        return false;
    if (cl)
        g->def &= ~(OF | AF);
    else
        g->def = CF | PF | ZF | SF | (count == 1 ? OF : 0);
    return true;
}

static bool gen_mul(struct g *g)
{
    unsigned sz = pick_size(g), form = rnd(g, 4);
    ZydisEncoderOperand src = rnd(g, 2) ? R(pick(g, sz)) : M(g, sz);
    bool ok;

    if (g->no_rcx)
        return false; /* MUL writes RDX, never RCX, but keep bodies simple */
    switch (form) {
    case 0: ok = EMIT(g, ZYDIS_MNEMONIC_MUL, src); break;
    case 1: ok = EMIT(g, ZYDIS_MNEMONIC_IMUL, src); break;
    case 2: ok = sz > 1 && EMIT(g, ZYDIS_MNEMONIC_IMUL, R(pick(g, sz)), src); break;
    default:
        ok = sz > 1 && EMIT(g, ZYDIS_MNEMONIC_IMUL, R(pick(g, sz)), src,
                            I((uint64_t)(int64_t)(int8_t)gen_rand(&g->rng)));
        break;
    }
    if (ok)
        g->def = (g->def | CF | OF) & ~(SF | ZF | AF | PF);
    return ok;
}

/* DIV/IDIV with the dividend prepared so that the quotient fits (and
 * sometimes a zero divisor: #DE, which ends the sequence). */
static bool gen_div(struct g *g, bool may_fault)
{
    unsigned sz = pick_size(g);
    bool sign = rnd(g, 2);
    ZydisRegister d;

    do
        d = pick(g, W(g));
    while (ZydisRegisterGetId(d) == 0 || ZydisRegisterGetId(d) == 2);
    uint64_t dv = may_fault && rnd(g, 4) == 0 ? 0 : 1 + rnd(g, 200000);
    if (!EMIT(g, ZYDIS_MNEMONIC_MOV, R(d), I(dv)))
        return false;
    if (sz == 1) {
        if (!(sign ? raw(g, "\x66\x98", 2) /* cbw */
                   : EMIT(g, ZYDIS_MNEMONIC_MOVZX, R(ZYDIS_REGISTER_EAX),
                          R(ZYDIS_REGISTER_AL))))
            return false;
    } else if (sign) {
        if (!raw_sized(g, sz, 0x99, 0x99, 0)) /* cwd/cdq/cqo */
            return false;
    } else if (!EMIT(g, ZYDIS_MNEMONIC_XOR, R(ZYDIS_REGISTER_EDX),
                     R(ZYDIS_REGISTER_EDX))) {
        return false;
    }
    if (!EMIT(g, sign ? ZYDIS_MNEMONIC_IDIV : ZYDIS_MNEMONIC_DIV,
              R(sized(g, d, sz == 1 ? 1 : sz))))
        return false;
    g->def = 0;
    return true;
}

/* CMPXCHG8B or CMPXCHG16B, half the time after loading rDX:rAX from the
 * operand so that they compare equal; CMPXCHG16B's operand is 16-byte
 * aligned half the time (else #GP). */
static bool gen_cmpxchg_pair(struct g *g)
{
    bool wide = !g->m32 && rnd(g, 2);
    unsigned half = wide ? 8 : 4;
    ZydisEncoderOperand m = M(g, 2 * half);

    if (wide && rnd(g, 2))
        m.mem.displacement &= ~15ll;
    if (rnd(g, 2)) {
        ZydisEncoderOperand lo = m, hi = m;
        lo.mem.size = hi.mem.size = (ZyanU16)half;
        hi.mem.displacement += half;
        if (!EMIT(g, ZYDIS_MNEMONIC_MOV, R(sized(g, ZYDIS_REGISTER_RAX, half)),
                  lo) ||
            !EMIT(g, ZYDIS_MNEMONIC_MOV, R(sized(g, ZYDIS_REGISTER_RDX, half)),
                  hi))
            return false;
    }
    if (!EMIT(g, wide ? ZYDIS_MNEMONIC_CMPXCHG16B : ZYDIS_MNEMONIC_CMPXCHG8B,
              m))
        return false;
    g->def |= ZF;
    return true;
}

static bool gen_move(struct g *g)
{
    unsigned sz = pick_size(g), form = rnd(g, 11);
    ZydisRegister r = pick(g, sz);

    switch (form) {
    case 0: return EMIT(g, ZYDIS_MNEMONIC_MOV, R(r), R(pick(g, sz)));
    case 1: return EMIT(g, ZYDIS_MNEMONIC_MOV, R(r), I(gen_rand(&g->rng) &
                        (sz == 8 ? ~0ull : (1ull << (sz * 8)) - 1)));
    case 2: return EMIT(g, ZYDIS_MNEMONIC_MOV, R(r), M(g, sz));
    case 3: {
        /* a store of a register or of an immediate (C6/C7: for 8 bytes a
         * sign-extended 32-bit one) */
        uint64_t v = gen_rand(&g->rng);
        v = sz == 8 ? (uint64_t)(int64_t)(int32_t)v
                    : v & ((1ull << (sz * 8)) - 1);
        return EMIT(g, ZYDIS_MNEMONIC_MOV, M(g, sz),
                    rnd(g, 2) ? R(r) : I(v));
    }
    case 4: {
        unsigned ssz = rnd(g, 2) ? 1 : 2;
        unsigned dsz = cap_size(g, ssz == 1 ? 2 << rnd(g, 3) : 4 << rnd(g, 2));
        ZydisEncoderOperand src = rnd(g, 2) ? R(pick(g, ssz)) : M(g, ssz);
        return EMIT(g, rnd(g, 2) ? ZYDIS_MNEMONIC_MOVZX : ZYDIS_MNEMONIC_MOVSX,
                    R(pick(g, dsz)), src);
    }
    case 5: /* 63 is ARPL outside 64-bit mode */
        return !g->m32 && EMIT(g, ZYDIS_MNEMONIC_MOVSXD, R(pick(g, 8)),
                        rnd(g, 2) ? R(pick(g, 4)) : M(g, 4));
    case 6: {
        ZydisEncoderOperand m = M(g, sz);
        m.type = ZYDIS_OPERAND_TYPE_MEMORY;
        if (rnd(g, 2)) {
            m.mem.index = pick(g, W(g));
            m.mem.scale = (ZyanU8)(1 << rnd(g, 4));
        }
        return sz >= 2 && EMIT(g, ZYDIS_MNEMONIC_LEA, R(r), m);
    }
    case 7: return EMIT(g, ZYDIS_MNEMONIC_XCHG, rnd(g, 2) ? R(pick(g, sz)) : M(g, sz),
                        R(r));
    case 8:
        if (!EMIT(g, rnd(g, 2) ? ZYDIS_MNEMONIC_XADD : ZYDIS_MNEMONIC_CMPXCHG,
                  rnd(g, 2) ? R(pick(g, sz)) : M(g, sz), R(r)))
            return false;
        g->def = ALL;
        return true;
    case 9: return gen_cmpxchg_pair(g);
    default:
        return sz >= 4 && EMIT(g, ZYDIS_MNEMONIC_BSWAP, R(r));
    }
}

static bool gen_cond(struct g *g)
{
    static const ZydisMnemonic set[16] = {
        ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB,
        ZYDIS_MNEMONIC_SETNB, ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ,
        ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE, ZYDIS_MNEMONIC_SETS,
        ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_SETNP,
        ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE,
        ZYDIS_MNEMONIC_SETNLE};
    static const ZydisMnemonic cmov[16] = {
        ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB,
        ZYDIS_MNEMONIC_CMOVNB, ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ,
        ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE, ZYDIS_MNEMONIC_CMOVS,
        ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP, ZYDIS_MNEMONIC_CMOVNP,
        ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE,
        ZYDIS_MNEMONIC_CMOVNLE};
    unsigned cc = rnd(g, 16);

    if (g->no_flags_read || (cc_reads[cc] & ~g->def))
        return false;
    if (rnd(g, 2))
        return EMIT(g, set[cc], rnd(g, 2) ? R(pick(g, 1)) : M(g, 1));
    unsigned sz = cap_size(g, 2 << rnd(g, 3));
    return EMIT(g, cmov[cc], R(pick(g, sz)), rnd(g, 2) ? R(pick(g, sz)) : M(g, sz));
}

static bool gen_bits(struct g *g)
{
    static const ZydisMnemonic bt[] = {ZYDIS_MNEMONIC_BT, ZYDIS_MNEMONIC_BTS,
                                       ZYDIS_MNEMONIC_BTR, ZYDIS_MNEMONIC_BTC};
    unsigned sz = cap_size(g, 2 << rnd(g, 3)), form = rnd(g, 6);
    ZydisRegister r = pick(g, sz);

    switch (form) {
    case 0: /* a register offset into memory: keep it small */
        if (!EMIT(g, ZYDIS_MNEMONIC_MOV, R(ZYDIS_REGISTER_EAX), I(rnd(g, 512))))
            return false;
        if (!EMIT(g, bt[rnd(g, 4)], M(g, sz), R(sized(g, ZYDIS_REGISTER_RAX, sz))))
            return false;
        g->def = (g->def | CF) & ~(OF | SF | AF | PF);
        return true;
    case 1:
        if (!EMIT(g, bt[rnd(g, 4)], rnd(g, 2) ? R(r) : M(g, sz), I(rnd(g, 256))))
            return false;
        g->def = (g->def | CF) & ~(OF | SF | AF | PF);
        return true;
    case 2:
        if (!EMIT(g, bt[rnd(g, 4)], R(r), R(pick(g, sz))))
            return false;
        g->def = (g->def | CF) & ~(OF | SF | AF | PF);
        return true;
    case 3:
        if (!EMIT(g, rnd(g, 2) ? ZYDIS_MNEMONIC_BSF : ZYDIS_MNEMONIC_BSR, R(r),
                  rnd(g, 2) ? R(pick(g, sz)) : M(g, sz)))
            return false;
        g->def = (g->def | ZF) & ~(CF | OF | SF | AF | PF);
        return true;
    case 4:
        if (!EMIT(g, ZYDIS_MNEMONIC_POPCNT, R(r), rnd(g, 2) ? R(pick(g, sz)) : M(g, sz)))
            return false;
        g->def = ALL;
        return true;
    default:
        if (!EMIT(g, rnd(g, 2) ? ZYDIS_MNEMONIC_LZCNT : ZYDIS_MNEMONIC_TZCNT, R(r),
                  rnd(g, 2) ? R(pick(g, sz)) : M(g, sz)))
            return false;
        g->def = (g->def | CF | ZF) & ~(OF | SF | AF | PF);
        return true;
    }
}

static bool gen_flags(struct g *g)
{
    switch (rnd(g, 9)) {
    case 0: g->def |= CF; return raw(g, "\xf8", 1);          /* clc */
    case 1: g->def |= CF; return raw(g, "\xf9", 1);          /* stc */
    case 2: return (g->def & CF) && !g->no_flags_read && raw(g, "\xf5", 1); /* cmc */
    case 3: return raw(g, "\xfc", 1);                        /* cld */
    case 4: return raw(g, "\xfd", 1);                        /* std */
    case 5: /* lahf */
        return (g->def & (SF | ZF | AF | PF | CF)) == (SF | ZF | AF | PF | CF) &&
               !g->no_flags_read && raw(g, "\x9f", 1);
    case 6: g->def |= SF | ZF | AF | PF | CF; return raw(g, "\x9e", 1); /* sahf */
    case 7: return raw_sized(g, cap_size(g, 1 << rnd(g, 4)), 0x98, 0x98, 0); /* cbw.. */
    default: return !g->no_rcx &&
                    raw_sized(g, cap_size(g, 2 << rnd(g, 3)), 0x99, 0x99, 0);
    }
}

/* PUSHF/POPF round trips and plain pushes and pops. */
static bool gen_stack(struct g *g)
{
    if (g->no_stack)
        return false;
    switch (rnd(g, 6)) {
    case 0:
        if (g->depth >= 32)
            return false;
        g->depth++;
        return EMIT(g, ZYDIS_MNEMONIC_PUSH, R(pick(g, W(g))));
    case 1:
        if (g->depth >= 32)
            return false;
        g->depth++;
        return rnd(g, 2) ? EMIT(g, ZYDIS_MNEMONIC_PUSH, M(g, W(g)))
                         : EMIT(g, ZYDIS_MNEMONIC_PUSH,
                                I((uint64_t)(int64_t)(int32_t)gen_rand(&g->rng)));
    case 2:
    case 3:
        if (g->depth == 0)
            return false;
        g->depth--;
        return rnd(g, 3) ? EMIT(g, ZYDIS_MNEMONIC_POP, R(pick(g, W(g))))
                         : EMIT(g, ZYDIS_MNEMONIC_POP, M(g, W(g)));
    case 4: /* pushfq; pop r: every flag must be defined */
        if (g->def != ALL || g->no_flags_read)
            return false;
        return raw(g, "\x9c", 1) && EMIT(g, ZYDIS_MNEMONIC_POP, R(pick(g, W(g))));
    default: { /* push imm; popfq: the arithmetic flags and DF */
        uint64_t f = gen_rand(&g->rng) & (ALL | 0x400);
        if (!EMIT(g, ZYDIS_MNEMONIC_PUSH, I(f)) || !raw(g, "\x9d", 1))
            return false;
        g->def = ALL;
        return true;
    }
    }
}

/* A string instruction over a few elements in the middle of the data. */
static bool gen_string(struct g *g)
{
    static const uint8_t op8[] = {0xA4, 0xAA, 0xAC, 0xA6, 0xAE};
    unsigned k = rnd(g, 5), sz = cap_size(g, 1 << rnd(g, 4)), n = 1 + rnd(g, 24);
    ZydisRegister base = data_base(g);
    /* the destination apart from the source, or a little above it, where
     * each element reads what an earlier one wrote */
    unsigned src = 0x800 + rnd(g, 0x800);
    unsigned dst = rnd(g, 4) ? 0x1800 + rnd(g, 0x800) : src + 1 + rnd(g, 16);
    unsigned rep = rnd(g, 3);
    bool cmp = k >= 3;

    if (g->no_rcx)
        return false;
    if (!EMIT(g, ZYDIS_MNEMONIC_LEA, R(sized(g, ZYDIS_REGISTER_RSI, W(g))),
              ((ZydisEncoderOperand){.type = ZYDIS_OPERAND_TYPE_MEMORY,
                  .mem = {.base = base, .displacement = src,
                          .size = (ZyanU16)W(g)}})) ||
        !EMIT(g, ZYDIS_MNEMONIC_LEA, R(sized(g, ZYDIS_REGISTER_RDI, W(g))),
              ((ZydisEncoderOperand){.type = ZYDIS_OPERAND_TYPE_MEMORY,
                  .mem = {.base = base, .displacement = dst,
                          .size = (ZyanU16)W(g)}})) ||
        !EMIT(g, ZYDIS_MNEMONIC_MOV, R(ZYDIS_REGISTER_ECX), I(n)))
        return false;
    uint8_t prefix = rep == 0 ? 0 : (cmp && rep == 2) ? 0xF2 : 0xF3;
    if (!raw_sized(g, sz, op8[k], (uint8_t)(op8[k] + 1), prefix))
        return false;
    if (cmp)
        g->def = ALL;
    return true;
}

static bool gen_simple(struct g *g);

/* Filler between a branch and its target: straight-line instructions. */
static size_t filler(struct g *g, unsigned n)
{
    size_t start = g->len;

    for (unsigned i = 0; i < n; i++)
        for (int tries = 0; tries < 8 && !gen_simple(g); tries++)
            ;
    return g->len - start;
}

/* Jcc (kind 0, condition cc), JMP (1) or JrCXZ (2) forward over some
 * filler. */
static bool gen_branch(struct g *g, unsigned kind, unsigned cc)
{
    static const uint8_t jcc[16] = {0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76,
                                    0x77, 0x78, 0x79, 0x7A, 0x7B, 0x7C, 0x7D,
                                    0x7E, 0x7F};
    unsigned before = g->def;
    size_t at = g->len;

    if (kind == 0 && (g->no_flags_read || (cc_reads[cc] & ~g->def)))
        return false;
    if (g->cap - g->len < 64)
        return false;
    /* JCXZ in 32-bit code: 67h makes CX the count, not ECX */
    bool cx = g->m32 && kind == 2 && rnd(g, 2);
    g->def_at[g->len] = (uint16_t)g->def;
    if (cx)
        g->buf[g->len++] = 0x67;
    g->len += 2; /* the branch, rel8 */
    size_t n = filler(g, 1 + rnd(g, 3));
    if (n > 127) {
        g->len = at;
        return false;
    }
    g->buf[at + cx] = kind == 0 ? jcc[cc] : kind == 1 ? 0xEB : 0xE3;
    g->buf[at + cx + 1] = (uint8_t)n;
    g->ninsns++;
    if (kind == 1)
        g->def = before; /* the filler never runs */
    else
        g->def &= before; /* defined on both paths */
    return true;
}

static bool gen_jump(struct g *g)
{
    unsigned kind = rnd(g, 3);

    return gen_branch(g, kind, rnd(g, 16));
}

static uint64_t mask_of(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/*
 * A comparison where each condition's two sides meet: operands equal,
 * one apart, or at 0, -1 and the edges of the sign bit of every size,
 * compared (CMP, SUB, TEST), combined (ADD, AND, OR, XOR) or stepped
 * (INC, DEC) at a random size, then a Jcc, SETcc or CMOVcc on its flags.
 * Random operands almost never land there.
 */
static bool gen_compare_branch(struct g *g)
{
    static const ZydisMnemonic ms[] = {
        ZYDIS_MNEMONIC_CMP, ZYDIS_MNEMONIC_CMP, ZYDIS_MNEMONIC_SUB,
        ZYDIS_MNEMONIC_TEST, ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_AND,
        ZYDIS_MNEMONIC_OR, ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_INC,
        ZYDIS_MNEMONIC_DEC};
    static const uint64_t edges[] = {
        0, 1, ~0ull, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF,
        0x80000000, 0xFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000};
    unsigned wide = g->m32 ? 4 : 8, sz = pick_size(g);
    ZydisMnemonic m = ms[rnd(g, 10)];
    ZydisRegister a = pick(g, wide), b;
    uint64_t edge = edges[rnd(g, 14)];
    bool ok;

    do
        b = pick(g, wide);
    while (b == a);
    switch (rnd(g, 4)) {
    case 0: ok = EMIT(g, ZYDIS_MNEMONIC_MOV, R(b), R(a)); break;
    case 1:
        ok = EMIT(g, ZYDIS_MNEMONIC_MOV, R(b), R(a)) &&
             EMIT(g, ZYDIS_MNEMONIC_ADD, R(b), I(rnd(g, 2) ? 1 : ~0ull));
        break;
    case 2:
        ok = EMIT(g, ZYDIS_MNEMONIC_MOV, R(a), I(edge & mask_of(wide)));
        break;
    default:
        ok = EMIT(g, ZYDIS_MNEMONIC_MOV, R(b), I(edge & mask_of(wide))) &&
             EMIT(g, ZYDIS_MNEMONIC_MOV, R(a),
                  I(edges[rnd(g, 14)] & mask_of(wide)));
        break;
    }
    if (!ok)
        return false;
    if (g->m32 && sz == 1 &&
        (ZydisRegisterGetId(a) >= 4 || ZydisRegisterGetId(b) >= 4))
        sz = 4; /* no SIL, DIL without REX */
    ZydisRegister as = sized(g, a, sz), bs = sized(g, b, sz);
    if (m == ZYDIS_MNEMONIC_INC || m == ZYDIS_MNEMONIC_DEC) {
        if (!EMIT(g, m, R(as)))
            return false;
        g->def |= ALL & ~CF;
    } else {
        if (!(rnd(g, 3) ? EMIT(g, m, R(as), R(bs))
                        : EMIT(g, m, R(as), I(edge & mask_of(sz)))))
            return false;
        g->def = m == ZYDIS_MNEMONIC_CMP || m == ZYDIS_MNEMONIC_SUB ||
                         m == ZYDIS_MNEMONIC_ADD
                     ? ALL : ALL & ~AF;
        /* an INC or DEC of another register keeps the CF it made */
        if (rnd(g, 3) == 0 &&
            EMIT(g, rnd(g, 2) ? ZYDIS_MNEMONIC_INC : ZYDIS_MNEMONIC_DEC,
                 R(sized(g, b, sz))))
            g->def |= ALL & ~CF;
    }
    /* the comparison stands whether or not a reader of its flags fits */
    if (rnd(g, 4) == 0)
        gen_cond(g);
    else
        gen_branch(g, 0, rnd(g, 16));
    return true;
}

/* A counted LOOP backwards over a body that leaves RCX and the flags'
 * readers alone. */
static bool gen_loop(struct g *g)
{
    if (g->no_rcx || g->cap - g->len < 80)
        return false;
    if (!EMIT(g, ZYDIS_MNEMONIC_MOV, R(ZYDIS_REGISTER_ECX), I(1 + rnd(g, 5))))
        return false;
    size_t body = g->len;
    g->no_rcx = g->no_flags_read = true;
    size_t n = filler(g, 1 + rnd(g, 3));
    g->no_rcx = g->no_flags_read = false;
    /* 32-bit code: 67h counts in CX (its upper half the random one's) */
    size_t cx = g->m32 && rnd(g, 2);
    if (n + 2 + cx > 128) {
        g->len = body;
        return false;
    }
    static const uint8_t loops[3] = {0xE2, 0xE1, 0xE0}; /* loop, loope, loopne */
    unsigned k = rnd(g, 3);
    if (k && !(g->def & ZF))
        k = 0;
    g->def_at[g->len] = (uint16_t)g->def;
    if (cx)
        g->buf[g->len++] = 0x67;
    g->buf[g->len] = loops[k];
    g->buf[g->len + 1] = (uint8_t)(-(int)(n + 2 + cx));
    g->len += 2;
    g->ninsns++;
    return true;
}

/* call F; jmp over; F: filler; ret; over:  -- and call next; pop r. */
static bool gen_call(struct g *g)
{
    if (g->no_stack || g->cap - g->len < 80)
        return false;
    if (rnd(g, 3) == 0)
        return raw(g, "\xe8\x00\x00\x00\x00", 5) &&
               EMIT(g, ZYDIS_MNEMONIC_POP, R(pick(g, W(g))));
    size_t at = g->len;
    g->def_at[at] = g->def_at[at + 5] = (uint16_t)g->def;
    g->len += 5 + 2; /* call rel32; jmp rel8 */
    g->no_stack = true;
    size_t n = filler(g, 1 + rnd(g, 3));
    g->no_stack = false;
    if (n + 1 > 127) {
        g->len = at;
        return false;
    }
    g->def_at[g->len] = (uint16_t)g->def;
    g->buf[g->len++] = 0xC3; /* ret */
    g->buf[at] = 0xE8;
    uint32_t rel = 2;
    memcpy(g->buf + at + 1, &rel, 4);
    g->buf[at + 5] = 0xEB;
    g->buf[at + 6] = (uint8_t)(n + 1);
    g->ninsns += 3;
    return true;
}

static bool gen_simple(struct g *g)
{
    switch (rnd(g, 11)) {
    case 0: case 1: case 2: return gen_alu(g);
    case 3: return gen_unary(g);
    case 4: return gen_shift(g);
    case 5: return gen_double_shift(g);
    case 6: return gen_mul(g);
    case 7: return gen_move(g);
    case 8: return gen_cond(g);
    case 9: return gen_bits(g);
    default: return gen_flags(g);
    }
}

bool gen_any(struct g *g)
{
    switch (rnd(g, 20)) {
    case 0: return gen_div(g, false);
    case 1: return gen_stack(g);
    case 2: return gen_string(g);
    case 3: return gen_jump(g);
    case 4: return gen_loop(g);
    case 8: return gen_compare_branch(g);
    case 5: return gen_call(g);
    case 6: return gen_stack(g);
    case 7: return g->m32 ? gen_legacy32(g) : gen_simple(g);
    default: return gen_simple(g);
    }
}

/* How a sequence ends: UD2, or an instruction that faults. */
void gen_end(struct g *g)
{
    ZydisEncoderOperand wild = {.type = ZYDIS_OPERAND_TYPE_MEMORY};
    wild.mem.base = ZYDIS_REGISTER_R13;
    wild.mem.size = 8;
    unsigned k = rnd(g, 24);

    if (g->m32 && gen_end32(g, k))
        ; /* 32-bit code's own ends (gen32.c) */
    else if (g->legacy && !g->m32 && gen_end_legacy64(g, k))
        ; /* without R13 (gen_modes.c) */
    else switch (k) {
    case 0: /* a write to the read-only page: #PF P|W|U */
        EMIT(g, ZYDIS_MNEMONIC_MOV, R(ZYDIS_REGISTER_R13), I(GEN_RO + rnd(g, 0xFF8)));
        EMIT(g, ZYDIS_MNEMONIC_MOV, wild, R(pick(g, 8)));
        break;
    case 1: /* a read of the inaccessible page: #PF U */
        EMIT(g, ZYDIS_MNEMONIC_MOV, R(ZYDIS_REGISTER_R13), I(GEN_NONE + rnd(g, 0xFF8)));
        EMIT(g, ZYDIS_MNEMONIC_ADD, R(pick(g, 8)), wild);
        break;
    case 2: /* a non-canonical address: #GP(0) */
        EMIT(g, ZYDIS_MNEMONIC_MOV, R(ZYDIS_REGISTER_R13),
             I(0x8000000000000000ull | gen_rand(&g->rng) >> 16));
        EMIT(g, ZYDIS_MNEMONIC_MOV, R(pick(g, 8)), wild);
        break;
    case 3: gen_div(g, true); break; /* maybe #DE */
    case 4: raw(g, "\xcc", 1); break; /* int3: #BP, a trap */
    case 5: raw(g, "\xf4", 1); break; /* hlt at CPL 3: #GP(0) */
    case 6: raw(g, "\xfa", 1); break; /* cli at CPL 3, IOPL 0: #GP(0) */
    case 7: raw(g, "\xe4\x80", 2); break; /* in al, 0x80: #GP(0) */
    case 8: raw(g, "\x0f\x33", 2); break; /* rdpmc, CR4.PCE = 0: #GP(0) */
    default: break;
    }
    raw(g, "\x0f\x0b", 2); /* ud2 */
}

void gen_generate(uint64_t seed, unsigned n, bool m32, struct gen_seq *out)
{
    struct g g = {.buf = out->code, .cap = sizeof(out->code) - 64,
                  .rng = seed, .def = 0, .def_at = out->flags_defined,
                  .m32 = m32};

    memset(out->flags_defined, 0, sizeof(out->flags_defined));
    memset(out->mode, GEN_MODE_32, sizeof(out->mode));
    for (unsigned i = 0; i < n; i++)
        for (int tries = 0; tries < 16 && !gen_any(&g); tries++)
            ;
    g.cap = sizeof(out->code);
    gen_end(&g);
    out->len = g.len;
    out->ninsns = g.ninsns;
}

void gen_sequence(uint64_t seed, unsigned n, struct gen_seq *out)
{
    gen_generate(seed, n, false, out);
}
