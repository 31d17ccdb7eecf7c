/* test_pmu_msr.c: RDMSR/WRMSR of every PMU MSR: existence, reserved bits, widths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* One access and what it must give: RDMSR with its value, or WRMSR. */
struct step {
    char op; /* 'R', 'W'; 0 ends the script */
    uint32_t msr;
    uint64_t val; /* written, or expected from a successful read */
    int rc;
};

#define R(msr, rc, want) {'R', (msr), (want), (rc)}
#define W(msr, val, rc) {'W', (msr), (val), (rc)}
#define B(n) (1ull << (n))

/* Each script starts from the reset state of a fresh PMU. */
struct script {
    const char *cpu;
    const char *set[3]; /* --set overrides */
    enum pmu_policy pol;
    const char *why;
    struct step steps[5];
};

static const struct script scripts[] = {
    /* ---- existence by version, counter count, fixed bitmap ---- */
    {"sapphire-rapids", {NULL}, NAT, "SPR PMC0-7", {R(0xC1, OK, 0),
     R(0xC8, OK, 0), R(0x186, OK, 0), R(0x18D, OK, 0), R(0x4C8, OK, 0)}},
    {"skylake", {NULL}, NAT, "checklist 20: G=4", {R(0xC4, OK, 0),
     R(0xC5, GP, 0), R(0x18A, GP, 0), R(0x4C5, GP, 0), W(0xC5, 1, GP)}},
    {"none", {NULL}, NAT, "checklist 17/42: no PMU", {R(0xC1, GP, 0),
     R(0x186, GP, 0), R(0x38F, GP, 0), R(0x309, GP, 0), R(0x345, GP, 0)}},
    {"none", {NULL}, LEG, "checklist 17: KVM quirk 0xC1/0xC2/0x186/0x187",
     {R(0xC1, OK, 0), W(0xC2, 0x1234, OK), R(0xC2, OK, 0), R(0x187, OK, 0),
      R(0xC3, GP, 0)}},
    {"none", {NULL}, LEG, "checklist 17: only those four", {R(0x188, GP, 0),
     W(0x188, 0, GP), R(0x4C1, GP, 0), R(0x38F, GP, 0)}},
    {"sapphire-rapids", {"pmu.gp_counters=1"}, LEG, "KVM quirk, counter 1 "
     "absent", {W(0xC2, 5, OK), R(0xC2, OK, 0), W(0x187, 5, OK),
     R(0x187, OK, 0), R(0xC1, OK, 0)}},
    {"sapphire-rapids", {"pmu.gp_counters=1"}, NAT, "native: no quirk",
     {W(0xC2, 5, GP), R(0xC2, GP, 0), R(0x187, GP, 0)}},
    {"skylake", {"pmu.version=1", "pmu.fixed_bitmap=0"}, NAT,
     "checklist 18: v1", {R(0xC1, OK, 0), R(0x38F, GP, 0), R(0x38D, GP, 0),
     R(0x309, GP, 0), R(0x390, GP, 0)}},
    {"skylake", {"pmu.version=3"}, NAT, "checklist 44: STATUS_SET/INUSE v4+",
     {R(0x38E, OK, 0), R(0x391, GP, 0), R(0x392, GP, 0)}},
    {"skylake", {NULL}, NAT, "checklist 44: v4", {R(0x391, OK, 0),
     R(0x392, OK, 0), R(0x390, OK, 0)}},
    {"sapphire-rapids", {NULL}, LEG, "spec 5.1: KVM caps at v2",
     {R(0x38F, OK, 0xFF), R(0x391, GP, 0), R(0x392, GP, 0)}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 73: FC3", {R(0x30C, OK, 0),
     W(0x30C, 0x1234, OK), R(0x30C, OK, 0x1234), R(0x30D, GP, 0)}},
    {"skylake", {NULL}, NAT, "checklist 73: no FC3", {R(0x30B, OK, 0),
     R(0x30C, GP, 0), W(0x30C, 0, GP)}},
    {"clearwater-forest", {NULL}, NAT, "spec 2.1: 0x77", {R(0x30B, OK, 0),
     R(0x30C, GP, 0), R(0x30D, OK, 0), R(0x30F, OK, 0)}},
    {"clearwater-forest", {NULL}, LEG, "spec 2.1: KVM 3 contiguous",
     {R(0x30B, OK, 0), R(0x30D, GP, 0)}},
    {"sapphire-rapids", {NULL}, LEG, "spec 2.1: KVM <= 3 fixed",
     {R(0x30B, OK, 0), R(0x30C, GP, 0)}},
    {"sapphire-rapids", {NULL}, MED, "spec 5.4: FC3 mediated",
     {R(0x30C, OK, 0), R(0x329, OK, 0)}},
    {"arch-max", {NULL}, NAT, "arch-max FC0-6", {R(0x30F, OK, 0),
     R(0x310, GP, 0), R(0x308, GP, 0)}},
    {"sapphire-rapids", {NULL}, NAT, "not PMU MSRs", {R(0x10, GP, 0),
     R(0x1A0, GP, 0), R(0xC9, GP, 0), R(0x4C9, GP, 0), R(0x393, GP, 0)}},
    /* ---- PERF_METRICS and PERF_CAPABILITIES ---- */
    {"sapphire-rapids", {NULL}, NAT, "checklist 74/76", {R(0x329, OK, 0),
     W(0x329, 0xFFull << 56 | 0x40, OK), R(0x329, OK, 0xFFull << 56 | 0x40)}},
    {"clearwater-forest", {NULL}, NAT, "checklist 74", {R(0x329, GP, 0),
     W(0x329, 0, GP)}},
    {"sapphire-rapids", {NULL}, LEG, "spec 2.1: no metrics", {R(0x329, GP, 0)}},
    {"sapphire-rapids", {NULL}, NAT, "spec 3.5: FC3 write clears metrics",
     {W(0x329, 0x55, OK), W(0x30C, 7, OK), R(0x329, OK, 0), R(0x30C, OK, 7)}},
    {"sapphire-rapids", {NULL}, NAT, "spec 3.5: metrics after FC3",
     {W(0x30C, 7, OK), W(0x329, 0x55, OK), R(0x329, OK, 0x55)}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 34", {R(0x345, OK, 0xA000),
     W(0x345, 0xA000, GP), W(0x345, 0, GP), W(0x345, 0xA001, GP)}},
    {"lunar-lake-p", {NULL}, NAT, "spec 6: LNL caps", {R(0x345, OK, 0x8A000)}},
    {"skylake", {NULL}, LEG, "spec 3.4: KVM FW_WRITES", {R(0x345, OK, 0x2000)}},
    {"sapphire-rapids", {NULL}, MED, "spec 5.4", {R(0x345, OK, 0xA000)}},
    {"none", {NULL}, NAT, "checklist 36: no PDCM", {R(0x345, GP, 0)}},
    {"skylake", {"pmu.perf_capabilities=0"}, NAT, "checklist 30: no FW_WRITES",
     {R(0x4C1, GP, 0), W(0x4C1, 1, GP), R(0xC1, OK, 0), R(0x345, OK, 0)}},
    /* ---- GP counters: widths and the two aliases ---- */
    {"sapphire-rapids", {NULL}, NAT, "checklist 33", {W(0xC1, 0x80000000, OK),
     R(0xC1, OK, 0xFFFF80000000ull), R(0x4C1, OK, 0xFFFF80000000ull)}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 32", {
     W(0xC1, 0xFFFFFF0123456789ull, OK), R(0xC1, OK, 0x23456789),
     R(0x4C1, OK, 0x23456789)}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 8/29", {
     W(0x4C1, 0xFF0123456789ull, OK), R(0xC1, OK, 0xFF0123456789ull),
     W(0x4C1, 0xFFFF, OK), R(0x4C1, OK, 0xFFFF)}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 31", {
     W(0x4C1, 0xFFFFFF0123456789ull, GP), W(0x4C1, B(48), GP),
     W(0x4C1, 0xFFFFFFFFFFFFull, OK), R(0x4C1, OK, 0xFFFFFFFFFFFFull)}},
    {"sapphire-rapids", {NULL}, LEG, "spec 5.5: KVM the same", {
     W(0x4C1, B(48), GP), W(0xC2, 0x80000000, OK),
     R(0xC2, OK, 0xFFFF80000000ull)}},
    {"sapphire-rapids", {"pmu.gp_width=32"}, NAT, "checklist 27: width 32", {
     W(0xC1, 0x80000000, OK), R(0xC1, OK, 0x80000000),
     W(0x4C1, 0x100000000ull, GP)}},
    /* ---- fixed counters: width ---- */
    {"sapphire-rapids", {NULL}, NAT, "SDM 18.2.2: bits above width reserved", {
     W(0x309, 0xFFFFFFFFFFFFull, OK), R(0x309, OK, 0xFFFFFFFFFFFFull),
     W(0x309, B(48), GP), R(0x309, OK, 0xFFFFFFFFFFFFull)}},
    {"sapphire-rapids", {NULL}, LEG, "KVM masks fixed writes", {
     W(0x309, B(48) | 5, OK), R(0x309, OK, 5)}},
    {"sapphire-rapids", {NULL}, MED, "mediated: hardware", {
     W(0x309, B(48), GP)}},
    /* ---- PERFEVTSELx reserved bits ---- */
    {"sapphire-rapids", {NULL}, NAT, "spec 3.1", {W(0x186, 0x43003C, OK),
     R(0x186, OK, 0x43003C), W(0x186, 0xFFDFFFFFull, OK),
     R(0x186, OK, 0xFFDFFFFFull)}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 45: AnyThread, 63:32", {
     W(0x186, B(21), GP), W(0x186, B(32), GP), W(0x186, B(33), GP),
     W(0x186, B(63), GP), R(0x186, OK, 0)}},
    {"skylake", {NULL}, NAT, "spec 3.1: AnyThread v3, not deprecated", {
     W(0x186, B(21), OK), R(0x186, OK, B(21))}},
    {"skylake", {NULL}, LEG, "spec 3.1: KVM always reserves AnyThread", {
     W(0x186, B(21), GP)}},
    {"skylake", {"pmu.version=2"}, NAT, "spec 3.1: AnyThread from v3", {
     W(0x186, B(21), GP)}},
    {"arch-max", {NULL}, NAT, "spec 3.1: EQ, user-disable, UMASK2", {
     W(0x186, B(36), OK), W(0x186, B(37), OK), W(0x186, 0xFFull << 40, OK),
     W(0x186, B(38), GP), W(0x186, B(48), GP)}},
    {"clearwater-forest", {NULL}, NAT, "leaf 0x23 EBX = 0x3", {
     W(0x186, B(36), OK), W(0x186, B(40), OK), W(0x186, B(37), GP)}},
    {"clearwater-forest", {NULL}, LEG, "KVM: no leaf 0x23", {
     W(0x186, B(36), GP), W(0x186, B(40), GP)}},
    /* ---- FIXED_CTR_CTRL reserved bits ---- */
    {"sapphire-rapids", {NULL}, NAT, "spec 3.2", {W(0x38D, 0xBBBB, OK),
     R(0x38D, OK, 0xBBBB), W(0x38D, 0x10000, GP), W(0x38D, 0x4, GP),
     W(0x38D, B(14), GP)}},
    {"sapphire-rapids", {NULL}, NAT, "spec 3.2: upper half", {
     W(0x38D, B(32), GP), W(0x38D, B(33), GP)}},
    {"skylake", {NULL}, NAT, "checklist 39; AnyThread on v4", {
     W(0x38D, 0x1000, GP), W(0x38D, 0x4, OK), W(0x38D, 0x777, OK)}},
    {"skylake", {NULL}, LEG, "spec 3.2: KVM reserves AnyThread", {
     W(0x38D, 0x4, GP), W(0x38D, 0xBBB, OK)}},
    {"lunar-lake-p", {NULL}, NAT, "spec 1.1: METRICS_CLEAR_EN", {
     W(0x38D, B(14), OK), W(0x38D, 0x4, GP), R(0x38D, OK, B(14))}},
    {"clearwater-forest", {NULL}, NAT, "0x77: fields 0-2, 4-6", {
     W(0x38D, 0x3000, GP), W(0x38D, 0xBBB0BBB, OK), W(0x38D, 0x10000000, GP),
     R(0x38D, OK, 0xBBB0BBB)}},
    {"arch-max", {NULL}, NAT, "spec 1.1: user-disable 33+4i", {
     W(0x38D, B(33) | B(57), OK), W(0x38D, B(32), GP), W(0x38D, B(61), GP)}},
    {"sapphire-rapids", {NULL}, MED, "spec 5.4: no metrics clear", {
     W(0x38D, 0xB000, OK), W(0x38D, B(14), GP)}},
    /* ---- GLOBAL_CTRL ---- */
    {"sapphire-rapids", {NULL}, NAT, "checklist 37", {R(0x38F, OK, 0xFF)}},
    {"skylake", {NULL}, NAT, "checklist 37", {R(0x38F, OK, 0xF)}},
    {"clearwater-forest", {NULL}, NAT, "checklist 37", {R(0x38F, OK, 0xFF)}},
    {"sapphire-rapids", {"pmu.gp_counters=0"}, NAT, "checklist 37: G=0", {
     R(0x38F, OK, 0)}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 38/75", {
     W(0x38F, 0xF000000FFull, OK), W(0x38F, B(36), GP), W(0x38F, B(8), GP),
     W(0x38F, B(48), OK), R(0x38F, OK, B(48))}},
    {"sapphire-rapids", {NULL}, NAT, "spec 3.3: reserved", {
     W(0x38F, B(63), GP), W(0x38F, B(47), GP), W(0x38F, B(49), GP)}},
    {"clearwater-forest", {NULL}, NAT, "checklist 74, 0x77", {
     W(0x38F, B(48), GP), W(0x38F, B(35), GP), W(0x38F, 0x77ull << 32, OK),
     R(0x38F, OK, 0x77ull << 32)}},
    {"skylake", {NULL}, NAT, "checklist 38", {W(0x38F, B(34), OK),
     W(0x38F, B(35), GP), W(0x38F, B(4), GP)}},
    {"sapphire-rapids", {NULL}, LEG, "spec 2.1/5.4", {W(0x38F, B(35), GP),
     W(0x38F, B(48), GP), W(0x38F, 0x7000000FFull, OK)}},
    {"sapphire-rapids", {NULL}, MED, "spec 5.4: bit 48 un-reserved", {
     W(0x38F, B(35), OK), W(0x38F, B(48), OK)}},
    /* ---- GLOBAL_STATUS, OVF_CTRL, STATUS_SET ---- */
    {"sapphire-rapids", {NULL}, NAT, "checklist 44: RO", {R(0x38E, OK, 0),
     W(0x38E, 0, GP), W(0x38E, 1, GP)}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 43/44", {W(0x391, 0x3, OK),
     R(0x38E, OK, 0x3), W(0x390, 0x1, OK), R(0x38E, OK, 0x2),
     R(0x390, OK, 0)}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 75: bit 48", {
     W(0x391, B(48) | B(35), OK), R(0x38E, OK, B(48) | B(35)),
     W(0x390, B(48), OK), R(0x38E, OK, B(35))}},
    {"sapphire-rapids", {NULL}, NAT, "SDM: 58, 59, 61-63 v4+; 55/60 not", {
     W(0x391, 0xEC00000000000000ull, OK), W(0x391, B(60), GP),
     W(0x391, B(55), GP), W(0x390, B(8), GP),
     R(0x38E, OK, 0xEC00000000000000ull)}},
    {"clearwater-forest", {NULL}, NAT, "no metrics: bit 48", {
     W(0x391, B(48), GP), W(0x390, B(48), GP), W(0x391, B(36), OK)}},
    {"sapphire-rapids", {NULL}, LEG, "spec 3.3: KVM status bits", {
     W(0x390, B(62) | B(63) | 0xFF, OK), W(0x390, B(61), GP),
     W(0x390, B(59), GP), W(0x390, B(35), GP)}},
    /* ---- GLOBAL_INUSE (SDM 18.2.4.3) ---- */
    {"sapphire-rapids", {NULL}, NAT, "INUSE is read-only", {R(0x392, OK, 0),
     W(0x392, 0, GP)}},
    {"sapphire-rapids", {NULL}, NAT, "INUSE: EVTSEL[7:0], FC EN, PMI", {
     W(0x187, 0x3C, OK), W(0x38D, 0x0830, OK),
     R(0x392, OK, B(1) | B(33) | B(63))}},
    {"sapphire-rapids", {NULL}, NAT, "INUSE: umask alone is not in use", {
     W(0x186, 0x100000 | 0x0100, OK), R(0x392, OK, B(63))}},
    /* ---- PMC8-9 (SDM Table 2-2) and the v6 bank (pmu-spec 0) ---- */
    {"lunar-lake-p", {NULL}, NAT, "spec 6: Lion Cove PMC0-9 (0x23.1 0x3FF)", {
     R(0xC9, OK, 0), R(0xCA, OK, 0), R(0x18F, OK, 0), R(0x4CA, OK, 0),
     R(0x38F, OK, 0x3FF)}},
    {"lunar-lake-p", {NULL}, NAT, "no PMC10", {R(0xCB, GP, 0),
     R(0x1928, GP, 0), R(0x192C, GP, 0), R(0x1990, GP, 0)}},
    {"lunar-lake-p", {NULL}, NAT, "the v6 bank aliases the counters", {
     W(0x1924, 0xFFFF12345678ull, OK), R(0xCA, OK, 0xFFFF12345678ull),
     W(0x1925, 0x4300C0, OK), R(0x18F, OK, 0x4300C0),
     R(0x1904, OK, 0)}},
    {"lunar-lake-p", {NULL}, NAT, "v6 CTR is full width, fixed too", {
     W(0x1900, B(48), GP), W(0xC1, 0x80000000, OK),
     R(0x1900, OK, 0xFFFF80000000ull), W(0x198C, 7, OK), R(0x30C, OK, 7)}},
    {"lunar-lake-p", {NULL}, NAT, "v6 fixed bank: CTR, -, CFG_B, CFG_C", {
     R(0x1980, OK, 0), R(0x1981, GP, 0), R(0x1982, OK, 0), R(0x1983, OK, 0),
     W(0x1901, B(21), GP)}},
    {"lunar-lake-p", {NULL}, NAT, "no ACR on Lion Cove: CFG_B/C hold 0", {
     W(0x1902, 0, OK), W(0x1902, 1, GP), W(0x1903, 1, GP),
     R(0x1903, OK, 0)}},
    {"sapphire-rapids", {NULL}, NAT, "v6 bank needs version 6", {
     R(0x1900, GP, 0), R(0x1901, GP, 0), R(0x1980, GP, 0),
     W(0x1901, 0, GP)}},
    {"lunar-lake-p", {NULL}, LEG, "hybrid under KVM: no PMU", {
     R(0xC9, GP, 0), R(0x1900, GP, 0)}},
    {"arch-max", {NULL}, LEG, "KVM: at most 8 GP, version 2", {
     R(0xC8, OK, 0), R(0xC9, GP, 0), R(0x1900, GP, 0), R(0x38F, OK, 0xFF)}},
    /* ---- auto counter reload (CPUID.23H.2 0xFC/0x3/0xFC/0x3) ---- */
    {"lunar-lake:atom", {NULL}, NAT, "ACR: CFG_B of a reloadable counter", {
     W(0x190A, B(3) | B(33), OK), R(0x190A, OK, B(3) | B(33)),
     W(0x190A, B(1), GP), W(0x190A, B(34), GP), W(0x1902, B(3), GP)}},
    {"lunar-lake:atom", {NULL}, NAT, "ACR: CFG_C within the width", {
     W(0x190B, 0xFFFFFFFFFFF0ull, OK), R(0x190B, OK, 0xFFFFFFFFFFF0ull),
     W(0x190B, B(48), GP), W(0x1987, 5, OK), W(0x198B, 5, GP)}},
};

static void load(const char *cpu, const char *const *sets,
                 enum pmu_policy pol, struct pmu_model *guest)
{
    pmu_test_guest(cpu, sets, 3, pol, guest);
}

static void run_script(size_t n, const struct script *s)
{
    struct pmu *pmu = pmu_test_pmu(s->cpu, s->set, 3, s->pol);

    for (size_t i = 0; i < 5 && s->steps[i].op; i++) {
        const struct step *st = &s->steps[i];
        const char *rule = NULL;
        uint64_t v = 0;
        int rc = st->op == 'R' ? pmu_rdmsr(pmu, st->msr, &v, &rule)
                               : pmu_wrmsr(pmu, st->msr, st->val, &rule);

        if (rc != st->rc || !rule ||
            (st->op == 'R' && rc == OK && v != st->val))
            fail_msg("script %zu %s/%s (%s) step %zu %cDMSR 0x%x: rc %d "
                     "val 0x%llx (%s), want rc %d val 0x%llx", n, s->cpu,
                     pmu_policy_name(s->pol), s->why, i, st->op, st->msr, rc,
                     (unsigned long long)v, rule ? rule : "no rule", st->rc,
                     (unsigned long long)st->val);
    }
    pmu_destroy(pmu);
}

static void test_scripts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(scripts) / sizeof(*scripts); i++)
        run_script(i, &scripts[i]);
}

/* pmu_reset() returns to the reset values of pmu-spec 3.3. */
static void test_reset(void **state)
{
    struct pmu_model g;
    struct pmu *pmu;
    uint64_t v;

    (void)state;
    load("sapphire-rapids", NULL, NAT, &g);
    pmu = pmu_create(&g);
    assert_int_equal(pmu_wrmsr(pmu, 0x38F, 0, NULL), OK);
    assert_int_equal(pmu_wrmsr(pmu, 0xC1, 9, NULL), OK);
    assert_int_equal(pmu_wrmsr(pmu, 0x391, 1, NULL), OK);
    pmu_reset(pmu);
    assert_int_equal(pmu_rdmsr(pmu, 0x38F, &v, NULL), OK);
    assert_int_equal(v, 0xFF);
    assert_int_equal(pmu_rdmsr(pmu, 0xC1, &v, NULL), OK);
    assert_int_equal(v, 0);
    assert_int_equal(pmu_rdmsr(pmu, 0x38E, &v, NULL), OK);
    assert_int_equal(v, 0);
    pmu_destroy(pmu);
}

/* The MSR filter table: <= 16 ranges of <= 0x600*8 MSRs, covering every
 * PMU MSR of pmu-spec 0 for any model (and the KVM quirk's four). */
static void test_ranges(void **state)
{
    static const uint32_t must[] = {
        0xC1, 0xC2, 0xC8, 0x186, 0x187, 0x18D, 0x309, 0x30C, 0x30D, 0x30F,
        0x329, 0x345, 0x38D, 0x38E, 0x38F, 0x390, 0x391, 0x392, 0x4C1, 0x4C8,
        /* PMC8-9 (SDM Table 2-2), the v6 bank of 32 GP and 7 fixed
         * counters (pmu-spec 0) */
        0xC9, 0xCA, 0x18E, 0x18F, 0x4C9, 0x4CA, 0x1900, 0x1903, 0x197F,
        0x1980, 0x199B,
    };
    static const uint32_t must_not[] = {0xC0, 0xCB, 0x185, 0x190, 0x308,
                                        0x310, 0x38C, 0x393, 0x4CB, 0x18FF,
                                        0x199C};
    const struct pmu_msr_range *r;
    size_t n = pmu_msr_ranges(&r);

    (void)state;
    assert_true(n >= 1 && n <= 16);
    for (size_t i = 0; i < n; i++)
        assert_true(r[i].count >= 1 && r[i].count <= 0x600 * 8);
    for (size_t k = 0; k < 2; k++) {
        const uint32_t *list = k ? must_not : must;
        size_t len = k ? sizeof(must_not) / 4 : sizeof(must) / 4;
        for (size_t j = 0; j < len; j++) {
            bool in = false;
            for (size_t i = 0; i < n; i++)
                in |= list[j] >= r[i].first &&
                      list[j] - r[i].first < r[i].count;
            if (in == (bool)k)
                fail_msg("MSR 0x%x %s the ranges", list[j],
                         k ? "is in" : "is missing from");
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scripts),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_ranges),
    };

    return cmocka_run_group_tests_name("pmu_msr", tests, NULL, NULL);
}
