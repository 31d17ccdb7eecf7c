/* exec_bits.c: the engine's shifts and rotates, double shifts, bit tests and scans, SETcc, CMOVcc and BSWAP. */
#include "engine/engine_internal.h"

#define DST (&in->op[0])
#define SRC (&in->op[1])

static uint64_t msb(uint64_t v, unsigned sz)
{
    return (v >> (sz * 8 - 1)) & 1;
}

/* The shift count: the source masked to 5 bits, 6 for 64-bit operands
 * (SDM SAL/SAR/SHL/SHR). One-operand forms shift by 1 (Zydis shows the 1
 * as an operand). */
/* A count of 0 changes no flag and no bit, but a 32-bit register
 * destination is still written: its upper half is zeroed. */
static void count_zero(struct eng *e, const struct eng_insn *in, uint64_t a)
{
    if (DST->type == OPND_REG && in->opsize == 4)
        eng_opnd_write(e, in, DST, a);
}

static unsigned count_of(struct eng *e, const struct eng_insn *in,
                         const struct eng_opnd *o)
{
    uint64_t c = o->type == OPND_NONE ? 1 : eng_opnd_read(e, in, o);

    return (unsigned)(c & (in->opsize == 8 ? 0x3F : 0x1F));
}

/*
 * SHL, SHR, SAR. A count of 0 changes nothing. CF is the last bit shifted
 * out; OF is defined for a count of 1 and computed the same way for
 * larger counts [I]; AF is undefined and left 0 [I].
 */
static void shift(struct eng *e, const struct eng_insn *in, int kind)
{
    unsigned sz = in->opsize, bits = sz * 8;
    unsigned n = count_of(e, in, in->nopnd > 1 ? SRC : &in->op[3]);
    uint64_t a = eng_opnd_read(e, in, DST) & eng_mask(sz), res, cf, of;

    if (n == 0)
        return count_zero(e, in, a);
    if (kind == 0) { /* SHL */
        res = n >= bits ? 0 : a << n;
        cf = n > bits ? 0 : (a >> (bits - n)) & 1;
        of = msb(res, sz) ^ cf;
    } else if (kind == 1) { /* SHR */
        res = n >= bits ? 0 : a >> n;
        cf = n > bits ? 0 : (a >> (n - 1)) & 1;
        of = msb(a, sz);
    } else { /* SAR */
        int64_t sa = (int64_t)eng_sext(a, sz);
        unsigned k = n >= bits ? bits - 1 : n;
        res = (uint64_t)(sa >> k);
        cf = (uint64_t)(sa >> (n >= bits ? bits - 1 : n - 1)) & 1;
        of = 0;
    }
    res &= eng_mask(sz);
    eng_opnd_write(e, in, DST, res);
    eng_set_arith(e, eng_flags_logic(res, sz) | (cf ? RFLAGS_CF : 0) |
                     (of ? RFLAGS_OF : 0));
}

static void exec_shl(struct eng *e, const struct eng_insn *in) { shift(e, in, 0); }
static void exec_shr(struct eng *e, const struct eng_insn *in) { shift(e, in, 1); }
static void exec_sar(struct eng *e, const struct eng_insn *in) { shift(e, in, 2); }

/* ROL, ROR, RCL, RCR change only CF and OF (OF defined for a count of 1,
 * computed the same way otherwise [I]). */
static void rotate(struct eng *e, const struct eng_insn *in, int kind)
{
    unsigned sz = in->opsize, bits = sz * 8;
    unsigned n = count_of(e, in, in->nopnd > 1 ? SRC : &in->op[3]);
    uint64_t a = eng_opnd_read(e, in, DST) & eng_mask(sz), m = eng_mask(sz);
    uint64_t res = a, cf = e->st->rflags & RFLAGS_CF ? 1 : 0, of;

    if (n == 0)
        return count_zero(e, in, a);
    if (kind <= 1) {
        unsigned k = n % bits;
        if (kind == 0) {
            res = k ? ((a << k) | (a >> (bits - k))) & m : a;
            cf = res & 1;
            of = msb(res, sz) ^ cf;
        } else {
            res = k ? ((a >> k) | (a << (bits - k))) & m : a;
            cf = msb(res, sz);
            of = msb(res, sz) ^ ((res >> (bits - 2)) & 1);
        }
    } else {
        /* through CF: a (bits + 1)-bit rotation */
        unsigned k = bits < 32 ? n % (bits + 1) : n;
        for (unsigned i = 0; i < k; i++) {
            if (kind == 2) {
                uint64_t out = msb(res, sz);
                res = ((res << 1) | cf) & m;
                cf = out;
            } else {
                uint64_t out = res & 1;
                res = (res >> 1) | (cf << (bits - 1));
                cf = out;
            }
        }
        of = kind == 2 ? msb(res, sz) ^ cf
                       : msb(res, sz) ^ ((res >> (bits - 2)) & 1);
        if (k == 0)
            return count_zero(e, in, a); /* a 9- or 17-bit rotation by a
                                            multiple: no change */
    }
    eng_opnd_write(e, in, DST, res);
    e->st->rflags = (e->st->rflags & ~(RFLAGS_CF | RFLAGS_OF)) | (cf ? RFLAGS_CF : 0) |
                    (of ? RFLAGS_OF : 0);
}

static void exec_rol(struct eng *e, const struct eng_insn *in) { rotate(e, in, 0); }
static void exec_ror(struct eng *e, const struct eng_insn *in) { rotate(e, in, 1); }
static void exec_rcl(struct eng *e, const struct eng_insn *in) { rotate(e, in, 2); }
static void exec_rcr(struct eng *e, const struct eng_insn *in) { rotate(e, in, 3); }

/* SHLD/SHRD dst, src, count: dst and src side by side, shifted. A count
 * above the operand size (16-bit operands) leaves the result undefined:
 * this shifts the 32-bit concatenation on [I]. */
static void double_shift(struct eng *e, const struct eng_insn *in, bool left)
{
    unsigned sz = in->opsize, bits = sz * 8;
    unsigned n = count_of(e, in, &in->op[2]);
    uint64_t a = eng_opnd_read(e, in, DST) & eng_mask(sz);
    uint64_t b = eng_opnd_read(e, in, SRC) & eng_mask(sz), res, cf, of;
    unsigned __int128 cat;

    if (n == 0)
        return count_zero(e, in, a);
    if (left) {
        cat = (unsigned __int128)a << bits | b;
        res = (uint64_t)((cat << n) >> bits) & eng_mask(sz);
        cf = (uint64_t)(cat >> (2 * bits - n)) & 1;
    } else {
        cat = (unsigned __int128)b << bits | a;
        res = (uint64_t)(cat >> n) & eng_mask(sz);
        cf = (uint64_t)(cat >> (n - 1)) & 1;
    }
    of = msb(res, sz) ^ msb(a, sz);
    eng_opnd_write(e, in, DST, res);
    eng_set_arith(e, eng_flags_logic(res, sz) | (cf ? RFLAGS_CF : 0) |
                     (of ? RFLAGS_OF : 0));
}

static void exec_shld(struct eng *e, const struct eng_insn *in) { double_shift(e, in, true); }
static void exec_shrd(struct eng *e, const struct eng_insn *in) { double_shift(e, in, false); }

/*
 * BT, BTS, BTR, BTC: CF = the bit. With a register bit offset on a
 * memory operand the offset is signed and reaches any address (SDM BT);
 * with an immediate it is taken modulo the operand size. The other
 * arithmetic flags are undefined and kept [I].
 */
static void bit_test(struct eng *e, const struct eng_insn *in, int op)
{
    unsigned sz = in->opsize, bits = sz * 8;
    uint64_t off = eng_opnd_read(e, in, SRC), v, bit;
    struct eng_opnd dst = *DST;

    if (dst.type == OPND_MEM && SRC->type == OPND_REG) {
        int64_t soff = (int64_t)eng_sext(off, sz);
        int64_t unit = soff >= 0 ? soff / bits : -((-soff - 1) / bits) - 1;
        dst.disp += unit * (int64_t)sz;
        bit = (uint64_t)(soff - unit * (int64_t)bits);
    } else {
        bit = off & (bits - 1);
    }
    v = eng_opnd_read(e, in, &dst);
    uint64_t cf = (v >> bit) & 1;
    if (op == 1)
        v |= 1ull << bit;
    else if (op == 2)
        v &= ~(1ull << bit);
    else if (op == 3)
        v ^= 1ull << bit;
    if (op)
        eng_opnd_write(e, in, &dst, v);
    e->st->rflags = (e->st->rflags & ~RFLAGS_CF) | (cf ? RFLAGS_CF : 0);
}

static void exec_bt(struct eng *e, const struct eng_insn *in) { bit_test(e, in, 0); }
static void exec_bts(struct eng *e, const struct eng_insn *in) { bit_test(e, in, 1); }
static void exec_btr(struct eng *e, const struct eng_insn *in) { bit_test(e, in, 2); }
static void exec_btc(struct eng *e, const struct eng_insn *in) { bit_test(e, in, 3); }

/* BSF/BSR: a zero source sets ZF and leaves the destination as it was;
 * CF, OF, SF, AF, PF are undefined and kept [I]. */
static void bit_scan(struct eng *e, const struct eng_insn *in, bool rev)
{
    unsigned sz = in->opsize;
    uint64_t v = eng_opnd_read(e, in, SRC) & eng_mask(sz);

    if (!v) {
        e->st->rflags |= RFLAGS_ZF;
        return;
    }
    eng_opnd_write(e, in, DST, rev ? 63 - (unsigned)__builtin_clzll(v)
                                   : (unsigned)__builtin_ctzll(v));
    e->st->rflags &= ~RFLAGS_ZF;
}

static void exec_bsf(struct eng *e, const struct eng_insn *in) { bit_scan(e, in, false); }
static void exec_bsr(struct eng *e, const struct eng_insn *in) { bit_scan(e, in, true); }

/* POPCNT: ZF = source zero, the other five cleared. */
static void exec_popcnt(struct eng *e, const struct eng_insn *in)
{
    uint64_t v = eng_opnd_read(e, in, SRC) & eng_mask(in->opsize);

    eng_opnd_write(e, in, DST, (uint64_t)__builtin_popcountll(v));
    eng_set_arith(e, v ? 0 : RFLAGS_ZF);
}

/* TZCNT/LZCNT: CF = source zero, ZF = result zero; the rest undefined,
 * kept [I]. */
static void zero_count(struct eng *e, const struct eng_insn *in, bool lead)
{
    unsigned sz = in->opsize, bits = sz * 8;
    uint64_t v = eng_opnd_read(e, in, SRC) & eng_mask(sz), r;

    if (!v)
        r = bits;
    else if (lead)
        r = (unsigned)__builtin_clzll(v) - (64 - bits);
    else
        r = (unsigned)__builtin_ctzll(v);
    eng_opnd_write(e, in, DST, r);
    e->st->rflags = (e->st->rflags & ~(RFLAGS_CF | RFLAGS_ZF)) | (v ? 0 : RFLAGS_CF) |
                    (r ? 0 : RFLAGS_ZF);
}

static void exec_tzcnt(struct eng *e, const struct eng_insn *in) { zero_count(e, in, false); }
static void exec_lzcnt(struct eng *e, const struct eng_insn *in) { zero_count(e, in, true); }

static void exec_setcc(struct eng *e, const struct eng_insn *in)
{
    eng_opnd_write(e, in, DST, eng_cond(e->st->rflags, in->cc));
}

/* CMOVcc reads its source whatever the condition (a memory source may
 * fault), and a 32-bit destination is zero-extended even when nothing
 * moves (SDM CMOVcc). */
static void exec_cmovcc(struct eng *e, const struct eng_insn *in)
{
    uint64_t v = eng_opnd_read(e, in, SRC);

    if (eng_cond(e->st->rflags, in->cc))
        eng_opnd_write(e, in, DST, v);
    else if (in->opsize == 4)
        eng_opnd_write(e, in, DST, eng_reg_get(e, DST));
}

static void exec_bswap(struct eng *e, const struct eng_insn *in)
{
    uint64_t v = eng_reg_get(e, DST);

    eng_reg_set(e, DST, in->opsize == 8 ? __builtin_bswap64(v)
                                        : __builtin_bswap32((uint32_t)v));
}

eng_exec_fn eng_exec_bits_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_SHL: return exec_shl;
    case ZYDIS_MNEMONIC_SHR: return exec_shr;
    case ZYDIS_MNEMONIC_SAR: return exec_sar;
    case ZYDIS_MNEMONIC_ROL: return exec_rol;
    case ZYDIS_MNEMONIC_ROR: return exec_ror;
    case ZYDIS_MNEMONIC_RCL: return exec_rcl;
    case ZYDIS_MNEMONIC_RCR: return exec_rcr;
    case ZYDIS_MNEMONIC_SHLD: return exec_shld;
    case ZYDIS_MNEMONIC_SHRD: return exec_shrd;
    case ZYDIS_MNEMONIC_BT: return exec_bt;
    case ZYDIS_MNEMONIC_BTS: return exec_bts;
    case ZYDIS_MNEMONIC_BTR: return exec_btr;
    case ZYDIS_MNEMONIC_BTC: return exec_btc;
    case ZYDIS_MNEMONIC_BSF: return exec_bsf;
    case ZYDIS_MNEMONIC_BSR: return exec_bsr;
    case ZYDIS_MNEMONIC_POPCNT: return exec_popcnt;
    case ZYDIS_MNEMONIC_TZCNT: return exec_tzcnt;
    case ZYDIS_MNEMONIC_LZCNT: return exec_lzcnt;
    case ZYDIS_MNEMONIC_BSWAP: return exec_bswap;
    default:
        switch (eng_cc_kind(m)) {
        case CC_SET: return exec_setcc;
        case CC_CMOV: return exec_cmovcc;
        default: return NULL;
        }
    }
}
