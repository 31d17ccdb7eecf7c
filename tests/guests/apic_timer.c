/* apic_timer.c: the local APIC timer wakes a HLT, one-shot, periodic and TSC-deadline, each no sooner than its time on the TSC, and interrupts a loop that never halts, through vector 32 (the runtime's one external vector). */
#include "guest.h"
#include "x86.h"

/* xAPIC registers (SDM vol. 3, Table 11-1), identity-mapped. */
#define APIC_BASE 0xFEE00000ul
#define APIC_EOI 0xB0
#define APIC_SVR 0xF0
#define APIC_IRR 0x200   /* vectors 0-31; 0x210 32-63, ... */
#define APIC_LVTT 0x320
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define APIC_TDCR 0x3E0
#define TIMER_PERIODIC (1u << 17)
#define TIMER_TSC_DEADLINE (2u << 17)
#define MSR_TSC_DEADLINE 0x6E0u
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

/*
 * The timer counts at the APIC's bus rate divided by TDCR; pmvm's engine
 * and KVM both run that bus at 1 GHz and the TSC at 1 GHz or faster, so
 * N timer ticks at divide-by-1 take at least N TSC ticks. (A CPU whose TSC
 * is slower than its APIC bus would fail the "no sooner" checks.)
 */
static volatile unsigned ticks;

static volatile uint32_t *apic(unsigned reg)
{
    return (volatile uint32_t *)(APIC_BASE + reg);
}

static void on_timer(struct ex_regs *regs)
{
    (void)regs;
    ticks++;
    *apic(APIC_EOI) = 0;
}

/* Halt until (n) timer interrupts came; the TSC ticks it took. */
static uint64_t wait_ticks(unsigned n, uint64_t t0)
{
    while (ticks < n)
        __asm__ volatile("sti; hlt; cli");
    return rdtsc() - t0;
}

int main(void)
{
    uint32_t r[4];

    ktap_plan(5);
    set_exception_handler(PMI_VECTOR, on_timer);
    *apic(APIC_SVR) = 0x1FF;  /* software-enabled, spurious vector 0xFF */
    *apic(APIC_TDCR) = 0xB;   /* divide by 1 (SDM Figure 11-10) */

    *apic(APIC_LVTT) = PMI_VECTOR; /* one-shot */
    uint64_t t0 = rdtsc();
    *apic(APIC_TMICT) = 1000000;
    uint64_t dt = wait_ticks(1, t0);
    ktap_result(ticks == 1 && dt >= 1000000, "one-shot: a HLT wakes once, "
                "no sooner than 1,000,000 timer ticks (%llu TSC ticks)",
                (unsigned long long)dt);
    ktap_result(*apic(APIC_TMCCT) == 0, "one-shot: the current count is 0 "
                "after it expired (SDM 11.5.4)");

    ticks = 0;
    *apic(APIC_LVTT) = PMI_VECTOR | TIMER_PERIODIC;
    t0 = rdtsc();
    *apic(APIC_TMICT) = 100000;
    dt = wait_ticks(3, t0);
    *apic(APIC_TMICT) = 0; /* stops it */
    /* A fourth period may have ended before it stopped, its interrupt
     * still requested (IRR, interrupts off here): taken now, so that the
     * next wake is the TSC deadline's own, on a loaded host too. */
    if (*apic(APIC_IRR + PMI_VECTOR / 32 * 0x10) & (1u << PMI_VECTOR % 32))
        wait_ticks(ticks + 1, 0);
    ktap_result(dt >= 300000, "periodic: three interrupts, no sooner than "
                "three periods of 100,000 (%llu TSC ticks)",
                (unsigned long long)dt);

    cpuid(1, 0, r);
    if (!(r[2] & CPUID1_ECX_TSC_DEADLINE)) {
        ktap_skip("no TSC-deadline timer in CPUID", "TSC-deadline mode");
        ktap_skip("no TSC-deadline timer in CPUID", "TSC-deadline mode, "
                  "in a loop");
        ktap_exit();
    }
    ticks = 0;
    *apic(APIC_LVTT) = PMI_VECTOR | TIMER_TSC_DEADLINE;
    uint64_t deadline = rdtsc() + 500000;
    wrmsr(MSR_TSC_DEADLINE, deadline);
    wait_ticks(1, 0);
    uint64_t now = rdtsc();
    ktap_result(now >= deadline && rdmsr(MSR_TSC_DEADLINE) == 0,
                "TSC-deadline: a HLT wakes at the deadline, not before, and "
                "the MSR reads 0 after (SDM 11.5.4.1)");

    /* No HLT: the interrupt must come into a loop of plain instructions,
     * whichever of KVM and pmvm's engine runs it (--timeout ends a run
     * where it never comes). */
    ticks = 0;
    deadline = rdtsc() + 500000;
    wrmsr(MSR_TSC_DEADLINE, deadline);
    __asm__ volatile("sti");
    while (ticks == 0)
        ;
    __asm__ volatile("cli");
    now = rdtsc();
    ktap_result(now >= deadline && rdmsr(MSR_TSC_DEADLINE) == 0,
                "TSC-deadline: the interrupt comes into a loop that never "
                "halts, at the deadline, not before, and the MSR reads 0 "
                "after");
    ktap_exit();
}
