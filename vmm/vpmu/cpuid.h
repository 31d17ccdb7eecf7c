/* cpuid.h: the CPUID the guest sees: KVM's supported leaves (or the engine's), with vendor, signature and PMU leaves from the CPU model. */
#ifndef PMVM_CPUID_H
#define PMVM_CPUID_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/pmvm.h"

/* Give the vCPU KVM's supported CPUID with the model's vendor, family/
 * model/stepping, PDCM, leaf 0xA and leaf 0x23. Before the first run. */
void cpuid_setup(struct pmvm *p);

/* For a Linux kernel whose CPL0 code the engine runs: no vector
 * extension beyond SSE2 in the guest's CPUID (cpuid.c says why). */
void cpuid_hide_vector(struct pmvm *p);

/* The same over the engine's own CPUID (--accel=engine), with no KVM. */
void cpuid_setup_engine(struct pmvm *p);

/*
 * CPUID (leaf, subleaf) as the guest sees it at CPL0, from the table
 * KVM took (for the engine, which answers CPUID itself), with CR4's
 * OSXSAVE. False for a leaf whose answer depends on state KVM keeps
 * (0xD's subleaves 0 and 1: XCR0, IA32_XSS): KVM must answer it.
 */
bool cpuid_lookup(const struct pmvm *p, uint64_t cr4, uint32_t leaf,
                  uint32_t subleaf, uint32_t r[4]);

/* The same, with the table's entries for those too (whose EBX the
 * caller works out: vmm/vpmu/xstate.c). */
bool cpuid_lookup_table(const struct pmvm *p, uint64_t cr4, uint32_t leaf,
                        uint32_t subleaf, uint32_t r[4]);

#endif
