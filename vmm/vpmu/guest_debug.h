/* guest_debug.h: the one owner of KVM_SET_GUEST_DEBUG for the guest's vCPU: the trap, counting, engine-bridge and #GP-catcher paths each say what they need now, and this programs KVM's single-step and DR0-DR3 from their wishes; it also keeps the guest's own debug registers. */
#ifndef PMVM_GUEST_DEBUG_H
#define PMVM_GUEST_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

#define DEBUG_MAX_BP 4 /* DR0-DR3 */

struct guest_debug {
    bool bp_blind;   /* this host's KVM fires no hardware breakpoints:
                        pmvm sets none (host_probe.c) */
    bool step_armed; /* the last KVM_SET_GUEST_DEBUG asked for single-step */
    struct kvm_debugregs guest; /* the guest's own DR0-DR3, DR6, DR7 */
    bool guest_valid;  /* read since KVM last ran the guest */
    /* pmvm's DR7.GD in KVM's copy of the guest's DR7 (dr_catch.h), which
     * (guest) never shows: */
    bool gd_wanted;    /* the #DB catcher's breakpoint is in place */
    bool gd_in_kvm;    /* written, and not yet seen cleared */
    bool delivered;    /* a read saw it cleared: a #DB was delivered, */
    struct kvm_debugregs before; /* ... to a guest whose registers these
                                    were before it */
};

/* What the paths need now, gathered in a fixed order: the engine
 * bridge's hand-back breakpoints, the trap's RDPMC sites, the #GP
 * catcher; the trap's temporary breakpoint goes in DR3 if it is free,
 * the #DB catcher's in a slot still free, never while stepping. */
struct debug_wish {
    bool step;    /* someone needs single-step */
    bool no_step; /* someone needs it off (a HLT, unstepped CPL3 code, a
                     free hand-back): wins over step */
    unsigned nbp;
    uint64_t bp[DEBUG_MAX_BP + 4]; /* execute breakpoints, first first */
    uint64_t bp_dr3;               /* a breakpoint for DR3 only, or 0 */
    uint64_t gd_catch; /* the #DB catcher's, in a slot left free, with
                          pmvm's DR7.GD; or 0 */
};

struct pmvm;

/* Ask every path and program KVM accordingly; KVM's guest debug is off
 * altogether when nothing is needed, so that the guest's own DR7 works. */
void guest_debug_update(struct pmvm *p);

/* The guest's own debug registers, read from KVM once after each run
 * (without pmvm's GD; a read that finds it cleared sets (delivered)). */
const struct kvm_debugregs *guest_debug_regs(struct pmvm *p);

/* The guest's DR6 after a #DB pmvm's engine raised or pmvm injects. */
void guest_debug_set_dr6(struct pmvm *p, uint64_t dr6);
/* The guest's debug registers, as an engine in machine mode left them
 * (KVM gets pmvm's GD with them while it is wanted). */
void guest_debug_set_regs(struct pmvm *p, const struct kvm_debugregs *regs);

/* Has the guest enabled a breakpoint of its own (DR7 L0-L3, G0-G3)? */
bool guest_debug_guest_armed(struct pmvm *p);

/* Would the paths have the guest single-stepped now? */
bool guest_debug_wants_step(const struct pmvm *p);

/* For the paths' wish functions: one more breakpoint. */
void debug_wish_bp(struct debug_wish *w, uint64_t addr);

#endif
