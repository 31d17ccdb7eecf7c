/* pmi.c: delivers a performance-monitoring interrupt through the in-kernel local APIC's LVTPC. */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/pmi.h"
#include "vmm/pmvm.h"
#include "vmm/status.h"

#define APIC_ID 0x20
#define APIC_LVTPC 0x340
#define LVT_MASKED (1u << 16)
#define LVT_DELIVERY(v) (((v) >> 8) & 7)
#define LVT_FIXED 0
#define LVT_NMI 4
#define MSI_ADDRESS 0xFEE00000u

static uint32_t apic_reg(const struct kvm_lapic_state *l, unsigned off)
{
    uint32_t v;
    memcpy(&v, l->regs + off, sizeof v);
    return v;
}

void pmi_deliver(struct pmvm *p)
{
    struct kvm_lapic_state l;
    if (ioctl(p->vm.vcpu_fd, KVM_GET_LAPIC, &l) < 0)
        err(STATUS_OSERR, "KVM_GET_LAPIC");
    uint32_t lvtpc = apic_reg(&l, APIC_LVTPC);
    unsigned mode = LVT_DELIVERY(lvtpc);
    if (p->trace)
        fprintf(stderr, "pmvm: trace: PMI: LVTPC 0x%x: %s\n", lvtpc,
                lvtpc & LVT_MASKED ? "masked, not delivered" :
                mode == LVT_NMI ? "NMI" : mode == LVT_FIXED
                ? "vector" : "unsupported delivery mode, dropped");
    if (lvtpc & LVT_MASKED || (mode != LVT_FIXED && mode != LVT_NMI))
        return;
    lvtpc |= LVT_MASKED;
    memcpy(l.regs + APIC_LVTPC, &lvtpc, sizeof lvtpc);
    if (ioctl(p->vm.vcpu_fd, KVM_SET_LAPIC, &l) < 0)
        err(STATUS_OSERR, "KVM_SET_LAPIC");
    /* An MSI to this vCPU's APIC ID carries the vector or the NMI. */
    uint32_t id = apic_reg(&l, APIC_ID) >> 24;
    struct kvm_msi msi = {
        .address_lo = MSI_ADDRESS | (id << 12),
        .data = (lvtpc & 0xFF) | (mode << 8),
    };
    if (ioctl(p->vm.vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
        err(STATUS_OSERR, "KVM_SIGNAL_MSI");
}
