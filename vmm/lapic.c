/* lapic.c: the in-kernel local APIC as pmvm reads and writes it (KVM_GET_LAPIC, KVM_SET_LAPIC), and the interrupts the engine takes from it. */
#include <err.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86.h"
#include "devices/apic.h"
#include "devices/apic_timer.h"
#include "vmm/lapic.h"
#include "vmm/pmvm.h"
#include "vmm/status.h"

void lapic_get(struct pmvm *p, struct kvm_lapic_state *l)
{
    if (ioctl(p->vm.vcpu_fd, KVM_GET_LAPIC, l) < 0)
        err(STATUS_OSERR, "KVM_GET_LAPIC");
}

void lapic_set(struct pmvm *p, struct kvm_lapic_state *l)
{
    if (ioctl(p->vm.vcpu_fd, KVM_SET_LAPIC, l) < 0)
        err(STATUS_OSERR, "KVM_SET_LAPIC");
}

uint32_t lapic_reg(const struct kvm_lapic_state *l, unsigned off)
{
    uint32_t v;

    memcpy(&v, l->regs + off, sizeof v);
    return v;
}

void lapic_reg_set(struct kvm_lapic_state *l, unsigned off, uint32_t v)
{
    memcpy(l->regs + off, &v, sizeof v);
}

void lapic_vec_set(struct kvm_lapic_state *l, unsigned base, unsigned vec,
                   int on)
{
    unsigned off = base + (vec / 32) * 0x10;
    uint32_t v = lapic_reg(l, off);

    lapic_reg_set(l, off, on ? v | 1u << (vec % 32) : v & ~(1u << (vec % 32)));
}

/* The highest vector set in the 256-bit register at (base), or -1. */
static int highest(const struct kvm_lapic_state *l, unsigned base)
{
    for (int r = 7; r >= 0; r--) {
        uint32_t v = lapic_reg(l, base + (unsigned)r * 0x10);
        if (v)
            return r * 32 + 31 - __builtin_clz(v);
    }
    return -1;
}

unsigned lapic_ppr_class(const struct kvm_lapic_state *l)
{
    unsigned tpr = lapic_reg(l, LAPIC_TPR) >> 4 & 0xF;
    int isr = highest(l, LAPIC_ISR);

    return isr >= 0 && (unsigned)isr >> 4 > tpr ? (unsigned)isr >> 4 : tpr;
}

int lapic_accept(struct pmvm *p)
{
    struct kvm_lapic_state l;

    lapic_get(p, &l);
    int vec = highest(&l, LAPIC_IRR);
    if (vec < 0 || (unsigned)vec >> 4 <= lapic_ppr_class(&l))
        return -1;
    lapic_vec_set(&l, LAPIC_IRR, (unsigned)vec, 0);
    lapic_vec_set(&l, LAPIC_ISR, (unsigned)vec, 1);
    lapic_set(p, &l);
    return vec;
}

void lapic_timer_poll(struct pmvm *p)
{
    struct kvm_lapic_state l;
    uint64_t tsc, deadline;

    if (!(vm_sregs(&p->vm)->apic_base & APIC_BASE_EN))
        return;
    lapic_get(p, &l);
    uint32_t lvtt = lapic_reg(&l, LAPIC_LVTT);
    if (!(lapic_reg(&l, LAPIC_SVR) & APIC_SVR_ENABLE) ||
        (lvtt & LVT_MASKED) || TIMER_MODE(lvtt) != TIMER_DEADLINE ||
        (lvtt & 0xFF) < 16)
        return;
    if (!vm_msr(&p->vm, false, APIC_TSC_DEADLINE_MSR, &deadline) ||
        deadline == 0 || !vm_msr(&p->vm, false, MSR_IA32_TSC, &tsc) ||
        tsc < deadline)
        return;
    deadline = 0;
    if (!vm_msr(&p->vm, true, APIC_TSC_DEADLINE_MSR, &deadline))
        errx(STATUS_OSERR, "KVM would not clear the guest's TSC deadline "
             "(KVM_SET_MSRS)");
    lapic_vec_set(&l, LAPIC_IRR, lvtt & 0xFF, 1);
    lapic_set(p, &l);
}

bool lapic_extint_open(struct pmvm *p)
{
    struct kvm_lapic_state l;

    if (!(vm_sregs(&p->vm)->apic_base & (1u << 11))) /* EN */
        return true;
    lapic_get(p, &l);
    uint32_t lvt0 = lapic_reg(&l, LAPIC_LVT0);
    return !(lvt0 & (1u << 16)) && ((lvt0 >> 8) & 7u) == 7u; /* ExtINT */
}
