/* cpuid.h: the CPUID the guest sees, set with KVM_SET_CPUID2 before the first run. */
#ifndef PMVM_CPUID_H
#define PMVM_CPUID_H

#include "vmm/pmvm.h"

/* Start from what KVM supports and give it to the vCPU. */
void cpuid_setup(struct pmvm *p);

#endif
