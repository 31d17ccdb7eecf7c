/* trap.h: catches every guest RDPMC, with hardware breakpoints or by single-stepping, and answers it from the PMU model. */
#ifndef PMVM_TRAP_H
#define PMVM_TRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRAP_MAX_BP 4 /* DR0-DR3 */

enum trap_mode {
    TRAP_AUTO, /* breakpoints if they cover every site, else stepping */
    TRAP_BP,   /* an execute breakpoint on each RDPMC found at load time */
    TRAP_STEP, /* single-step, decoding each instruction before it runs */
};

struct trap {
    enum trap_mode mode;   /* the mechanism in use: TRAP_BP or TRAP_STEP */
    size_t nsites;
    uint64_t sites[TRAP_MAX_BP];
    bool step_blind_cpl3;  /* host single-step skips CPL3 code */
    uint64_t bp_temp;      /* step mode: breakpoint past an exit, or 0 */
    bool started;
    bool step_rearm;       /* the stepped instruction may clear TF */
    bool next_known;       /* the instruction KVM steps next is known: */
    enum engine_kind next_kind; /* ... of this kind */
    bool unstepped;        /* a HLT, or CPL3 code on a host that cannot
                              step it, runs unstepped to the next exit */
    bool gp_catchable;     /* an RDPMC nothing else traps faults (#GP),
                              and a breakpoint can see it */
    uint64_t gp_handler;   /* the guest's #GP handler, breakpointed
                              (gp_catch.h), or 0 */
    uint64_t handler_step; /* a catcher's handler (the #GP one, the #DB
                              one of dr_catch.h) whose first instruction
                              runs stepped, the catchers' breakpoints
                              off, or 0 */
    uint64_t gp_answered;  /* an RDPMC whose #GP pmvm injected, or 0 */
};

struct pmvm;

/*
 * Find the RDPMC instructions in the image's executable segments, choose
 * the mechanism (requested, or by auto) and program KVM's guest debug.
 * Refuses in one line a --trap=bp that cannot cover every site.
 */
void trap_setup(struct pmvm *p, enum trap_mode requested,
                const uint8_t *image);

/* What the trap needs of guest debug now (guest_debug.h). */
struct debug_wish;
void trap_debug_wish(const struct pmvm *p, struct debug_wish *w);

/* Before each KVM_RUN that single-steps: emulate an RDPMC about to run,
 * and note the instruction KVM steps next. True: pmvm's engine takes
 * that one instead (step_takes_flags()), the run loop goes round. */
bool trap_before_run(struct pmvm *p);

/* After each KVM_RUN: what ran unstepped has ended, unless the vCPU
 * still waits in a HLT (halted). */
void trap_after_run(struct pmvm *p, bool halted);

/* The engine runs the guest from here: what KVM was to single-step past
 * the #GP catcher's breakpoint is the engine's (it looks at none). */
void trap_engine_takes_over(struct pmvm *p);

/* The instruction at (rip), the vCPU's, returns to CPL3: SYSRET, or an
 * IRET whose frame holds a CPL3 CS. */
bool trap_enters_user(struct pmvm *p, uint64_t rip);

/* The guest is at CPL3 on a host that cannot single-step CPL3 code (its
 * TF would be a #DB the guest takes), where pmvm's engine left it: KVM
 * runs it unstepped until it is back at CPL0, as after a return to
 * CPL3 that KVM runs. */
void trap_unstep_user(struct pmvm *p);

/* "auto", "bp" or "step", for --trace. */
const char *trap_mode_name(enum trap_mode m);

#endif
