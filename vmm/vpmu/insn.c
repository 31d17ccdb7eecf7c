/* insn.c: the instructions the single-step and trap paths look at: the engine's decoding and classification (engine_insn_info()), memoised. */
#include <string.h>

#include "arch/x86.h"
#include "engine/engine.h"
#include "vmm/vpmu/insn.h"

enum insn_mode insn_mode_of(const struct kvm_sregs *s)
{
    if ((s->efer & EFER_LMA) && s->cs.l)
        return INSN_MODE_64;
    return s->cs.db ? INSN_MODE_32 : INSN_MODE_16;
}

static const unsigned mode_bits[] = {
    [INSN_MODE_64] = 64, [INSN_MODE_32] = 32, [INSN_MODE_16] = 16,
};

/* The engine's decoding and classification (engine_insn_info()). */
static int insn_decode_full(const uint8_t *code, size_t len,
                             enum insn_mode mode, struct insn *out)
{
    struct engine_insn_info info;

    if (engine_insn_info(code, len, mode_bits[mode], &info) < 0)
        return -1;
    out->kind = info.kind;
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
        return insn_decode_full(code, len, mode, out);
    struct memo *m = memo_slot(code, len, mode);
    if (m->valid && m->mode == mode && m->len == len &&
        memcmp(m->code, code, len) == 0) {
        *out = m->in;
        return 0;
    }
    if (insn_decode_full(code, len, mode, out) < 0)
        return -1;
    *m = (struct memo){.valid = true, .mode = (uint8_t)mode,
                       .len = (uint8_t)len, .in = *out};
    memcpy(m->code, code, len);
    return 0;
}
