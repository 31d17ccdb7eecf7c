/* gen_modes.c: difftest's mode-switch sequences: 32-bit code in compatibility mode that goes into 64-bit mode and back by far JMP, CALL and RET through Linux's user code selectors, its 64-bit stretches on the eight legacy GPRs, and a subroutine both modes call. */
#include <string.h>

#include "tests/engine/gen_internal.h"

/*
 * Natively the sequence starts at __USER32_CS (0x23) and far transfers
 * to __USER_CS (0x33) enter 64-bit mode: Linux's GDT has both at DPL 3,
 * so they are ordinary same-privilege far JMP, CALL and RET (SDM Vol. 2A
 * JMP, CALL, RET, "far ... protected mode"); the engine's state has the
 * same selectors (tests/engine/machine.c, machine_state_linux()).
 *
 * The forms that exist:
 *   into 64-bit mode, from compatibility mode: JMP ptr16:32 (EA), CALL
 *   ptr16:32 (9A), JMP and CALL m16:32 (FF /5, FF /3), RET far (CB) to a
 *   frame pushed by hand;
 *   out of it: JMP and CALL m16:32 (FF /5, FF /3: the pointer's address
 *   absolute, a SIB byte with no base, since a lone disp32 is
 *   RIP-relative in 64-bit mode, or through a register), RET far with a
 *   32-bit frame (CB: after a far CALL from 32-bit code, or a frame
 *   written by hand) or a 64-bit one (REX.W CB after two 8-byte pushes).
 * JMP and CALL ptr16:32 do not exist in 64-bit mode (#UD), nor do the
 * pointer forms with REX.W on AMD, so neither is generated.
 *
 * Far pointers live in the code stream where nothing executes them (the
 * code pages are readable). A far CALL's callee is a short stretch in the
 * other mode whose pushes are popped before its RET; the instruction the
 * RET comes back to jumps over the stretch.
 *
 * The upper halves of the GPRs are undefined on entering 64-bit mode from
 * compatibility mode (SDM Vol. 1, 3.4.1.1): each entry first writes the
 * eight legacy GPRs with MOV r32, r32, which zero-extends (3.4.1.1), so
 * that 64-bit code reads defined values (ESP and EBP included: the stack
 * and the data base) and the registers are defined in full when a
 * sequence ends in 64-bit mode. That code then uses the legacy registers
 * alone (R8-R15 are the native harness's own) and memory through RBP.
 * Far transfers to a code segment of the same privilege leave RFLAGS as
 * it was (SDM Vol. 2A JMP, CALL, RET: "Flags Affected: None" for all but
 * task switches), so the flags the generator tracks carry across.
 */

#define SEL_CODE32 0x23 /* __USER32_CS */
#define SEL_CODE64 0x33 /* __USER_CS */

/* The linear address of the code at (off). */
static uint32_t la(size_t off)
{
    return (uint32_t)(GEN32_CODE + off);
}

/* The code from where the present mode began to here is that mode's; the
 * next bytes are the other mode's. */
static void switch_mode(struct g *g)
{
    for (size_t i = g->mode_from; i < g->len; i++)
        if (g->mode_map[i] != GEN_MODE_DATA)
            g->mode_map[i] = g->m32 ? GEN_MODE_32 : GEN_MODE_64;
    g->mode_from = g->len;
    g->m32 = !g->m32;
}

/* A far pointer (offset, then selector) as data in the code stream. */
static void far_ptr(struct g *g, uint32_t off, uint16_t sel)
{
    uint8_t *p = g->buf + g->len;

    memcpy(p, &off, 4);
    memcpy(p + 4, &sel, 2);
    memset(g->mode_map + g->len, GEN_MODE_DATA, 6);
    g->len += 6;
}

/* Room for an instruction of (n) bytes whose fields are written later; its
 * offset. */
static size_t hole(struct g *g, size_t n)
{
    size_t at = g->len;

    g->len += n;
    return at;
}

/* The instruction at (at), of (n) bytes, complete: counted, with the
 * flags defined when it runs (now). */
static void fill(struct g *g, size_t at, const uint8_t *b, size_t n)
{
    memcpy(g->buf + at, b, n);
    g->def_at[at] = (uint16_t)g->def;
    g->ninsns++;
}

/* JMP rel32 at (at) to here, run now (after a far CALL's callee). */
static void jmp_here(struct g *g, size_t at)
{
    int32_t rel = (int32_t)(g->len - (at + 5));
    uint8_t b[5] = {0xE9};

    memcpy(b + 1, &rel, 4);
    fill(g, at, b, 5);
}

/* In 64-bit mode now: MOV r32, r32 for the eight legacy GPRs, which
 * defines their upper halves as zero (see above). */
static void enter64(struct g *g)
{
    for (unsigned r = 0; r < 8; r++) {
        char b[2] = {(char)0x89, (char)(0xC0 | r << 3 | r)};
        raw(g, b, 2);
    }
}

/* MOV r32, the pointer's address; JMP m16:32 through r32 (FF /5, mod 0:
 * no REX, the same bytes in both modes); the pointer to (sel):next. */
static void jmp_through_reg(struct g *g, uint16_t sel)
{
    unsigned id = (unsigned)ZydisRegisterGetId(pick(g, 4));
    uint32_t off = la(g->len + 5 + 2);
    uint8_t b[5] = {(uint8_t)(0xB8 + id)};

    memcpy(b + 1, &off, 4);
    raw(g, (const char *)b, 5);
    b[0] = 0xFF, b[1] = (uint8_t)(0x28 | id);
    raw(g, (const char *)b, 2);
    far_ptr(g, la(g->len + 6), sel);
}

/* A far CALL's callee in the present mode: a few instructions, their
 * pushes popped, and RET far with a 32-bit frame (CB), which the CALL
 * pushed: m16:32 and ptr16:32 have a 32-bit operand size in both modes. */
static void callee(struct g *g)
{
    int depth = g->depth;
    size_t cap = g->cap;

    if (!g->m32)
        enter64(g);
    g->depth = 0;
    g->cap -= 128; /* room for the pops and the RET */
    for (unsigned i = 0, n = 1 + rnd(g, 6); i < n; i++)
        for (int tries = 0; tries < 16 && !gen_any(g); tries++)
            ;
    g->cap = cap;
    for (; g->depth > 0; g->depth--)
        EMIT(g, ZYDIS_MNEMONIC_POP, R(pick(g, W(g))));
    g->depth = depth;
    raw(g, "\xcb", 1); /* retf */
}

/* From compatibility mode into 64-bit mode. */
static void to64(struct g *g)
{
    uint8_t b[8];
    uint32_t off;
    uint16_t sel = SEL_CODE64;
    size_t at, jmp;

    switch (rnd(g, 7)) {
    case 0: /* jmp ptr16:32 */
        off = la(g->len + 7);
        b[0] = 0xEA;
        memcpy(b + 1, &off, 4);
        memcpy(b + 5, &sel, 2);
        raw(g, (const char *)b, 7);
        break;
    case 1: /* jmp m16:32, disp32 alone (DS) */
        off = la(g->len + 6);
        b[0] = 0xFF, b[1] = 0x2D;
        memcpy(b + 2, &off, 4);
        raw(g, (const char *)b, 6);
        far_ptr(g, la(g->len + 6), sel);
        break;
    case 2: /* jmp m16:32 through a register */
        jmp_through_reg(g, sel);
        break;
    case 3: /* push 0x33; push target; retf (32-bit frame) */
        raw(g, "\x6a\x33", 2);
        off = la(g->len + 5 + 1);
        b[0] = 0x68;
        memcpy(b + 1, &off, 4);
        raw(g, (const char *)b, 5);
        raw(g, "\xcb", 1);
        break;
    case 4: case 5: /* call ptr16:32; jmp over; callee: ...; retf; over: */
        at = hole(g, 7);
        jmp = hole(g, 5);
        off = la(g->len);
        b[0] = 0x9A;
        memcpy(b + 1, &off, 4);
        memcpy(b + 5, &sel, 2);
        fill(g, at, b, 7);
        switch_mode(g);
        callee(g);
        switch_mode(g);
        jmp_here(g, jmp);
        return;
    default: /* call m16:32 (disp32); jmp over; pointer; callee; over: */
        at = hole(g, 6);
        jmp = hole(g, 5);
        b[0] = 0xFF, b[1] = 0x1D;
        off = la(g->len);
        memcpy(b + 2, &off, 4);
        fill(g, at, b, 6);
        far_ptr(g, la(g->len + 6), sel);
        switch_mode(g);
        callee(g);
        switch_mode(g);
        jmp_here(g, jmp);
        return;
    }
    switch_mode(g);
    enter64(g);
}

/* From 64-bit mode into compatibility mode. */
static void to32(struct g *g)
{
    uint8_t b[12];
    uint32_t off;
    uint16_t sel = SEL_CODE32;
    size_t at, jmp;

    switch (rnd(g, 6)) {
    case 0: /* jmp m16:32, [disp32] through SIB with no base */
        off = la(g->len + 7);
        b[0] = 0xFF, b[1] = 0x2C, b[2] = 0x25;
        memcpy(b + 3, &off, 4);
        raw(g, (const char *)b, 7);
        far_ptr(g, la(g->len + 6), sel);
        break;
    case 1: /* jmp m16:32 through a register (MOV r32 zero-extends) */
        jmp_through_reg(g, sel);
        break;
    case 2: /* push 0x23; push target (8 bytes each); rex.w retf */
        raw(g, "\x6a\x23", 2);
        off = la(g->len + 5 + 2);
        b[0] = 0x68;
        memcpy(b + 1, &off, 4); /* below 2 GiB: sign-extends to itself */
        raw(g, (const char *)b, 5);
        raw(g, "\x48\xcb", 2);
        break;
    case 3: /* lea rsp, [rsp-8]; a 32-bit frame by hand; retf */
        raw(g, "\x48\x8d\x64\x24\xf8", 5);
        off = la(g->len + 7 + 8 + 1);
        b[0] = 0xC7, b[1] = 0x04, b[2] = 0x24;
        memcpy(b + 3, &off, 4);
        raw(g, (const char *)b, 7);
        raw(g, "\xc7\x44\x24\x04\x23\x00\x00\x00", 8);
        raw(g, "\xcb", 1);
        break;
    default: /* call m16:32 (SIB, no base); jmp over; pointer; callee; over: */
        at = hole(g, 7);
        jmp = hole(g, 5);
        b[0] = 0xFF, b[1] = 0x1C, b[2] = 0x25;
        off = la(g->len);
        memcpy(b + 3, &off, 4);
        fill(g, at, b, 7);
        far_ptr(g, la(g->len + 6), sel);
        switch_mode(g);
        callee(g);
        switch_mode(g);
        jmp_here(g, jmp);
        enter64(g); /* back from compatibility mode */
        return;
    }
    switch_mode(g);
}

/*
 * A subroutine that both modes call (near CALL, RET), the same bytes
 * meaning different things in each: a few register-to-register ADD, OR,
 * AND, SUB, XOR, CMP, TEST or MOV (r/m, reg), some after 40h or 48h, which
 * is INC EAX or DEC EAX in 32-bit code and a REX prefix in 64-bit mode
 * (SDM Vol. 2A 2.2.1): REX.W makes the operation 64-bit, a bare REX makes
 * byte registers 4-7 SPL..DIL in place of AH..BH. Neither names R8-R15.
 * Destinations are never register 4 or 5 (ESP, EBP, or SPL, BPL); the
 * last instruction defines every arithmetic flag in both modes (ADD, SUB,
 * CMP), so the flags defined after a call are all of them. The engine
 * must decode the subroutine again in the mode of each call.
 */
static void shared_sub(struct g *g)
{
    static const uint8_t alu[] = {0x00, 0x08, 0x20, 0x28, 0x30, 0x38, 0x84,
                                  0x88};
    static const uint8_t last[] = {0x00, 0x28, 0x38};
    static const uint8_t dst[] = {0, 1, 2, 3, 6, 7};
    unsigned n = 1 + rnd(g, 4);

    for (unsigned i = 0; i < n; i++) {
        uint8_t b[3];
        size_t k = 0;
        unsigned pfx = rnd(g, 3);
        if (pfx)
            b[k++] = pfx == 1 ? 0x40 : 0x48;
        b[k++] = (uint8_t)((i + 1 < n ? alu[rnd(g, 8)] : last[rnd(g, 3)]) |
                           rnd(g, 2)); /* byte or word form */
        b[k++] = (uint8_t)(0xC0 | rnd(g, 8) << 3 | dst[rnd(g, 6)]);
        raw(g, (const char *)b, k);
    }
    raw(g, "\xc3", 1); /* ret */
}

/* CALL the shared subroutine at (sub). */
static bool gen_shared_call(struct g *g, size_t sub)
{
    int32_t rel = (int32_t)(sub - (g->len + 5));
    uint8_t b[5] = {0xE8};

    if (g->no_stack || g->no_rcx || g->cap - g->len < 16)
        return false;
    memcpy(b + 1, &rel, 4);
    raw(g, (const char *)b, 5);
    g->def = ALL;
    return true;
}

/* A mode switch, if there is room for one and its callee. */
static bool gen_switch(struct g *g)
{
    if (g->no_stack || g->no_rcx || g->cap - g->len < 256)
        return false;
    if (g->m32)
        to64(g);
    else
        to32(g);
    return true;
}

/* 64-bit code's ends without R13: the wild accesses through a legacy
 * register; and bytes that are instructions in 32-bit code and #UD in
 * 64-bit mode (INTO, AAM, PUSH/POP of segment registers, the decimal
 * adjustments, PUSHA, POPA, the far pointer forms: SDM Vol. 2 "Opcode
 * Map", the i64 entries). */
bool gen_end_legacy64(struct g *g, unsigned k)
{
    static const char i64[] = "\x06\x07\x0e\x16\x17\x1e\x1f\x27\x2f\x37"
                              "\x3f\x60\x61\x9a\xce\xd4\xd5\xea";
    ZydisEncoderOperand wild = {.type = ZYDIS_OPERAND_TYPE_MEMORY};
    ZydisRegister r;

    wild.mem.size = 8;
    switch (k) {
    case 0: /* a write to the read-only page: #PF P|W|U */
        wild.mem.base = r = pick(g, 8);
        EMIT(g, ZYDIS_MNEMONIC_MOV, R(r), I(GEN32_RO + rnd(g, 0xFF8)));
        EMIT(g, ZYDIS_MNEMONIC_MOV, wild, R(pick(g, 8)));
        return true;
    case 1: /* a read of the inaccessible page: #PF U */
        wild.mem.base = r = pick(g, 8);
        EMIT(g, ZYDIS_MNEMONIC_MOV, R(r), I(GEN32_NONE + rnd(g, 0xFF8)));
        EMIT(g, ZYDIS_MNEMONIC_ADD, R(pick(g, 8)), wild);
        return true;
    case 2: /* a non-canonical address: #GP(0) */
        wild.mem.base = r = pick(g, 8);
        EMIT(g, ZYDIS_MNEMONIC_MOV, R(r),
             I(0x8000000000000000ull | gen_rand(&g->rng) >> 16));
        EMIT(g, ZYDIS_MNEMONIC_MOV, R(pick(g, 8)), wild);
        return true;
    case 9: case 10: case 11:
        return raw(g, &i64[rnd(g, sizeof(i64) - 1)], 1);
    default:
        return false;
    }
}

/* Its own seed space, like the 32-bit family's. */
void gen_sequence_modes(uint64_t seed, unsigned n, struct gen_seq *out)
{
    struct g g = {.buf = out->code, .cap = sizeof(out->code) - 64,
                  .rng = seed ^ 0x6d6f6465736d6f64ull,
                  .def_at = out->flags_defined, .m32 = true, .legacy = true,
                  .mode_map = out->mode};

    memset(out->flags_defined, 0, sizeof(out->flags_defined));
    memset(out->mode, GEN_MODE_32, sizeof(out->mode));
    /* jmp over; the shared subroutine; over: (no fault in it: the flags
     * recorded for it do not matter) */
    raw(&g, "\xeb\x00", 2);
    size_t sub = g.len;
    shared_sub(&g);
    g.buf[1] = (uint8_t)(g.len - sub);
    for (unsigned i = 0; i < n; i++)
        for (int tries = 0; tries < 16; tries++) {
            unsigned k = rnd(&g, 10);
            if (k < 2 ? gen_switch(&g)
                      : k == 2 ? gen_shared_call(&g, sub) : gen_any(&g))
                break;
        }
    g.cap = sizeof(out->code);
    gen_end(&g);
    switch_mode(&g); /* marks the last stretch */
    out->len = g.len;
    out->ninsns = g.ninsns;
}
