/* test_pmu_cpuid.c: CPUID 0xA, 0x23 and leaf 1 of every model and policy. */
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

#define NAT PMU_POLICY_NATIVE
#define LEG PMU_POLICY_KVM_LEGACY
#define MED PMU_POLICY_KVM_MEDIATED

static void load(const char *cpu, const char *set, enum pmu_policy pol,
                 struct pmu_model *guest)
{
    pmu_test_guest(cpu, &set, set ? 1 : 0, pol, guest);
}

/*
 * Leaf 0xA by hand (pmu-spec 2.1): EAX = version | G << 8 | width << 16 |
 * length << 24; ECX = fixed bitmap from v5; EDX = contiguous fixed count |
 * fixed width << 5 | AnyThread-deprecated << 15. Widths 48 = 0x30, so
 * EDX[12:5] = 0x600. Leaf 1 EAX = stepping | model[3:0] << 4 | family << 8
 * | model[7:4] << 16. PERF_CAPABILITIES: 0x2000 FW_WRITES, 0x8000
 * PERF_METRICS, 0x80000 RDPMC_METRICS_CLEAR (pmu-spec 3.4).
 */
struct leaf_row {
    const char *cpu;
    enum pmu_policy pol;
    uint32_t a, b, c, d;
    uint32_t sig;
    int pdcm;
    uint64_t caps;
};

static const struct leaf_row leaf_rows[] = {
    {"none", NAT, 0, 0, 0, 0, 0x806F8, 0, 0},
    /* the dumps' own leaf 0xA (tests/data/dumps), except the LBR bit */
    {"skylake", NAT, 0x07300404, 0, 0, 0x0603, 0x50654, 1, 0x2000},
    {"icelake", NAT, 0x08300805, 0, 0xF, 0x8604, 0x606A6, 1, 0xA000},
    {"sapphire-rapids", NAT, 0x08300805, 0, 0xF, 0x8604, 0x806F8, 1, 0xA000},
    {"granite-rapids", NAT, 0x08300805, 0, 0xF, 0x8604, 0xA06D1, 1, 0xA000},
    {"sierra-forest", NAT, 0x07300805, 0, 0x7, 0x8603, 0xA06F3, 1, 0x2000},
    /* the brief: ECX 0x77 and EDX[4:0] = 3 (trailing ones, not 6); EBX:
     * Darkmont lacks slots (bit 7), pmvm LBR inserts (bit 12) */
    {"clearwater-forest", NAT, 0x0D300806, 0x1080, 0x77, 0x8603, 0xD06D0, 1,
     0x2000},
    /* hybrid: the view every core type shares (the dump: 0x280) */
    {"lunar-lake-p", NAT, 0x0D300806, 0x1280, 0x7, 0x8603, 0xB06D1, 1,
     0x8A000},
    {"lunar-lake:atom", NAT, 0x0D300806, 0x1280, 0x7, 0x8603, 0xB06D1, 1,
     0x2000},
    {"meteor-lake:core", NAT, 0x07300805, 0, 0x7, 0x8603, 0xA06A4, 1,
     0xA000},
    {"arch-max", NAT, 0x0D300A06, 0x1000, 0x7F, 0x8607, 0x600, 1, 0x8A000},
    /* kvm-legacy: v2, ECX 0, <= 3 fixed, EDX[15] set, FW_WRITES, <= 8 GP */
    {"none", LEG, 0, 0, 0, 0, 0x806F8, 0, 0},
    {"skylake", LEG, 0x07300402, 0, 0, 0x8603, 0x50654, 1, 0x2000},
    {"sapphire-rapids", LEG, 0x08300802, 0, 0, 0x8603, 0x806F8, 1, 0x2000},
    {"clearwater-forest", LEG, 0x0D300802, 0x1080, 0, 0x8603, 0xD06D0, 1,
     0x2000},
    {"lunar-lake-p", LEG, 0, 0, 0, 0, 0xB06D1, 0, 0}, /* hybrid: off */
    {"arch-max", LEG, 0x0D300802, 0x1000, 0, 0x8603, 0x600, 1, 0x2000},
    /* kvm-mediated: fixed <= min(4, host contiguous), PERF_METRICS */
    {"skylake", MED, 0x07300402, 0, 0, 0x8603, 0x50654, 1, 0x2000},
    {"icelake", MED, 0x08300802, 0, 0, 0x8604, 0x606A6, 1, 0xA000},
    {"sapphire-rapids", MED, 0x08300802, 0, 0, 0x8604, 0x806F8, 1, 0xA000},
    {"clearwater-forest", MED, 0x0D300802, 0x1080, 0, 0x8603, 0xD06D0, 1,
     0x2000},
    {"arch-max", MED, 0x0D300802, 0x1000, 0, 0x8604, 0x600, 1, 0xA000},
};

static void test_leaf_0a(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(leaf_rows) / sizeof(*leaf_rows); i++) {
        const struct leaf_row *r = &leaf_rows[i];
        struct pmu_model g;
        struct pmu *pmu;
        uint32_t x[4] = {1, 1, 1, 1};

        load(r->cpu, NULL, r->pol, &g);
        pmu = pmu_create(&g);
        assert_true(pmu_cpuid(pmu, 0xA, 0, x));
        if (x[0] != r->a || x[1] != r->b || x[2] != r->c || x[3] != r->d ||
            pmu_cpuid1_eax(pmu) != r->sig || pmu_pdcm(pmu) != r->pdcm ||
            pmu_model_caps(&g) != r->caps ||
            strcmp(pmu_vendor(pmu), "GenuineIntel") != 0)
            fail_msg("row %zu %s/%s: 0xA %08x %08x %08x %08x sig %x pdcm %d "
                     "caps %llx; want %08x %08x %08x %08x sig %x pdcm %d "
                     "caps %llx", i, r->cpu, pmu_policy_name(r->pol), x[0],
                     x[1], x[2], x[3], pmu_cpuid1_eax(pmu), pmu_pdcm(pmu),
                     (unsigned long long)pmu_model_caps(&g), r->a, r->b,
                     r->c, r->d, r->sig, r->pdcm,
                     (unsigned long long)r->caps);
        pmu_destroy(pmu);
    }
}

struct l23_row {
    const char *cpu;
    const char *set;
    enum pmu_policy pol;
    uint32_t sub;
    int present;
    uint32_t a, b, c, d;
};

/* Leaf 0x23 (pmu-spec 2.2): .0 EAX = valid sub-leaves (0, 1, 3, and 2
 * with ACR: 0xB or 0xF, as the dumps; no arch-PEBS 4-5), EBX = features,
 * ECX = TMA slots per cycle (Atom cores); .1 EAX = GP bitmap, EBX = fixed
 * bitmap; .2 ACR reloadable GP, fixed, then causing GP, fixed; .3 EAX =
 * events with positive polarity. Absent without the leaf, and always
 * under KVM. Values from tests/data/dumps where the model has one. */
static const struct l23_row l23_rows[] = {
    {"clearwater-forest", NULL, NAT, 0, 1, 0xF, 0x3, 8, 0},
    {"clearwater-forest", NULL, NAT, 1, 1, 0xFF, 0x77, 0, 0},
    {"clearwater-forest", NULL, NAT, 2, 1, 0xFC, 0x3, 0xFC, 0x3},
    {"clearwater-forest", NULL, NAT, 3, 1, 0xF7F, 0, 0, 0},
    {"clearwater-forest", NULL, NAT, 4, 1, 0, 0, 0, 0},
    {"arch-max", NULL, NAT, 0, 1, 0xF, 0x7, 8, 0},
    {"arch-max", NULL, NAT, 1, 1, 0x3FF, 0x7F, 0, 0},
    {"arch-max", "pmu.events_mask=0x1001", NAT, 3, 1, 0x0FFE, 0, 0, 0},
    /* an explicit bitmap stays when leaf 0xA's count changes */
    {"sierra-forest", "pmu.gp_counters=3", NAT, 1, 1, 0xFF, 0x7, 0, 0},
    {"granite-rapids", NULL, NAT, 0, 1, 0xB, 0, 0, 0},
    {"granite-rapids", NULL, NAT, 3, 1, 0xDFF, 0, 0, 0},
    {"lunar-lake-p", NULL, NAT, 1, 1, 0x3FF, 0xF, 0, 0},
    {"lunar-lake-p", NULL, NAT, 2, 1, 0, 0, 0, 0},
    {"lunar-lake-p", NULL, NAT, 3, 1, 0xDFF, 0, 0, 0},
    {"lunar-lake:atom", NULL, NAT, 0, 1, 0xF, 0x3, 8, 0},
    {"lunar-lake:atom", NULL, NAT, 2, 1, 0xFC, 0x3, 0xFC, 0x3},
    {"meteor-lake:atom", NULL, NAT, 0, 1, 0xB, 0, 6, 0},
    {"sapphire-rapids", NULL, NAT, 0, 0, 0, 0, 0, 0},
    {"clearwater-forest", NULL, LEG, 0, 0, 0, 0, 0, 0},
    {"arch-max", NULL, MED, 1, 0, 0, 0, 0, 0},
};

static void test_leaf_23(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(l23_rows) / sizeof(*l23_rows); i++) {
        const struct l23_row *r = &l23_rows[i];
        struct pmu_model g;
        uint32_t x[4] = {0};
        int present;

        load(r->cpu, r->set, r->pol, &g);
        present = pmu_model_cpuid(&g, 0x23, r->sub, x);
        if (present != r->present || (present && (x[0] != r->a ||
            x[1] != r->b || x[2] != r->c || x[3] != r->d)))
            fail_msg("row %zu %s/%s 0x23.%u: present %d %08x %08x %08x %08x",
                     i, r->cpu, pmu_policy_name(r->pol), r->sub, present,
                     x[0], x[1], x[2], x[3]);
    }
}

/* Overrides reach CPUID; leaves other than 0xA and 0x23 are not the
 * PMU's. */
static void test_overrides_and_other_leaves(void **state)
{
    struct pmu_model g;
    uint32_t x[4];

    (void)state;
    load("sapphire-rapids", "pmu.events_mask=0x5", NAT, &g);
    assert_true(pmu_model_cpuid(&g, 0xA, 0, x));
    assert_int_equal(x[1], 0x5);
    load("sapphire-rapids", "pmu.fixed_width=40", NAT, &g);
    assert_true(pmu_model_cpuid(&g, 0xA, 0, x));
    assert_int_equal(x[3], 4 | 40 << 5 | 1 << 15);
    load("sapphire-rapids", "pmu.anythread_deprecated=0", NAT, &g);
    assert_true(pmu_model_cpuid(&g, 0xA, 0, x));
    assert_int_equal(x[3], 0x604);
    load("sapphire-rapids", "cpu.model=0xCF", NAT, &g);
    assert_int_equal(pmu_model_signature(&g), 0xC06F8);
    load("sapphire-rapids", "cpu.family=0x13", NAT, &g);
    assert_int_equal(pmu_model_signature(&g), 0x480FF8);
    assert_false(pmu_model_cpuid(&g, 0x1, 0, x));
    assert_false(pmu_model_cpuid(&g, 0x0, 0, x));
    assert_false(pmu_model_cpuid(&g, 0xB, 0, x));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaf_0a),
        cmocka_unit_test(test_leaf_23),
        cmocka_unit_test(test_overrides_and_other_leaves),
    };

    return cmocka_run_group_tests_name("pmu_cpuid", tests, NULL, NULL);
}
