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
 * (n) in all, at one CPL, one after another on one code page. The first
 * n - 1 are each of class OTHER, plain[0] of them without a memory read
 * and plain[1] with one; (last) is the n-th, of any class (the near
 * branch that ends a trace, say). None is an aborted XBEGIN, and each made
 * at most ENGINE_BLOCK_MAX_ACCESSES memory accesses (engine/engine.h), all
 * of which came before the block's retirement.
 */
struct x86_retired_block {
    uint64_t n;
    uint64_t plain[2];
    unsigned cpl;
    const struct x86_retired *last;
};

#endif
