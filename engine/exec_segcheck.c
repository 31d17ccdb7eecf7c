/* exec_segcheck.c: the descriptor checks any CPL may make: LAR, LSL, VERR and VERW (Linux's VERW before returning to user mode, LSL in the vDSO's getcpu). */
#include "engine/engine_internal.h"

/*
 * SDM vol. 2A/2B, LAR, LSL, VERR/VERW: the selector (a 16-bit register
 * or memory operand) must not be null and must point within the GDT or
 * LDT; a code or data segment then needs DPL >= CPL and DPL >= RPL,
 * unless it is conforming code; a system descriptor must be of a type
 * the instruction takes (for VERR and VERW none; the types differ in
 * IA-32e mode). Then ZF is set and, for LAR and LSL, the destination is
 * loaded; otherwise ZF is cleared and the destination is left alone. No
 * other flag changes. #UD in real-address and virtual-8086 mode.
 */
#define DST (&in->op[0])
#define TYPE_CODE 0x8u
#define CODE_CONFORMING 0x4u
#define CODE_READABLE 0x2u
#define DATA_WRITABLE 0x2u

enum check { CHECK_LAR, CHECK_LSL, CHECK_VERR, CHECK_VERW };

/* System descriptor types LAR and LSL accept (SDM: LAR's and LSL's
 * tables of valid types), in IA-32e mode and in legacy protected mode. */
static bool system_type_ok(enum check c, unsigned type, bool ia32e)
{
    static const uint16_t lar[2] = {
        1u << 0x1 | 1u << 0x2 | 1u << 0x3 | 1u << 0x4 | 1u << 0x5 |
            1u << 0x9 | 1u << 0xB | 1u << 0xC,
        1u << 0x2 | 1u << 0x9 | 1u << 0xB | 1u << 0xC};
    static const uint16_t lsl[2] = {
        1u << 0x1 | 1u << 0x2 | 1u << 0x3 | 1u << 0x9 | 1u << 0xB,
        1u << 0x2 | 1u << 0x9 | 1u << 0xB};

    if (c == CHECK_LAR)
        return lar[ia32e] >> type & 1;
    if (c == CHECK_LSL)
        return lsl[ia32e] >> type & 1;
    return false;
}

/* The checks: true with the descriptor in (desc) if it passes. */
static bool passes(struct eng *e, enum check c, uint16_t sel,
                   uint64_t desc[2])
{
    if (!(sel & ~3u) || !eng_desc_read(e, sel, desc))
        return false;
    unsigned type = (unsigned)(desc[0] >> 40) & 0xF;
    unsigned dpl = (unsigned)(desc[0] >> 45) & 3;
    bool code = (desc[0] & DESC_S) && (type & TYPE_CODE);
    bool conforming = code && (type & CODE_CONFORMING);

    if (!(desc[0] & DESC_S) &&
        !system_type_ok(c, type, (e->st->efer & EFER_LMA) != 0))
        return false;
    if (!conforming && (eng_cpl(e) > dpl || (sel & 3u) > dpl))
        return false;
    if (c == CHECK_VERR)
        return !code || (type & CODE_READABLE);
    if (c == CHECK_VERW)
        return !code && (type & DATA_WRITABLE);
    return true;
}

static void exec_segcheck(struct eng *e, const struct eng_insn *in)
{
    enum check c;
    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_LAR: c = CHECK_LAR; break;
    case ZYDIS_MNEMONIC_LSL: c = CHECK_LSL; break;
    case ZYDIS_MNEMONIC_VERR: c = CHECK_VERR; break;
    default: c = CHECK_VERW; break;
    }
    if (!(e->st->cr0 & CR0_PE) || (e->st->rflags & RFLAGS_VM))
        eng_fault(e, VEC_UD, false, 0);
    const struct eng_opnd *src = c <= CHECK_LSL ? &in->op[1] : &in->op[0];
    uint16_t sel = (uint16_t)eng_opnd_read(e, in, src);
    uint64_t desc[2];
    bool ok = passes(e, c, sel, desc);

    if (ok && c == CHECK_LAR) {
        uint64_t hi = desc[0] >> 32;
        eng_opnd_write(e, in, DST,
                       hi & (in->opsize == 2 ? 0xFF00u : 0x00FFFF00u));
    } else if (ok && c == CHECK_LSL) {
        uint64_t limit = (desc[0] & 0xFFFF) | ((desc[0] >> 32) & 0xF0000);
        if (desc[0] & DESC_G)
            limit = limit << 12 | 0xFFF;
        eng_opnd_write(e, in, DST, limit & eng_mask(in->opsize));
    }
    e->st->rflags = (e->st->rflags & ~RFLAGS_ZF) | (ok ? RFLAGS_ZF : 0);
}

eng_exec_fn eng_exec_segcheck_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_LAR: case ZYDIS_MNEMONIC_LSL:
    case ZYDIS_MNEMONIC_VERR: case ZYDIS_MNEMONIC_VERW:
        return exec_segcheck;
    default:
        return NULL;
    }
}
