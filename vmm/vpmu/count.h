/* count.h: counts guest instructions at retirement by single-stepping while any PMU counter is enabled. */
#ifndef PMVM_COUNT_H
#define PMVM_COUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "pmu/pmu.h"
#include "vmm/vpmu/insn.h"

/*
 * pmvm does not trust a host's single-step to stop after every
 * instruction: nested PVM merges some steps (MFENCE with the next
 * instruction), skips the instruction after an exit, and repeats a stop
 * at an instruction that already retired. So at every stop it works out
 * what retired from where the vCPU resumed to where it is now.
 */
struct count {
    unsigned rings;         /* pmu_counting_rings(): nonzero = stepping */
    bool resume_valid;      /* (resume) is where the vCPU went on from */
    uint64_t resume;
    bool done_valid;        /* an instruction pmvm completed and counted, */
    uint64_t done;          /* which a stop may still report at its RIP */
    bool warned_cpl3;
};

struct pmvm;

/* After anything that may enable or disable a counter: recompute whether
 * pmvm must single-step. Returns true if that changed. */
bool count_update(struct pmvm *p);

/* Forget where the vCPU resumed: something else (the engine) ran the
 * guest since. */
void count_reset(struct pmvm *p);

/* Its part of guest debug: single-step while it counts (guest_debug.h). */
struct debug_wish;
void count_debug_wish(const struct pmvm *p, struct debug_wish *w);

/* Does a counter count (so that pmvm counts every retired instruction,
 * in the engine or by single-step)? */
bool count_active(const struct pmvm *p);

/* How many instructions the engine may retire next as blocks, with no
 * counter carrying among them (engine_ops.block_room). */
uint64_t count_block_room(struct pmvm *p);

/* A memory access the engine made: the cache model sees it while a
 * counter counts, like the core model. engine_ops.mem_access itself
 * (ctx: the pmvm), called for every access. */
void count_mem_access(void *ctx, uint64_t gpa, enum engine_mem kind);
/* Does count_mem_access() want them now? (engine_ops.mem_access_wanted) */
bool count_mem_wanted(void *ctx);

/* A stop while stepping: count what retired since the vCPU resumed. */
void count_on_step(struct pmvm *p);

/* Before resuming: remember where the vCPU goes on from. */
void count_prepare(struct pmvm *p);

/* An instruction pmvm completes: an exit (I/O, RDMSR, WRMSR) for the one
 * at RIP, which retires when KVM resumes, or an RDPMC pmvm emulated, that
 * (retired) at (addr) with (in). A #GP means it did not retire. */
void count_on_completed_exit(struct pmvm *p, bool retired);
void count_on_emulated(struct pmvm *p, const struct insn *in, uint64_t addr,
                       bool retired);

#endif
