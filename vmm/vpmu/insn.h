/* insn.h: the instructions the single-step and trap paths look at: the engine's decoding and classification (engine_insn_info()), memoised, and the RDPMC scan. */
#ifndef PMVM_INSN_H
#define PMVM_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "pmu/pmu.h"

#define INSN_MAX_LEN 15

enum insn_kind {
    INSN_OTHER,
    INSN_RDPMC,
    INSN_RDMSR,
    INSN_WRMSR,
    INSN_CPUID,
    INSN_IO,     /* IN, OUT, INS, OUTS */
    INSN_HLT,
    INSN_IRET,   /* IRET, IRETD, IRETQ */
    INSN_SYSRET, /* SYSRET, SYSEXIT: always to CPL3 */
    INSN_POPF,   /* POPF, POPFD, POPFQ */
    INSN_PUSHF,  /* PUSHF, PUSHFD, PUSHFQ */
    INSN_SYSCALL,/* SYSCALL, SYSENTER, INT n, INT3, INT1, INTO */
};

struct insn {
    enum insn_kind kind;
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

/*
 * Find every RDPMC in (len) bytes of code at address (base), decoding
 * linearly in 64-bit mode and resynchronising byte by byte after anything
 * undecodable. Stores up to (max) addresses in (sites); returns how many
 * were found in all (which may exceed max).
 */
size_t insn_find_rdpmc(const uint8_t *code, size_t len, uint64_t base,
                       uint64_t *sites, size_t max);

#endif
