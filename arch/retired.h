/* retired.h: one retired instruction: the one record the engine reports and the PMU model counts, which vmm/ hands over as it is. */
#ifndef PMVM_ARCH_RETIRED_H
#define PMVM_ARCH_RETIRED_H

#include <stdbool.h>
#include <stdint.h>

/*
 * One record for both sides: a copy between two look-alike structs costs
 * more than it seems, for the compiler copies with wide loads the fields
 * the engine has just stored one by one, and each load waits for the
 * stores (no store forwarding across them; docs/performance.md).
 */
struct x86_retired {
    uint64_t addr;        /* linear address of the instruction */
    uint64_t next;        /* where execution went on after it */
    unsigned length;
    unsigned cls;         /* pmu/pmu.h's enum pmu_insn_class, which
                             engine/engine.h's enum engine_class repeats in
                             the same order */
    bool taken;           /* a branch that went elsewhere than addr + length */
    bool mem_read, mem_write; /* has a memory operand read / written (LEA
                                 excluded) */
    unsigned cpl;         /* the CPL it executed at */
    bool tx_abort;        /* an XBEGIN whose transaction aborted at once
                             (docs/counting.md, "Transactions") */
};

/*
 * A run of instructions retired as one (engine/trace.c, pmu_retire_block):
 * (n) in all, at one CPL, one after another. (nrec) of them are described
 * whole in rec[], in program order: the last of each trace the run went
 * through (a near branch, say), the last of all at rec[nrec - 1]; the
 * rest are of class OTHER and counted only, plain[0] without a memory
 * read and plain[1] with one (n = plain[0] + plain[1] + nrec). None is an
 * aborted XBEGIN, and each made at most ENGINE_BLOCK_MAX_ACCESSES memory
 * accesses (engine/engine.h), all of which came before the block's
 * retirement.
 */
#define X86_BLOCK_RECORDS 16

struct x86_retired_block {
    uint64_t n;
    uint64_t plain[2];
    unsigned cpl;
    unsigned nrec;            /* 1 to X86_BLOCK_RECORDS */
    const struct x86_retired *rec;
};

/* The block's last instruction. */
static inline const struct x86_retired *
x86_block_last(const struct x86_retired_block *b)
{
    return &b->rec[b->nrec - 1];
}

#endif
