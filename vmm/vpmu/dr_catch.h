/* dr_catch.h: the guest's MOV DR at CPL0 seen as it runs where KVM interprets the guest's CPL0 code itself (nested PVM under --cpl0=kvm, --count=step): a DR7.GD of pmvm's makes it a #DB, a breakpoint on the guest's #DB handler stops that, and pmvm's engine runs the MOV instead. */
#ifndef PMVM_DR_CATCH_H
#define PMVM_DR_CATCH_H

#include <stdbool.h>
#include <stdint.h>

struct pmvm;
struct debug_wish;

struct dr_catch {
    bool on;          /* KVM runs CPL0 code and this host delivers a GD
                         #DB through the guest's IDT (host_probe.h) */
    uint64_t handler; /* the guest's #DB handler, breakpointed, or 0 */
    uint64_t caught;  /* MOV DRs the engine ran, for --trace */
    uint64_t tf_frame; /* a #DB of the guest's TF whose handler the
                          engine runs (the frame's address), or 0 */
};

/*
 * Without it, pmvm sees a debug register the guest writes at CPL0 only at
 * its next exit, and the guest's breakpoints (which nested PVM fires
 * neither at CPL3 nor for data: pmvm's engine does) would work from
 * there. With it, while KVM runs the guest unobserved (pmvm neither
 * steps it nor hands the engine's instruction over), KVM's copy of the
 * guest's DR7 holds GD and a breakpoint sits on the #DB handler's entry
 * (IDT gate 1, 64-bit mode). A stop there whose frame is at CPL0, on a
 * MOV to or from a DR, with DR6.BD set (and no new BS if it was set
 * before) and the guest's own DR7 without GD, is pmvm's: the delivery is undone (the frame popped, DR6
 * as it was) and the engine, in machine mode, runs the MOV on the
 * guest's own registers, which guest_debug.h keeps without pmvm's GD.
 * Any other #DB runs the guest's handler. The 40 bytes below the RSP of
 * the MOV (or its IST stack) are written, as a #DB there would.
 */
void dr_catch_setup(struct pmvm *p);

/* Before each KVM_RUN: where the guest's #DB handler is now. */
void dr_catch_refresh(struct pmvm *p);

/* Its breakpoint, with GD (guest_debug.h): none while pmvm single-steps
 * the guest, a catcher's handler steps, or KVM takes a hand-back. */
void dr_catch_debug_wish(const struct pmvm *p, struct debug_wish *w);

/* A debug exit at (rip): true if it was the catcher's, handled, with the
 * run's status in *status. */
bool dr_catch_hit(struct pmvm *p, uint64_t rip, int *status);

/*
 * Where the catcher is on, the guest single-stepping itself is the
 * engine's too: nested PVM's emulator gives a REP string instruction one
 * #DB, not one per iteration, and does not hold a MOV SS's. The engine
 * runs the guest while its TF is set, and from a catch of a #DB whose
 * frame holds TF (the handler will return to stepped code) until TF is
 * off outside that handler: RSP above the frame, or more than 64 KiB
 * below it (another stack). The first instruction the guest's POPF or
 * IRET steps where KVM runs it is still nested PVM's.
 */
bool dr_catch_engine_runs(struct pmvm *p);

#endif
