/* msr.h: the MSR filter that sends chosen guest RDMSR/WRMSR to pmvm, and their handlers. */
#ifndef PMVM_MSR_H
#define PMVM_MSR_H

#include "vmm/pmvm.h"

/*
 * Enable KVM_CAP_X86_USER_SPACE_MSR for filtered MSRs and install the
 * filter: every MSR pmvm emulates exits to userspace, every other MSR keeps
 * KVM's behaviour. Must run before the vCPU is created.
 */
void msr_filter_install(struct pmvm *p);

#endif
