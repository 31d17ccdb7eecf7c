/* pmi.h: delivers a performance-monitoring interrupt through the in-kernel local APIC's LVTPC. */
#ifndef PMVM_PMI_H
#define PMVM_PMI_H

struct pmvm;

/*
 * A counter overflowed with its PMI enabled: raise LVTPC's interrupt
 * (its vector with fixed delivery, or an NMI), unless LVTPC is masked,
 * and set LVTPC's mask bit as the hardware does (SDM vol. 3, 13.5.1:
 * software must clear it to get the next PMI).
 */
void pmi_deliver(struct pmvm *p);

#endif
