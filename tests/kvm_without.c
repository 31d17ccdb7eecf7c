/* kvm_without.c: runs a program on a /dev/kvm that lacks one capability, to test how pmvm refuses it. */
/*
 * usage: kvm_without KVM_CAP_NAME PROGRAM [ARGS...]
 *
 * A kernel without a capability answers KVM_CHECK_EXTENSION for it with 0.
 * This launcher makes the running kernel do exactly that, for one
 * capability and from outside the program: a seccomp filter returns 0
 * (SCMP_ACT_ERRNO(0): the call is skipped and returns 0) for
 * ioctl(any, KVM_CHECK_EXTENSION, cap), then it execs PROGRAM. pmvm itself
 * is unchanged and has no test hook; it sees what it would see on such a
 * kernel, as far as KVM_CHECK_EXTENSION goes (the capability's ioctls
 * themselves still work, which a check-first program never reaches).
 */
#include <err.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define CAP(x) {#x, x}
static const struct {
    const char *name;
    int cap;
} caps[] = {
    CAP(KVM_CAP_IRQCHIP), CAP(KVM_CAP_USER_MEMORY), CAP(KVM_CAP_EXT_CPUID),
    CAP(KVM_CAP_MP_STATE), CAP(KVM_CAP_SET_GUEST_DEBUG),
    CAP(KVM_CAP_SIGNAL_MSI), CAP(KVM_CAP_IMMEDIATE_EXIT),
    CAP(KVM_CAP_X86_USER_SPACE_MSR), CAP(KVM_CAP_X86_MSR_FILTER),
    CAP(KVM_CAP_SYNC_REGS), CAP(KVM_CAP_PMU_CAPABILITY),
};

int main(int argc, char **argv)
{
    if (argc < 3)
        errx(64, "usage: kvm_without KVM_CAP_NAME PROGRAM [ARGS...]");
    int cap = -1;
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        if (strcmp(argv[1], caps[i].name) == 0)
            cap = caps[i].cap;
    if (cap < 0)
        errx(64, "kvm_without: unknown capability %s", argv[1]);

    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        errx(71, "seccomp_init failed");
    int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(0), SCMP_SYS(ioctl), 2,
                             SCMP_A1(SCMP_CMP_EQ, KVM_CHECK_EXTENSION),
                             SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)cap));
    if (r == 0)
        r = seccomp_load(ctx);
    if (r < 0)
        errx(71, "kvm_without: seccomp: %s", strerror(-r));
    seccomp_release(ctx);
    execv(argv[2], argv + 2);
    err(71, "kvm_without: cannot run %s", argv[2]);
}
