/* cpuid.c: the CPUID the guest sees, set with KVM_SET_CPUID2 before the first run. */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "vmm/cpuid.h"
#include "vmm/status.h"

static struct kvm_cpuid2 *cpuid_supported(int kvm_fd)
{
    /* KVM says E2BIG until the buffer holds every entry. */
    for (unsigned n = 64; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof *c +
                                      n * sizeof(struct kvm_cpuid_entry2));
        if (!c)
            err(STATUS_OSERR, "calloc");
        c->nent = n;
        if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
            return c;
        free(c);
        if (errno != E2BIG)
            err(STATUS_OSERR, "KVM_GET_SUPPORTED_CPUID");
    }
    errx(STATUS_OSERR, "KVM_GET_SUPPORTED_CPUID: too many entries");
}

void cpuid_setup(struct pmvm *p)
{
    struct kvm_cpuid2 *c = cpuid_supported(p->vm.kvm_fd);
    if (ioctl(p->vm.vcpu_fd, KVM_SET_CPUID2, c) < 0)
        err(STATUS_OSERR, "KVM_SET_CPUID2");
    free(c);
}
