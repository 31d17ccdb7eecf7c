/* exec_alu.c: the engine's integer arithmetic and logic: add/sub/logic, inc/dec/neg/not, multiply and divide, flag instructions, conversions. */
#include "engine/engine_internal.h"

#define DST (&in->op[0])
#define SRC (&in->op[1])

static void binary(struct eng *e, const struct eng_insn *in, ZydisMnemonic m)
{
    uint64_t a = eng_opnd_read(e, in, DST), b = eng_opnd_read(e, in, SRC);
    uint64_t fl, res = eng_alu(m, a, b, e->st->rflags & RFLAGS_CF,
                               in->opsize, &fl);

    if (m != ZYDIS_MNEMONIC_CMP && m != ZYDIS_MNEMONIC_TEST)
        eng_opnd_write(e, in, DST, res);
    eng_set_arith(e, fl);
}

static void exec_add(struct eng *e, const struct eng_insn *in) { binary(e, in, ZYDIS_MNEMONIC_ADD); }
static void exec_adc(struct eng *e, const struct eng_insn *in) { binary(e, in, ZYDIS_MNEMONIC_ADC); }
static void exec_sub(struct eng *e, const struct eng_insn *in) { binary(e, in, ZYDIS_MNEMONIC_SUB); }
static void exec_sbb(struct eng *e, const struct eng_insn *in) { binary(e, in, ZYDIS_MNEMONIC_SBB); }
static void exec_cmp(struct eng *e, const struct eng_insn *in) { binary(e, in, ZYDIS_MNEMONIC_CMP); }
static void exec_and(struct eng *e, const struct eng_insn *in) { binary(e, in, ZYDIS_MNEMONIC_AND); }
static void exec_or(struct eng *e, const struct eng_insn *in) { binary(e, in, ZYDIS_MNEMONIC_OR); }
static void exec_xor(struct eng *e, const struct eng_insn *in) { binary(e, in, ZYDIS_MNEMONIC_XOR); }
static void exec_test(struct eng *e, const struct eng_insn *in) { binary(e, in, ZYDIS_MNEMONIC_TEST); }

/* INC/DEC keep CF. */
static void incdec(struct eng *e, const struct eng_insn *in, bool inc)
{
    uint64_t fl, res = eng_incdec(inc, eng_opnd_read(e, in, DST), in->opsize,
                                  e->st->rflags, &fl);

    eng_opnd_write(e, in, DST, res);
    eng_set_arith(e, fl);
}

static void exec_inc(struct eng *e, const struct eng_insn *in) { incdec(e, in, true); }
static void exec_dec(struct eng *e, const struct eng_insn *in) { incdec(e, in, false); }

/* NEG: 0 - x, CF = x != 0. */
static void exec_neg(struct eng *e, const struct eng_insn *in)
{
    unsigned sz = in->opsize;
    uint64_t a = eng_opnd_read(e, in, DST);

    eng_opnd_write(e, in, DST, (0 - a) & eng_mask(sz));
    eng_set_arith(e, eng_flags_sub(0, a, 0, sz));
}

static void exec_not(struct eng *e, const struct eng_insn *in)
{
    eng_opnd_write(e, in, DST, ~eng_opnd_read(e, in, DST) & eng_mask(in->opsize));
}

/* The accumulator pair of MUL/DIV: AL/AH for bytes (AX as one), else
 * rAX and rDX. */
static void mul_store(struct eng *e, unsigned sz, uint64_t lo, uint64_t hi)
{
    if (sz == 1) {
        eng_gpr_set(e, ENGINE_RAX, 2, (lo & 0xFF) | (hi & 0xFF) << 8);
        return;
    }
    eng_gpr_set(e, ENGINE_RAX, sz, lo);
    eng_gpr_set(e, ENGINE_RDX, sz, hi);
}

/* MUL/IMUL: CF = OF = the upper half is significant; SF, ZF, PF follow
 * the low half and AF is 0 (undefined in the SDM) [I]. */
static void mul_flags(struct eng *e, uint64_t lo, unsigned sz, bool over)
{
    uint64_t fl = eng_flags_logic(lo, sz);

    eng_set_arith(e, fl | (over ? RFLAGS_CF | RFLAGS_OF : 0));
}

static void exec_mul(struct eng *e, const struct eng_insn *in)
{
    unsigned sz = in->opsize, bits = sz * 8;
    uint64_t a = eng_gpr_get(e, ENGINE_RAX, sz);
    uint64_t b = eng_opnd_read(e, in, DST) & eng_mask(sz);
    unsigned __int128 p = (unsigned __int128)a * b;
    uint64_t lo = (uint64_t)p & eng_mask(sz);
    uint64_t hi = sz == 8 ? (uint64_t)(p >> 64) : (uint64_t)(p >> bits) & eng_mask(sz);

    mul_store(e, sz, lo, hi);
    mul_flags(e, lo, sz, hi != 0);
}

/* IMUL in its three forms: one operand (rDX:rAX = rAX * src), two
 * (dst *= src), three (dst = src * imm). */
static void exec_imul(struct eng *e, const struct eng_insn *in)
{
    unsigned sz = in->opsize;
    __int128 a, b, p;

    if (in->nopnd == 1) {
        a = (int64_t)eng_sext(eng_gpr_get(e, ENGINE_RAX, sz), sz);
        b = (int64_t)eng_sext(eng_opnd_read(e, in, DST), sz);
    } else if (in->nopnd == 2) {
        a = (int64_t)eng_sext(eng_opnd_read(e, in, DST), sz);
        b = (int64_t)eng_sext(eng_opnd_read(e, in, SRC), sz);
    } else {
        a = (int64_t)eng_sext(eng_opnd_read(e, in, SRC), sz);
        b = (int64_t)eng_sext(eng_opnd_read(e, in, &in->op[2]), sz);
    }
    p = a * b;
    uint64_t lo = (uint64_t)p & eng_mask(sz);
    bool over = p != (__int128)(int64_t)eng_sext(lo, sz);
    if (in->nopnd == 1)
        mul_store(e, sz, lo, (uint64_t)(p >> (sz * 8)) & eng_mask(sz));
    else
        eng_opnd_write(e, in, DST, lo);
    mul_flags(e, lo, sz, over);
}

/* DIV/IDIV: #DE on a zero divisor or a quotient too wide; the flags are
 * undefined and left as they were [I]. */
static void divide(struct eng *e, const struct eng_insn *in, bool sign)
{
    unsigned sz = in->opsize, bits = sz * 8;
    uint64_t d = eng_opnd_read(e, in, DST) & eng_mask(sz);
    unsigned __int128 n;

    if (sz == 1)
        n = eng_gpr_get(e, ENGINE_RAX, 2);
    else
        n = (unsigned __int128)eng_gpr_get(e, ENGINE_RDX, sz) << bits |
            eng_gpr_get(e, ENGINE_RAX, sz);
    if (d == 0)
        eng_fault(e, VEC_DE, false, 0);
    uint64_t q, r;
    if (!sign) {
        unsigned __int128 qq = n / d;
        if (qq >> bits)
            eng_fault(e, VEC_DE, false, 0);
        q = (uint64_t)qq;
        r = (uint64_t)(n % d);
    } else {
        /* sign-extend the 2*bits dividend */
        unsigned dbits = 2 * bits;
        __int128 sn = dbits >= 128 ? (__int128)n
                                   : (__int128)(n << (128 - dbits)) >> (128 - dbits);
        __int128 sd = (int64_t)eng_sext(d, sz);
        __int128 min = -(__int128)(((unsigned __int128)1 << (dbits - 1)) - 1) - 1;
        if (sn == min && sd == -1)
            eng_fault(e, VEC_DE, false, 0); /* the quotient overflows */
        __int128 qq = sn / sd, rr = sn % sd;
        __int128 lim = (__int128)1 << (bits - 1);
        if (qq >= lim || qq < -lim)
            eng_fault(e, VEC_DE, false, 0);
        q = (uint64_t)qq & eng_mask(sz);
        r = (uint64_t)rr & eng_mask(sz);
    }
    if (sz == 1)
        eng_gpr_set(e, ENGINE_RAX, 2, (q & 0xFF) | (r & 0xFF) << 8);
    else {
        eng_gpr_set(e, ENGINE_RAX, sz, q);
        eng_gpr_set(e, ENGINE_RDX, sz, r);
    }
}

static void exec_div(struct eng *e, const struct eng_insn *in) { divide(e, in, false); }
static void exec_idiv(struct eng *e, const struct eng_insn *in) { divide(e, in, true); }

/* CBW/CWDE/CDQE: rAX from its lower half, sign-extended. */
static void exec_cbw(struct eng *e, const struct eng_insn *in)
{
    unsigned sz = in->opsize;

    eng_gpr_set(e, ENGINE_RAX, sz,
                eng_sext(eng_gpr_get(e, ENGINE_RAX, sz / 2), sz / 2));
}

/* CWD/CDQ/CQO: rDX = the sign of rAX. */
static void exec_cwd(struct eng *e, const struct eng_insn *in)
{
    unsigned sz = in->opsize;
    uint64_t a = eng_gpr_get(e, ENGINE_RAX, sz);

    eng_gpr_set(e, ENGINE_RDX, sz, (a >> (sz * 8 - 1)) & 1 ? ~0ull : 0);
}

static void flag_op(struct eng *e, uint64_t clear, uint64_t set, uint64_t flip)
{
    e->st->rflags = ((e->st->rflags & ~clear) | set) ^ flip;
}

static void exec_clc(struct eng *e, const struct eng_insn *in) { (void)in; flag_op(e, RFLAGS_CF, 0, 0); }
static void exec_stc(struct eng *e, const struct eng_insn *in) { (void)in; flag_op(e, 0, RFLAGS_CF, 0); }
static void exec_cmc(struct eng *e, const struct eng_insn *in) { (void)in; flag_op(e, 0, 0, RFLAGS_CF); }
static void exec_cld(struct eng *e, const struct eng_insn *in) { (void)in; flag_op(e, RFLAGS_DF, 0, 0); }
static void exec_std(struct eng *e, const struct eng_insn *in) { (void)in; flag_op(e, 0, RFLAGS_DF, 0); }

/* LAHF/SAHF: AH <-> SF ZF 0 AF 0 PF 1 CF (64-bit mode needs
 * CPUID.80000001H:ECX.LAHF-SAHF, which the guest has or KVM #UDs). */
static void exec_lahf(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    uint64_t f = (e->st->rflags & (RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF)) | 2;
    struct eng_opnd ah = {.type = OPND_REG, .size = 1, .reg = 0, .high8 = 1};
    eng_reg_set(e, &ah, f);
}

static void exec_sahf(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    uint64_t ah = (e->st->gpr[ENGINE_RAX] >> 8) & 0xFF;
    uint64_t m = RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF;
    e->st->rflags = (e->st->rflags & ~m) | (ah & m);
}

eng_exec_fn eng_exec_alu_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_ADD: return exec_add;
    case ZYDIS_MNEMONIC_ADC: return exec_adc;
    case ZYDIS_MNEMONIC_SUB: return exec_sub;
    case ZYDIS_MNEMONIC_SBB: return exec_sbb;
    case ZYDIS_MNEMONIC_CMP: return exec_cmp;
    case ZYDIS_MNEMONIC_AND: return exec_and;
    case ZYDIS_MNEMONIC_OR: return exec_or;
    case ZYDIS_MNEMONIC_XOR: return exec_xor;
    case ZYDIS_MNEMONIC_TEST: return exec_test;
    case ZYDIS_MNEMONIC_INC: return exec_inc;
    case ZYDIS_MNEMONIC_DEC: return exec_dec;
    case ZYDIS_MNEMONIC_NEG: return exec_neg;
    case ZYDIS_MNEMONIC_NOT: return exec_not;
    case ZYDIS_MNEMONIC_MUL: return exec_mul;
    case ZYDIS_MNEMONIC_IMUL: return exec_imul;
    case ZYDIS_MNEMONIC_DIV: return exec_div;
    case ZYDIS_MNEMONIC_IDIV: return exec_idiv;
    case ZYDIS_MNEMONIC_CBW: case ZYDIS_MNEMONIC_CWDE:
    case ZYDIS_MNEMONIC_CDQE: return exec_cbw;
    case ZYDIS_MNEMONIC_CWD: case ZYDIS_MNEMONIC_CDQ:
    case ZYDIS_MNEMONIC_CQO: return exec_cwd;
    case ZYDIS_MNEMONIC_CLC: return exec_clc;
    case ZYDIS_MNEMONIC_STC: return exec_stc;
    case ZYDIS_MNEMONIC_CMC: return exec_cmc;
    case ZYDIS_MNEMONIC_CLD: return exec_cld;
    case ZYDIS_MNEMONIC_STD: return exec_std;
    case ZYDIS_MNEMONIC_LAHF: return exec_lahf;
    case ZYDIS_MNEMONIC_SAHF: return exec_sahf;
    default: return NULL;
    }
}
