/* test_pmu_rdpmc.c: RDPMC decoding, privilege, values and policies, from the spec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pmu/pmu.h"
#include "tests/unit/pmu_test.h"

#define GP PMU_GP
#define OK PMU_OK
#define NAT PMU_POLICY_NATIVE
#define LEG PMU_POLICY_KVM_LEGACY
#define MED PMU_POLICY_KVM_MEDIATED

/* Counter contents every row starts from (written through the MSRs). */
#define PMC(i) (0x1000u + (i))
#define FIX(i) (0x2000u + (i))
#define METRICS 0x0102030405060708ull

/* A PMU with every existing counter preset to a value naming it. */
static struct pmu *preset(const char *cpu, const char *set,
                          enum pmu_policy pol)
{
    struct pmu *pmu = pmu_test_pmu(cpu, &set, set ? 1 : 0, pol);

    for (unsigned i = 0; i < 8; i++)
        pmu_wrmsr(pmu, 0xC1 + i, PMC(i), NULL);
    for (unsigned i = 0; i < 7; i++)
        pmu_wrmsr(pmu, 0x309 + i, FIX(i), NULL);
    pmu_wrmsr(pmu, 0x329, METRICS, NULL);
    return pmu;
}

struct rdpmc_row {
    const char *cpu;
    enum pmu_policy pol;
    uint32_t ecx;
    int rc;
    uint64_t val;
    const char *why; /* source of the expectation */
};

/* At CPL 0 in protected mode: the decoding rules of pmu-spec 1.1-1.3. */
static const struct rdpmc_row decode_rows[] = {
    /* GP type 0: index < CPUID.0AH:EAX[15:8] */
    {"sapphire-rapids", NAT, 0x00000000, OK, PMC(0), "checklist 1"},
    {"sapphire-rapids", NAT, 0x00000007, OK, PMC(7), "checklist 1, last"},
    {"sapphire-rapids", NAT, 0x00000008, GP, 0, "checklist 2, = G"},
    {"sapphire-rapids", NAT, 0x00000040, GP, 0, "checklist 7, ECX=64"},
    {"sapphire-rapids", NAT, 0x00000100, GP, 0, "spec 1.1 ECX[15:8]"},
    {"sapphire-rapids", NAT, 0x0000FFFF, GP, 0, "spec 1.1 index"},
    {"skylake", NAT, 0x00000003, OK, PMC(3), "skylake G=4, last"},
    {"skylake", NAT, 0x00000004, GP, 0, "skylake G=4, = G"},
    /* fixed type 0x4000: the bitmap, also non-contiguous */
    {"sapphire-rapids", NAT, 0x40000000, OK, FIX(0), "checklist 4"},
    {"sapphire-rapids", NAT, 0x40000003, OK, FIX(3), "checklist 13"},
    {"sapphire-rapids", NAT, 0x40000004, GP, 0, "SPR has FC0-3"},
    {"sapphire-rapids", NAT, 0x40000020, GP, 0, "spec 1.1 ECX[15:5]"},
    {"sapphire-rapids", NAT, 0x40000100, GP, 0, "spec 1.1 ECX[15:5]"},
    {"skylake", NAT, 0x40000002, OK, FIX(2), "skylake FC0-2"},
    {"skylake", NAT, 0x40000003, GP, 0, "checklist 5"},
    {"clearwater-forest", NAT, 0x40000002, OK, FIX(2), "spec 2.1 0x77"},
    {"clearwater-forest", NAT, 0x40000003, GP, 0, "spec 2.1 0x77 hole"},
    {"clearwater-forest", NAT, 0x40000004, OK, FIX(4), "spec 2.1 0x77"},
    {"clearwater-forest", NAT, 0x40000006, OK, FIX(6), "spec 2.1 0x77"},
    {"clearwater-forest", NAT, 0x40000007, GP, 0, "spec 2.1 0x77"},
    {"arch-max", NAT, 0x40000006, OK, FIX(6), "arch-max FC0-6"},
    /* metrics type 0x2000 */
    {"sapphire-rapids", NAT, 0x20000000, OK, METRICS, "checklist 14"},
    {"sapphire-rapids", NAT, 0x20000001, GP, 0, "brief: index 0 only"},
    {"icelake", NAT, 0x20000000, OK, METRICS, "checklist 14"},
    {"clearwater-forest", NAT, 0x20000000, GP, 0, "checklist 14, no [15]"},
    {"skylake", NAT, 0x20000000, GP, 0, "checklist 14, no [15]"},
    /* every other type */
    {"sapphire-rapids", NAT, 0x60000000, GP, 0, "brief, 0x6000"},
    {"sapphire-rapids", NAT, 0x80000000, GP, 0, "checklist 6, fast bit"},
    {"sapphire-rapids", NAT, 0x80000001, GP, 0, "checklist 6"},
    {"sapphire-rapids", NAT, 0xC0000000, GP, 0, "checklist 6"},
    {"sapphire-rapids", NAT, 0xA0000000, GP, 0, "fast + metrics"},
    {"sapphire-rapids", NAT, 0x10000000, GP, 0, "checklist 15"},
    {"sapphire-rapids", NAT, 0x00010000, GP, 0, "checklist 15"},
    {"sapphire-rapids", NAT, 0xFFFF0000, GP, 0, "spec 1.1"},
    {"none", NAT, 0x00000000, GP, 0, "checklist 3"},
    {"none", NAT, 0x40000000, GP, 0, "checklist 3"},
    {"arch-max", NAT, 0x60000000, GP, 0, "brief, 0x6000"},
    {"clearwater-forest", NAT, 0x60000000, GP, 0, "brief, 0x6000"},
    {"lunar-lake-p", NAT, 0x60000000, GP, 0, "brief, 0x6000"},
    /* kvm-legacy: v2, 3 contiguous fixed, types 0 and 0x4000 only */
    {"sapphire-rapids", LEG, 0x00000007, OK, PMC(7), "spec 2.1 G=8"},
    {"sapphire-rapids", LEG, 0x40000002, OK, FIX(2), "spec 2.1"},
    {"sapphire-rapids", LEG, 0x40000003, GP, 0, "spec 2.1 fixed <= 3"},
    {"sapphire-rapids", LEG, 0x20000000, GP, 0, "spec 1.3"},
    {"sapphire-rapids", LEG, 0x80000000, GP, 0, "spec 1.2"},
    {"skylake", LEG, 0x00000003, OK, PMC(3), "spec 2.1"},
    {"skylake", LEG, 0x40000002, OK, FIX(2), "spec 2.1"},
    {"skylake", LEG, 0x20000000, GP, 0, "spec 1.3"},
    {"clearwater-forest", LEG, 0x40000002, OK, FIX(2), "spec 2.1 contig 3"},
    {"clearwater-forest", LEG, 0x40000004, GP, 0, "spec 2.1 ECX = 0"},
    {"clearwater-forest", LEG, 0x20000000, GP, 0, "spec 1.3"},
    {"lunar-lake-p", LEG, 0x00000000, GP, 0, "spec 2.1 hybrid: no PMU"},
    {"none", LEG, 0x00000000, GP, 0, "spec 1.3 version 0"},
    /* kvm-mediated: FC3 and PERF_METRICS where the host has them */
    {"sapphire-rapids", MED, 0x40000003, OK, FIX(3), "spec 5.4"},
    {"sapphire-rapids", MED, 0x20000000, OK, METRICS, "brief 6, spec 5.4"},
    {"sapphire-rapids", MED, 0x20000001, GP, 0, "brief 6: index 0"},
    {"sapphire-rapids", MED, 0x40000004, GP, 0, "spec 5.4 cap 4"},
    {"skylake", MED, 0x40000002, OK, FIX(2), "spec 5.4"},
    {"skylake", MED, 0x40000003, GP, 0, "skylake has no FC3"},
    {"skylake", MED, 0x20000000, GP, 0, "no PERF_METRICS"},
    {"clearwater-forest", MED, 0x40000002, OK, FIX(2), "brief: CWF gets 3"},
    {"clearwater-forest", MED, 0x40000003, GP, 0, "brief: CWF gets 3"},
    {"clearwater-forest", MED, 0x40000004, GP, 0, "spec 2.1 ECX = 0"},
    {"clearwater-forest", MED, 0x20000000, GP, 0, "no PERF_METRICS"},
    /* 4 fixed vs the host's 7: RDPMC intercepted, KVM's decoder (5.3) */
    {"arch-max", MED, 0x20000000, GP, 0, "spec 5.3 [I]"},
    {"arch-max", MED, 0x40000003, OK, FIX(3), "spec 5.4"},
};

static void test_decode(void **state)
{
    const struct pmu_mode cpl0 = {.cpl = 0, .cr0_pe = true};

    (void)state;
    for (size_t i = 0; i < sizeof(decode_rows) / sizeof(*decode_rows); i++) {
        const struct rdpmc_row *r = &decode_rows[i];
        struct pmu *pmu = preset(r->cpu, NULL, r->pol);
        const char *rule = NULL;
        uint64_t v = 0xBAD;
        int rc = pmu_rdpmc(pmu, r->ecx, &cpl0, &v, &rule);

        if (rc != r->rc || (rc == OK && v != r->val) || !rule)
            fail_msg("row %zu %s/%s ecx=0x%x (%s): rc %d val 0x%llx, want "
                     "rc %d val 0x%llx", i, r->cpu, pmu_policy_name(r->pol),
                     r->ecx, r->why, rc, (unsigned long long)v, r->rc,
                     (unsigned long long)r->val);
        pmu_destroy(pmu);
    }
}

struct mode_row {
    const char *cpu;
    enum pmu_policy pol;
    uint32_t ecx;
    struct pmu_mode mode;
    int rc;
    const char *rule_has; /* which rule decided (checked as a substring) */
    const char *why;
};

/* (CR4.PCE || CPL == 0 || CR0.PE == 0) && ECX valid (pmu-spec 1.1). The
 * CPU faults on privilege first; KVM decodes ECX first (pmu-spec 1.3). */
static const struct mode_row mode_rows[] = {
    {"sapphire-rapids", NAT, 0, {3, true, false}, GP, "CR4.PCE", "cl 16"},
    {"sapphire-rapids", NAT, 0, {3, true, true}, OK, "IA32_PMCx", "cl 16"},
    {"sapphire-rapids", NAT, 0, {1, true, false}, GP, "CR4.PCE", "CPL 1"},
    {"sapphire-rapids", NAT, 0, {2, true, false}, GP, "CR4.PCE", "CPL 2"},
    {"sapphire-rapids", NAT, 0, {0, false, false}, OK, "IA32_PMCx", "real"},
    {"sapphire-rapids", NAT, 0, {3, false, false}, OK, "IA32_PMCx",
     "spec 1.1 formal check: PE=0"},
    {"sapphire-rapids", NAT, 0x40000000, {3, true, false}, GP, "CR4.PCE",
     "fixed"},
    {"sapphire-rapids", NAT, 0x20000000, {3, true, true}, OK,
     "PERF_METRICS", "metrics from ring 3 with PCE"},
    /* priority: invalid ECX at CPL 3 without PCE */
    {"sapphire-rapids", NAT, 0x60000000, {3, true, false}, GP, "CR4.PCE",
     "hardware: privilege first"},
    {"sapphire-rapids", LEG, 0x60000000, {3, true, false}, GP, "types 0",
     "KVM: ECX first"},
    {"sapphire-rapids", LEG, 0x00000008, {3, true, false}, GP, "index",
     "KVM: ECX first"},
    {"sapphire-rapids", LEG, 0x00000000, {3, true, false}, GP,
     "after a valid ECX", "KVM: then privilege"},
    {"sapphire-rapids", LEG, 0x00000000, {3, true, true}, OK, "IA32_PMCx",
     "KVM with PCE"},
    {"sapphire-rapids", MED, 0x60000000, {3, true, false}, GP, "CR4.PCE",
     "mediated pass-through: hardware"},
    {"clearwater-forest", MED, 0x60000000, {3, true, false}, GP, "types 0",
     "mediated intercepted: KVM"},
    {"sapphire-rapids", LEG, 0x80000000, {0, true, false}, GP, "types 0",
     "spec 1.2: KVM rejects the fast bit"},
    {"sapphire-rapids", NAT, 0x80000000, {0, true, false}, GP, "fast-read",
     "spec 1.2"},
};

static void test_mode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(mode_rows) / sizeof(*mode_rows); i++) {
        const struct mode_row *r = &mode_rows[i];
        struct pmu *pmu = preset(r->cpu, NULL, r->pol);
        const char *rule = "";
        uint64_t v;
        int rc = pmu_rdpmc(pmu, r->ecx, &r->mode, &v, &rule);

        if (rc != r->rc || !strstr(rule, r->rule_has))
            fail_msg("row %zu %s/%s ecx=0x%x cpl %u (%s): rc %d rule '%s', "
                     "want rc %d rule with '%s'", i, r->cpu,
                     pmu_policy_name(r->pol), r->ecx, r->mode.cpl, r->why, rc,
                     rule, r->rc, r->rule_has);
        pmu_destroy(pmu);
    }
}

struct value_row {
    const char *cpu;
    const char *set;
    uint32_t msr;
    uint64_t wval;
    uint32_t ecx;
    uint64_t val;
    const char *why;
};

/* Written through an MSR, read by RDPMC: widths and aliases. */
static const struct value_row value_rows[] = {
    {"sapphire-rapids", NULL, 0xC1, 0x80000000, 0, 0xFFFF80000000ull,
     "checklist 33: sign-extended, 48 bits"},
    {"sapphire-rapids", NULL, 0xC1, 0xFF0123456789ull, 0, 0x23456789,
     "checklist 9"},
    {"sapphire-rapids", NULL, 0xC2, 0xFFFFFFFFull, 1, 0xFFFFFFFFFFFFull,
     "all ones sign-extends to the width"},
    {"sapphire-rapids", NULL, 0x4C1, 0xFF0123456789ull, 0, 0xFF0123456789ull,
     "checklist 8"},
    {"sapphire-rapids", NULL, 0x4C8, 0xFFFFFFFFFFFFull, 7, 0xFFFFFFFFFFFFull,
     "full width, PMC7"},
    {"sapphire-rapids", NULL, 0x30B, 0xFFFFFFFFFFFFull, 0x40000002,
     0xFFFFFFFFFFFFull, "checklist 10"},
    {"sapphire-rapids", "pmu.gp_width=40", 0xC1, 0x80000000, 0,
     0xFF80000000ull, "checklist 27: width 40"},
    {"sapphire-rapids", "pmu.gp_width=32", 0xC1, 0x80000000, 0, 0x80000000,
     "checklist 27: width 32"},
    {"sapphire-rapids", "pmu.fixed_width=40", 0x309, 0xFFFFFFFFFFull,
     0x40000000, 0xFFFFFFFFFFull, "checklist 27: fixed width 40"},
    {"sapphire-rapids", NULL, 0x329, 0xFFull << 56, 0x20000000,
     0xFFull << 56, "checklist 76: all 64 bits"},
    {"clearwater-forest", NULL, 0x30F, 0x123456789ABCull, 0x40000006,
     0x123456789ABCull, "spec 3.5: FC6"},
};

static void test_values(void **state)
{
    const struct pmu_mode cpl0 = {.cpl = 0, .cr0_pe = true};

    (void)state;
    for (size_t i = 0; i < sizeof(value_rows) / sizeof(*value_rows); i++) {
        const struct value_row *r = &value_rows[i];
        struct pmu *pmu = preset(r->cpu, r->set, NAT);
        uint64_t v = 0, m = 0;
        int wrc = pmu_wrmsr(pmu, r->msr, r->wval, NULL);
        int rc = pmu_rdpmc(pmu, r->ecx, &cpl0, &v, NULL);
        int mrc = pmu_rdmsr(pmu, r->msr, &m, NULL);

        /* checklist 11: RDPMC and RDMSR of a counter agree */
        if (wrc != OK || rc != OK || v != r->val || mrc != OK || m != v)
            fail_msg("row %zu %s (%s): wrmsr %d rdpmc %d 0x%llx rdmsr 0x%llx"
                     ", want 0x%llx", i, r->cpu, r->why, wrc, rc,
                     (unsigned long long)v, (unsigned long long)m,
                     (unsigned long long)r->val);
        pmu_destroy(pmu);
    }
}

/* Metrics clear mode: PERF_CAPABILITIES[19] with FIXED_CTR_CTRL[14]
 * (pmu-spec 1.1): the read returns the metrics, then zeroes them and FC3. */
static void test_metrics_clear(void **state)
{
    const struct pmu_mode ring3 = {.cpl = 3, .cr0_pe = true, .cr4_pce = true};
    struct pmu *pmu = preset("lunar-lake-p", NULL, NAT);
    uint64_t v;

    (void)state;
    assert_int_equal(pmu_rdpmc(pmu, 0x20000000, &ring3, &v, NULL), OK);
    assert_int_equal(v, METRICS);
    assert_int_equal(pmu_rdpmc(pmu, 0x20000000, &ring3, &v, NULL), OK);
    assert_int_equal(v, METRICS); /* bit 14 clear: no side effect */
    assert_int_equal(pmu_wrmsr(pmu, 0x38D, 1u << 14, NULL), OK);
    assert_int_equal(pmu_rdpmc(pmu, 0x20000000, &ring3, &v, NULL), OK);
    assert_int_equal(v, METRICS);
    assert_int_equal(pmu_rdmsr(pmu, 0x329, &v, NULL), OK);
    assert_int_equal(v, 0);
    assert_int_equal(pmu_rdmsr(pmu, 0x30C, &v, NULL), OK);
    assert_int_equal(v, 0);
    assert_int_equal(pmu_rdpmc(pmu, 0x20000000, &ring3, &v, NULL), OK);
    assert_int_equal(v, 0);
    pmu_destroy(pmu);

    /* Not enumerated on SPR: bit 14 is reserved (MSR test) and RDPMC of the
     * metrics leaves them alone. */
    pmu = preset("sapphire-rapids", NULL, NAT);
    assert_int_equal(pmu_wrmsr(pmu, 0x38D, 1u << 14, NULL), GP);
    assert_int_equal(pmu_rdpmc(pmu, 0x20000000, &ring3, &v, NULL), OK);
    assert_int_equal(pmu_rdmsr(pmu, 0x329, &v, NULL), OK);
    assert_int_equal(v, METRICS);
    pmu_destroy(pmu);
}

/* RDPMC_USER_DISABLE (CPUID.23H.0:EBX[2], pmu-spec 1.1): at CPL > 0 a
 * disabled counter reads 0 without a fault; CPL 0 still reads it. */
static void test_user_disable(void **state)
{
    const struct pmu_mode ring3 = {.cpl = 3, .cr0_pe = true, .cr4_pce = true};
    const struct pmu_mode ring0 = {.cpl = 0, .cr0_pe = true};
    struct pmu *pmu = preset("arch-max", NULL, NAT);
    uint64_t v;

    (void)state;
    assert_int_equal(pmu_wrmsr(pmu, 0x186, 1ull << 37, NULL), OK);
    assert_int_equal(pmu_rdpmc(pmu, 0, &ring3, &v, NULL), OK);
    assert_int_equal(v, 0);
    assert_int_equal(pmu_rdpmc(pmu, 0, &ring0, &v, NULL), OK);
    assert_int_equal(v, PMC(0));
    assert_int_equal(pmu_rdpmc(pmu, 1, &ring3, &v, NULL), OK);
    assert_int_equal(v, PMC(1));
    assert_int_equal(pmu_wrmsr(pmu, 0x38D, 1ull << (33 + 4 * 2), NULL), OK);
    assert_int_equal(pmu_rdpmc(pmu, 0x40000002, &ring3, &v, NULL), OK);
    assert_int_equal(v, 0);
    assert_int_equal(pmu_rdpmc(pmu, 0x40000001, &ring3, &v, NULL), OK);
    assert_int_equal(v, FIX(1));
    pmu_destroy(pmu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_mode),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_metrics_clear),
        cmocka_unit_test(test_user_disable),
    };

    return cmocka_run_group_tests_name("pmu_rdpmc", tests, NULL, NULL);
}
