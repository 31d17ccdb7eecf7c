/* vtsc.c: a counted region's clock: RDTSC in the engine reads the guest's TSC at the region's start plus the model's cycles since, and KVM's TSC resumes from there. */
#include <err.h>

#include "arch/x86.h"
#include "pmu/pmu.h"
#include "vmm/pmvm.h"
#include "vmm/status.h"
#include "vmm/vpmu/vtsc.h"


/*
 * The engine runs a guest many times slower than the CPU does, so the
 * host's TSC would make a counted loop look a hundred times longer than
 * its cycles. kvm-unit-tests calibrates reference cycles against the TSC
 * (x86/pmu.c, set_ref_cycle_expectations), as software on hardware may:
 * in a counted region the TSC advances with the model's reference clock,
 * which runs at the core's nominal rate (docs/counting.md). The guest
 * sees it increase monotonically across the region's ends: KVM's TSC is
 * set, when the region ends, to where the region's clock got.
 */
static uint64_t kvm_tsc(struct pmvm *p, bool set, uint64_t v)
{
    if (!vm_msr(&p->vm, set, MSR_IA32_TSC, &v))
        errx(STATUS_OSERR, "KVM would not %s the guest's TSC (%s)",
             set ? "set" : "read", set ? "KVM_SET_MSRS" : "KVM_GET_MSRS");
    return v;
}

void vtsc_start(struct pmvm *p)
{
    /* A Linux guest's timers are KVM's (the local APIC's TSC deadline,
     * kvm-clock), which run on KVM's TSC: a TSC of the model's cycles
     * would fall behind them, and every deadline the kernel set would be
     * past at once. Its TSC stays KVM's while the engine counts. */
    if (p->vtsc.on || p->machine == MACHINE_LINUX)
        return;
    p->vtsc.base = kvm_tsc(p, false, 0);
    p->vtsc.cycles0 = pmu_core_cycles(p->pmu);
    p->vtsc.on = true;
}

uint64_t vtsc_now(const struct pmvm *p)
{
    return p->vtsc.base + (pmu_core_cycles(p->pmu) - p->vtsc.cycles0);
}

void vtsc_stop(struct pmvm *p)
{
    if (!p->vtsc.on)
        return;
    kvm_tsc(p, true, vtsc_now(p));
    p->vtsc.on = false;
}
