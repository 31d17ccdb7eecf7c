/* msr_spec.h: the speculation-control MSRs (SPEC_CTRL, PRED_CMD, FLUSH_CMD), answered by KVM's rules from the guest's CPUID. */
#ifndef PMVM_MSR_SPEC_H
#define PMVM_MSR_SPEC_H

#include <stdbool.h>
#include <stdint.h>

/* The MSRs pmvm filters for this (one range each; first, count). */
#define MSR_SPEC_RANGES 2
extern const uint32_t msr_spec_ranges[MSR_SPEC_RANGES][2];

struct pmvm;

/* Is (msr) one of them? */
bool msr_spec_owns(uint32_t msr);

/*
 * A guest RDMSR or WRMSR of one of them: #GP (false) where KVM's rules
 * refuse it for the guest's CPUID, else the vCPU's own MSR through
 * KVM_GET_MSRS/KVM_SET_MSRS. An ordinary KVM applies the same rules
 * itself; nested PVM lets a guest use these MSRs whatever its CPUID says
 * (kvm-unit-tests' msr.flat).
 */
bool msr_spec_read(struct pmvm *p, uint32_t msr, uint64_t *val);
bool msr_spec_write(struct pmvm *p, uint32_t msr, uint64_t val);

#endif
