/* gen32.c: 32-bit code's own instructions for difftest's compatibility-mode sequences: 16-bit addressing, 16-bit pushes and pops, the decimal adjustments, and the ends only 32-bit code has (wrapping and absolute wild accesses, INTO, AAM 0). */
#include "tests/engine/gen_internal.h"

/* The decimal adjustments, each only where the flags it reads are
 * defined; the flags they leave undefined become so. */
static bool gen_bcd(struct g *g)
{
    char b[2] = {(char)0xD4, (char)(1 + rnd(g, 255))};

    switch (rnd(g, 4)) {
    case 0: /* daa, das: AL, AF, CF in; OF undefined */
        if ((g->def & (AF | CF)) != (AF | CF) || g->no_flags_read ||
            !raw(g, rnd(g, 2) ? "\x27" : "\x2f", 1))
            return false;
        g->def = ALL & ~OF;
        return true;
    case 1: /* aaa, aas: AL, AH, AF in; OF SF ZF PF undefined */
        if (!(g->def & AF) || g->no_flags_read ||
            !raw(g, rnd(g, 2) ? "\x37" : "\x3f", 1))
            return false;
        g->def = AF | CF;
        return true;
    default: /* aam, aad imm8 (aam 0, #DE, ends sequences): OF AF CF
              * undefined */
        if (rnd(g, 2))
            b[0] = (char)0xD5;
        if (!raw(g, b, 2))
            return false;
        g->def = SF | ZF | PF;
        return true;
    }
}

/* 32-bit code's own forms: LEA with 16-bit addressing (67h: BX/BP base,
 * SI/DI index, disp16, the address wrapping at 64 KiB), a 16-bit PUSH
 * (66h) with its POP, the decimal adjustments. (No memory access through
 * 16-bit addresses: nothing is mapped below 64 KiB. PUSHA, POPA, BOUND
 * are not generated: the engine hands them back.) */
bool gen_legacy32(struct g *g)
{
    static const uint8_t regs[6] = {0, 1, 2, 3, 6, 7}; /* not SP, BP */
    uint8_t b[8], r = regs[rnd(g, 6)];
    size_t n = 0;

    if (g->no_rcx && r == 1)
        return false; /* a LOOP body's */
    if (rnd(g, 3) == 0)
        return gen_bcd(g);

    if (rnd(g, 3)) {
        unsigned mod = rnd(g, 3), rm = rnd(g, 8);
        b[n++] = 0x67;
        if (rnd(g, 2))
            b[n++] = 0x66;
        b[n++] = 0x8D;
        b[n++] = (uint8_t)(mod << 6 | r << 3 | rm);
        unsigned disp = mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 6) ? 2 : 0;
        for (unsigned i = 0; i < disp; i++)
            b[n++] = (uint8_t)rnd(g, 256);
        return raw(g, (const char *)b, n);
    }
    if (g->no_stack)
        return false;
    if (rnd(g, 2)) {
        b[n++] = 0x66;
        b[n++] = (uint8_t)(0x50 + regs[rnd(g, 6)]);   /* push r16 */
    } else {
        b[n++] = 0x66;
        b[n++] = 0x68;                                 /* push imm16 */
        b[n++] = (uint8_t)rnd(g, 256);
        b[n++] = (uint8_t)rnd(g, 256);
    }
    if (!raw(g, (const char *)b, n))
        return false;
    b[0] = 0x66;
    b[1] = (uint8_t)(0x58 + r);                        /* pop r16 */
    return raw(g, (const char *)b, 2);
}

/* 32-bit code's wild accesses (gen_end's first three), without R13. */
static void gen_wild32(struct g *g, unsigned k)
{
    ZydisEncoderOperand wild = {.type = ZYDIS_OPERAND_TYPE_MEMORY};
    wild.mem.size = 4;

    switch (k) {
    case 0: { /* a write to the read-only page through an address that
               * wraps at 4 GiB (SDM 3.3.6: offsets are 32 bits): #PF
               * P|W|U */
        ZydisRegister r = pick(g, 4);
        uint32_t base = 0xF0000000u + rnd(g, 0x1000000);
        wild.mem.base = r;
        wild.mem.displacement =
            (int32_t)(uint32_t)(GEN32_RO + rnd(g, 0xFFC) - base);
        /* the immediate as Zydis takes a 32-bit one: sign-extended (an
         * unsigned 0xF0000000 is out of its range, and the MOV would be
         * left out, the write then going through whatever the register
         * held) */
        if (EMIT(g, ZYDIS_MNEMONIC_MOV, R(r),
                 I((uint64_t)(int64_t)(int32_t)base)))
            EMIT(g, ZYDIS_MNEMONIC_MOV, wild, R(pick(g, 4)));
        break;
    }
    case 1: /* a read of the inaccessible page, disp32 alone: #PF U */
        wild.mem.displacement = (int64_t)(GEN32_NONE + rnd(g, 0xFFC));
        EMIT(g, ZYDIS_MNEMONIC_ADD, R(pick(g, 4)), wild);
        break;
    default: /* a read of the unmapped top page of the 4 GiB: #PF U */
        wild.mem.displacement = -0x1000 + (int64_t)rnd(g, 0xFFC);
        EMIT(g, ZYDIS_MNEMONIC_MOV, R(pick(g, 4)), wild);
        break;
    }
}

bool gen_end32(struct g *g, unsigned k)
{
    if (k < 3)
        gen_wild32(g, k);
    else if (k == 9 && (g->def & OF))
        raw(g, "\xce", 1); /* into: #OF, a trap, if OF (defined) */
    else if (k == 10)
        raw(g, "\xd4\x00", 2); /* aam 0: #DE */
    else
        return false;
    return true;
}

/* Its own seed space: seed s of the two families share no stream. */
void gen_sequence32(uint64_t seed, unsigned n, struct gen_seq *out)
{
    gen_generate(seed ^ 0x3232323232323232ull, n, true, out);
}
