/* watchdog.h: a periodic tick that interrupts KVM_RUN, for --timeout and to notice a halted guest. */
#ifndef PMVM_WATCHDOG_H
#define PMVM_WATCHDOG_H

#include <stdbool.h>
#include <linux/kvm.h>

#define WATCHDOG_TICK_MS 10

/*
 * Start a 10 ms tick whose signal interrupts KVM_RUN on (run) (KVM_RUN
 * returns EINTR, at once if pmvm was between runs). After (seconds) (0:
 * never) watchdog_expired() says so. The tick is how pmvm notices a guest
 * spinning inside KVM_RUN (VMCALL on nested PVM) or halted in the
 * in-kernel local APIC, which never exits.
 */
void watchdog_arm(struct kvm_run *run, double seconds);

/* Has the time run out? */
bool watchdog_expired(void);

/* The ticks so far (wrapping): a change means one came. */
unsigned watchdog_ticks(void);

/* After an interrupted KVM_RUN: let the next one run. */
void watchdog_resume(void);

/* Stop the tick, before the run structure goes away. */
void watchdog_disarm(void);

#endif
