/* test_pmu_model.c: model files, --set, validation messages, policies, counting gate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pmu/pmu.h"

#define NAT PMU_POLICY_NATIVE
#define LEG PMU_POLICY_KVM_LEGACY
#define MED PMU_POLICY_KVM_MEDIATED

static void model_path(const char *cpu, char *path, size_t len)
{
    const char *dir = getenv("PMVM_CONFIG_DIR");

    snprintf(path, len, "%s/%s.ini", dir ? dir : "configs", cpu);
}

/* Every shipped model loads and validates (the brief's list). */
static void test_shipped_models(void **state)
{
    static const char *const names[] = {
        "none", "skylake", "icelake", "sapphire-rapids", "granite-rapids",
        "sierra-forest", "clearwater-forest", "lunar-lake-p", "arch-max",
    };
    char path[512], err[512];
    struct pmu_model m;

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        model_path(names[i], path, sizeof(path));
        if (pmu_model_load(&m, path, NULL, 0, err, sizeof(err)))
            fail_msg("%s: %s", names[i], err);
        assert_string_equal(m.name, names[i]);
        assert_int_equal(m.policy, NAT);
        assert_int_equal(pmu_model_validate(&m, err, sizeof(err)), 0);
    }
}

/* A model file's body, the overrides, and the error expected (as a
 * substring after the file name), each written from the validation rules
 * of docs/cpu-models.md. */
struct bad_row {
    const char *body;
    const char *set;
    const char *want;
};

#define BASE "[pmu]\nversion = 5\ngp_counters = 8\ngp_width = 48\n" \
             "fixed_bitmap = 0xF\nfixed_width = 48\npdcm = 1\n"     \
             "slots_per_cycle = 4\n"

static const struct bad_row bad_rows[] = {
    /* A syntax error is reported at its own line, not at the key error
     * it causes later. */
    {"[pmu\nversion = 5\n", NULL, ":1: not \"key = value\""},
    {"[pmu]\nversion = 5\nbogus = 1\n[cpu\n", NULL,
     ":3: pmu.bogus: unknown key"},
    {"[pmu]\nversion = 5\ngp_counters = 9\n", NULL,
     ":3: pmu.gp_counters: 9 is above the library limit of 8"},
    {"[pmu]\nversion = 7\n", NULL,
     ":2: pmu.version: 7 is above the architectural limit of 6"},
    {"[pmu]\nversion = 2\ngp_width = 65\n", NULL,
     ":3: pmu.gp_width: 65 is above the architectural limit of 64"},
    {"[pmu]\nversion = 2\nfixed_bitmap = 0x80\n", NULL,
     ":3: pmu.fixed_bitmap: 0x80 is above the library limit of 0x7f"},
    {"[pmu]\nversion = 2\nevents_length = 14\n", NULL,
     ":3: pmu.events_length: 14 is above the library limit of 13"},
    {"[pmu]\nversion = 2\nfoo = 1\n", NULL, ":3: pmu.foo: unknown key"},
    {"[pmx]\nversion = 2\n", NULL, ":2: unknown section [pmx]"},
    {"[pmu]\nversion = 12abc\n", NULL,
     ":2: pmu.version: \"12abc\" is not a number"},
    {"[pmu]\nversion = -1\n", NULL, ":2: pmu.version: \"-1\" is not a number"},
    {"[pmu]\nversion = 2\npdcm = 2\n", NULL,
     ":3: pmu.pdcm: \"2\" is not 0 or 1"},
    {"[pmu]\nversion = 2\n\nversion = 3\n", NULL,
     ":4: pmu.version: set twice (first at line 2)"},
    {"[pmu]\nversion 2\n", NULL, ":2: not \"key = value\""},
    {"[cpu]\nvendor = AuthenticAMD\n[pmu]\nversion = 2\n", NULL,
     ":2: cpu.vendor: \"AuthenticAMD\": the library models the Intel PMU"},
    {"[cpu]\nfamily = 5\nmodel = 0x55\n[pmu]\nversion = 0\n", NULL,
     ":3: cpu.model: cpu.model = 0x55 needs cpu.family 6 or 0xF+"},
    {"[cpu]\nmodel = 0x55\nfamily = 5\n[pmu]\nversion = 0\n", NULL,
     ":3: cpu.family: cpu.model = 0x55 needs cpu.family 6 or 0xF+"},
    {"[pmu]\ngp_counters = 1\n", NULL, ": pmu.version is missing"},
    /* contradictions, blamed on the later of the two keys */
    {"[pmu]\nversion = 5\ngp_counters = 2\ngp_width = 48\n"
     "fixed_bitmap = 0x7\nfixed_width = 48\npdcm = 1\n"
     "perf_capabilities = 0x8000\nmetrics_bytes = 8\nslots_per_cycle = 4\n",
     NULL, ":8: pmu.perf_capabilities: PERF_METRICS[15] in "
     "pmu.perf_capabilities needs fixed counter 3 (TOPDOWN.SLOTS)"},
    {BASE "perf_capabilities = 0x82000\n", NULL,
     ":9: pmu.perf_capabilities: RDPMC_METRICS_CLEAR[19] in "
     "pmu.perf_capabilities needs PERF_METRICS[15]"},
    {BASE "perf_capabilities = 0x1\n", NULL,
     ":9: pmu.perf_capabilities: bit 0 of 0x1 is not implemented"},
    {BASE "perf_capabilities = 0xA000\nmetrics_bytes = 6\n", NULL,
     ":10: pmu.metrics_bytes: pmu.metrics_bytes = 6: must be 4 or 8"},
    {BASE "metrics_bytes = 4\n", NULL,
     ":9: pmu.metrics_bytes: pmu.metrics_bytes = 4: must be 4 or 8 with "
     "PERF_METRICS[15] in pmu.perf_capabilities and 0 without"},
    {"[pmu]\nversion = 5\nperf_capabilities = 0x2000\n", NULL,
     ":3: pmu.perf_capabilities: pmu.perf_capabilities = 0x2000 needs "
     "pmu.pdcm = 1"},
    {"[pmu]\nversion = 5\nperf_capabilities = 0x2000\npdcm = 1\n",
     "pmu.pdcm=0", "--set: pmu.pdcm: pmu.perf_capabilities = 0x2000 needs "
     "pmu.pdcm = 1"},
    {"[pmu]\nversion = 4\nfixed_bitmap = 0x77\nfixed_width = 48\n"
     "slots_per_cycle = 4\n", NULL,
     ":3: pmu.fixed_bitmap: pmu.fixed_bitmap = 0x77 is not contiguous "
     "from 0"},
    {"[pmu]\nversion = 1\nfixed_bitmap = 0x1\nfixed_width = 48\n"
     "slots_per_cycle = 4\n", NULL,
     ":3: pmu.fixed_bitmap: fixed counters (pmu.fixed_bitmap = 0x1) need "
     "pmu.version >= 2"},
    {"[pmu]\nversion = 0\ngp_counters = 1\n", NULL,
     ":3: pmu.gp_counters: pmu.gp_counters = 1 needs pmu.version >= 1"},
    {"[pmu]\nversion = 2\ngp_counters = 1\nslots_per_cycle = 4\n", NULL,
     ":3: pmu.gp_counters: pmu.gp_width must be 1..64 when "
     "pmu.gp_counters > 0"},
    {"[pmu]\nversion = 2\nevents_length = 7\nevents_mask = 0x80\n"
     "slots_per_cycle = 4\n", NULL,
     ":4: pmu.events_mask: pmu.events_mask = 0x80 has bits at or above "
     "pmu.events_length = 7"},
    {"[pmu]\nversion = 5\nleaf23 = 1\nslots_per_cycle = 4\n", NULL,
     ":3: pmu.leaf23: pmu.leaf23 (CPUID leaf 0x23) needs pmu.version 6"},
    {"[pmu]\nversion = 6\nleaf23_features = 1\nslots_per_cycle = 4\n", NULL,
     ":3: pmu.leaf23_features: pmu.leaf23_features = 0x1 needs "
     "pmu.leaf23 = 1"},
    {"[pmu]\nversion = 6\nleaf23 = 1\nleaf23_features = 8\n", NULL,
     ":4: pmu.leaf23_features: 0x8 is above the library limit of 0x7"},
    /* --set */
    {BASE "perf_capabilities = 0xA000\nmetrics_bytes = 8\n",
     "pmu.fixed_bitmap=0x7", "--set: pmu.fixed_bitmap: PERF_METRICS[15] in "
     "pmu.perf_capabilities needs fixed counter 3"},
    {BASE, "pmu.gp_counters=300",
     "--set: pmu.gp_counters: 300 is above the library limit of 8"},
    {BASE, "pmu.nope=1", "--set: pmu.nope: unknown key"},
    {BASE, "pmu.version", "--set pmu.version: expected section.key=value"},
    {BASE, "cpu.vendor=GenuineIotel", "--set: cpu.vendor: \"GenuineIotel\""},
};

static void write_file(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(body, f);
    fclose(f);
}

static void test_bad_models(void **state)
{
    char path[] = "/tmp/pmvm-test-modelXXXXXX", err[512];
    struct pmu_model m;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof(bad_rows) / sizeof(*bad_rows); i++) {
        const struct bad_row *r = &bad_rows[i];
        const char *sets[] = {r->set};

        write_file(path, r->body);
        err[0] = '\0';
        if (pmu_model_load(&m, path, sets, r->set ? 1 : 0, err,
                           sizeof(err)) == 0 || !strstr(err, r->want))
            fail_msg("row %zu: got '%s', want '...%s...'", i, err, r->want);
        if (strchr(err, '\n'))
            fail_msg("row %zu: the message is not one line: '%s'", i, err);
    }
    unlink(path);
}

static void test_long_line(void **state)
{
    char path[] = "/tmp/pmvm-test-modelXXXXXX", err[512], body[400];
    struct pmu_model m;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    snprintf(body, sizeof(body), "[pmu]\nversion = 2 ; %0300d\n", 0);
    write_file(path, body);
    assert_int_equal(pmu_model_load(&m, path, NULL, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":2: line longer than"));
    unlink(path);
}

/* Overrides reach every key; a good --set changes the value. */
static void test_sets(void **state)
{
    const char *sets[] = {"pmu.gp_counters=4", "cpu.stepping=2",
                          "pmu.events_mask=0x40", "pmu.hybrid=1"};
    char path[512], err[512];
    struct pmu_model m;

    (void)state;
    model_path("sapphire-rapids", path, sizeof(path));
    assert_int_equal(pmu_model_load(&m, path, sets, 3, err, sizeof(err)), 0);
    assert_int_equal(m.gp_counters, 4);
    assert_int_equal(m.stepping, 2);
    assert_int_equal(m.events_mask, 0x40);
    /* hybrid is a cpu key */
    assert_int_equal(pmu_model_load(&m, path, sets + 3, 1, err, sizeof(err)),
                     -1);
    sets[3] = "cpu.hybrid=1";
    assert_int_equal(pmu_model_load(&m, path, sets + 3, 1, err, sizeof(err)),
                     0);
    assert_true(m.hybrid);
    for (size_t i = 0; pmu_model_key_name(i); i++) {
        char set[96];
        const char *one[] = {set};
        snprintf(set, sizeof(set), "%s=%s", pmu_model_key_name(i),
                 strcmp(pmu_model_key_name(i), "cpu.vendor") ? "0" :
                                                               "GenuineIntel");
        /* every key is reachable: it parses (validation may refuse 0) */
        if (pmu_model_load(&m, path, one, 1, err, sizeof(err)) &&
            (strstr(err, "unknown key") || strstr(err, "is not")))
            fail_msg("%s: %s", set, err);
    }
}

static void test_policy_names(void **state)
{
    enum pmu_policy p;

    (void)state;
    assert_true(pmu_policy_from_string("native", &p));
    assert_int_equal(p, NAT);
    assert_true(pmu_policy_from_string("kvm-legacy", &p));
    assert_int_equal(p, LEG);
    assert_true(pmu_policy_from_string("kvm-mediated", &p));
    assert_int_equal(p, MED);
    assert_false(pmu_policy_from_string("KVM-legacy", &p));
    assert_false(pmu_policy_from_string("", &p));
    assert_false(pmu_policy_from_string("kvm", &p));
    assert_string_equal(pmu_policy_name(MED), "kvm-mediated");
}

/* What each policy gives a guest (pmu-spec 2.1, 3.4, 5.1-5.4). */
struct policy_row {
    const char *cpu;
    enum pmu_policy pol;
    uint32_t version, gp, fixed_bitmap;
    uint64_t caps;
    bool anythread_deprecated, leaf23, kvm_decode;
};

static const struct policy_row policy_rows[] = {
    {"sapphire-rapids", NAT, 5, 8, 0xF, 0xA000, true, false, false},
    {"sapphire-rapids", LEG, 2, 8, 0x7, 0x2000, true, false, true},
    {"sapphire-rapids", MED, 2, 8, 0xF, 0xA000, true, false, false},
    {"skylake", NAT, 4, 4, 0x7, 0x2000, false, false, false},
    {"skylake", LEG, 2, 4, 0x7, 0x2000, true, false, true},
    {"skylake", MED, 2, 4, 0x7, 0x2000, true, false, false},
    {"clearwater-forest", NAT, 6, 8, 0x77, 0x2000, true, true, false},
    {"clearwater-forest", LEG, 2, 8, 0x7, 0x2000, true, false, true},
    /* 3 fixed vs the host's 6 (popcount): RDPMC intercepted */
    {"clearwater-forest", MED, 2, 8, 0x7, 0x2000, true, false, true},
    {"lunar-lake-p", NAT, 6, 8, 0xF, 0x8A000, true, true, false},
    {"lunar-lake-p", LEG, 0, 0, 0, 0, false, false, true},
    {"arch-max", MED, 2, 8, 0xF, 0xA000, true, false, true},
    {"none", LEG, 0, 0, 0, 0, false, false, true},
};

static void test_policies(void **state)
{
    char path[512], err[512];
    struct pmu_model host, g;

    (void)state;
    for (size_t i = 0; i < sizeof(policy_rows) / sizeof(*policy_rows); i++) {
        const struct policy_row *r = &policy_rows[i];
        model_path(r->cpu, path, sizeof(path));
        assert_int_equal(pmu_model_load(&host, path, NULL, 0, err,
                                        sizeof(err)), 0);
        assert_int_equal(pmu_policy_apply(&host, r->pol, &g, err,
                                          sizeof(err)), 0);
        if (g.version != r->version || g.gp_counters != r->gp ||
            g.fixed_bitmap != r->fixed_bitmap ||
            pmu_model_caps(&g) != r->caps ||
            g.anythread_deprecated != r->anythread_deprecated ||
            g.leaf23 != r->leaf23 || g.rdpmc_kvm_decode != r->kvm_decode ||
            g.policy != r->pol)
            fail_msg("row %zu %s/%s: v%u gp %u fixed 0x%x caps 0x%llx any %d"
                     " l23 %d decode %d", i, r->cpu, pmu_policy_name(r->pol),
                     g.version, g.gp_counters, g.fixed_bitmap,
                     (unsigned long long)pmu_model_caps(&g),
                     g.anythread_deprecated, g.leaf23, g.rdpmc_kvm_decode);
    }
    /* The mediated vPMU needs a v4+ host with FW_WRITES (pmu-spec 5.1). */
    model_path("skylake", path, sizeof(path));
    const char *v3[] = {"pmu.version=3"};
    assert_int_equal(pmu_model_load(&host, path, v3, 1, err, sizeof(err)), 0);
    assert_int_equal(pmu_policy_apply(&host, MED, &g, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "version 4+"));
    assert_int_equal(pmu_policy_apply(&host, LEG, &g, err, sizeof(err)), 0);
    const char *nofw[] = {"pmu.perf_capabilities=0"};
    assert_int_equal(pmu_model_load(&host, path, nofw, 1, err, sizeof(err)),
                     0);
    assert_int_equal(pmu_policy_apply(&host, MED, &g, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "FW_WRITES"));
    /* Nor on a host without a usable PMU: none, or hybrid (pmu-spec 2.1:
     * KVM gives hybrid hosts no vPMU), though the legacy policy runs
     * there with no PMU. */
    model_path("none", path, sizeof(path));
    assert_int_equal(pmu_model_load(&host, path, NULL, 0, err, sizeof(err)),
                     0);
    assert_int_equal(pmu_policy_apply(&host, MED, &g, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "version 0"));
    model_path("lunar-lake-p", path, sizeof(path));
    assert_int_equal(pmu_model_load(&host, path, NULL, 0, err, sizeof(err)),
                     0);
    assert_int_equal(pmu_policy_apply(&host, MED, &g, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "hybrid"));
}

/* The counting gate: selector enable and CPL, GLOBAL_CTRL from v2,
 * CTR_FRZ from v4 (SDM 18.2.2, 18.2.4.1; checklist 19, 51, 59). */
static void test_counter_enabled(void **state)
{
    char path[512], err[512];
    struct pmu_model g;
    struct pmu *pmu;
    const char *v1[] = {"pmu.version=1", "pmu.fixed_bitmap=0"};

    (void)state;
    model_path("sapphire-rapids", path, sizeof(path));
    assert_int_equal(pmu_model_load(&g, path, NULL, 0, err, sizeof(err)), 0);
    pmu = pmu_create(&g);
    assert_false(pmu_counter_enabled(pmu, 0, 0));
    assert_int_equal(pmu_wrmsr(pmu, 0x186, 0x4200C0, NULL), PMU_OK);
    assert_true(pmu_counter_enabled(pmu, 0, 0));  /* EN|OS, reset CTRL */
    assert_false(pmu_counter_enabled(pmu, 0, 3)); /* no USR */
    assert_int_equal(pmu_wrmsr(pmu, 0x38F, 0x1ull << 32, NULL), PMU_OK);
    assert_false(pmu_counter_enabled(pmu, 0, 0)); /* global gate */
    assert_int_equal(pmu_wrmsr(pmu, 0x38D, 0x2, NULL), PMU_OK);
    assert_true(pmu_counter_enabled(pmu, PMU_IDX_FIXED(0), 3));
    assert_false(pmu_counter_enabled(pmu, PMU_IDX_FIXED(0), 0));
    assert_int_equal(pmu_wrmsr(pmu, 0x391, 1ull << 59, NULL), PMU_OK);
    assert_false(pmu_counter_enabled(pmu, PMU_IDX_FIXED(0), 3)); /* frozen */
    assert_false(pmu_counter_enabled(pmu, PMU_IDX_FIXED(4), 3)); /* absent */
    assert_true(pmu_counter_set(pmu, PMU_IDX_FIXED(1), ~0ull));
    assert_int_equal(pmu_counter_get(pmu, PMU_IDX_FIXED(1)), 0xFFFFFFFFFFFF);
    assert_false(pmu_counter_set(pmu, 8, 1));
    pmu_destroy(pmu);

    model_path("skylake", path, sizeof(path));
    assert_int_equal(pmu_model_load(&g, path, v1, 2, err, sizeof(err)), 0);
    pmu = pmu_create(&g);
    assert_int_equal(pmu_wrmsr(pmu, 0x187, 0x4100C0, NULL), PMU_OK);
    assert_true(pmu_counter_enabled(pmu, 1, 3)); /* v1: no global gate */
    pmu_destroy(pmu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_models),
        cmocka_unit_test(test_bad_models),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_policy_names),
        cmocka_unit_test(test_policies),
        cmocka_unit_test(test_counter_enabled),
    };

    return cmocka_run_group_tests_name("pmu_model", tests, NULL, NULL);
}
