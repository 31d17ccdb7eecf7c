/* exec_fast.c: handlers of their own for the commonest forms (ALU into registers of any size from registers, immediates and memory, CMP and TEST of memory, INC/DEC and MOV on whole 32- and 64-bit registers, plain loads and stores), chosen when an instruction is decoded. */
#include "engine/engine_internal.h"
#include "engine/mem_fast.h"

/*
 * The general handlers read and write any operand through a switch on its
 * kind and size. Most instructions a loop runs are a few forms whose
 * operand kinds and size are known when they are decoded: a register of
 * the operand size (not AH..BH), a sign-extended immediate, one memory
 * operand. These handlers do exactly what the general ones do for those
 * forms, with the same flag functions and the size a constant (a 32-bit
 * result zero-extends into its register, an 8- or 16-bit one leaves the
 * rest of it, SDM 3.4.1.1). tests/engine/difftest.c
 * checks them against the CPU like every other handler.
 */

#define GPR(i) (e->st->gpr[in->op[i].reg])

/* (v), a result of (sz) bytes, into register (reg): a 32-bit result
 * zero-extends, an 8- or 16-bit one leaves the bits above it. */
static inline __attribute__((always_inline)) void
put(struct eng *e, unsigned reg, unsigned sz, uint64_t v)
{
    uint64_t *r = &e->st->gpr[reg];

    switch (sz) {
    case 1: *r = (*r & ~0xFFull) | v; break;
    case 2: *r = (*r & ~0xFFFFull) | v; break;
    default: *r = v; break;
    }
}

/* Two-operand ALU, its flags left lazy (struct lazy_flags): (a), the
 * destination's value (a register of the operand size, or the memory a
 * CMP or TEST reads), and (b); the result, if any, into the register,
 * with the size and the mnemonic constants. */
static inline __attribute__((always_inline)) void
alu(struct eng *e, const struct eng_insn *in, unsigned sz, uint64_t a,
    uint64_t b, ZydisMnemonic m)
{
    uint64_t fl;
    /* eng_alu()'s result; its flags, unused, the compiler drops */
    uint64_t res = eng_alu(m, a, b, 0, sz, &fl);

    (void)fl;
    if (m != ZYDIS_MNEMONIC_CMP && m != ZYDIS_MNEMONIC_TEST)
        put(e, in->op[0].reg, sz, res);
    e->lazy.op = m == ZYDIS_MNEMONIC_ADD ? LAZY_ADD
                 : m == ZYDIS_MNEMONIC_SUB || m == ZYDIS_MNEMONIC_CMP
                     ? LAZY_SUB : LAZY_LOGIC;
    e->lazy.size = (uint8_t)sz;
    e->lazy.a = a;
    e->lazy.b = b & eng_mask(sz);
    e->lazy.res = res;
}

/* Operand (i), a load of (sz) bytes through its segment. */
#define LOAD(i, sz) eng_load(e, in->op[i].seg, eng_ea(e, in, &in->op[i]), sz)

/* Each ALU mnemonic's forms into a register: register, immediate or
 * memory source [0, 1, 2], at 1, 2, 4 and 8 bytes [size_slot()]. */
#define ALU_SIZE(NAME, OP, SZ)                                               \
    static void NAME##_rr##SZ(struct eng *e, const struct eng_insn *in)      \
    { alu(e, in, SZ, GPR(0) & eng_mask(SZ), GPR(1), OP); }                   \
    static void NAME##_ri##SZ(struct eng *e, const struct eng_insn *in)      \
    { alu(e, in, SZ, GPR(0) & eng_mask(SZ), in->op[1].imm, OP); }            \
    static void NAME##_rm##SZ(struct eng *e, const struct eng_insn *in)      \
    {                                                                        \
        uint64_t b = LOAD(1, SZ);                                            \
        alu(e, in, SZ, GPR(0) & eng_mask(SZ), b, OP);                        \
    }
#define ALU_FORMS(NAME, OP)                                                  \
    ALU_SIZE(NAME, OP, 1) ALU_SIZE(NAME, OP, 2)                              \
    ALU_SIZE(NAME, OP, 4) ALU_SIZE(NAME, OP, 8)                              \
    static const eng_exec_fn NAME##_forms[3][4] = {                          \
        {NAME##_rr1, NAME##_rr2, NAME##_rr4, NAME##_rr8},                    \
        {NAME##_ri1, NAME##_ri2, NAME##_ri4, NAME##_ri8},                    \
        {NAME##_rm1, NAME##_rm2, NAME##_rm4, NAME##_rm8}};

ALU_FORMS(add, ZYDIS_MNEMONIC_ADD)
ALU_FORMS(sub, ZYDIS_MNEMONIC_SUB)
ALU_FORMS(cmp, ZYDIS_MNEMONIC_CMP)
ALU_FORMS(and, ZYDIS_MNEMONIC_AND)
ALU_FORMS(or, ZYDIS_MNEMONIC_OR)
ALU_FORMS(xor, ZYDIS_MNEMONIC_XOR)
ALU_FORMS(test, ZYDIS_MNEMONIC_TEST)

/* CMP and TEST of memory, which they only read, with an immediate or a
 * register [0, 1]. */
#define READ_SIZE(NAME, OP, SZ)                                              \
    static void NAME##_mi##SZ(struct eng *e, const struct eng_insn *in)      \
    { alu(e, in, SZ, LOAD(0, SZ), in->op[1].imm, OP); }                      \
    static void NAME##_mr##SZ(struct eng *e, const struct eng_insn *in)      \
    {                                                                        \
        uint64_t a = LOAD(0, SZ);                                            \
        alu(e, in, SZ, a, GPR(1), OP);                                       \
    }
#define READ_FORMS(NAME, OP)                                                 \
    READ_SIZE(NAME, OP, 1) READ_SIZE(NAME, OP, 2)                            \
    READ_SIZE(NAME, OP, 4) READ_SIZE(NAME, OP, 8)                            \
    static const eng_exec_fn NAME##_read_forms[2][4] = {                     \
        {NAME##_mi1, NAME##_mi2, NAME##_mi4, NAME##_mi8},                    \
        {NAME##_mr1, NAME##_mr2, NAME##_mr4, NAME##_mr8}};

READ_FORMS(cmp, ZYDIS_MNEMONIC_CMP)
READ_FORMS(test, ZYDIS_MNEMONIC_TEST)

/* INC/DEC on a whole register, its flags left lazy with CF as it was. */
static inline __attribute__((always_inline)) void
incdec(struct eng *e, const struct eng_insn *in, unsigned sz, bool inc)
{
    uint64_t a = GPR(0) & eng_mask(sz), cf = eng_lazy_cf(e);

    uint64_t res = (inc ? a + 1 : a - 1) & eng_mask(sz);

    GPR(0) = res;
    e->lazy.op = inc ? LAZY_INC : LAZY_DEC;
    e->lazy.size = (uint8_t)sz;
    e->lazy.a = a;
    e->lazy.b = cf;
    e->lazy.res = res;
}

static void inc_r4(struct eng *e, const struct eng_insn *in) { incdec(e, in, 4, true); }
static void inc_r8(struct eng *e, const struct eng_insn *in) { incdec(e, in, 8, true); }
static void dec_r4(struct eng *e, const struct eng_insn *in) { incdec(e, in, 4, false); }
static void dec_r8(struct eng *e, const struct eng_insn *in) { incdec(e, in, 8, false); }

/* MOV: register, immediate, load, store. */
static void mov_rr4(struct eng *e, const struct eng_insn *in) { GPR(0) = (uint32_t)GPR(1); }
static void mov_rr8(struct eng *e, const struct eng_insn *in) { GPR(0) = GPR(1); }
static void mov_ri4(struct eng *e, const struct eng_insn *in) { GPR(0) = (uint32_t)in->op[1].imm; }
static void mov_ri8(struct eng *e, const struct eng_insn *in) { GPR(0) = in->op[1].imm; }

/* A load past the TLB's fast path, out of line: each way out of a load
 * handler is then a tail call, and its fast path saves no registers. */
static __attribute__((noinline)) void
load_full(struct eng *e, const struct eng_insn *in, uint64_t off, unsigned sz)
{
    GPR(0) = eng_read_full(e, in->op[1].seg, off, sz);
}

static inline __attribute__((always_inline)) void
mov_load(struct eng *e, const struct eng_insn *in, unsigned sz)
{
    uint64_t off = eng_ea(e, in, &in->op[1]);
    uint8_t *p = fast_data(e, ACC_READ, in->op[1].seg, off, sz);

    if (!p) {
        load_full(e, in, off, sz);
        return;
    }
    GPR(0) = ram_load(p, sz); /* 4 bytes: zero-extended */
    log_access(e, (uint64_t)(p - e->ram), false);
}

static void mov_load4(struct eng *e, const struct eng_insn *in) { mov_load(e, in, 4); }
static void mov_load8(struct eng *e, const struct eng_insn *in) { mov_load(e, in, 8); }

/* Condition (cc) of the lazy flags: Z and S from the result, the rest
 * straight from the operands after a CMP or SUB and after a logical
 * operation (CF = OF = 0), whose flags most branches test; from the
 * flags computed otherwise. */
static inline __attribute__((always_inline)) bool
lazy_cond_as(const struct eng *e, unsigned cc, unsigned op, unsigned size)
{
    const struct lazy_flags *l = &e->lazy;
    unsigned shift = 64 - 8 * size;
    bool r;

    if (op != LAZY_NONE && (cc >> 1 == 2 || cc >> 1 == 4)) {
        /* ZF and SF are the result's, whatever made it */
        r = cc >> 1 == 2 ? l->res == 0 : (l->res >> (8 * size - 1)) & 1;
        return (cc & 1) ? !r : r;
    }
    if (op == LAZY_SUB && cc >> 1 != 0 && cc >> 1 != 5) {
        int64_t sa = (int64_t)(l->a << shift) >> shift;
        int64_t sb = (int64_t)(l->b << shift) >> shift;
        switch (cc >> 1) {
        case 1: r = l->a < l->b; break;                  /* B */
        case 3: r = l->a <= l->b; break;                 /* BE */
        case 6: r = sa < sb; break;                      /* L */
        default: r = sa <= sb; break;                    /* LE */
        }
        return (cc & 1) ? !r : r;
    }
    if (op == LAZY_LOGIC) {
        bool zf = l->res == 0, sf = (l->res >> (8 * size - 1)) & 1;
        switch (cc >> 1) {
        case 0: case 1: r = false; break;                /* O, B */
        case 3: r = zf; break;                           /* BE */
        case 5: r = !__builtin_parity((unsigned)(l->res & 0xFF)); break;
        case 6: r = sf; break;                           /* L */
        default: r = zf || sf; break;                    /* LE */
        }
        return (cc & 1) ? !r : r;
    }
    return eng_cond(op == LAZY_NONE
                        ? e->st->rflags
                        : eng_lazy_arith(l), cc);
}

static inline __attribute__((always_inline)) bool
lazy_cond(const struct eng *e, unsigned cc)
{
    return lazy_cond_as(e, cc, e->lazy.op, e->lazy.size);
}

/* Jcc in 64-bit mode, one handler per condition (the condition folds
 * into it): a non-canonical target #GPs at the branch. */
static inline __attribute__((always_inline)) void
jcc_if(struct eng *e, const struct eng_insn *in, bool taken)
{
    if (taken) {
        uint64_t target = e->next_rip + in->op[0].imm;
        if (!eng_canonical(target))
            eng_gp0(e);
        e->next_rip = target;
        e->branch_taken = true;
    }
}

#define JCC(CC) \
    static void jcc_##CC(struct eng *e, const struct eng_insn *in) \
    { jcc_if(e, in, lazy_cond(e, CC)); }
JCC(0) JCC(1) JCC(2) JCC(3) JCC(4) JCC(5) JCC(6) JCC(7)
JCC(8) JCC(9) JCC(10) JCC(11) JCC(12) JCC(13) JCC(14) JCC(15)

static const eng_exec_fn jcc_forms[16] = {
    jcc_0, jcc_1, jcc_2, jcc_3, jcc_4, jcc_5, jcc_6, jcc_7,
    jcc_8, jcc_9, jcc_10, jcc_11, jcc_12, jcc_13, jcc_14, jcc_15,
};

/* Jcc right after a trace's instruction whose fast handler leaves the
 * flags lazy as a SUB [0] (SUB, CMP) or a logical operation [1] (AND,
 * OR, XOR, TEST) of 1, 2, 4 or 8 bytes: the kind and the size known,
 * the condition is a comparison or two (eng_exec_jcc_after()). */
#define JCC_AS(K, LOP, SZ, CC) \
    static void jcc_##K##SZ##_##CC(struct eng *e, const struct eng_insn *in) \
    { jcc_if(e, in, lazy_cond_as(e, CC, LOP, SZ)); }
#define JCC_AS_CCS(K, LOP, SZ) \
    JCC_AS(K, LOP, SZ, 0) JCC_AS(K, LOP, SZ, 1) JCC_AS(K, LOP, SZ, 2) \
    JCC_AS(K, LOP, SZ, 3) JCC_AS(K, LOP, SZ, 4) JCC_AS(K, LOP, SZ, 5) \
    JCC_AS(K, LOP, SZ, 6) JCC_AS(K, LOP, SZ, 7) JCC_AS(K, LOP, SZ, 8) \
    JCC_AS(K, LOP, SZ, 9) JCC_AS(K, LOP, SZ, 10) JCC_AS(K, LOP, SZ, 11) \
    JCC_AS(K, LOP, SZ, 12) JCC_AS(K, LOP, SZ, 13) JCC_AS(K, LOP, SZ, 14) \
    JCC_AS(K, LOP, SZ, 15)
#define JCC_AS_ROW(K, SZ) \
    {jcc_##K##SZ##_0, jcc_##K##SZ##_1, jcc_##K##SZ##_2, jcc_##K##SZ##_3, \
     jcc_##K##SZ##_4, jcc_##K##SZ##_5, jcc_##K##SZ##_6, jcc_##K##SZ##_7, \
     jcc_##K##SZ##_8, jcc_##K##SZ##_9, jcc_##K##SZ##_10, jcc_##K##SZ##_11, \
     jcc_##K##SZ##_12, jcc_##K##SZ##_13, jcc_##K##SZ##_14, jcc_##K##SZ##_15}
JCC_AS_CCS(sub, LAZY_SUB, 1) JCC_AS_CCS(sub, LAZY_SUB, 2)
JCC_AS_CCS(sub, LAZY_SUB, 4) JCC_AS_CCS(sub, LAZY_SUB, 8)
JCC_AS_CCS(logic, LAZY_LOGIC, 1) JCC_AS_CCS(logic, LAZY_LOGIC, 2)
JCC_AS_CCS(logic, LAZY_LOGIC, 4) JCC_AS_CCS(logic, LAZY_LOGIC, 8)

static const eng_exec_fn jcc_as_forms[2][4][16] = {
    {JCC_AS_ROW(sub, 1), JCC_AS_ROW(sub, 2), JCC_AS_ROW(sub, 4),
     JCC_AS_ROW(sub, 8)},
    {JCC_AS_ROW(logic, 1), JCC_AS_ROW(logic, 2), JCC_AS_ROW(logic, 4),
     JCC_AS_ROW(logic, 8)},
};

/* Stores of every size: of an immediate, or of a register's low 1, 2, 4
 * or 8 bytes (not AH..BH). */
#define STORE(SZ)                                                           \
    static void mov_store_i##SZ(struct eng *e, const struct eng_insn *in)   \
    {                                                                       \
        eng_store(e, in->op[0].seg, eng_ea(e, in, &in->op[0]), SZ,          \
                  in->op[1].imm & eng_mask(SZ));                            \
    }                                                                       \
    static void mov_store_r##SZ(struct eng *e, const struct eng_insn *in)   \
    {                                                                       \
        eng_store(e, in->op[0].seg, eng_ea(e, in, &in->op[0]), SZ,          \
                  GPR(1) & eng_mask(SZ));                                   \
    }
STORE(1) STORE(2) STORE(4) STORE(8)

/* A whole 32- or 64-bit general-purpose register of the operand size. */
static bool whole_gpr(const struct eng_opnd *o, unsigned sz)
{
    return o->type == OPND_REG && o->regkind == REGK_GPR && !o->high8 &&
           o->size == sz;
}

/* A memory operand as the general path reads it: not address generation. */
static bool plain_mem(const struct eng_opnd *o, unsigned sz)
{
    return o->type == OPND_MEM && !o->agen && o->size == sz;
}

/* 1, 2, 4, 8 bytes: 0 to 3. */
static unsigned size_slot(unsigned sz)
{
    return sz == 1 ? 0 : sz == 2 ? 1 : sz == 4 ? 2 : 3;
}

eng_exec_fn eng_exec_fast_for(ZydisMnemonic m, const struct eng_insn *in)
{
    unsigned sz = in->opsize;
    const struct eng_opnd *d = &in->op[0], *s = &in->op[1];
    const eng_exec_fn (*forms)[4], (*read_forms)[4] = NULL;

    if (in->lock || in->rep || in->repne)
        return NULL;
    if (m == ZYDIS_MNEMONIC_MOV && in->nopnd == 2 && plain_mem(d, sz)) {
        static const eng_exec_fn imm[9] = {
            [1] = mov_store_i1, [2] = mov_store_i2, [4] = mov_store_i4,
            [8] = mov_store_i8};
        static const eng_exec_fn reg[9] = {
            [1] = mov_store_r1, [2] = mov_store_r2, [4] = mov_store_r4,
            [8] = mov_store_r8};
        if (sz > 8)
            return NULL;
        if (s->type == OPND_IMM)
            return imm[sz];
        if (whole_gpr(s, sz))
            return reg[sz];
        return NULL;
    }
    if (sz != 1 && sz != 2 && sz != 4 && sz != 8)
        return NULL;
    switch (m) {
    case ZYDIS_MNEMONIC_ADD: forms = add_forms; break;
    case ZYDIS_MNEMONIC_SUB: forms = sub_forms; break;
    case ZYDIS_MNEMONIC_CMP:
        forms = cmp_forms;
        read_forms = cmp_read_forms;
        break;
    case ZYDIS_MNEMONIC_AND: forms = and_forms; break;
    case ZYDIS_MNEMONIC_OR: forms = or_forms; break;
    case ZYDIS_MNEMONIC_XOR: forms = xor_forms; break;
    case ZYDIS_MNEMONIC_TEST:
        forms = test_forms;
        read_forms = test_read_forms;
        break;
    default: forms = NULL; break;
    }
    if (forms) {
        if (in->nopnd != 2)
            return NULL;
        if (whole_gpr(d, sz)) {
            if (whole_gpr(s, sz))
                return forms[0][size_slot(sz)];
            if (s->type == OPND_IMM)
                return forms[1][size_slot(sz)];
            if (plain_mem(s, sz))
                return forms[2][size_slot(sz)];
            return NULL;
        }
        if (read_forms && plain_mem(d, sz)) {
            if (s->type == OPND_IMM)
                return read_forms[0][size_slot(sz)];
            if (whole_gpr(s, sz))
                return read_forms[1][size_slot(sz)];
        }
        return NULL;
    }
    if (sz != 4 && sz != 8)
        return NULL;
    /* a relative Jcc of 64-bit operand size: 64-bit mode's */
    if (eng_cc_kind(m) == CC_JCC && sz == 8 && in->nopnd == 1 &&
        d->type == OPND_IMM)
        return jcc_forms[in->cc & 15];
    if (in->nopnd == 1 && whole_gpr(d, sz)) {
        if (m == ZYDIS_MNEMONIC_INC)
            return sz == 4 ? inc_r4 : inc_r8;
        if (m == ZYDIS_MNEMONIC_DEC)
            return sz == 4 ? dec_r4 : dec_r8;
        return NULL;
    }
    if (in->nopnd != 2 || m != ZYDIS_MNEMONIC_MOV)
        return NULL;
    if (whole_gpr(d, sz) && whole_gpr(s, sz))
        return sz == 4 ? mov_rr4 : mov_rr8;
    if (whole_gpr(d, sz) && s->type == OPND_IMM)
        return sz == 4 ? mov_ri4 : mov_ri8;
    if (whole_gpr(d, sz) && plain_mem(s, sz))
        return sz == 4 ? mov_load4 : mov_load8;
    return NULL;
}

/* An instruction has a fast handler (in->lazy) exactly where
 * eng_exec_fast_for() gave it one: a Jcc's is jcc_forms[cc], and a SUB,
 * CMP, AND, OR, XOR or TEST's leaves its flags lazy at its operand size
 * (alu()). */
eng_exec_fn eng_exec_jcc_after(const struct eng_insn *prev,
                               const struct eng_insn *in)
{
    unsigned kind;

    if (!in->lazy || !prev->lazy ||
        eng_cc_kind((ZydisMnemonic)in->mnemonic) != CC_JCC)
        return in->exec;
    switch (prev->mnemonic) {
    case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_CMP: kind = 0; break;
    case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_OR:
    case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_TEST: kind = 1; break;
    default: return in->exec;
    }
    return jcc_as_forms[kind][size_slot(prev->opsize)][in->cc & 15];
}
