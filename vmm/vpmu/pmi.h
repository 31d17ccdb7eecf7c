/* pmi.h: delivers a performance-monitoring interrupt through the in-kernel local APIC's LVTPC. */
#ifndef PMVM_PMI_H
#define PMVM_PMI_H

#include <stdbool.h>

struct pmvm;

/*
 * A counter overflowed with its PMI enabled: raise LVTPC's interrupt
 * (its vector with fixed delivery, or an NMI), unless LVTPC is masked,
 * and set LVTPC's mask bit as the hardware does (SDM vol. 3, 13.5.1:
 * software must clear it to get the next PMI).
 */
void pmi_deliver(struct pmvm *p);

#define PMI_NONE (-1) /* nothing to deliver now */
#define PMI_KVM (-2)  /* an NMI, sent to KVM: KVM delivers it */

/*
 * The same for the engine, which delivers interrupts itself: LVTPC masked
 * and, for a vector the local APIC would take now (the guest can take it:
 * (can_take), and its class is above the processor priority), the vector
 * put in service and returned for the engine to deliver through the IDT;
 * otherwise the vector requested in the IRR (lapic_accept() takes it
 * later) and PMI_NONE. An NMI goes to KVM: PMI_KVM.
 */
int pmi_accept(struct pmvm *p, bool can_take);

#endif
