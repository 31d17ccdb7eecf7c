/* engine_bridge.h: the engine runs the guest in pmvm's process (engine/) while a counter counts, and CPL0 code on hosts that interpret it; single instructions it leaves alone run on KVM. */
#ifndef PMVM_ENGINE_BRIDGE_H
#define PMVM_ENGINE_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

#define BRIDGE_MAX_BP 2
#define BRIDGE_SYS_MSRS 5

/* Who runs the guest's CPL0 code while no counter counts (--cpl0). */
enum bridge_cpl0 {
    BRIDGE_CPL0_AUTO,   /* the engine where KVM would interpret it */
    BRIDGE_CPL0_KVM,
    BRIDGE_CPL0_ENGINE,
};

struct bridge {
    struct engine *engine;  /* pmvm's engine over the VM's RAM */
    bool debug_only;        /* --count=step: counting single-steps, and
                               (engine) runs only while the guest's own
                               TF or breakpoints are on (KVM's step hides
                               them) */
    bool flags_next;        /* ... and runs the next instruction, which
                               loads or stores RFLAGS */
    bool dr7_armed;         /* ... the guest's DR7 enables some, */
    bool dr7_known;         /* ... as read since KVM last ran, or while
                               pmvm single-steps, since the last stepped
                               MOV DR (step_guest_debugs()) */
    struct engine *rescue;  /* machine mode, for what KVM failed to
                               emulate where (engine) cannot run it
                               (rescue.c); made at the first */
    bool cpl0;              /* the engine runs CPL0 code, counted or not */
    bool kvm_interprets;    /* KVM runs CPL0 code, and interprets it
                               (nested PVM) */
    bool handback;          /* KVM runs the next instruction, stepped */
    bool handback_free;     /* ... unstepped, until its next exit: HLT,
                               or CPL3 code on a host that cannot step
                               it (its TF would be a #DB in the guest) */
    bool halt;              /* that hand-back is a HLT */
    bool clock_due;         /* ... is a WRMSR (or RDMSR) of KVM's
                               paravirtual MSRs: KVM takes the next
                               instruction too */
    bool guest_tf;          /* ... began with the guest's own TF set, */
    uint64_t tf_next[2];    /* ... and ends at one of these unless it
                               raised an exception */
    bool db_due;            /* the #DB (DR6.BS) that hand-back owes */
    bool warned_unseen;     /* said once that a free one went unseen */
    uint64_t bp[BRIDGE_MAX_BP]; /* where a CPL3 hand-back ends on a host
                                 that cannot step CPL3 code */
    unsigned nbp;
    bool state_unsupported; /* the engine refused the state: step it */
    enum engine_why refused; /* why it last refused, for --trace */
    bool kvm_ran;           /* KVM ran the guest since the engine did */
    uint64_t *dirty;        /* the RAM pages KVM wrote meanwhile (its
                               dirty log), or NULL: all may have been */
    bool ended;             /* the guest ended itself in the engine */
    int status;             /* with this status */
    struct engine_state *st; /* the state being run, for the callbacks */
    uint64_t sys_msr[BRIDGE_SYS_MSRS]; /* STAR, LSTAR, FMASK,
                                        KERNEL_GS_BASE, TSC_AUX */
    bool sys_valid[BRIDGE_SYS_MSRS]; /* read from KVM since KVM last ran */
    /* the vCPU's XSAVE area and XCR0 for the engine (xstate.c), read
     * from KVM since KVM last ran */
    uint8_t xsave[ENGINE_XSAVE_SIZE];
    uint64_t xcr0, xss;
    bool xsave_valid, xcr0_valid, xss_valid;
    bool xstate;            /* the engine has them (xstate_usable()) */
    uint64_t retired, handbacks; /* statistics for --trace */
    uint64_t shadow_flushes; /* KVM's shadow pages dropped (shadow_flush.c) */
    bool shadow_stale;      /* ... and due before KVM next runs */
    uint64_t last_rip;      /* the last instruction the engine retired, */
    unsigned last_len;      /* ... and its length (sti_back_to_kvm()) */
};

struct pmvm;

/*
 * The engine over the VM's RAM. With (cpl0) auto, it also runs CPL0 code
 * if the host's KVM would interpret it one instruction at a time
 * (host_probe.h): there pmvm's engine is the faster interpreter, and
 * RDPMC, PMU MSRs and port I/O cost no exit. With (count_step), counting
 * single-steps on KVM, which runs CPL0 code whatever (cpl0) says (the
 * CLI refuses --cpl0=engine with --count=step), and the engine runs the
 * guest only while its own debug features are on, and for what KVM
 * fails to emulate.
 */
void bridge_setup(struct pmvm *p, bool count_step, enum bridge_cpl0 cpl0);
void bridge_teardown(struct pmvm *p);

/* Does the engine run the guest now (a counter counts, or it runs CPL0
 * code and the guest is in 64-bit mode at CPL0; no hand-back is under
 * way; the state is one it runs)? */
bool bridge_active(struct pmvm *p);

/* What a hand-back needs of guest debug (guest_debug.h): KVM runs one
 * instruction, single-stepped, or a free hand-back runs unstepped until
 * its next exit. */
struct debug_wish;
void bridge_debug_wish(const struct pmvm *p, struct debug_wish *w);

/*
 * Runs the guest in the engine until it stops, and moves its state back
 * to KVM. Returns RUN_CONTINUE, or the status the guest ended with. After
 * it, either the engine runs again, or KVM does: a hand-back (one
 * stepped instruction), an interrupt for KVM to deliver, or counting over.
 */
int bridge_run(struct pmvm *p);

/*
 * KVM failed to emulate the instruction at RIP (nested PVM cannot INT n,
 * INT3, ICEBP or a 32-bit IRET at CPL0, nor raise #UD for bytes it
 * cannot decode): an engine runs that one (rescue.c), the bridge's in
 * 64-bit mode, else one in machine mode, which also runs 32-bit
 * protected mode. RUN_CONTINUE when it did, the status the run ends with
 * if that ended it, else BRIDGE_NOT_RESCUED.
 */
#define BRIDGE_NOT_RESCUED (-2)
int bridge_rescue(struct pmvm *p);

/* The same in machine mode whatever the mode: a MOV DR (dr_catch.h),
 * which the bridge's engine leaves to KVM. */
int bridge_rescue_machine(struct pmvm *p);

/* For rescue.c: the vCPU's state into an engine's and back (all: the
 * control registers, descriptor tables and debug registers too, which an
 * engine in machine mode changes); an engine takes over from KVM (the
 * bridge's engine drops what KVM wrote, the caches of KVM's MSRs and
 * XSAVE state are dropped); the callbacks every engine of pmvm's over
 * KVM shares. */
void bridge_state_in(struct pmvm *p, struct engine_state *st);
void bridge_state_out(struct pmvm *p, const struct engine_state *st,
                      bool all);
void bridge_takes_over(struct pmvm *p);
struct engine_ops bridge_engine_ops(struct pmvm *p);

/* Returns from the event whose frame is at the vCPU's RSP, as IRETQ
 * does, to (rip) (engine_event_return()); false if it cannot. */
bool bridge_event_return(struct pmvm *p, uint64_t rip);

/* After every KVM_RUN while a hand-back is under way: a step or
 * breakpoint ends a stepped one, any exit a free one, except an
 * interrupted wait of a halted vCPU (halted). */
void bridge_after_exit(struct pmvm *p, bool halted);

/* Breakpoints a hand-back needs (addresses into bp, count returned). */


/* Counting started or stopped (count_update() said so): guest debug
 * follows, and the counted region's clock (vtsc.c) stops with it. */
void bridge_counting_changed(struct pmvm *p);

/* This run has an engine that runs the guest whenever pmvm must see
 * every instruction (not --count=step's). */
bool bridge_has_engine(const struct pmvm *p);

#endif
