/* test_pmu_from_cpuid.c: a model from a CPU's own CPUID answers (dump lines of real CPUs, expected fields by hand). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pmu/pmu.h"

#define R(l, s, a, b, c, d) {l, s, 0x##a, 0x##b, 0x##c, 0x##d}

static void dump_of(struct pmu_cpuid_dump *d, const struct pmu_cpuid_regs *r,
                    size_t n)
{
    memset(d, 0, sizeof(*d));
    memcpy(d->regs, r, n * sizeof(*r));
    d->n = n;
}

static uint64_t bit(const char *key)
{
    for (size_t i = 0; pmu_model_key_name(i); i++)
        if (strcmp(pmu_model_key_name(i), key) == 0)
            return 1ull << i;
    fail_msg("no key %s", key);
    return 0;
}

/* tests/data/dumps/skylake.txt: a version 4 PMU, no leaf 0x1A or 0x23. */
static const struct pmu_cpuid_regs skylake_x[] = {
    R(0, 0, 00000016, 756E6547, 6C65746E, 49656E69),
    R(1, 0, 00050654, 00200800, 7FFEFBBF, BFEBFBFF),
    R(4, 0, 3C004121, 01C0003F, 0000003F, 00000000),
    R(4, 1, 3C004122, 01C0003F, 0000003F, 00000000),
    R(4, 2, 3C004143, 03C0003F, 000003FF, 00000000),
    R(4, 3, 3C07C163, 0280003F, 00004FFF, 00000004),
    R(7, 0, 00000000, D39FFFFB, 00000000, 00000000),
    R(0xA, 0, 07300404, 00000000, 00000000, 00000603),
};

static void test_skylake_x(void **state)
{
    struct pmu_cpuid_dump d;
    struct pmu_model m;
    uint64_t inferred;
    char err[256];

    (void)state;
    dump_of(&d, skylake_x, sizeof(skylake_x) / sizeof(skylake_x[0]));
    assert_int_equal(pmu_model_from_cpuid(&m, &d, &inferred, err,
                                          sizeof(err)), 0);
    assert_int_equal(m.family, 6);
    assert_int_equal(m.model, 0x55);
    assert_int_equal(m.stepping, 4);
    assert_int_equal(m.max_leaf, 0x16);
    assert_false(m.hybrid);
    assert_true(m.pdcm);
    assert_int_equal(m.version, 4);
    assert_int_equal(m.gp_counters, 4);
    assert_int_equal(m.gp_width, 48);
    assert_int_equal(m.events_length, 7);
    assert_int_equal(m.events_mask, 0);
    assert_int_equal(m.fixed_bitmap, 0x7); /* EDX[4:0] = 3 */
    assert_int_equal(m.fixed_width, 48);
    assert_false(m.anythread_deprecated);
    assert_int_equal(m.core_type, 0);
    assert_false(m.leaf23);
    /* no MSR read: full-width writes only, no FC3 so no PERF_METRICS */
    assert_int_equal(m.perf_capabilities, PMU_CAP_FW_WRITES);
    assert_int_equal(m.metrics_bytes, 0);
    assert_int_equal(m.slots_per_cycle, 4);
    /* leaf 4: 8 ways x 64 sets x 64 B; 16 x 1024 x 64; 11 x 20480 x 64 */
    assert_int_equal(m.l1d_kib, 32);
    assert_int_equal(m.l1d_ways, 8);
    assert_int_equal(m.l2_kib, 1024);
    assert_int_equal(m.l2_ways, 16);
    assert_int_equal(m.llc_kib, 14080);
    assert_int_equal(m.llc_ways, 11);
    assert_int_equal(inferred, bit("pmu.perf_capabilities") |
                                   bit("pmu.slots_per_cycle"));
}

/* tests/data/dumps/icelake.txt: fixed counter 3 and the 4 L1 metrics. */
static const struct pmu_cpuid_regs icelake_x[] = {
    R(0, 0, 0000001B, 756E6547, 6C65746E, 49656E69),
    R(1, 0, 000606A6, 00400800, 7FFEFBFF, BFEBFBFF),
    R(4, 0, 7C004121, 02C0003F, 0000003F, 00000000),
    R(4, 1, 7C004122, 01C0003F, 0000003F, 00000000),
    R(4, 2, 7C004143, 04C0003F, 000003FF, 00000000),
    R(4, 3, 7C0FC163, 02C0003F, 0000BFFF, 00000004),
    R(7, 0, 00000000, F3BFBFFF, 40417F4E, BC040412),
    R(0xA, 0, 08300805, 00000000, 0000000F, 00008604),
    R(0x1A, 0, 00000000, 00000000, 00000000, 00000000),
};

static void test_icelake_x(void **state)
{
    struct pmu_cpuid_dump d;
    struct pmu_model m;
    uint64_t inferred;
    char err[256];

    (void)state;
    dump_of(&d, icelake_x, sizeof(icelake_x) / sizeof(icelake_x[0]));
    assert_int_equal(pmu_model_from_cpuid(&m, &d, &inferred, err,
                                          sizeof(err)), 0);
    assert_int_equal(m.model, 0x6A);
    assert_int_equal(m.version, 5);
    assert_int_equal(m.gp_counters, 8);
    assert_int_equal(m.fixed_bitmap, 0xF);
    assert_true(m.anythread_deprecated);
    assert_int_equal(m.perf_capabilities,
                     PMU_CAP_FW_WRITES | PMU_CAP_PERF_METRICS);
    assert_int_equal(m.metrics_bytes, 4);
    assert_int_equal(m.slots_per_cycle, 5);
    assert_int_equal(m.l1d_kib, 48);
    assert_int_equal(m.l2_kib, 1280);
    assert_int_equal(m.l2_ways, 20);
    assert_int_equal(m.llc_kib, 36864);
    assert_int_equal(m.llc_ways, 12);
}

/* tests/data/dumps/lunar-lake.txt, logical CPU 4 (Skymont). */
static const struct pmu_cpuid_regs skymont[] = {
    R(0, 0, 00000023, 756E6547, 6C65746E, 49656E69),
    R(1, 0, 000B06D1, 40800800, 7FFAFBFF, BFEBFBFF),
    R(4, 0, FC000121, 01C0003F, 0000003F, 00000001),
    R(4, 1, FC000122, 01C0003F, 0000007F, 00000001),
    R(4, 2, FC01C143, 03C0003F, 00000FFF, 00000001),
    R(7, 0, 00000002, 239CA7EB, 994027AC, FC1CC430),
    R(0xA, 0, 0D300806, 00000280, 00000007, 00008603),
    R(0x1A, 0, 20000003, 00000000, 00000000, 00000000),
    R(0x23, 0, 0000000F, 00000003, 00000008, 00000000),
    R(0x23, 1, 000000FF, 00000077, 00000000, 00000000),
    R(0x23, 2, 000000FC, 00000003, 000000FC, 00000003),
    R(0x23, 3, 00001F7F, 00000000, 00000000, 00000000),
};

static void test_skymont(void **state)
{
    struct pmu_cpuid_dump d;
    struct pmu_model m;
    uint64_t inferred;
    char err[256];

    (void)state;
    dump_of(&d, skymont, sizeof(skymont) / sizeof(skymont[0]));
    assert_int_equal(pmu_model_from_cpuid(&m, &d, &inferred, err,
                                          sizeof(err)), 0);
    assert_true(m.hybrid);
    assert_int_equal(m.core_type, PMU_CORE_TYPE_ATOM);
    assert_int_equal(m.native_model_id, 3);
    assert_int_equal(m.version, 6);
    /* 0x280, and LBR inserts (bit 12) unavailable: pmvm has no LBR */
    assert_int_equal(m.events_mask, 0x1280);
    assert_int_equal(m.fixed_bitmap, 0x7);
    assert_true(m.leaf23);
    assert_int_equal(m.leaf23_features, 0x3);
    assert_int_equal(m.leaf23_slots, 8);
    assert_int_equal(m.leaf23_gp_bitmap, 0xFF);
    assert_int_equal(m.leaf23_fixed_bitmap, 0x77);
    assert_int_equal(m.acr_gp, 0xFC);
    assert_int_equal(m.acr_fixed, 0x3);
    assert_int_equal(m.acr_cause_gp, 0xFC);
    assert_int_equal(m.acr_cause_fixed, 0x3);
    assert_int_equal(m.leaf23_events, 0xF7F);
    /* an Atom core: no PERF_METRICS */
    assert_int_equal(m.perf_capabilities, PMU_CAP_FW_WRITES);
    assert_int_equal(m.slots_per_cycle, 8);
    /* no level 3 in this core type's leaf 4 */
    assert_int_equal(m.l2_kib, 4096);
    assert_int_equal(m.llc_kib, 0);
    assert_int_equal(m.llc_ways, 0);
    assert_int_equal(inferred, bit("pmu.perf_capabilities"));
}

/* PERF_CAPABILITIES read from the MSR: the bits pmvm implements, no
 * inference. 0x33C3 is Skylake's value with FW_WRITES[13]. */
static void test_msr_read(void **state)
{
    struct pmu_cpuid_dump d;
    struct pmu_model m;
    uint64_t inferred;
    char err[256];

    (void)state;
    dump_of(&d, skylake_x, sizeof(skylake_x) / sizeof(skylake_x[0]));
    d.have_perf_caps = true;
    d.perf_caps = 0x33C3;
    assert_int_equal(pmu_model_from_cpuid(&m, &d, &inferred, err,
                                          sizeof(err)), 0);
    assert_int_equal(m.perf_capabilities, 0x2000);
    assert_int_equal(inferred, bit("pmu.slots_per_cycle"));
}

static void test_refusals(void **state)
{
    static const struct pmu_cpuid_regs amd[] = {
        R(0, 0, 0000000D, 68747541, 444D4163, 69746E65),
        R(1, 0, 00B00F21, 21FE0800, FED83203, 178BFBFF),
    };
    struct pmu_cpuid_dump d;
    struct pmu_model m;
    uint64_t inferred;
    char err[256];

    (void)state;
    dump_of(&d, amd, 2);
    assert_int_equal(pmu_model_from_cpuid(&m, &d, &inferred, err,
                                          sizeof(err)), -1);
    assert_non_null(strstr(err, "AuthenticAMD"));
    dump_of(&d, amd + 1, 1);
    assert_int_equal(pmu_model_from_cpuid(&m, &d, &inferred, err,
                                          sizeof(err)), -1);
    assert_non_null(strstr(err, "leaf 0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skylake_x),
        cmocka_unit_test(test_icelake_x),
        cmocka_unit_test(test_skymont),
        cmocka_unit_test(test_msr_read),
        cmocka_unit_test(test_refusals),
    };

    return cmocka_run_group_tests_name("pmu_from_cpuid", tests, NULL, NULL);
}
