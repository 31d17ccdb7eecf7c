/* insn.h: the instructions the single-step and trap paths look at: the engine's decoding and classification (engine_insn_info()), memoised. */
#ifndef PMVM_INSN_H
#define PMVM_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "engine/engine.h"
#include "pmu/pmu.h"

#define INSN_MAX_LEN 15

struct insn {
    enum engine_kind kind;   /* what the trap paths look for */
    unsigned length;
    enum pmu_insn_class cls; /* what the counting model needs to know */
    bool rep;                /* REP/REPE/REPNE string instruction */
    bool relative;           /* a near branch to addr + length + rel (or
                                XBEGIN's fallback address) */
    int64_t rel;
    bool xbegin;             /* XBEGIN */
    bool mem_read, mem_write;
};

enum insn_mode { INSN_MODE_64, INSN_MODE_32, INSN_MODE_16 };

/* The decoding mode of the vCPU's code segment. */
enum insn_mode insn_mode_of(const struct kvm_sregs *s);

/* Decode one instruction from (len) bytes. Returns 0, or -1 if the bytes
 * are not a valid instruction. */
int insn_decode(const uint8_t *code, size_t len, enum insn_mode mode,
                struct insn *out);

/* Decode the instruction at (rip), through the vCPU's code segment and
 * page tables as (s) has them (insn_at.c). Returns 0, or -1. */
struct vm;
int insn_at(const struct vm *vm, const struct kvm_sregs *s, uint64_t rip,
            struct insn *out);

#endif
