/* gen_internal.h: what the generator's files share: its state, the flag bits it tracks, and the helpers that pick registers and operands and encode instructions. */
#ifndef PMVM_TEST_GEN_INTERNAL_H
#define PMVM_TEST_GEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

#include "tests/engine/gen.h"

#define CF 0x1u
#define PF 0x4u
#define AF 0x10u
#define ZF 0x40u
#define SF 0x80u
#define OF 0x800u
#define ALL GEN_FLAGS_ALL

/* A sequence being generated. */
struct g {
    uint16_t *def_at;
    uint8_t *buf;
    size_t len, cap;
    uint64_t rng;
    unsigned def;        /* flags defined now */
    int depth;           /* stack slots pushed by the sequence */
    bool no_rcx;         /* inside a LOOP body: RCX is the loop's */
    bool no_flags_read;  /* inside a LOOP body: no flag consumers */
    bool no_stack;       /* inside a call block: no pushes or pops */
    bool m32;            /* 32-bit code: 8 GPRs, no REX, sizes 1, 2, 4 */
    bool legacy;         /* 64-bit code on the 8 legacy GPRs alone, RBP
                          * the data base (the modes family's) */
    uint8_t *mode_map;   /* the modes family's: gen_seq.mode, and where */
    size_t mode_from;    /* the code of the present mode began */
    unsigned ninsns;
};

static inline unsigned rnd(struct g *g, unsigned n)
{
    return (unsigned)(gen_rand(&g->rng) % n);
}

/* The address and stack width: 8 bytes, or 4 in 32-bit code. */
static inline unsigned W(const struct g *g)
{
    return g->m32 ? 4 : 8;
}

/* An operand size of 1, 2, 4 or 8 as the mode allows: 8 becomes 4 in
 * 32-bit code, which has no REX.W. */
static inline unsigned cap_size(const struct g *g, unsigned sz)
{
    return g->m32 && sz == 8 ? 4 : sz;
}

/* The data base register: R15, or EBP in 32-bit code, RBP in 64-bit code
 * on the legacy GPRs. */
static inline ZydisRegister data_base(const struct g *g)
{
    return g->m32 ? ZYDIS_REGISTER_EBP
                  : g->legacy ? ZYDIS_REGISTER_RBP : ZYDIS_REGISTER_R15;
}

static inline ZydisEncoderOperand R(ZydisRegister r)
{
    ZydisEncoderOperand o = {.type = ZYDIS_OPERAND_TYPE_REGISTER};
    o.reg.value = r;
    return o;
}

static inline ZydisEncoderOperand I(uint64_t v)
{
    ZydisEncoderOperand o = {.type = ZYDIS_OPERAND_TYPE_IMMEDIATE};
    o.imm.u = v;
    return o;
}

/* gen_emit.c: registers, operands, encoding. */
ZydisRegister sized(struct g *g, ZydisRegister r64, unsigned size);
ZydisRegister pick(struct g *g, unsigned size);
unsigned pick_size(struct g *g);
ZydisEncoderOperand M(struct g *g, unsigned size);
bool emit(struct g *g, ZydisMnemonic m, unsigned n,
          const ZydisEncoderOperand *ops);
bool raw(struct g *g, const char *bytes, size_t n);
bool raw_sized(struct g *g, unsigned size, uint8_t op8, uint8_t op,
               uint8_t rep);

#define EMIT(g, m, ...)                                                    \
    ({                                                                     \
        const ZydisEncoderOperand ops_[] = {__VA_ARGS__};                  \
        emit(g, m, sizeof(ops_) / sizeof(ops_[0]), ops_);                  \
    })

/* gen.c: one instruction of any kind (false: none fitted, try again);
 * a sequence's end; the sequence of (n) instructions from (seed) in
 * 64-bit or 32-bit code. */
bool gen_any(struct g *g);
void gen_end(struct g *g);
void gen_generate(uint64_t seed, unsigned n, bool m32, struct gen_seq *out);

/* gen32.c: 32-bit code's own forms, and its ends: gen_end's (k) if it
 * is one of 32-bit code's (false: the common one). */
bool gen_legacy32(struct g *g);
bool gen_end32(struct g *g, unsigned k);

/* gen_modes.c: the same for 64-bit code on the legacy GPRs. */
bool gen_end_legacy64(struct g *g, unsigned k);

#endif
