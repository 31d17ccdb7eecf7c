/* insn.c: x86 instruction decoding (Zydis) for the instructions pmvm traps or counts. */
#include <Zydis/Zydis.h>

#include "vmm/insn.h"

#define EFER_LMA (1ull << 10)

enum insn_mode insn_mode_of(const struct kvm_sregs *s)
{
    if ((s->efer & EFER_LMA) && s->cs.l)
        return INSN_MODE_64;
    return s->cs.db ? INSN_MODE_32 : INSN_MODE_16;
}

static const ZydisDecoder *decoder_for(enum insn_mode mode)
{
    static ZydisDecoder dec[3];
    static bool ready;
    if (!ready) {
        ZydisDecoderInit(&dec[INSN_MODE_64], ZYDIS_MACHINE_MODE_LONG_64,
                         ZYDIS_STACK_WIDTH_64);
        ZydisDecoderInit(&dec[INSN_MODE_32], ZYDIS_MACHINE_MODE_LEGACY_32,
                         ZYDIS_STACK_WIDTH_32);
        ZydisDecoderInit(&dec[INSN_MODE_16], ZYDIS_MACHINE_MODE_LEGACY_16,
                         ZYDIS_STACK_WIDTH_16);
        ready = true;
    }
    return &dec[mode];
}

static enum insn_kind kind_of(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_RDPMC: return INSN_RDPMC;
    case ZYDIS_MNEMONIC_RDMSR: return INSN_RDMSR;
    case ZYDIS_MNEMONIC_WRMSR: return INSN_WRMSR;
    case ZYDIS_MNEMONIC_CPUID: return INSN_CPUID;
    case ZYDIS_MNEMONIC_HLT: return INSN_HLT;
    case ZYDIS_MNEMONIC_IN: case ZYDIS_MNEMONIC_OUT:
    case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
    case ZYDIS_MNEMONIC_INSD: case ZYDIS_MNEMONIC_OUTSB:
    case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
        return INSN_IO;
    default: return INSN_OTHER;
    }
}

int insn_decode(const uint8_t *code, size_t len, enum insn_mode mode,
                struct insn *out)
{
    ZydisDecodedInstruction zi;
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(decoder_for(mode), NULL,
                                                    code, len, &zi)))
        return -1;
    out->kind = kind_of(zi.mnemonic);
    out->length = zi.length;
    return 0;
}

size_t insn_find_rdpmc(const uint8_t *code, size_t len, uint64_t base,
                       uint64_t *sites, size_t max)
{
    size_t found = 0;
    for (size_t off = 0; off < len;) {
        struct insn in;
        if (insn_decode(code + off, len - off, INSN_MODE_64, &in) < 0) {
            off++;
            continue;
        }
        if (in.kind == INSN_RDPMC) {
            if (found < max)
                sites[found] = base + off;
            found++;
        }
        off += in.length;
    }
    return found;
}
