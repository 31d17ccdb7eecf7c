/* sandbox.c: drops capabilities, sets no_new_privs and installs the run loop's seccomp allowlist. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "vmm/sandbox.h"
#include "vmm/status.h"

/* Every KVM ioctl the run loop makes (vmm/vcpu_run.c and its handlers,
 * vmm/vpmu/pmi.c, vmm/vpmu/trap.c), and those of the host probe's throw-away VM
 * (vmm/host_probe.c), which counting may start from inside the run loop. */
static const unsigned long kvm_ioctls[] = {
    KVM_RUN,
    KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
    KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS, KVM_GET_MP_STATE,
    KVM_SET_GUEST_DEBUG, KVM_GET_LAPIC, KVM_SET_LAPIC, KVM_SIGNAL_MSI,
    KVM_NMI,
    /* the 8259's ExtINT vectors (vmm/vcpu_run.c); --machine=linux's
     * device interrupts into KVM's irqchip */
    KVM_INTERRUPT, KVM_IRQ_LINE,
    /* the engine's SYSCALL, SWAPGS, RDTSC(P) and RDPID MSRs (vmm/vpmu/engine_bridge.c),
     * the speculation-control MSRs (vmm/vpmu/msr_spec.c) */
    KVM_GET_MSRS, KVM_SET_MSRS,
    /* the guest's own debug registers, which the engine honours */
    KVM_GET_DEBUGREGS, KVM_SET_DEBUGREGS,
    /* the x87/SSE/AVX state and XCR0 of the engine's FXSAVE, XSAVE,
     * XRSTOR, XSETBV, ... (vmm/vpmu/xstate.c) */
    KVM_GET_XSAVE, KVM_SET_XSAVE, KVM_GET_XCRS, KVM_SET_XCRS,
    /* the pages KVM wrote, whose decoded instructions the engine drops
     * (vmm/vpmu/engine_bridge.c) */
    KVM_GET_DIRTY_LOG,
    /* host probe; the shadow flush's slot (vmm/vm.c) */
    KVM_CREATE_VM, KVM_SET_USER_MEMORY_REGION, KVM_CREATE_VCPU,
    KVM_GET_VCPU_MMAP_SIZE, KVM_GET_STATS_FD,
};

/* System calls allowed whatever their arguments. */
static const int plain_syscalls[] = {
    SCMP_SYS(brk),          /* malloc */
    SCMP_SYS(munmap),       /* teardown, host probe, free */
    SCMP_SYS(close),        /* teardown, host probe */
    SCMP_SYS(newfstatat),   /* stdio sizing stdout's buffer (a tty) */
    SCMP_SYS(rt_sigaction), /* the watchdog's tick */
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(setitimer),
    SCMP_SYS(exit_group),
    SCMP_SYS(pread64),      /* host probe: the vCPU's statistics */
    SCMP_SYS(poll),         /* the console, on a non-blocking stdout */
};

static void rule(scmp_filter_ctx ctx, int nr, unsigned count,
                 const struct scmp_arg_cmp *cmp)
{
    int r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, count, cmp);
    if (r < 0)
        errx(STATUS_OSERR, "sandbox: cannot add the rule for system call "
             "%d: %s", nr, strerror(-r));
}

#if defined(__SANITIZE_ADDRESS__)
/*
 * SAN=1 builds only: what the sanitizer runtime does after set-up, found
 * with SCMP_ACT_LOG over every probe and over programs with a leak, a
 * use-after-free and a signed overflow: LeakSanitizer's check at exit (a
 * tracer thread that ptraces the process and reads /proc/self/task and
 * /proc/self/maps) and the reports (symbolizing from the binary's debug
 * information, isatty for colours, a pipe that UBSan writes memory into to
 * see whether it is readable). Files are opened read-only; the KVM ioctls
 * stay limited, and exec, sockets and the rest stay forbidden.
 */
static const int sanitizer_syscalls[] = {
    SCMP_SYS(gettid), SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(prctl),
    SCMP_SYS(rt_sigprocmask), SCMP_SYS(sigaltstack), SCMP_SYS(clone),
    SCMP_SYS(wait4), SCMP_SYS(ptrace), SCMP_SYS(sched_yield),
    SCMP_SYS(futex), SCMP_SYS(exit), SCMP_SYS(read), SCMP_SYS(lseek),
    SCMP_SYS(fstat), SCMP_SYS(fcntl), SCMP_SYS(readlink),
    SCMP_SYS(getdents), SCMP_SYS(getdents64), SCMP_SYS(pipe2),
    SCMP_SYS(madvise),      /* the ASan allocator's shadow */
    SCMP_SYS(write),        /* UBSan probes memory by writing it to a pipe */
};

static void sanitizer_allow(scmp_filter_ctx ctx)
{
    for (size_t i = 0;
         i < sizeof sanitizer_syscalls / sizeof sanitizer_syscalls[0]; i++)
        rule(ctx, sanitizer_syscalls[i], 0, NULL);
    struct scmp_arg_cmp ro1 = SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE,
                                      O_RDONLY);
    struct scmp_arg_cmp ro2 = SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE,
                                      O_RDONLY);
    rule(ctx, SCMP_SYS(open), 1, &ro1);
    rule(ctx, SCMP_SYS(openat), 1, &ro2);
    struct scmp_arg_cmp tcgets = SCMP_A1(SCMP_CMP_EQ, TCGETS);
    rule(ctx, SCMP_SYS(ioctl), 1, &tcgets);
    /* --machine=linux's terminal put back (read is allowed above) */
    struct scmp_arg_cmp tty_set[2] = {SCMP_A0(SCMP_CMP_EQ, 0),
                                      SCMP_A1(SCMP_CMP_EQ, TCSETS)};
    rule(ctx, SCMP_SYS(ioctl), 2, tty_set);
}
#else
/* The guest's console and pmvm's own lines; nothing else is open for
 * writing. stdio asks whether they are terminals (TCGETS) the first time
 * it writes one that is a character device. */
static void console_allow(scmp_filter_ctx ctx)
{
    /* --machine=linux's COM1 input, and its terminal put back (glibc's
     * tcsetattr() reads the settings, TCGETS, before it sets them) */
    struct scmp_arg_cmp in = SCMP_A0(SCMP_CMP_EQ, 0);
    struct scmp_arg_cmp tty_set[2] = {in, SCMP_A1(SCMP_CMP_EQ, TCSETS)};
    struct scmp_arg_cmp tty_get[2] = {in, SCMP_A1(SCMP_CMP_EQ, TCGETS)};
    rule(ctx, SCMP_SYS(read), 1, &in);
    rule(ctx, SCMP_SYS(ioctl), 2, tty_set);
    rule(ctx, SCMP_SYS(ioctl), 2, tty_get);
    for (int fd = 1; fd <= 2; fd++) {
        struct scmp_arg_cmp out = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd);
        struct scmp_arg_cmp tty[2] = {out, SCMP_A1(SCMP_CMP_EQ, TCGETS)};
        rule(ctx, SCMP_SYS(write), 1, &out);
        rule(ctx, SCMP_SYS(ioctl), 2, tty);
    }
}
#endif

static void caps_drop(void)
{
    cap_t cur = cap_get_proc();
    if (!cur)
        err(STATUS_OSERR, "sandbox: cap_get_proc");
    cap_flag_value_t setpcap = CAP_CLEAR;
    if (CAP_IS_SUPPORTED(CAP_SETPCAP))
        cap_get_flag(cur, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
    cap_free(cur);
    /* The bounding set first: emptying it needs CAP_SETPCAP, which the
     * clear below takes away. An unprivileged user has nothing to drop. */
    if (setpcap == CAP_SET)
        for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++)
            if (cap_drop_bound(c) < 0 && errno != EINVAL)
                err(STATUS_OSERR, "sandbox: cannot drop capability %d "
                    "from the bounding set", c);
    cap_t none = cap_init();
    if (!none)
        err(STATUS_OSERR, "sandbox: cap_init");
    if (cap_clear(none) < 0 || cap_set_proc(none) < 0)
        err(STATUS_OSERR, "sandbox: cannot drop capabilities");
    cap_free(none);
}

static void allowlist_add(scmp_filter_ctx ctx)
{
    for (size_t i = 0; i < sizeof plain_syscalls / sizeof plain_syscalls[0];
         i++)
        rule(ctx, plain_syscalls[i], 0, NULL);
    for (size_t i = 0; i < sizeof kvm_ioctls / sizeof kvm_ioctls[0]; i++) {
        struct scmp_arg_cmp req = SCMP_A1(SCMP_CMP_EQ, kvm_ioctls[i]);
        rule(ctx, SCMP_SYS(ioctl), 1, &req);
    }
    /* Memory, never executable: nothing in pmvm needs new code. */
    struct scmp_arg_cmp noexec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
    rule(ctx, SCMP_SYS(mmap), 1, &noexec);
    rule(ctx, SCMP_SYS(mprotect), 1, &noexec);
    /* A rule that a broader one later makes redundant is pruned from
     * libseccomp's tree and leaked (Debian 12's 2.5.4), so the sanitizer
     * build, which allows write and TCGETS on every descriptor, adds
     * those instead of, not after, the console's. */
#if defined(__SANITIZE_ADDRESS__)
    sanitizer_allow(ctx);
#else
    console_allow(ctx);
#endif
}

void sandbox_install(void)
{
    caps_drop();
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        err(STATUS_OSERR, "sandbox: PR_SET_NO_NEW_PRIVS");
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        errx(STATUS_OSERR, "sandbox: seccomp_init failed");
    /* A system call made through another ABI (i386, x32) dies too. */
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
                             SCMP_ACT_KILL_PROCESS);
    if (r < 0)
        errx(STATUS_OSERR, "sandbox: SCMP_FLTATR_ACT_BADARCH: %s",
             strerror(-r));
    allowlist_add(ctx);
    r = seccomp_load(ctx);
    if (r < 0)
        errx(STATUS_OSERR, "sandbox: cannot install the seccomp filter: %s",
             strerror(-r));
    seccomp_release(ctx);
}
