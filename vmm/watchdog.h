/* watchdog.h: stops a guest that runs too long, even one spinning inside KVM_RUN. */
#ifndef PMVM_WATCHDOG_H
#define PMVM_WATCHDOG_H

#include <stdbool.h>
#include <linux/kvm.h>

/* Arm a one-shot timer of (seconds) (0: never) whose signal interrupts
 * KVM_RUN on (run) and keeps it from being re-entered. */
void watchdog_arm(struct kvm_run *run, double seconds);

/* Has the timer fired? */
bool watchdog_expired(void);

#endif
