/* insn.c: the instructions the single-step and trap paths look at: the engine's decoding and classification (engine_insn_info()), memoised, and the RDPMC scan. */
#include <string.h>

#include <Zydis/Zydis.h>

#include "arch/x86.h"
#include "engine/engine.h"
#include "vmm/vpmu/insn.h"

enum insn_mode insn_mode_of(const struct kvm_sregs *s)
{
    if ((s->efer & EFER_LMA) && s->cs.l)
        return INSN_MODE_64;
    return s->cs.db ? INSN_MODE_32 : INSN_MODE_16;
}

/* The RDPMC scan's decoder: lengths and mnemonics only. */
static const ZydisDecoder *decoder64(void)
{
    static ZydisDecoder dec;
    static bool ready;
    if (!ready) {
        ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
                         ZYDIS_STACK_WIDTH_64);
        ready = true;
    }
    return &dec;
}

static enum insn_kind kind_of(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_RDPMC: return INSN_RDPMC;
    case ZYDIS_MNEMONIC_RDMSR: return INSN_RDMSR;
    case ZYDIS_MNEMONIC_WRMSR: return INSN_WRMSR;
    case ZYDIS_MNEMONIC_CPUID: return INSN_CPUID;
    case ZYDIS_MNEMONIC_HLT: return INSN_HLT;
    case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ: return INSN_IRET;
    case ZYDIS_MNEMONIC_SYSRET: case ZYDIS_MNEMONIC_SYSEXIT:
        return INSN_SYSRET;
    case ZYDIS_MNEMONIC_POPF: case ZYDIS_MNEMONIC_POPFD:
    case ZYDIS_MNEMONIC_POPFQ: return INSN_POPF;
    case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD:
    case ZYDIS_MNEMONIC_PUSHFQ: return INSN_PUSHF;
    case ZYDIS_MNEMONIC_SYSCALL: case ZYDIS_MNEMONIC_SYSENTER:
    case ZYDIS_MNEMONIC_INT: case ZYDIS_MNEMONIC_INT3:
    case ZYDIS_MNEMONIC_INT1: case ZYDIS_MNEMONIC_INTO:
        return INSN_SYSCALL;
    case ZYDIS_MNEMONIC_IN: case ZYDIS_MNEMONIC_OUT:
    case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
    case ZYDIS_MNEMONIC_INSD: case ZYDIS_MNEMONIC_OUTSB:
    case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
        return INSN_IO;
    default: return INSN_OTHER;
    }
}

static const unsigned mode_bits[] = {
    [INSN_MODE_64] = 64, [INSN_MODE_32] = 32, [INSN_MODE_16] = 16,
};

/* The engine's decoding and classification (engine_insn_info()), plus
 * what the trap paths look for (kind_of()). */
static int insn_decode_zydis(const uint8_t *code, size_t len,
                             enum insn_mode mode, struct insn *out)
{
    struct engine_insn_info info;

    if (engine_insn_info(code, len, mode_bits[mode], &info) < 0)
        return -1;
    out->kind = kind_of((ZydisMnemonic)info.mnemonic);
    out->length = info.length;
    /* engine_class is in the order of pmu_insn_class (engine/engine.h) */
    out->cls = (enum pmu_insn_class)info.cls;
    out->rep = info.rep;
    out->mem_read = info.mem_read;
    out->mem_write = info.mem_write;
    out->xbegin = info.xbegin;
    out->relative = info.relative;
    out->rel = info.rel;
    return 0;
}

/*
 * Decoded instructions by their bytes, direct-mapped. While
 * single-stepping, pmvm looks at every instruction three times (at the
 * stop before it for RDPMC and for a return to CPL3, at the stop after it
 * to count it), mostly in loops, and a full Zydis decode was most of
 * pmvm's own cost per step (docs/performance.md). Keyed by the bytes
 * themselves, so code the guest rewrites is decoded afresh.
 */
#define MEMO_SLOTS 256

struct memo {
    bool valid;
    uint8_t mode, len;
    uint8_t code[INSN_MAX_LEN];
    struct insn in;
};

static struct memo memo[MEMO_SLOTS];

static struct memo *memo_slot(const uint8_t *code, size_t len,
                              enum insn_mode mode)
{
    uint32_t h = 2166136261u ^ (uint32_t)mode; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ code[i]) * 16777619u;
    return &memo[(h ^ (h >> 16)) % MEMO_SLOTS];
}

int insn_decode(const uint8_t *code, size_t len, enum insn_mode mode,
                struct insn *out)
{
    if (len > INSN_MAX_LEN)
        return insn_decode_zydis(code, len, mode, out);
    struct memo *m = memo_slot(code, len, mode);
    if (m->valid && m->mode == mode && m->len == len &&
        memcmp(m->code, code, len) == 0) {
        *out = m->in;
        return 0;
    }
    if (insn_decode_zydis(code, len, mode, out) < 0)
        return -1;
    *m = (struct memo){.valid = true, .mode = (uint8_t)mode,
                       .len = (uint8_t)len, .in = *out};
    memcpy(m->code, code, len);
    return 0;
}

/* The scan only needs lengths and mnemonics, not operands. */
static int insn_decode_quick(const uint8_t *code, size_t len,
                             struct insn *out)
{
    ZydisDecodedInstruction zi;
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(
            decoder64(), NULL, code, len, &zi)))
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
        if (insn_decode_quick(code + off, len - off, &in) < 0) {
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
