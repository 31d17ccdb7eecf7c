/* msr.c: the MSR filter that sends chosen guest RDMSR/WRMSR to pmvm, and their handlers. */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/exits.h"
#include "vmm/msr.h"
#include "vmm/status.h"

#define MSR_EFER 0xC0000080u
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define CR0_PG (1ull << 31)

enum msr_result { MSR_OK, MSR_GP };

struct msr_handler {
    uint32_t first, count;
    int (*read)(struct pmvm *p, uint32_t msr, uint64_t *val);
    int (*write)(struct pmvm *p, uint32_t msr, uint64_t val);
};

/*
 * EFER. On the nested PVM hosts pmvm is developed on, a guest's own WRMSR
 * that sets EFER.LME from 32-bit mode triple-faults, but the same value
 * applied through KVM_SET_SREGS works (docs/architecture.md). So pmvm
 * applies every guest EFER write itself, with the architectural checks;
 * on ordinary hosts this is equally correct. Reads stay with KVM.
 */
static int efer_write(struct pmvm *p, uint32_t msr, uint64_t val)
{
    (void)msr;
    struct kvm_sregs *s = vm_sregs(&p->vm);
    if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
        return MSR_GP;
    if ((s->cr0 & CR0_PG) && ((val ^ s->efer) & EFER_LME))
        return MSR_GP; /* LME cannot change while paging is on */
    uint64_t efer = (val & ~EFER_LMA) | (s->efer & EFER_LMA);
    /* Nested PVM re-executes a WRMSR whose exit changed EFER, so the
     * same write arrives twice; the second must leave EFER alone. */
    if (efer != s->efer) {
        s->efer = efer;
        vm_sregs_dirty(&p->vm);
    }
    return MSR_OK;
}

static const struct msr_handler msr_handlers[] = {
    {MSR_EFER, 1, NULL, efer_write},
};
#define NHANDLERS (sizeof msr_handlers / sizeof msr_handlers[0])

static const struct msr_handler *msr_find(uint32_t msr)
{
    for (size_t i = 0; i < NHANDLERS; i++)
        if (msr - msr_handlers[i].first < msr_handlers[i].count)
            return &msr_handlers[i];
    return NULL;
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
     * means an exit to pmvm. One zero byte per 8 MSRs. */
    static uint8_t deny[0x600];
    struct kvm_msr_filter f = {.flags = KVM_MSR_FILTER_DEFAULT_ALLOW};
    if (NHANDLERS > KVM_MSR_FILTER_MAX_RANGES)
        errx(STATUS_SOFTWARE, "too many MSR ranges for one filter");
    for (size_t i = 0; i < NHANDLERS; i++) {
        const struct msr_handler *h = &msr_handlers[i];
        f.ranges[i] = (struct kvm_msr_filter_range){
            .flags = (h->read ? KVM_MSR_FILTER_READ : 0) |
                     (h->write ? KVM_MSR_FILTER_WRITE : 0),
            .nmsrs = h->count,
            .base = h->first,
            .bitmap = deny,
        };
    }
    if (ioctl(p->vm.vm_fd, KVM_X86_SET_MSR_FILTER, &f) < 0)
        err(STATUS_UNAVAILABLE, "KVM_X86_SET_MSR_FILTER");
}

int exit_rdmsr(struct pmvm *p)
{
    struct kvm_run *run = p->vm.run;
    const struct msr_handler *h = msr_find(run->msr.index);
    uint64_t val = 0;
    int r = h && h->read ? h->read(p, run->msr.index, &val) : MSR_GP;
    run->msr.error = r != MSR_OK;
    run->msr.data = r == MSR_OK ? val : 0;
    if (p->trace)
        fprintf(stderr, "pmvm: trace: rdmsr 0x%x -> %s0x%llx\n",
                run->msr.index, r == MSR_OK ? "" : "#GP ",
                (unsigned long long)val);
    return RUN_CONTINUE;
}

int exit_wrmsr(struct pmvm *p)
{
    struct kvm_run *run = p->vm.run;
    const struct msr_handler *h = msr_find(run->msr.index);
    int r = h && h->write ? h->write(p, run->msr.index, run->msr.data)
                          : MSR_GP;
    run->msr.error = r != MSR_OK;
    if (p->trace)
        fprintf(stderr, "pmvm: trace: wrmsr 0x%x 0x%llx -> %s\n",
                run->msr.index, (unsigned long long)run->msr.data,
                r == MSR_OK ? "ok" : "#GP");
    return RUN_CONTINUE;
}
