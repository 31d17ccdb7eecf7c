/* cpuid.c: prints CPUID leaves 0, 1, 0xA and 0x23, decodes the PMU fields as "# obs" lines and checks them against the MSRs and RDPMC. */
#include "guest.h"

#define LEAF_ARCH_PERFMON 0xA
#define LEAF_PERFMON_EXT 0x23
#define LEAF_23_SUBLEAVES 6

#define MSR_PMC0 0x0c1
#define MSR_FIXED_CTR0 0x309
#define MSR_PERF_CAPABILITIES 0x345
#define MSR_GLOBAL_CTRL 0x38f
#define MSR_V6_GP0 0x1900               /* pmu-spec 0: the v6 bank */
#define MSR_V6_FX0 0x1980
#define V6_STEP 4
#define CHECKED_GP 10                   /* PMC 0..9, SDM Table 2-2 */
#define CHECKED_FIXED 7                 /* FIXED_CTR 0..6 */
#define N_CHECKS (1 + 2 * CHECKED_GP + 2 * CHECKED_FIXED + 2)

/* CPUID.0AH decoded (pmu-spec 2.1), and which counters exist: leaf
 * 0x23.1's bitmaps where it is enumerated (perf takes them over leaf 0xA,
 * which on a hybrid part shows only what all core types share). */
struct arch_perfmon {
    unsigned version, gp, gp_width, events_length;
    uint32_t events_mask, fixed_bitmap;
    unsigned fixed_count, fixed_width, anythread_deprecated;
    bool leaf23;
    uint32_t gp_exist, fixed_exist;
};

static unsigned faults;

/* CPL0 only: on the PVM host CPL3 CPUID returns the host's values. */
static void show(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
    uint32_t err;
    uint8_t vector = cpuid_safe(leaf, subleaf, r, &err);

    if (vector) {
        faults++;
        ktap_diag("cpuid 0x%08x.%u: vector %u %s error code %#x", leaf,
                  subleaf, vector, exception_name(vector), err);
        return;
    }
    ktap_diag("cpuid 0x%08x.%u: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x",
              leaf, subleaf, r[0], r[1], r[2], r[3]);
}

static struct arch_perfmon decode(const uint32_t r[4])
{
    struct arch_perfmon p = {
        .version = r[0] & 0xff,
        .gp = (r[0] >> 8) & 0xff,
        .gp_width = (r[0] >> 16) & 0xff,
        .events_length = r[0] >> 24,
        .events_mask = r[1],
        .fixed_bitmap = r[2],
        .fixed_count = r[3] & 0x1f,
        .fixed_width = (r[3] >> 5) & 0xff,
        .anythread_deprecated = (r[3] >> 15) & 1,
    };
    return p;
}

/* QEMU TCG reads unknown MSRs as 0 instead of raising #GP, so "readable"
 * means nothing there; its hypervisor leaf says "TCGTCGTCGTCG". */
static bool qemu_tcg(void)
{
    uint32_t r[4];

    if (cpuid_safe(1, 0, r, NULL) || !(r[2] & (1u << 31)))
        return false;
    if (cpuid_safe(0x40000000, 0, r, NULL))
        return false;
    return r[1] == 0x54474354 && r[2] == 0x43544743 && r[3] == 0x47435447;
}

static bool msr_readable(uint32_t msr)
{
    uint64_t val;

    return !rdmsr_safe(msr, &val, NULL);
}

static bool rdpmc_readable(uint32_t ecx)
{
    uint64_t val;

    return !rdpmc_safe(ecx, &val, NULL);
}

static const char *yes_no(bool b)
{
    return b ? "yes" : "no";
}

/* KVM's quirk (x86.c; host-kvm-facts 4): when the PMU lacks them,
 * IA32_PMC0/1 (0xc1, 0xc2) read 0 and drop writes instead of #GP. Only
 * that exact behaviour passes for an absent PMC0/1 that is readable. */
static bool kvm_p6_quirk(uint32_t i)
{
    uint64_t val = 1;

    return i < 2 && !rdmsr_safe(MSR_PMC0 + i, &val, NULL) && val == 0 &&
           !wrmsr_safe(MSR_PMC0 + i, 0x1234, NULL) &&
           !rdmsr_safe(MSR_PMC0 + i, &val, NULL) && val == 0;
}

/* Which counters exist, from leaf 0xA or leaf 0x23.1. */
static void counters_exist(struct arch_perfmon *p, uint32_t max_leaf)
{
    uint32_t r[4];

    p->gp_exist = p->version ? (p->gp >= 32 ? ~0u : (1u << p->gp) - 1) : 0;
    p->fixed_exist = 0;
    for (uint32_t i = 0; i < CHECKED_FIXED && p->version >= 2; i++)
        if (i < p->fixed_count ||
            (p->version >= 5 && (p->fixed_bitmap >> i) & 1))
            p->fixed_exist |= 1u << i;
    if (max_leaf < LEAF_PERFMON_EXT ||
        cpuid_safe(LEAF_PERFMON_EXT, 0, r, NULL) || !(r[0] & (1u << 1)) ||
        cpuid_safe(LEAF_PERFMON_EXT, 1, r, NULL))
        return;
    p->leaf23 = true;
    p->gp_exist = r[0];
    p->fixed_exist = r[1];
}

/* What CPUID enumerates is what the MSRs and RDPMC show (probe-format.md;
 * pmu-spec 0, 1.1, 2.1), in the legacy MSRs and in the v6 bank. */
static void check_enumeration(const struct arch_perfmon *p, bool pdcm)
{
    const char *tcg = qemu_tcg() ? "QEMU TCG ignores unknown MSRs" : NULL;
    bool want, msr, pmc, quirk;

    for (uint32_t i = 0; i < CHECKED_GP; i++) {
        want = (p->gp_exist >> i) & 1;
        if (tcg) {
            ktap_skip(tcg, "PMC%u readable at 0x%03x and by rdpmc %u iff "
                      "enumerated", i, MSR_PMC0 + i, i);
            ktap_skip(tcg, "v6 IA32_PMC_GP%u_CTR readable iff enumerated",
                      i);
            continue;
        }
        msr = msr_readable(MSR_PMC0 + i);
        pmc = rdpmc_readable(i);
        quirk = !want && msr && !pmc && kvm_p6_quirk(i);
        ktap_result((msr == want || quirk) && pmc == want,
                    "PMC%u readable at 0x%03x and by rdpmc %u iff enumerated"
                    " (%s, %s): msr %s%s rdpmc %s", i, MSR_PMC0 + i, i,
                    yes_no(want), p->leaf23 ? "CPUID.23H.1" : "CPUID.0AH",
                    yes_no(msr), quirk ? " (KVM's P6 quirk: reads 0, "
                    "drops writes)" : "", yes_no(pmc));
        want &= p->version >= 6;
        msr = msr_readable(MSR_V6_GP0 + V6_STEP * i);
        ktap_result(msr == want, "v6 IA32_PMC_GP%u_CTR readable at 0x%04x "
                    "iff enumerated and version >= 6 (%s): %s", i,
                    MSR_V6_GP0 + V6_STEP * i, yes_no(want), yes_no(msr));
    }
    for (uint32_t i = 0; i < CHECKED_FIXED; i++) {
        want = (p->fixed_exist >> i) & 1;
        if (tcg) {
            ktap_skip(tcg, "FIXED_CTR%u readable at 0x%03x iff enumerated",
                      i, MSR_FIXED_CTR0 + i);
            ktap_skip(tcg, "v6 IA32_PMC_FX%u_CTR readable iff enumerated",
                      i);
            continue;
        }
        msr = msr_readable(MSR_FIXED_CTR0 + i);
        ktap_result(msr == want,
                    "FIXED_CTR%u readable at 0x%03x iff enumerated (%s): %s",
                    i, MSR_FIXED_CTR0 + i, yes_no(want), yes_no(msr));
        want &= p->version >= 6;
        msr = msr_readable(MSR_V6_FX0 + V6_STEP * i);
        ktap_result(msr == want, "v6 IA32_PMC_FX%u_CTR readable at 0x%04x "
                    "iff enumerated and version >= 6 (%s): %s", i,
                    MSR_V6_FX0 + V6_STEP * i, yes_no(want), yes_no(msr));
    }
    if (tcg) {
        ktap_skip(tcg, "PERF_CAPABILITIES readable iff pdcm");
        ktap_skip(tcg, "GLOBAL_CTRL readable iff version >= 2");
        return;
    }
    msr = msr_readable(MSR_PERF_CAPABILITIES);
    ktap_result(msr == pdcm, "PERF_CAPABILITIES readable iff pdcm (%u): %s",
                pdcm, yes_no(msr));
    msr = msr_readable(MSR_GLOBAL_CTRL);
    ktap_result(msr == (p->version >= 2),
                "GLOBAL_CTRL readable iff version >= 2 (%u): %s", p->version,
                yes_no(msr));
}

int main(void)
{
    uint32_t r[4], max_leaf, leaf1_ecx, leaf_a[4];
    struct arch_perfmon p;
    char vendor[13];
    bool pdcm;

    ktap_plan(N_CHECKS);
    show(0, 0, r);
    max_leaf = r[0];
    memcpy(vendor, &r[1], 4);           /* the vendor string is ebx, edx, ecx */
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = '\0';
    ktap_diag("vendor %s, max basic leaf %#x", vendor, max_leaf);
    show(1, 0, r);
    leaf1_ecx = r[2];
    show(LEAF_ARCH_PERFMON, 0, leaf_a);
    if (max_leaf >= LEAF_PERFMON_EXT) {
        for (uint32_t sub = 0; sub < LEAF_23_SUBLEAVES; sub++)
            show(LEAF_PERFMON_EXT, sub, r);
    } else {
        ktap_diag("cpuid 0x%08x: above the max basic leaf, not read",
                  LEAF_PERFMON_EXT);
    }

    pdcm = (leaf1_ecx >> 15) & 1;       /* pmu-spec 0: PDCM is ECX[15] */
    p = decode(leaf_a);
    ktap_diag("obs cpuid 0x1: pdcm %u", pdcm);
    ktap_diag("obs cpuid 0xa: version %u gp %u gp_width %u events_length %u "
              "events_mask 0x%08x fixed_bitmap 0x%08x fixed_count %u "
              "fixed_width %u anythread_deprecated %u", p.version, p.gp,
              p.gp_width, p.events_length, p.events_mask, p.fixed_bitmap,
              p.fixed_count, p.fixed_width, p.anythread_deprecated);

    counters_exist(&p, max_leaf);
    if (p.leaf23)
        ktap_diag("obs cpuid 0x23: gp_bitmap 0x%08x fixed_bitmap 0x%08x",
                  p.gp_exist, p.fixed_exist);

    ktap_result(faults == 0, "cpuid leaves read");
    check_enumeration(&p, pdcm);
    return ktap_finish();
}
