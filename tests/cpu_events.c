/* cpu_events.c: how this machine's CPU raises two events that tests leave to it under --count=step: ICEBP, and INT n through a gate user code may not use. */
/*
 * usage: cpu_events
 * Prints two lines and exits 0:
 *   icebp #DB        ICEBP (INT1, 0xF1) in user space is a trap to vector
 *                    1, as the SDM has it (Vol. 2B "INTn/INTO/INT3/INT1";
 *                    Linux sends SIGTRAP), or "#UD" (SIGILL) on a CPU
 *                    without it: QEMU 7.2's TCG, which translates 0xF1
 *                    only when built with WANT_ICEBP;
 *   int_gp 0x6a      the error code of the #GP that `int $0x0d` raises at
 *                    CPL3 through Linux's DPL-0 gate: the vector times 8
 *                    plus 2 (IDT), SDM 6.13; QEMU's TCG before its fix of
 *                    January 2023 (QEMU issue 1382) gives the vector times
 *                    16 plus 2, 0xd2, for 64-bit IDT entries, and so for
 *                    an INT n beyond the IDT's limit.
 * The test VM of docs/testing.md runs its KVM on QEMU 7.2's TCG, so its
 * guests' ICEBP and such #GPs are that CPU's under --count=step.
 * Anything unexpected: one line on stderr and 2.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static sigjmp_buf back;
static volatile int got_sig;
static volatile long long got_err;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    got_sig = sig;
    got_err = ((ucontext_t *)uc)->uc_mcontext.gregs[REG_ERR];
    siglongjmp(back, 1);
}

int main(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTRAP, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);

    if (!sigsetjmp(back, 1))
        __asm__ volatile(".byte 0xf1" ::: "memory");
    if (got_sig != SIGTRAP && got_sig != SIGILL) {
        fprintf(stderr, "cpu_events: ICEBP raised signal %d\n", got_sig);
        return 2;
    }
    printf("icebp %s\n", got_sig == SIGTRAP ? "#DB" : "#UD");

    got_sig = 0;
    if (!sigsetjmp(back, 1))
        __asm__ volatile("int $0x0d" ::: "memory");
    if (got_sig != SIGSEGV) {
        fprintf(stderr, "cpu_events: int $0x0d raised signal %d\n", got_sig);
        return 2;
    }
    printf("int_gp %#llx\n", got_err);
    return 0;
}
