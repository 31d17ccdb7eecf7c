/* msr.c: the MSR filter that sends every PMU MSR and EFER writes to pmvm, and their handlers. */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86.h"
#include "pmu/pmu.h"
#include "vmm/vpmu/count.h"
#include "vmm/vpmu/cpuid.h"
#include "vmm/exits.h"
#include "vmm/vpmu/msr.h"
#include "vmm/vpmu/msr_spec.h"
#include "vmm/status.h"
#include "vmm/vpmu/trap.h"

/*
 * EFER. On the nested PVM hosts pmvm is developed on, a guest's own WRMSR
 * that sets EFER.LME from 32-bit mode triple-faults, but the same value
 * applied through KVM_SET_SREGS works (docs/architecture.md). So pmvm
 * applies every guest EFER write itself, with the architectural checks;
 * on ordinary hosts this is equally correct. Reads stay with KVM.
 */
static bool efer_write(struct pmvm *p, uint64_t val)
{
    struct kvm_sregs *s = vm_sregs(&p->vm);
    uint32_t ext[4] = {0};
    uint64_t efer;

    /* LME and NXE as the guest's CPUID offers them, as KVM checks */
    cpuid_lookup(p, s->cr4, 0x80000001u, 0, ext);
    if (!x86_efer_write(s->efer, s->cr0, val, x86_efer_allowed(ext[3]),
                        &efer))
        return false;
    /* Nested PVM re-executes a WRMSR whose exit changed EFER, so the
     * same write arrives twice; the second must leave EFER alone. */
    if (efer != s->efer) {
        s->efer = efer;
        vm_sregs_dirty(&p->vm);
    }
    return true;
}

void msr_filter_install(struct pmvm *p)
{
    struct kvm_enable_cap cap = {
        .cap = KVM_CAP_X86_USER_SPACE_MSR,
        .args = {KVM_MSR_EXIT_REASON_FILTER},
    };
    if (ioctl(p->vm.vm_fd, KVM_ENABLE_CAP, &cap) < 0)
        err(STATUS_UNAVAILABLE, "cannot enable KVM_CAP_X86_USER_SPACE_MSR");

    /* A clear bit denies the access, which with the capability above
     * means an exit to pmvm; the PMU ranges include the MSRs KVM would
     * otherwise answer itself (0xC1, 0xC2, 0x186, 0x187). */
    static uint8_t deny[KVM_MSR_FILTER_MAX_BITMAP_SIZE];
    struct kvm_msr_filter f = {.flags = KVM_MSR_FILTER_DEFAULT_ALLOW};
    const struct pmu_msr_range *ranges;
    size_t n = pmu_msr_ranges(&ranges);
    if (n + 1 + MSR_SPEC_RANGES > KVM_MSR_FILTER_MAX_RANGES)
        errx(STATUS_SOFTWARE, "%zu PMU MSR ranges do not fit one filter", n);
    for (size_t i = 0; i < n; i++) {
        if (ranges[i].count > sizeof deny * 8)
            errx(STATUS_SOFTWARE, "PMU MSR range 0x%x is too large",
                 ranges[i].first);
        f.ranges[i] = (struct kvm_msr_filter_range){
            .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
            .nmsrs = ranges[i].count,
            .base = ranges[i].first,
            .bitmap = deny,
        };
    }
    f.ranges[n++] = (struct kvm_msr_filter_range){
        .flags = KVM_MSR_FILTER_WRITE, .nmsrs = 1, .base = MSR_EFER,
        .bitmap = deny,
    };
    for (size_t i = 0; i < MSR_SPEC_RANGES; i++)
        f.ranges[n++] = (struct kvm_msr_filter_range){
            .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
            .nmsrs = msr_spec_ranges[i][1], .base = msr_spec_ranges[i][0],
            .bitmap = deny,
        };
    if (ioctl(p->vm.vm_fd, KVM_X86_SET_MSR_FILTER, &f) < 0)
        err(STATUS_UNAVAILABLE, "KVM_X86_SET_MSR_FILTER");
}

static void msr_trace(struct pmvm *p, const char *kind, uint32_t msr,
                      uint64_t val, bool ok, const char *rule)
{
    rdpmc_trace_flush(p);
    fprintf(stderr, "pmvm: trace: %s 0x%x %s0x%llx (%s)\n", kind, msr,
            ok ? "" : "#GP ", (unsigned long long)val, rule ? rule : "");
}

bool msr_pmu_read(struct pmvm *p, uint32_t msr, uint64_t *val)
{
    const char *rule = NULL;
    bool ok = pmu_rdmsr(p->pmu, msr, val, &rule) == PMU_OK;

    if (!ok)
        *val = 0;
    if (p->trace)
        msr_trace(p, "rdmsr", msr, *val, ok, rule);
    return ok;
}

bool msr_pmu_write(struct pmvm *p, uint32_t msr, uint64_t val)
{
    const char *rule = NULL;
    bool ok = pmu_wrmsr(p->pmu, msr, val, &rule) == PMU_OK;

    if (p->trace)
        msr_trace(p, "wrmsr", msr, val, ok, rule);
    return ok;
}

bool msr_other_read(struct pmvm *p, uint32_t msr, uint64_t *val)
{
    bool ok = msr_spec_read(p, msr, val);

    if (p->trace)
        msr_trace(p, "rdmsr", msr, *val, ok, "speculation control: KVM's "
                  "rules for the guest's CPUID");
    return ok;
}

bool msr_other_write(struct pmvm *p, uint32_t msr, uint64_t val)
{
    bool ok = msr_spec_write(p, msr, val);

    if (p->trace)
        msr_trace(p, "wrmsr", msr, val, ok, "speculation control: KVM's "
                  "rules for the guest's CPUID");
    return ok;
}

bool msr_is_other(uint32_t msr)
{
    return msr_spec_owns(msr);
}

int exit_rdmsr(struct pmvm *p)
{
    struct kvm_run *run = p->vm.run;
    uint64_t val;
    bool ok = pmu_msr_owned(run->msr.index)
                  ? msr_pmu_read(p, run->msr.index, &val)
                  : msr_other_read(p, run->msr.index, &val);

    run->msr.error = !ok;
    run->msr.data = val;
    count_on_completed_exit(p, ok);
    return RUN_CONTINUE;
}

int exit_wrmsr(struct pmvm *p)
{
    struct kvm_run *run = p->vm.run;
    bool ok;

    if (run->msr.index == MSR_EFER) {
        ok = efer_write(p, run->msr.data);
        if (p->trace)
            msr_trace(p, "wrmsr", run->msr.index, run->msr.data, ok,
                      "EFER: applied by pmvm");
    } else if (pmu_msr_owned(run->msr.index)) {
        ok = msr_pmu_write(p, run->msr.index, run->msr.data);
    } else {
        ok = msr_other_write(p, run->msr.index, run->msr.data);
    }
    run->msr.error = !ok;
    /* The write may start or stop counting; the WRMSR itself counts if a
     * counter is enabled after it (checklist 47). */
    if (ok && count_update(p))
        bridge_counting_changed(p);
    count_on_completed_exit(p, ok);
    return RUN_CONTINUE;
}
