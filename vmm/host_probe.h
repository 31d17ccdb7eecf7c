/* host_probe.h: asks, in a throw-away VM, whether this host's KVM single-step stops in CPL3 code. */
#ifndef PMVM_HOST_PROBE_H
#define PMVM_HOST_PROBE_H

#include <stdbool.h>

/*
 * Does KVM_GUESTDBG_SINGLESTEP stop after CPL3 instructions on /dev/kvm
 * (kvm_fd)? Ordinary hosts: yes; nested PVM, where CPL3 runs natively: no.
 * The first call runs a tiny guest (one VM creation, about a
 * millisecond); later calls return the same answer. Exits with one line if
 * KVM fails.
 */
bool host_steps_cpl3(int kvm_fd);

#endif
