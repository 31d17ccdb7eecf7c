/* msr.h: the MSR filter that sends chosen guest RDMSR/WRMSR to pmvm, and their handlers. */
#ifndef PMVM_MSR_H
#define PMVM_MSR_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/pmvm.h"

/*
 * Enable KVM_CAP_X86_USER_SPACE_MSR for filtered MSRs and install the
 * filter: every MSR pmvm emulates exits to userspace, every other MSR keeps
 * KVM's behaviour. Must run before the vCPU is created.
 */
void msr_filter_install(struct pmvm *p);

/* A guest RDMSR/WRMSR of a PMU MSR answered by the model, traced with
 * --trace; false: #GP. */
bool msr_pmu_read(struct pmvm *p, uint32_t msr, uint64_t *val);
bool msr_pmu_write(struct pmvm *p, uint32_t msr, uint64_t val);

/* The other MSRs pmvm filters (msr_spec.h: those KVM's rules refuse
 * for the guest's CPUID, which nested PVM lets through), traced. */
bool msr_is_other(uint32_t msr);
bool msr_other_read(struct pmvm *p, uint32_t msr, uint64_t *val);
bool msr_other_write(struct pmvm *p, uint32_t msr, uint64_t val);

#endif
