/* pmi.c: delivers a performance-monitoring interrupt through the in-kernel local APIC's LVTPC. */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/lapic.h"
#include "vmm/vpmu/pmi.h"
#include "vmm/pmvm.h"
#include "vmm/status.h"

#define LVT_MASKED (1u << 16)
#define LVT_DELIVERY(v) (((v) >> 8) & 7)
#define LVT_FIXED 0
#define LVT_NMI 4
#define MSI_ADDRESS 0xFEE00000u

/* LVTPC, read and, if the PMI goes out, masked as the hardware does;
 * false if it does not go out (masked, or an unsupported mode). */
static bool lvtpc_take(struct pmvm *p, struct kvm_lapic_state *l,
                       uint32_t *lvtpc)
{
    lapic_get(p, l);
    *lvtpc = lapic_reg(l, LAPIC_LVTPC);
    unsigned mode = LVT_DELIVERY(*lvtpc);
    if (p->trace)
        fprintf(stderr, "pmvm: trace: PMI: LVTPC 0x%x: %s\n", *lvtpc,
                *lvtpc & LVT_MASKED ? "masked, not delivered" :
                mode == LVT_NMI ? "NMI" : mode == LVT_FIXED
                ? "vector" : "unsupported delivery mode, dropped");
    if (*lvtpc & LVT_MASKED || (mode != LVT_FIXED && mode != LVT_NMI))
        return false;
    lapic_reg_set(l, LAPIC_LVTPC, *lvtpc | LVT_MASKED);
    return true;
}

int pmi_accept(struct pmvm *p, bool can_take)
{
    struct kvm_lapic_state l;
    uint32_t lvtpc;

    if (!lvtpc_take(p, &l, &lvtpc))
        return PMI_NONE;
    unsigned vec = lvtpc & 0xFF;
    if (LVT_DELIVERY(lvtpc) == LVT_NMI) {
        lapic_set(p, &l);
        if (ioctl(p->vm.vcpu_fd, KVM_NMI) < 0)
            err(STATUS_OSERR, "KVM_NMI");
        return PMI_KVM;
    }
    /* Taken now: in service (the guest's EOI, through KVM, ends it);
     * else requested, for the engine or KVM to take when the guest lets
     * it. */
    bool now = can_take && (vec >> 4) > lapic_ppr_class(&l);
    lapic_vec_set(&l, now ? LAPIC_ISR : LAPIC_IRR, vec, 1);
    lapic_set(p, &l);
    return now ? (int)vec : PMI_NONE;
}

void pmi_deliver(struct pmvm *p)
{
    struct kvm_lapic_state l;
    uint32_t lvtpc;

    if (!lvtpc_take(p, &l, &lvtpc))
        return;
    unsigned mode = LVT_DELIVERY(lvtpc);
    lapic_set(p, &l);
    /* An MSI to this vCPU's APIC ID carries the vector or the NMI. */
    uint32_t id = lapic_reg(&l, LAPIC_ID) >> 24;
    struct kvm_msi msi = {
        .address_lo = MSI_ADDRESS | (id << 12),
        .data = (lvtpc & 0xFF) | (mode << 8),
    };
    if (ioctl(p->vm.vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
        err(STATUS_OSERR, "KVM_SIGNAL_MSI");
}
