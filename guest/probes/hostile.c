/* hostile.c: what a guest may rely on while pmvm traps, steps and counts around it: no #DB, TF or breakpoint of pmvm's reaches it. */
#include "guest.h"
#include "x86.h"

/*
 * Each test counts the debug exceptions (#DB, vector 1) the guest takes
 * while it does something pmvm may single-step, hand to KVM or answer
 * itself; the guest sets no TF and no breakpoint, so the right count is
 * 0 (SDM 18.3: #DB comes only from DR0-DR3, TF, ICEBP or a task switch).
 * tests/integration/hostile.sh runs it under every --trap, --count and
 * --cpl0 mode, with and without a counter counting.
 */

/* An MSR index no CPU and no KVM has: every KVM refuses it (#GP), where
 * a non-canonical FS_BASE write (kvm-unit-tests' msr.flat's) raises
 * nothing under QEMU TCG. */
#define MSR_NONE 0xDEADBEEFu
#define MSR_FS_BASE 0xC0000100u
#define MSR_GLOBAL_CTRL 0x38Fu
#define MSR_EVTSEL0 0x186u

static uint64_t user_rdtsc(uint64_t arg)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return arg + ((uint64_t)hi << 32 | lo) * 0;
}

/* x87, which the engine leaves to KVM: FNINIT, FLD1, FISTP gives 1. */
static uint64_t user_x87(uint64_t arg)
{
    volatile int64_t one = 0;
    (void)arg;
    __asm__ volatile("fninit; fld1; fistpll %0" : "=m"(one));
    return (uint64_t)one;
}

static uint64_t user_pushf(uint64_t arg)
{
    uint64_t f;
    (void)arg;
    __asm__ volatile("pushfq; pop %0" : "=r"(f));
    return f;
}

static uint64_t pushf_cpl0(void)
{
    uint64_t f;
    __asm__ volatile("pushfq; pop %0" : "=r"(f));
    return f;
}

/* The guest's own #DB: ICEBP (INT1) at CPL3, a trap to vector 1 (SDM
 * Vol. 2, "INT n/INTO/INT3/INT1"): the frame's RIP is the next one. */
__attribute__((noinline)) static uint64_t user_icebp(uint64_t arg)
{
    __asm__ volatile(".byte 0xf1\n.globl icebp_next\nicebp_next:");
    return arg;
}
extern const char icebp_next[];

/* A CPU without ICEBP raises #UD at it (QEMU 7.2's TCG: cpu_icebp.c in
 * tests/); counted and stepped over, so that the result says so and the
 * rest still runs. */
static unsigned icebp_ud;
static void on_icebp_ud(struct ex_regs *r)
{
    if (r->rip != (uint64_t)icebp_next - 1) {
        printf("Bail out! unexpected #UD at rip %#llx\n",
               (unsigned long long)r->rip);
        exit(GUEST_EXIT_PANIC);
    }
    icebp_ud++;
    r->rip++;
}

/* One test: (what) ran, and no #DB came of it. */
static void no_debug(const char *what)
{
    bool none = debug_tally_none();
    ktap_result(none, "%s: no #DB", what);
}

static void tests(const char *when)
{
    uint32_t err;
    uint64_t v;

    /* A WRMSR KVM refuses, which the engine hands to it: #GP, then on. */
    uint8_t vec = wrmsr_safe(MSR_NONE, 0xaaaaaaaaaaaaaaaaull, &err);
    for (volatile int i = 0; i < 4; i++)
        ;
    ktap_result(vec == 13, "%s: a write of an MSR nobody has raises #GP "
                "(got %s)", when, exception_outcome(vec, err));
    /* msr.flat's: a non-canonical FS_BASE, whose #GP frame once carried
     * the step's TF on nested PVM (TCG raises no #GP: only the #DB that
     * must not come is looked at). */
    wrmsr_safe(MSR_FS_BASE, 0xaaaaaaaaaaaaaaaaull, &err);
    wrmsr_safe(MSR_FS_BASE, 0, &err);
    for (volatile int i = 0; i < 4; i++)
        ;
    no_debug(when);
    /* PUSHF at CPL0 and CPL3: the image holds no TF. */
    v = pushf_cpl0();
    ktap_result(!(v & RFLAGS_TF), "%s: PUSHF at CPL0 shows no TF (0x%llx)",
                when, (unsigned long long)v);
    v = run_user(user_pushf, 0);
    ktap_result(!(v & RFLAGS_TF), "%s: PUSHF at CPL3 shows no TF (0x%llx)",
                when, (unsigned long long)v);
    no_debug(when);
    /* RDTSC at CPL3, which the engine may hand to KVM. */
    run_user(user_rdtsc, 0);
    no_debug(when);
    /* x87 at CPL3, which it does hand to KVM; a CPU whose CPUID offers
     * no FPU (CPUID.1:EDX[0]; pmvm's engine as the CPU) is not asked. */
    uint32_t r[4];
    cpuid(1, 0, r);
    if (r[3] & 1) {
        v = run_user(user_x87, 0);
        ktap_result(v == 1, "%s: FNINIT, FLD1, FISTP at CPL3 give 1 (%llu)",
                    when, (unsigned long long)v);
    } else {
        ktap_skip("this CPU's CPUID offers no x87 (CPUID.1:EDX.FPU)",
                  "%s: FNINIT, FLD1, FISTP at CPL3 give 1", when);
    }
    no_debug(when);
    /* The guest's own ICEBP at CPL3: its #DB, once, past the ICEBP. */
    icebp_ud = 0;
    set_exception_handler(6, on_icebp_ud);
    run_user(user_icebp, 0);
    set_exception_handler(6, NULL);
    if (!ktap_result(debug_tally.traps == 1 &&
                         debug_tally.rip == (uint64_t)icebp_next &&
                         !icebp_ud,
                     "%s: ICEBP at CPL3 gives the guest its one #DB", when))
        ktap_diag("%u #DB, the last at rip 0x%llx, want 1 at 0x%llx; "
                  "%u #UD at the ICEBP", debug_tally.traps,
                  (unsigned long long)debug_tally.rip,
                  (unsigned long long)(uint64_t)icebp_next, icebp_ud);
    debug_tally.traps = 0;
}

#define TESTS 9

int main(void)
{
    debug_tally_start();
    ktap_plan(2 * TESTS);
    tests("nothing counts");
    /* Instructions retired, at CPL0 and CPL3: the engine, or KVM
     * single-stepping, runs everything from here. A version 1 PMU has
     * no GLOBAL_CTRL (its #GP is no matter); a model without GP counters
     * cannot count. */
    uint32_t err;
    if (wrmsr_safe(MSR_EVTSEL0, 0xC0 | (3ull << 16) | (1ull << 22),
                   &err)) {
        for (unsigned i = 0; i < TESTS; i++)
            ktap_skip("the model has no GP counter", "a counter counts");
        ktap_exit();
    }
    wrmsr_safe(MSR_GLOBAL_CTRL, 1, &err);
    tests("a counter counts");
    wrmsr_safe(MSR_GLOBAL_CTRL, 0, &err);
    wrmsr(MSR_EVTSEL0, 0);
    ktap_exit();
}
