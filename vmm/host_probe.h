/* host_probe.h: measures, in a throw-away VM, what this host's KVM single-step does. */
#ifndef PMVM_HOST_PROBE_H
#define PMVM_HOST_PROBE_H

#include <stdbool.h>

struct host_caps {
    /* KVM_GUESTDBG_SINGLESTEP stops after CPL3 instructions (ordinary
     * hosts: yes; nested PVM, where CPL3 runs natively: no). */
    bool step_cpl3;
    /* After an exit pmvm completes (I/O), the next KVM_RUN reports a step
     * for that instruction itself (ordinary hosts), rather than only after
     * the instruction that follows it (nested PVM). */
    bool step_after_exit;
};

/*
 * Run two tiny guests under single-step on /dev/kvm (kvm_fd) and fill
 * (caps). Costs one VM creation, about a millisecond; pmvm calls it only
 * when it is about to single-step. Exits with one line if KVM fails.
 */
void host_probe(int kvm_fd, struct host_caps *caps);

#endif
