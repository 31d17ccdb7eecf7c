/* insn.c: x86 instruction decoding (Zydis) for the instructions pmvm traps or counts. */
#include <string.h>

#include <Zydis/Zydis.h>

#include "arch/x86.h"
#include "vmm/vpmu/insn.h"

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

static enum pmu_insn_class class_of(const ZydisDecodedInstruction *zi,
                                    const ZydisDecodedOperand *ops)
{
    bool far = zi->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
    bool direct = zi->operand_count_visible > 0 &&
                  ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE;
    /* As the engine's (engine/decode.c): the RTM instructions are no
     * branches to the model. */
    if (zi->meta.isa_set == ZYDIS_ISA_SET_RTM)
        return PMU_INSN_OTHER;
    switch (zi->meta.category) {
    case ZYDIS_CATEGORY_COND_BR:
        return PMU_INSN_JCC;
    case ZYDIS_CATEGORY_UNCOND_BR:
        return far ? PMU_INSN_FAR : direct ? PMU_INSN_JMP
                                           : PMU_INSN_JMP_INDIRECT;
    case ZYDIS_CATEGORY_CALL:
        return far ? PMU_INSN_FAR : direct ? PMU_INSN_CALL
                                           : PMU_INSN_CALL_INDIRECT;
    case ZYDIS_CATEGORY_RET:
        return far || zi->mnemonic == ZYDIS_MNEMONIC_IRET ||
                       zi->mnemonic == ZYDIS_MNEMONIC_IRETD ||
                       zi->mnemonic == ZYDIS_MNEMONIC_IRETQ
                   ? PMU_INSN_FAR : PMU_INSN_RET;
    case ZYDIS_CATEGORY_SYSCALL:
    case ZYDIS_CATEGORY_SYSRET:
    case ZYDIS_CATEGORY_INTERRUPT:
        return PMU_INSN_FAR;
    default:
        break;
    }
    switch (zi->mnemonic) {
    case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ: case ZYDIS_MNEMONIC_SYSENTER:
    case ZYDIS_MNEMONIC_SYSEXIT:
        return PMU_INSN_FAR;
    case ZYDIS_MNEMONIC_CPUID: case ZYDIS_MNEMONIC_RDMSR:
    case ZYDIS_MNEMONIC_WRMSR: case ZYDIS_MNEMONIC_RDPMC:
    case ZYDIS_MNEMONIC_IN: case ZYDIS_MNEMONIC_OUT:
    case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
    case ZYDIS_MNEMONIC_INSD: case ZYDIS_MNEMONIC_OUTSB:
    case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
    case ZYDIS_MNEMONIC_LGDT: case ZYDIS_MNEMONIC_LIDT:
    case ZYDIS_MNEMONIC_HLT:
        return PMU_INSN_SERIALIZING;
    case ZYDIS_MNEMONIC_MOV:
        /* MOV to a control register serializes. */
        return ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                       ZydisRegisterGetClass(ops[0].reg.value) ==
                           ZYDIS_REGCLASS_CONTROL
                   ? PMU_INSN_SERIALIZING : PMU_INSN_OTHER;
    case ZYDIS_MNEMONIC_MFENCE: case ZYDIS_MNEMONIC_LFENCE:
    case ZYDIS_MNEMONIC_SFENCE:
        return PMU_INSN_FENCE;
    case ZYDIS_MNEMONIC_CLFLUSH: case ZYDIS_MNEMONIC_CLFLUSHOPT:
    case ZYDIS_MNEMONIC_CLWB: case ZYDIS_MNEMONIC_WBINVD:
    case ZYDIS_MNEMONIC_INVD:
        return PMU_INSN_CACHE;
    case ZYDIS_MNEMONIC_DIV: case ZYDIS_MNEMONIC_IDIV:
        return PMU_INSN_DIV;
    default:
        return PMU_INSN_OTHER;
    }
}

/* Memory the instruction itself reads or writes (LEA and the implicit
 * stack of CALL/RET/PUSH/POP count; address computation alone does not). */
static void mem_access(const ZydisDecodedInstruction *zi,
                       const ZydisDecodedOperand *ops, struct insn *out)
{
    out->mem_read = out->mem_write = false;
    if (zi->mnemonic == ZYDIS_MNEMONIC_LEA ||
        zi->mnemonic == ZYDIS_MNEMONIC_NOP)
        return;
    for (unsigned i = 0; i < zi->operand_count; i++) {
        if (ops[i].type != ZYDIS_OPERAND_TYPE_MEMORY ||
            ops[i].mem.type == ZYDIS_MEMOP_TYPE_AGEN)
            continue;
        out->mem_read |=
            (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_READ) != 0;
        out->mem_write |=
            (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0;
    }
}

static int insn_decode_zydis(const uint8_t *code, size_t len,
                             enum insn_mode mode, struct insn *out)
{
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(decoder_for(mode), code, len,
                                             &zi, ops)))
        return -1;
    out->kind = kind_of(zi.mnemonic);
    out->length = zi.length;
    out->cls = class_of(&zi, ops);
    out->rep = (zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
                                 ZYDIS_ATTRIB_HAS_REPNE)) != 0;
    mem_access(&zi, ops, out);
    out->xbegin = zi.mnemonic == ZYDIS_MNEMONIC_XBEGIN;
    out->relative = ((out->cls >= PMU_INSN_JCC && out->cls <= PMU_INSN_CALL) ||
                     out->xbegin) &&
                    zi.operand_count_visible > 0 &&
                    ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
                    ops[0].imm.is_relative;
    out->rel = out->relative ? ops[0].imm.value.s : 0;
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
            decoder_for(INSN_MODE_64), NULL, code, len, &zi)))
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
