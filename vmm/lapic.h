/* lapic.h: the in-kernel local APIC as pmvm reads and writes it (KVM_GET_LAPIC, KVM_SET_LAPIC), and the interrupts the engine takes from it. */
#ifndef PMVM_LAPIC_H
#define PMVM_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

#define LAPIC_ID 0x20
#define LAPIC_TPR 0x80
#define LAPIC_SVR 0xF0
#define LAPIC_ISR 0x100
#define LAPIC_IRR 0x200
#define LAPIC_LVTT 0x320
#define LAPIC_LVTPC 0x340
#define LAPIC_LVT0 0x350

struct pmvm;

void lapic_get(struct pmvm *p, struct kvm_lapic_state *l);
void lapic_set(struct pmvm *p, struct kvm_lapic_state *l);
uint32_t lapic_reg(const struct kvm_lapic_state *l, unsigned off);
void lapic_reg_set(struct kvm_lapic_state *l, unsigned off, uint32_t v);

/* Bit (vec) of the 256-bit ISR or IRR at (base). */
void lapic_vec_set(struct kvm_lapic_state *l, unsigned base, unsigned vec,
                   int on);

/* The processor priority's class: max(TPR[7:4], the highest in-service
 * vector's class) (SDM vol. 3, 11.8.3.1). */
unsigned lapic_ppr_class(const struct kvm_lapic_state *l);

/*
 * Takes the highest requested interrupt whose class is above the
 * processor priority, as the local APIC does when the CPU accepts one
 * (IRR to ISR), for the engine to deliver through the IDT; -1 if none.
 * The guest's EOI, which KVM runs, ends it.
 */
int lapic_accept(struct pmvm *p);

/*
 * KVM's local APIC timer in TSC-deadline mode, past its deadline while
 * the engine ran the guest: KVM fires it only when it runs the vCPU, so
 * pmvm does what the APIC does when the timer fires (SDM vol. 3,
 * 11.5.4.1): the deadline MSR cleared, which disarms KVM's, and the
 * timer's vector requested (IRR), for lapic_accept(). Nothing where the
 * APIC is disabled, the timer masked or in another mode, or its
 * deadline 0 or still ahead of the guest's TSC.
 */
void lapic_timer_poll(struct pmvm *p);

/* Whether the 8259's INTR on LINT0 reaches the CPU: LINT0 unmasked in
 * ExtINT mode, or the APIC disabled in IA32_APIC_BASE (SDM 11.4.3), as
 * KVM's kvm_apic_accept_pic_intr() has it. */
bool lapic_extint_open(struct pmvm *p);

#endif
