/* count.c: measures the KVM selftests' counting region (conformance checklist 5.4-5.6) on GP and fixed counters. */
#include "guest.h"

#define MSR_PMC0 0xC1u
#define MSR_EVTSEL0 0x186u
#define MSR_FIXED_CTR0 0x309u
#define MSR_FIXED_CTR3 0x30Cu
#define MSR_PERF_METRICS 0x329u
#define MSR_PERF_CAPABILITIES 0x345u
#define MSR_FIXED_CTR_CTRL 0x38Du
#define MSR_GLOBAL_STATUS 0x38Eu
#define MSR_GLOBAL_CTRL 0x38Fu
#define MSR_GLOBAL_OVF_CTRL 0x390u

#define EVTSEL_OS (1ull << 17)
#define EVTSEL_INT (1ull << 20)
#define EVTSEL_EN (1ull << 22)
#define EV_INSTRUCTIONS 0xC0u
#define EV_BRANCHES 0xC4u
#define EV_LLC_REFS 0x4F2Eu  /* LONGEST_LAT_CACHE.REFERENCE */
#define EV_LLC_MISSES 0x412Eu /* LONGEST_LAT_CACHE.MISS */
#define CAP_PERF_METRICS (1ull << 15)

/* Checklist item 47: 65 instructions (10 x 6 in the loop, 2 MOV, 2 XOR,
 * the enabling WRMSR) and 10 branches (the LOOPs; ENTER and LEAVE are
 * not branches). */
#define REGION_INSTRUCTIONS 65
#define REGION_BRANCHES 10
#define N_CHECKS 14

static volatile uint64_t line[8] __attribute__((aligned(64)));

/* WRMSR (msr) = enable, the region, WRMSR (msr) = 0: the KVM selftests'
 * measured code (pmu_counters_test GUEST_MEASURE_EVENT), CLFLUSH flavour. */
static void region(uint32_t msr, uint64_t enable)
{
    uint32_t lo = (uint32_t)enable, hi = (uint32_t)(enable >> 32);
    __asm__ volatile(
        "wrmsr\n\t"
        "mov $10, %%ecx\n\t"
        "1: enter $0, $0\n\t"
        "clflush (%[m])\n\t"
        "mfence\n\t"
        "mov (%[m]), %%eax\n\t"
        "leave\n\t"
        "loop 1b\n\t"
        "mov %%edi, %%ecx\n\t"
        "xor %%eax, %%eax\n\t"
        "xor %%edx, %%edx\n\t"
        "wrmsr\n\t"
        : "+a"(lo), "+d"(hi), "+c"(msr)
        : "D"(msr), [m] "r"(line)
        : "memory", "cc");
}

/* Ten more LOOPs: a stopped counter must not move (checklist 51). */
static void spin(void)
{
    __asm__ volatile("mov $10, %%ecx\n\t1: loop 1b" ::: "ecx", "cc");
}

struct pmu_info {
    unsigned version, gp, fixed_count;
    uint32_t fixed_bitmap;
    uint64_t caps;
};

static void pmu_info_read(struct pmu_info *pi)
{
    uint32_t r[4], c1[4];
    cpuid(0xA, 0, r);
    cpuid(1, 0, c1);
    pi->version = r[0] & 0xFF;
    pi->gp = (r[0] >> 8) & 0xFF;
    pi->fixed_count = r[3] & 0x1F;
    pi->fixed_bitmap = pi->version >= 5 ? r[2] : 0;
    pi->caps = 0;
    if (c1[2] & (1u << 15))
        rdmsr_safe(MSR_PERF_CAPABILITIES, &pi->caps, NULL);
}

static bool fixed_exists(const struct pmu_info *pi, unsigned i)
{
    return pi->version >= 2 &&
           (i < pi->fixed_count || (pi->fixed_bitmap >> i) & 1);
}

/* GP counter 0 counting (event) at CPL0 over the region. */
static uint64_t measure_gp(const struct pmu_info *pi, uint64_t evtsel,
                           uint64_t preset)
{
    wrmsr(MSR_EVTSEL0, 0);
    if (pi->version >= 2)
        wrmsr(MSR_GLOBAL_CTRL, 1);
    wrmsr(MSR_PMC0, preset);
    region(MSR_EVTSEL0, EVTSEL_OS | EVTSEL_EN | evtsel);
    return rdpmc(0);
}

/* The local APIC, xAPIC mode, identity-mapped by the runtime. */
#define APIC_BASE 0xFEE00000ul
#define APIC_EOI 0xB0
#define APIC_SVR 0xF0
#define APIC_LVTPC 0x340
#define LVT_MASKED (1u << 16)

static volatile unsigned pmis;

static volatile uint32_t *apic(unsigned reg)
{
    return (volatile uint32_t *)(APIC_BASE + reg);
}

static void on_pmi(struct ex_regs *regs)
{
    (void)regs;
    pmis++;
    *apic(APIC_EOI) = 0;
}

/* Overflow with the PMI bit, measured with interrupts off as kvm-unit-
 * tests does; the PMI waits in the APIC until STI (checklist 63, 64). */
static unsigned pmis_after_overflow(const struct pmu_info *pi, bool intr)
{
    pmis = 0;
    *apic(APIC_LVTPC) = PMI_VECTOR; /* fixed delivery, unmasked */
    measure_gp(pi, EV_INSTRUCTIONS | (intr ? EVTSEL_INT : 0),
               (uint32_t)(1 - REGION_INSTRUCTIONS));
    irq_enable();
    for (int i = 0; i < 100000 && !pmis; i++)
        cpu_pause();
    irq_disable();
    return pmis;
}

static void check_pmi(const struct pmu_info *pi)
{
    set_exception_handler(PMI_VECTOR, on_pmi);
    *apic(APIC_SVR) = 0x1FF; /* software-enable the APIC */
    unsigned n = pmis_after_overflow(pi, true);
    ktap_diag("obs count pmis with EVTSEL.INT = %u", n);
    ktap_result(n == 1, "an overflow with EVTSEL.INT raises exactly one PMI "
                "on LVTPC's vector (checklist 63): %u", n);
    ktap_result(*apic(APIC_LVTPC) & LVT_MASKED, "delivery sets LVTPC's mask "
                "bit (checklist 64): 0x%x", *apic(APIC_LVTPC));
    n = pmis_after_overflow(pi, false);
    ktap_result(n == 0, "an overflow without EVTSEL.INT raises none "
                "(checklist 63): %u", n);
    wrmsr(MSR_GLOBAL_OVF_CTRL, rdmsr(MSR_GLOBAL_STATUS));
}

static void check_gp(const struct pmu_info *pi)
{
    uint64_t n = measure_gp(pi, EV_INSTRUCTIONS, 0);
    ktap_diag("obs count gp0 instructions = %llu", (unsigned long long)n);
    ktap_result(n == REGION_INSTRUCTIONS, "gp0 counts %d instructions over "
                "the region (checklist 47): %llu", REGION_INSTRUCTIONS,
                (unsigned long long)n);
    spin();
    ktap_result(rdpmc(0) == n, "a stopped gp0 does not count (checklist "
                "51)");

    n = measure_gp(pi, EV_BRANCHES, 0);
    ktap_diag("obs count gp0 branches = %llu", (unsigned long long)n);
    ktap_result(n == REGION_BRANCHES, "gp0 counts %d branches, ENTER and "
                "LEAVE not among them (checklist 48): %llu",
                REGION_BRANCHES, (unsigned long long)n);

    /* Checklist 50: each of the ten loads follows a CLFLUSH of its line,
     * so it reaches the last level and misses it there: at least ten LLC
     * references and ten misses (the cache model's, docs/counting.md; no
     * "obs" line, as single-step counting has no cache model). */
    uint64_t refs = measure_gp(pi, EV_LLC_REFS, 0);
    uint64_t misses = measure_gp(pi, EV_LLC_MISSES, 0);
    ktap_result(refs >= 10 && misses >= 10, "the ten loads after CLFLUSH "
                "are LLC references and misses (checklist 50): %llu, %llu",
                (unsigned long long)refs, (unsigned long long)misses);

    /* Legacy write of 1 - 65: sign-extended to the full width, so the
     * region wraps it to exactly 1 (checklist 61, 62). */
    if (pi->version >= 2)
        wrmsr(MSR_GLOBAL_OVF_CTRL, rdmsr(MSR_GLOBAL_STATUS));
    n = measure_gp(pi, EV_INSTRUCTIONS, (uint32_t)(1 - REGION_INSTRUCTIONS));
    ktap_result(n == 1, "gp0 preset to 1 - 65 reads 1 after the region "
                "(checklist 61): %llu", (unsigned long long)n);
    if (pi->version >= 2) {
        uint64_t status = rdmsr(MSR_GLOBAL_STATUS);
        ktap_result(status & 1, "the wrap sets GLOBAL_STATUS bit 0 "
                    "(checklist 62): 0x%llx", (unsigned long long)status);
        wrmsr(MSR_GLOBAL_OVF_CTRL, 1);
        ktap_result(!(rdmsr(MSR_GLOBAL_STATUS) & 1), "OVF_CTRL clears it "
                    "(checklist 43)");
    }
}

static void check_fixed0(const struct pmu_info *pi)
{
    if (!fixed_exists(pi, 0)) {
        ktap_skip("no fixed counter 0", "fixed counter 0 counts the region");
        return;
    }
    wrmsr(MSR_GLOBAL_CTRL, 0);
    wrmsr(MSR_FIXED_CTR_CTRL, 0x1); /* FC0: OS */
    wrmsr(MSR_FIXED_CTR0, 0);
    region(MSR_GLOBAL_CTRL, 1ull << 32);
    uint64_t n = rdpmc(0x40000000);
    ktap_diag("obs count fixed0 instructions = %llu", (unsigned long long)n);
    ktap_result(n == REGION_INSTRUCTIONS, "fixed counter 0 counts %d "
                "instructions over the region (checklist 49): %llu",
                REGION_INSTRUCTIONS, (unsigned long long)n);
    wrmsr(MSR_FIXED_CTR_CTRL, 0);
}

static void check_metrics(const struct pmu_info *pi)
{
    if (!(pi->caps & CAP_PERF_METRICS) || !fixed_exists(pi, 3)) {
        ktap_skip("no PERF_METRICS", "TOPDOWN.SLOTS on fixed counter 3");
        ktap_skip("no PERF_METRICS", "PERF_METRICS L1 bytes sum to 0xFF");
        ktap_skip("no PERF_METRICS", "RDPMC 0x20000000 equals RDMSR 0x329");
        return;
    }
    wrmsr(MSR_GLOBAL_CTRL, 0);
    wrmsr(MSR_FIXED_CTR_CTRL, 0x1000); /* FC3: OS */
    wrmsr(MSR_FIXED_CTR3, 0);          /* FC3 first, then the metrics */
    wrmsr(MSR_PERF_METRICS, 0);
    region(MSR_GLOBAL_CTRL, (1ull << 35) | (1ull << 48));
    uint64_t slots = rdpmc(0x40000003);
    uint64_t m = rdmsr(MSR_PERF_METRICS);
    uint64_t mp = 0;
    uint8_t vec = rdpmc_safe(0x20000000, &mp, NULL);
    unsigned sum = 0;
    for (int b = 0; b < 4; b++)
        sum += (m >> (8 * b)) & 0xFF;
    ktap_diag("obs count fixed3 slots = %llu", (unsigned long long)slots);
    ktap_diag("obs count perf_metrics = 0x%016llx", (unsigned long long)m);
    ktap_result(slots >= REGION_INSTRUCTIONS, "TOPDOWN.SLOTS on fixed "
                "counter 3 is at least %d (checklist 71): %llu",
                REGION_INSTRUCTIONS, (unsigned long long)slots);
    ktap_result(sum >= 0xFE && sum <= 0x100, "PERF_METRICS L1 bytes sum to "
                "0xFF +- 1 (checklist 76): 0x%x", sum);
    ktap_result(vec == 0 && mp == m, "RDPMC 0x20000000 equals RDMSR 0x329 "
                "(checklist 76)%s", vec ? ": RDPMC raised #GP" : "");
    wrmsr(MSR_FIXED_CTR_CTRL, 0);
}

int main(void)
{
    struct pmu_info pi;
    pmu_info_read(&pi);
    ktap_plan(N_CHECKS);
    if (pi.version == 0 || pi.gp == 0) {
        for (int i = 0; i < N_CHECKS; i++)
            ktap_skip("no architectural PMU", "counting");
        return ktap_finish();
    }
    check_gp(&pi);
    check_fixed0(&pi);
    check_metrics(&pi);
    if (pi.version >= 2) {
        check_pmi(&pi);
    } else {
        for (int i = 0; i < 3; i++)
            ktap_skip("PMU version 1", "PMI");
        ktap_skip("PMU version 1", "GLOBAL_STATUS overflow bit");
        ktap_skip("PMU version 1", "OVF_CTRL clears it");
    }
    return ktap_finish();
}
