/* exec.h: counting with the engine: while a counter counts, the guest runs in pmvm's process (engine/), and single instructions the engine leaves alone run on KVM. */
#ifndef PMVM_EXEC_H
#define PMVM_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

#define EXEC_MAX_BP 2

struct exec {
    struct engine *engine;  /* NULL: counting single-steps (--count=step) */
    bool handback;          /* KVM runs the next instruction, stepped */
    uint64_t bp[EXEC_MAX_BP]; /* where a CPL3 hand-back ends on a host
                                 that cannot step CPL3 code */
    unsigned nbp;
    bool state_unsupported; /* the engine refused the state: step it */
    enum engine_why refused; /* why it last refused, for --trace */
    bool kvm_ran;           /* KVM ran the guest since the engine did */
    bool ended;             /* the guest ended itself in the engine */
    int status;             /* with this status */
    struct engine_state *st; /* the state being run, for the callbacks */
    uint64_t sys_msr[4];    /* STAR, LSTAR, FMASK, KERNEL_GS_BASE */
    bool sys_valid[4];      /* read from KVM since KVM last ran */
    uint64_t retired, handbacks; /* statistics for --trace */
};

struct pmvm;

/* The engine over the VM's RAM, or none (then counting single-steps). */
void exec_setup(struct pmvm *p, bool use_engine);
void exec_teardown(struct pmvm *p);

/* Does the engine run the guest now (a counter counts, no hand-back is
 * under way, the state is one it runs)? */
bool exec_active(const struct pmvm *p);

/*
 * Runs the guest in the engine until it stops, and moves its state back
 * to KVM. Returns RUN_CONTINUE, or the status the guest ended with. After
 * it, either the engine runs again, or KVM does: a hand-back (one
 * stepped instruction), an interrupt for KVM to deliver, or counting over.
 */
int exec_run(struct pmvm *p);

/* After every exit while a hand-back is under way: a step or breakpoint
 * ends it. */
void exec_after_exit(struct pmvm *p);

/* Breakpoints a hand-back needs (addresses into bp, count returned). */
unsigned exec_breakpoints(const struct pmvm *p, uint64_t *bp);

/* Counting started or stopped (count_update() said so): guest debug
 * follows, and the counted region's clock (vtsc.c) stops with it. */
void exec_counting_changed(struct pmvm *p);

/* The engine counts for this run (it exists, and has not been refused). */
bool exec_counts(const struct pmvm *p);

#endif
