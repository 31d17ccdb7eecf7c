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
#include "tests/unit/pmu_test.h"

#define NAT PMU_POLICY_NATIVE
#define LEG PMU_POLICY_KVM_LEGACY
#define MED PMU_POLICY_KVM_MEDIATED

static void model_path(const char *cpu, char *path, size_t len)
{
    const char *dir = getenv("PMVM_CONFIG_DIR");

    snprintf(path, len, "%s/%s.ini", dir ? dir : "configs", cpu);
}

/* Every shipped model loads and validates (the brief's list, and each
 * core type of the hybrid parts); an alias takes its target's name. */
static void test_shipped_models(void **state)
{
    static const char *const names[][2] = {
        {"none", NULL}, {"skylake", NULL}, {"icelake", NULL},
        {"sapphire-rapids", NULL}, {"granite-rapids", NULL},
        {"sierra-forest", NULL}, {"clearwater-forest", NULL},
        {"arch-max", NULL}, {"lunar-lake-p", "lunar-lake:core"},
        {"lunar-lake:core", NULL}, {"lunar-lake:atom", NULL},
        {"arrow-lake:core", NULL}, {"arrow-lake:atom", NULL},
        {"meteor-lake:core", NULL}, {"meteor-lake:atom", NULL},
        {"panther-lake:core", NULL}, {"panther-lake:atom", NULL},
    };
    char err[512];
    struct pmu_model m;

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        if (pmu_test_load(names[i][0], NULL, 0, &m, err, sizeof(err)))
            fail_msg("%s: %s", names[i][0], err);
        assert_string_equal(m.name, names[i][1] ? names[i][1] : names[i][0]);
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
    {"[pmu]\nversion = 5\ngp_counters = 11\ngp_width = 48\n"
     "slots_per_cycle = 4\n", NULL,
     ":3: pmu.gp_counters: pmu.gp_counters = 11: below pmu.version 6 GP "
     "counters have only the legacy MSRs IA32_PMC0-9"},
    {"[pmu]\nversion = 6\ngp_counters = 33\n", NULL,
     ":3: pmu.gp_counters: 33 is above the GLOBAL_CTRL limit of 32"},
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
    {"[pmu]\nversion = 4\nleaf23 = 1\nslots_per_cycle = 4\n", NULL,
     ":3: pmu.leaf23: pmu.leaf23 (CPUID leaf 0x23) needs pmu.version 5 or "
     "later"},
    {"[pmu]\nversion = 6\nleaf23_features = 1\nslots_per_cycle = 4\n", NULL,
     ":3: pmu.leaf23_features: pmu.leaf23_features = 0x1 needs "
     "pmu.leaf23 = 1"},
    {"[pmu]\nversion = 6\nleaf23 = 1\nleaf23_features = 8\n", NULL,
     ":4: pmu.leaf23_features: 0x8 is above the library limit of 0x7"},
    /* leaf 0x23, hybrid parts, auto counter reload (docs/cpu-models.md) */
#define V6 "[pmu]\nversion = 6\ngp_counters = 8\ngp_width = 48\n" \
           "fixed_bitmap = 0x7\nfixed_width = 48\nslots_per_cycle = 8\n" \
           "leaf23 = 1\n"
    {V6 "leaf23_gp_bitmap = 0x7F\n", NULL,
     ":9: pmu.leaf23_gp_bitmap: pmu.leaf23_gp_bitmap = 0x7f lacks GP "
     "counters that leaf 0xA enumerates (pmu.gp_counters = 8)"},
    {V6 "leaf23_fixed_bitmap = 0x3\n", NULL,
     ":9: pmu.leaf23_fixed_bitmap: pmu.leaf23_fixed_bitmap = 0x3 lacks "
     "fixed counters"},
    {V6 "events_length = 7\nleaf23_events = 0x3F\n", NULL,
     ":10: pmu.leaf23_events: pmu.leaf23_events = 0x3f lacks events that "
     "leaf 0xA enumerates available"},
    {V6 "leaf23_events = 0x1000\n", NULL,
     ":9: pmu.leaf23_events: bit 12 (LBR inserts) must be clear"},
    {V6 "events_length = 13\n", NULL,
     ":9: pmu.events_length: CPUID.0AH:EBX bit 12 (LBR inserts) must be "
     "set"},
    {V6 "leaf23_slots = 6\n", NULL,
     ":9: pmu.leaf23_slots: pmu.leaf23_slots = 6 is not the model's "
     "pmu.slots_per_cycle = 8"},
    {V6 "acr_gp = 0x100\n", NULL,
     ":9: pmu.acr_gp: pmu.acr_gp and pmu.acr_cause_gp may name only GP "
     "counters that exist"},
    {V6 "acr_fixed = 0x8\n", NULL,
     ":9: pmu.acr_fixed: pmu.acr_fixed and pmu.acr_cause_fixed may name "
     "only fixed counters that exist"},
    {V6 "acr_gp = 0x1\n", "pmu.version=5",
     "--set: pmu.version: auto counter reload (pmu.acr_*) needs the "
     "version 6 MSR bank"},
    {V6 "leaf23_gp_bitmap = 0x7FF\n", "pmu.version=5",
     "--set: pmu.version: pmu.leaf23_gp_bitmap = 0x7ff: GP counters 10 and "
     "up live only in the version 6 MSR bank"},
    {V6 "[cpu]\nmax_leaf = 0x20\n", NULL,
     ":10: cpu.max_leaf: cpu.max_leaf = 0x20 hides leaf 0x23"},
    {"[cpu]\ncore_type = 0x30\n[pmu]\nversion = 0\n", NULL,
     ":2: cpu.core_type: cpu.core_type = 0x30: 0x20 (Atom) or 0x40 (Core)"},
    {"[cpu]\nnative_model_id = 3\n[pmu]\nversion = 0\n", NULL,
     ":2: cpu.native_model_id: cpu.native_model_id needs cpu.core_type"},
    {"[cpu]\nhybrid = 1\n[pmu]\nversion = 0\n", NULL,
     ":2: cpu.hybrid: a hybrid CPU's model is one core type's view"},
    {"[pmu]\nversion = 0\n[pmu.core]\nversion = 0\n", NULL,
     ": a hybrid CPU: choose a core type"},
    {"[pmu]\nversion = 0\n[pmu.big]\nversion = 0\n", NULL,
     ":4: unknown section [pmu.big]"},
    {"[pmu]\nversion = 0\n[pmu.atom]\nbogus = 0\n", NULL,
     ":4: pmu.bogus: unknown key"},
    {"[alias]\nmodel = skylake\n", NULL, ": an alias of skylake, not a model"},
    {"[alias]\nname = skylake\n", NULL,
     ":2: [alias] takes one key, model = NAME"},
    /* --set */
    {BASE "perf_capabilities = 0xA000\nmetrics_bytes = 8\n",
     "pmu.fixed_bitmap=0x7", "--set: pmu.fixed_bitmap: PERF_METRICS[15] in "
     "pmu.perf_capabilities needs fixed counter 3"},
    {BASE, "pmu.gp_counters=300",
     "--set: pmu.gp_counters: 300 is above the GLOBAL_CTRL limit of 32"},
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
                          "pmu.events_mask=0x40", "pmu.hybrid=1",
                          "cpu.core_type=0x20"};
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
    /* a hybrid model is one core type's view (docs/cpu-models.md) */
    sets[3] = "cpu.hybrid=1";
    assert_int_equal(pmu_model_load(&m, path, sets + 3, 1, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "choose one"));
    assert_int_equal(pmu_model_load(&m, path, sets + 3, 2, err, sizeof(err)),
                     0);
    assert_true(m.hybrid);
    assert_int_equal(m.core_type, 0x20);
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
    /* leaf 0xA's common view; the core's 10 GP and FC3 are leaf 0x23's */
    {"lunar-lake-p", NAT, 6, 8, 0x7, 0x8A000, true, true, false},
    {"lunar-lake:atom", NAT, 6, 8, 0x7, 0x2000, true, true, false},
    {"lunar-lake-p", LEG, 0, 0, 0, 0, false, false, true},
    {"lunar-lake:atom", LEG, 0, 0, 0, 0, false, false, true},
    /* KVM_MAX_NR_INTEL_GP_COUNTERS: 8 of the host's 10, so intercepted */
    {"arch-max", LEG, 2, 8, 0x7, 0x2000, true, false, true},
    {"arch-max", MED, 2, 8, 0xF, 0xA000, true, false, true},
    {"granite-rapids", MED, 2, 8, 0xF, 0xA000, true, false, false},
    {"none", LEG, 0, 0, 0, 0, false, false, true},
};

static void test_policies(void **state)
{
    char err[512];
    struct pmu_model host, g;

    (void)state;
    for (size_t i = 0; i < sizeof(policy_rows) / sizeof(*policy_rows); i++) {
        const struct policy_row *r = &policy_rows[i];
        if (pmu_test_load(r->cpu, NULL, 0, &host, err, sizeof(err)))
            fail_msg("%s: %s", r->cpu, err);
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
    const char *v3[] = {"pmu.version=3"};
    assert_int_equal(pmu_test_load("skylake", v3, 1, &host, err, sizeof(err)),
                     0);
    assert_int_equal(pmu_policy_apply(&host, MED, &g, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "version 4+"));
    assert_int_equal(pmu_policy_apply(&host, LEG, &g, err, sizeof(err)), 0);
    const char *nofw[] = {"pmu.perf_capabilities=0"};
    assert_int_equal(pmu_test_load("skylake", nofw, 1, &host, err,
                                   sizeof(err)), 0);
    assert_int_equal(pmu_policy_apply(&host, MED, &g, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "FW_WRITES"));
    /* Nor on a host without a usable PMU: none, or hybrid (pmu-spec 2.1:
     * KVM gives hybrid hosts no vPMU), though the legacy policy runs
     * there with no PMU. */
    assert_int_equal(pmu_test_load("none", NULL, 0, &host, err, sizeof(err)),
                     0);
    assert_int_equal(pmu_policy_apply(&host, MED, &g, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "version 0"));
    assert_int_equal(pmu_test_load("lunar-lake:atom", NULL, 0, &host, err,
                                   sizeof(err)), 0);
    assert_int_equal(pmu_policy_apply(&host, MED, &g, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "hybrid"));
}

/* The counting gate: selector enable and CPL, GLOBAL_CTRL from v2,
 * CTR_FRZ from v4 (SDM 18.2.2, 18.2.4.1; checklist 19, 51, 59). */
static void test_counter_enabled(void **state)
{
    struct pmu *pmu;
    const char *v1[] = {"pmu.version=1", "pmu.fixed_bitmap=0"};

    (void)state;
    pmu = pmu_test_pmu("sapphire-rapids", NULL, 0, NAT);
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

    pmu = pmu_test_pmu("skylake", v1, 2, NAT);
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
