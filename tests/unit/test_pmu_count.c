/* test_pmu_count.c: counting: events, enables, CMASK/INV/EDGE, overflow, PERF_METRICS, the model. */
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

/*
 * Every expected value is worked out by hand from the checklist and the
 * model in docs/counting.md (cycle costs, predictor, topdown split), never
 * from the code under test. The numbers of the checklist-47 region are
 * derived step by step in docs/counting.md ("The checklist-47 region").
 */

#define NAT PMU_POLICY_NATIVE
#define LEG PMU_POLICY_KVM_LEGACY

#define B(n) (1ull << (n))
#define EVTSEL(i) (0x186u + (i))
#define PMC(i) (0xC1u + (i))
#define APMC(i) (0x4C1u + (i))
#define FCTR(i) (0x309u + (i))
#define METRICS 0x329u
#define FCC 0x38Du
#define GSTAT 0x38Eu
#define GCTRL 0x38Fu
#define OVF 0x390u
#define STATUS_SET 0x391u

/* PERFEVTSELx: code is event | umask << 8 (pmu-spec 3.1). */
#define USR B(16)
#define OS B(17)
#define EDGE B(18)
#define INT B(20)
#define EN B(22)
#define INV B(23)
#define CMASK(n) ((uint64_t)(n) << 24)
#define EQ B(36)
#define SEL(code, flags) ((uint64_t)(code) | EN | (flags))

/* FIXED_CTR_CTRL field i (pmu-spec 3.2). */
#define FOS(i) (1ull << (4 * (i)))
#define FUSR(i) (2ull << (4 * (i)))
#define FPMI(i) (8ull << (4 * (i)))
#define METRICS_CLEAR B(14)

/* 1 - 65 at 48 bits: the region's 65th instruction wraps it to exactly 1
 * (checklist 61). */
#define PRESET_65 0xFFFFFFFFFFC0ull

static struct pmu *make(const char *cpu, const char *const *sets,
                        enum pmu_policy pol)
{
    return pmu_test_pmu(cpu, sets, 3, pol);
}

static void wr(struct pmu *pmu, uint32_t msr, uint64_t val)
{
    const char *rule = NULL;

    if (pmu_wrmsr(pmu, msr, val, &rule) != PMU_OK)
        fail_msg("WRMSR 0x%x = 0x%llx: #GP (%s)", msr,
                 (unsigned long long)val, rule ? rule : "no rule");
}

static uint64_t rd(struct pmu *pmu, uint32_t msr)
{
    uint64_t v = 0;

    if (pmu_rdmsr(pmu, msr, &v, NULL) != PMU_OK)
        fail_msg("RDMSR 0x%x: #GP", msr);
    return v;
}

static struct pmu_insn insn(uint64_t addr, unsigned len,
                            enum pmu_insn_class cls, unsigned cpl)
{
    return (struct pmu_insn){.addr = addr, .next = addr + len,
                             .length = len, .cls = cls, .cpl = cpl};
}

/* Retires one instruction; counts the PMIs it makes due. */
static void retire(struct pmu *pmu, struct pmu_insn in, unsigned *pmis)
{
    if (pmu_retire(pmu, &in))
        (*pmis)++;
}

/* A WRMSR instruction: its effect first, then its retirement, which is how
 * the enabling WRMSR counts and the disabling one does not (checklist 47). */
static void wrmsr_insn(struct pmu *pmu, uint64_t addr, uint32_t msr,
                       uint64_t val, unsigned cpl, unsigned *pmis)
{
    wr(pmu, msr, val);
    retire(pmu, insn(addr, 2, PMU_INSN_SERIALIZING, cpl), pmis);
}

struct wr {
    uint32_t msr; /* 0 ends a list */
    uint64_t val;
};

/*
 * The measured region of checklist 47 (pmu_counters_test's
 * GUEST_MEASURE_EVENT): the enabling WRMSR, MOV $10 to ECX,
 * 10 x {ENTER 0,0; CLFLUSH (m); MFENCE; MOV (m) to EAX; LEAVE; LOOP}, MOV,
 * XOR, XOR, the disabling WRMSR: 65 counted instructions. The flags are
 * what the instructions do: ENTER pushes (writes the stack), LEAVE pops
 * (reads it), CLFLUSH and the MOV name memory. `mid`, when set, is one more
 * WRMSR after the fifth iteration (checklist 56).
 */
static unsigned region(struct pmu *pmu, uint64_t base, unsigned cpl,
                       struct wr enable, struct wr disable, struct wr mid)
{
    uint64_t a = base, top;
    unsigned pmis = 0;
    struct pmu_insn in;

    wrmsr_insn(pmu, a, enable.msr, enable.val, cpl, &pmis);
    a += 2;
    retire(pmu, insn(a, 5, PMU_INSN_OTHER, cpl), &pmis);
    top = a += 5;
    for (unsigned it = 1; it <= 10; it++) {
        a = top;
        in = insn(a, 4, PMU_INSN_OTHER, cpl);
        in.mem_write = true;
        retire(pmu, in, &pmis);
        in = insn(a += 4, 3, PMU_INSN_CACHE, cpl);
        in.mem_read = true;
        retire(pmu, in, &pmis);
        retire(pmu, insn(a += 3, 3, PMU_INSN_FENCE, cpl), &pmis);
        in = insn(a += 3, 2, PMU_INSN_OTHER, cpl);
        in.mem_read = true;
        retire(pmu, in, &pmis);
        in = insn(a += 2, 1, PMU_INSN_OTHER, cpl);
        in.mem_read = true;
        retire(pmu, in, &pmis);
        in = insn(a += 1, 2, PMU_INSN_JCC, cpl);
        in.taken = it < 10;
        if (in.taken)
            in.next = top;
        retire(pmu, in, &pmis);
        if (it == 5 && mid.msr)
            wrmsr_insn(pmu, base + 0x100, mid.msr, mid.val, cpl, &pmis);
    }
    a += 2;
    for (unsigned i = 0; i < 3; i++, a += 2)
        retire(pmu, insn(a, 2, PMU_INSN_OTHER, cpl), &pmis);
    wrmsr_insn(pmu, a, disable.msr, disable.val, cpl, &pmis);
    return pmis;
}

/* Checklist 51: once stopped, `loop` 10 more times changes nothing. */
static void check_stopped(struct pmu *pmu, uint64_t base, unsigned cpl)
{
    uint64_t before[39], metrics = 0, after = 0;
    unsigned pmis = 0;
    bool has_metrics = pmu_rdmsr(pmu, METRICS, &metrics, NULL) == PMU_OK;

    assert_int_equal(pmu_counting_rings(pmu), 0);
    for (unsigned idx = 0; idx < 39; idx++)
        before[idx] = pmu_counter_get(pmu, idx);
    for (unsigned it = 1; it <= 10; it++) {
        struct pmu_insn in = insn(base + 0x80, 2, PMU_INSN_JCC, cpl);
        in.taken = it < 10;
        if (in.taken)
            in.next = in.addr;
        retire(pmu, in, &pmis);
    }
    assert_int_equal(pmis, 0);
    for (unsigned idx = 0; idx < 39; idx++)
        assert_int_equal(pmu_counter_get(pmu, idx), before[idx]);
    if (has_metrics) {
        pmu_rdmsr(pmu, METRICS, &after, NULL);
        assert_int_equal(after, metrics);
    }
}

/* PERF_METRICS reads the same through RDPMC 0x20000000 and RDMSR 0x329,
 * and its level-1 bytes sum to 0xFF +- 1 once slots were counted
 * (checklist 76). */
static void check_metrics(struct pmu *pmu)
{
    const struct pmu_mode cpl0 = {.cpl = 0, .cr0_pe = true};
    uint64_t msr, pmc, sum = 0;

    if (pmu_rdmsr(pmu, METRICS, &msr, NULL) != PMU_OK)
        return;
    if (rd(pmu, FCC) & METRICS_CLEAR)
        return; /* the read would clear; test_metrics_clear covers it */
    assert_int_equal(pmu_rdpmc(pmu, 0x20000000, &cpl0, &pmc, NULL), PMU_OK);
    assert_int_equal(pmc, msr);
    if (msr == 0)
        return;
    for (unsigned k = 0; k < 4; k++)
        sum += msr >> (8 * k) & 0xFF;
    if (sum < 0xFE || sum > 0x100)
        fail_msg("PERF_METRICS 0x%016llx: L1 bytes sum to 0x%llx",
                 (unsigned long long)msr, (unsigned long long)sum);
}

struct want {
    uint32_t msr; /* 0 ends a list */
    uint64_t val;
};

struct region_case {
    const char *cpu;
    const char *set[3];
    enum pmu_policy pol;
    const char *why;
    struct wr setup[11]; /* applied before, not as instructions */
    struct wr enable, disable, mid;
    unsigned cpl;
    struct want want[14];
    unsigned pmis;       /* retirements that returned "PMI due" */
    struct wr post[2];   /* applied after the checks of want[] */
    struct want after[2];
};

#define ALL_SPR (B(48) | 0xFull << 32 | 0xFF)

static const struct region_case cases[] = {
    /* ---- every modelled event, SPR (docs/counting.md's worked region) */
    {"sapphire-rapids", {NULL}, NAT, "checklist 47-50, 70, 71, 76: SPR",
     {{GCTRL, 0}, {EVTSEL(0), SEL(0x00C0, OS)}, {EVTSEL(1), SEL(0x00C4, OS)},
      {EVTSEL(2), SEL(0x00C5, OS)}, {EVTSEL(3), SEL(0x003C, OS)},
      {EVTSEL(4), SEL(0x013C, OS)}, {EVTSEL(5), SEL(0x01A4, OS)},
      {EVTSEL(6), SEL(0x02A4, OS)}, {EVTSEL(7), SEL(0x0073, OS)},
      {FCC, FOS(0) | FOS(1) | FOS(2) | FOS(3)}},
     {GCTRL, ALL_SPR}, {GCTRL, 0}, {0, 0}, 0,
     {{PMC(0), 65}, {PMC(1), 10}, {PMC(2), 2}, {PMC(3), 502},
      {PMC(4), 502}, {PMC(5), 3012}, {PMC(6), 2690}, {PMC(7), 180},
      {FCTR(0), 65}, {FCTR(1), 502}, {FCTR(2), 502}, {FCTR(3), 3012},
      {METRICS, 0xBE040F04E4040F08ull}}, 0, {{0, 0}}, {{0, 0}}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 72, 50: the rest, and "
     "events that count zero",
     {{GCTRL, 0}, {EVTSEL(0), SEL(0x019C, OS)}, {EVTSEL(1), SEL(0x02C2, OS)},
      {EVTSEL(2), SEL(0x4F2E, OS)}, {EVTSEL(3), SEL(0x412E, OS)},
      {EVTSEL(4), SEL(0x01E4, OS)}, {EVTSEL(5), SEL(0x0300, OS)},
      {EVTSEL(6), SEL(0x0400, OS)}, {EVTSEL(7), SEL(0x01C0, OS)}},
     {GCTRL, 0xFF}, {GCTRL, 0}, {0, 0}, 0,
     {{PMC(0), 48}, {PMC(1), 94}, {PMC(2), 0}, {PMC(3), 0}, {PMC(4), 0},
      {PMC(5), 0}, {PMC(6), 0}, {PMC(7), 0}}, 0, {{0, 0}}, {{0, 0}}},
    {"icelake", {NULL}, NAT, "checklist 76: ICL, 5 slots/cycle, 4 bytes",
     {{GCTRL, 0}, {EVTSEL(0), SEL(0x01A4, OS)}, {FCC, FOS(3)}},
     {GCTRL, B(48) | B(35) | 1}, {GCTRL, 0}, {0, 0}, 0,
     {{PMC(0), 2510}, {FCTR(3), 2510}, {METRICS, 0xE2040F0A}}, 0,
     {{0, 0}}, {{0, 0}}},
    {"lunar-lake-p", {NULL}, NAT, "checklist 76: LNL, 8 slots/cycle",
     {{GCTRL, 0}, {FCC, FOS(3)}},
     {GCTRL, B(48) | B(35)}, {GCTRL, 0}, {0, 0}, 0,
     {{FCTR(3), 4016}, {METRICS, 0xBE040F03E6040F06ull}}, 0,
     {{0, 0}}, {{0, 0}}},
    {"clearwater-forest", {NULL}, NAT, "spec 3.5: Atom fixed 4-6",
     {{GCTRL, 0}, {EVTSEL(0), SEL(0x0073, OS)}, {EVTSEL(1), SEL(0x019C, OS)},
      {EVTSEL(2), SEL(0x02C2, OS)},
      {FCC, FOS(0) | FOS(1) | FOS(2) | FOS(4) | FOS(5) | FOS(6)}},
     {GCTRL, 0x77ull << 32 | 7}, {GCTRL, 0}, {0, 0}, 0,
     {{FCTR(0), 65}, {FCTR(1), 502}, {FCTR(2), 502}, {FCTR(4), 240},
      {FCTR(5), 64}, {FCTR(6), 94}, {PMC(0), 240}, {PMC(1), 64},
      {PMC(2), 94}}, 0, {{0, 0}}, {{0, 0}}},
    {"sapphire-rapids", {NULL}, LEG, "checklist 70: slots on a GP counter",
     {{GCTRL, 0}, {EVTSEL(0), SEL(0x01A4, OS)}},
     {GCTRL, 1}, {GCTRL, 0}, {0, 0}, 0, {{PMC(0), 3012}}, 0,
     {{0, 0}}, {{0, 0}}},

    /* ---- enables */
    {"sapphire-rapids", {NULL}, NAT, "checklist 47: EVTSEL enables",
     {{GCTRL, 1}}, {EVTSEL(0), SEL(0x00C0, OS)}, {EVTSEL(0), 0}, {0, 0},
     0, {{PMC(0), 65}}, 0, {{0, 0}}, {{0, 0}}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 48: branches",
     {{GCTRL, 1}}, {EVTSEL(0), SEL(0x00C4, OS)}, {EVTSEL(0), 0}, {0, 0},
     0, {{PMC(0), 10}}, 0, {{0, 0}}, {{0, 0}}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 49: FC0 by GLOBAL bit 32",
     {{GCTRL, 0}, {FCC, FOS(0)}}, {GCTRL, B(32)}, {GCTRL, 0}, {0, 0}, 0,
     {{FCTR(0), 65}}, 0, {{0, 0}}, {{0, 0}}},
    {"skylake", {"pmu.version=1", "pmu.fixed_bitmap=0"}, NAT,
     "v1: no GLOBAL_CTRL", {{0, 0}}, {EVTSEL(1), SEL(0x00C0, OS)},
     {EVTSEL(1), 0}, {0, 0}, 0, {{PMC(1), 65}}, 0, {{0, 0}}, {{0, 0}}},
    {"skylake", {NULL}, NAT, "v4: CTR_FRZ freezes",
     {{GCTRL, 1}, {STATUS_SET, B(59)}},
     {EVTSEL(0), SEL(0x00C0, OS)}, {EVTSEL(0), 0}, {0, 0}, 0,
     {{PMC(0), 0}}, 0, {{OVF, B(59)}}, {{PMC(0), 0}}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 59: USR-only, CPL 0",
     {{GCTRL, 0}, {EVTSEL(0), SEL(0x00C0, USR)},
      {EVTSEL(1), SEL(0x00C0, OS)}, {FCC, FUSR(0)}},
     {GCTRL, B(32) | 3}, {GCTRL, 0}, {0, 0}, 0,
     {{PMC(0), 0}, {PMC(1), 65}, {FCTR(0), 0}}, 0, {{0, 0}}, {{0, 0}}},
    {"sapphire-rapids", {NULL}, NAT, "CPL 3: USR counts, OS does not",
     {{GCTRL, 0}, {EVTSEL(0), SEL(0x00C0, USR)},
      {EVTSEL(1), SEL(0x00C0, OS)}, {EVTSEL(2), SEL(0x00C4, OS | USR)},
      {FCC, FUSR(0)}},
     {GCTRL, B(32) | 7}, {GCTRL, 0}, {0, 0}, 3,
     {{PMC(0), 65}, {PMC(1), 0}, {PMC(2), 10}, {FCTR(0), 65}}, 0,
     {{0, 0}}, {{0, 0}}},

    /* ---- overflow and PMIs */
    {"sapphire-rapids", {NULL}, NAT, "checklist 61-63: GP with INT",
     {{GCTRL, 0}, {APMC(0), PRESET_65}, {EVTSEL(0), SEL(0x00C0, OS | INT)}},
     {GCTRL, 1}, {GCTRL, 0}, {0, 0}, 0, {{PMC(0), 1}, {GSTAT, B(0)}}, 1,
     {{OVF, B(0)}}, {{GSTAT, 0}}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 61-63: GP without INT",
     {{GCTRL, 0}, {PMC(1), 0xFFFFFFC0}, {EVTSEL(1), SEL(0x00C0, OS)}},
     {GCTRL, 2}, {GCTRL, 0}, {0, 0}, 0, {{PMC(1), 1}, {GSTAT, B(1)}}, 0,
     {{OVF, B(1)}}, {{GSTAT, 0}}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 65: FC0 with PMI",
     {{GCTRL, 0}, {FCTR(0), PRESET_65}, {FCC, FOS(0) | FPMI(0)}},
     {GCTRL, B(32)}, {GCTRL, 0}, {0, 0}, 0, {{FCTR(0), 1}, {GSTAT, B(32)}},
     1, {{OVF, B(32)}}, {{GSTAT, 0}}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 65: FC0 without PMI",
     {{GCTRL, 0}, {FCTR(0), PRESET_65}, {FCC, FOS(0)}},
     {GCTRL, B(32)}, {GCTRL, 0}, {0, 0}, 0, {{FCTR(0), 1}, {GSTAT, B(32)}},
     0, {{0, 0}}, {{0, 0}}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 67: branches from -5",
     {{GCTRL, 0}, {APMC(0), 0xFFFFFFFFFFFBull},
      {EVTSEL(0), SEL(0x00C4, OS | INT)}},
     {GCTRL, 1}, {GCTRL, 0}, {0, 0}, 0, {{PMC(0), 5}, {GSTAT, B(0)}}, 1,
     {{0, 0}}, {{0, 0}}},

    /* ---- a write to a running counter takes effect at once */
    {"sapphire-rapids", {NULL}, NAT, "checklist 56: written 0 mid-run",
     {{GCTRL, 0}, {EVTSEL(0), SEL(0x00C0, OS)}, {EVTSEL(1), SEL(0x00C4, OS)}},
     {GCTRL, 3}, {GCTRL, 0}, {APMC(0), 0}, 0, {{PMC(0), 34}, {PMC(1), 10}},
     0, {{0, 0}}, {{0, 0}}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 66: written -1 mid-run",
     {{GCTRL, 0}, {EVTSEL(0), SEL(0x00C0, OS)}},
     {GCTRL, 1}, {GCTRL, 0}, {PMC(0), 0xFFFFFFFF}, 0,
     {{PMC(0), 33}, {GSTAT, B(0)}}, 0, {{0, 0}}, {{0, 0}}},

    /* ---- CMASK, INV, EDGE, EQ: the instruction is the unit */
    {"sapphire-rapids", {NULL}, NAT, "checklist 55 and per-insn CMASK",
     {{GCTRL, 0}, {EVTSEL(0), SEL(0x00C0, OS | CMASK(2))},
      {EVTSEL(1), SEL(0x003C, OS | CMASK(5))},
      {EVTSEL(2), SEL(0x003C, OS | CMASK(5) | INV)},
      {EVTSEL(3), SEL(0x003C, OS | CMASK(5) | EDGE)},
      {EVTSEL(4), SEL(0x00C0, OS | EDGE)},
      {EVTSEL(5), SEL(0x00C4, OS | EDGE)},
      {EVTSEL(6), SEL(0x00C0, OS | INV)},
      {EVTSEL(7), SEL(0x00C5, OS | CMASK(1))}},
     {GCTRL, 0xFF}, {GCTRL, 0}, {0, 0}, 0,
     {{PMC(0), 0}, {PMC(1), 43}, {PMC(2), 22}, {PMC(3), 11}, {PMC(4), 1},
      {PMC(5), 10}, {PMC(6), 65}, {PMC(7), 2}}, 0, {{0, 0}}, {{0, 0}}},
    {"lunar-lake-p", {NULL}, NAT, "v6 EQ (leaf 0x23 EBX[1]), UMASK2",
     {{GCTRL, 0}, {EVTSEL(0), SEL(0x003C, OS | CMASK(5) | EQ)},
      {EVTSEL(1), SEL(0x003C, OS | CMASK(5) | EQ | INV)},
      {EVTSEL(2), SEL(0x00C0, OS | 1ull << 40)}},
     {GCTRL, 7}, {GCTRL, 0}, {0, 0}, 0,
     {{PMC(0), 20}, {PMC(1), 45}, {PMC(2), 0}}, 0, {{0, 0}}, {{0, 0}}},

    /* ---- PERF_METRICS */
    {"sapphire-rapids", {NULL}, NAT, "GLOBAL_CTRL bit 48 clear: no metrics",
     {{GCTRL, 0}, {FCC, FOS(3)}}, {GCTRL, B(35)}, {GCTRL, 0}, {0, 0}, 0,
     {{FCTR(3), 3012}, {METRICS, 0}}, 0, {{0, 0}}, {{0, 0}}},
    {"sapphire-rapids", {NULL}, NAT, "metrics follow FC3's USR/OS",
     {{GCTRL, 0}, {FCC, FUSR(3)}}, {GCTRL, B(48) | B(35)}, {GCTRL, 0},
     {0, 0}, 0, {{FCTR(3), 0}, {METRICS, 0}}, 0, {{0, 0}}, {{0, 0}}},
    {"sapphire-rapids", {NULL}, NAT, "checklist 77: FC3 write clears",
     {{GCTRL, 0}, {FCC, FOS(3)}}, {GCTRL, B(48) | B(35)}, {GCTRL, 0},
     {0, 0}, 0, {{METRICS, 0xBE040F04E4040F08ull}}, 0,
     {{FCTR(3), 0}, {METRICS, 0}}, {{METRICS, 0}, {FCTR(3), 0}}},
    {"sapphire-rapids", {NULL}, NAT, "restore: FC3, then PERF_METRICS",
     {{GCTRL, 0}, {FCC, FOS(3)}, {FCTR(3), 1000},
      {METRICS, 0x40404040}}, {GCTRL, B(48) | B(35)}, {GCTRL, 0}, {0, 0},
     0, {{FCTR(3), 4012}, {METRICS, 0x8E030B03BB131B16ull}}, 0,
     {{0, 0}}, {{0, 0}}},
    {"sapphire-rapids", {"pmu.fixed_width=16"}, NAT,
     "checklist 75: metrics overflow, bit 48, FC3's PMI",
     {{GCTRL, 0}, {FCC, FOS(3) | FPMI(3)}, {FCTR(3), 0xFF9B},
      {METRICS, 0x40404040}}, {GCTRL, B(48) | B(35)}, {GCTRL, 0}, {0, 0},
     0, {{FCTR(3), 0xB5F}, {GSTAT, B(48) | B(35)},
         {METRICS, 0xBE040F04E4040F08ull}}, 1,
     {{OVF, B(48) | B(35)}}, {{GSTAT, 0}}},
};

static void run_case(size_t n, const struct region_case *c)
{
    struct pmu *pmu = make(c->cpu, c->set, c->pol);
    unsigned pmis;

    for (size_t i = 0; i < 11 && c->setup[i].msr; i++)
        wr(pmu, c->setup[i].msr, c->setup[i].val);
    pmis = region(pmu, 0x1000, c->cpl, c->enable, c->disable, c->mid);
    for (size_t i = 0; i < 14 && c->want[i].msr; i++) {
        uint64_t v = rd(pmu, c->want[i].msr);
        if (v != c->want[i].val)
            fail_msg("case %zu %s (%s): MSR 0x%x = 0x%llx (%llu), want "
                     "0x%llx (%llu)", n, c->cpu, c->why, c->want[i].msr,
                     (unsigned long long)v, (unsigned long long)v,
                     (unsigned long long)c->want[i].val,
                     (unsigned long long)c->want[i].val);
    }
    if (pmis != c->pmis)
        fail_msg("case %zu %s (%s): %u PMIs due, want %u", n, c->cpu,
                 c->why, pmis, c->pmis);
    check_metrics(pmu);
    check_stopped(pmu, 0x1000, c->cpl);
    for (size_t i = 0; i < 2 && c->post[i].msr; i++)
        wr(pmu, c->post[i].msr, c->post[i].val);
    for (size_t i = 0; i < 2 && c->after[i].msr; i++)
        if (rd(pmu, c->after[i].msr) != c->after[i].val)
            fail_msg("case %zu %s (%s): after, MSR 0x%x = 0x%llx", n,
                     c->cpu, c->why, c->after[i].msr,
                     (unsigned long long)rd(pmu, c->after[i].msr));
    pmu_destroy(pmu);
}

static void test_region(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
        run_case(i, &cases[i]);
}

/* ---- the model, instruction by instruction (SPR: 6 slots per cycle) ---- */

struct seq_insn {
    enum pmu_insn_class cls;
    uint64_t addr, next; /* next 0: falls through */
    bool taken, rd, wr;
};

struct seq_case {
    const char *why;
    struct seq_insn in[6];
    /* 3C, C4, C5, A4/01, C2/02 (retiring), 73 (bad spec), 9C/01 (FE),
     * A4/02 (BE): the eight GP counters */
    uint64_t want[8];
};

#define I(cls, addr, next, taken, rd, wr) \
    {PMU_INSN_##cls, (addr), (next), (taken), (rd), (wr)}

static const struct seq_case seqs[] = {
    {"ALU", {I(OTHER, 0x100, 0, 0, 0, 0)}, {1, 0, 0, 6, 1, 0, 0, 5}},
    {"load: +4 memory bound", {I(OTHER, 0x100, 0, 0, 1, 0)},
     {5, 0, 0, 30, 1, 0, 0, 29}},
    {"store: free", {I(OTHER, 0x100, 0, 0, 0, 1)}, {1, 0, 0, 6, 1, 0, 0, 5}},
    {"DIV", {I(DIV, 0x100, 0, 0, 0, 0)}, {20, 0, 0, 120, 4, 0, 0, 116}},
    {"DIV from memory", {I(DIV, 0x100, 0, 0, 1, 0)},
     {24, 0, 0, 144, 4, 0, 0, 140}},
    {"serializing (all-in)", {I(SERIALIZING, 0x100, 0, 0, 1, 0)},
     {40, 0, 0, 240, 10, 0, 0, 230}},
    {"MFENCE", {I(FENCE, 0x100, 0, 0, 0, 0)}, {20, 0, 0, 120, 2, 0, 0, 118}},
    {"CLFLUSH (all-in)", {I(CACHE, 0x100, 0, 0, 1, 0)},
     {10, 0, 0, 60, 2, 0, 0, 58}},
    {"far: a branch, never predicted", {I(FAR, 0x100, 0x9000, 1, 0, 0)},
     {30, 1, 0, 180, 10, 0, 0, 170}},
    {"JCC not taken, cold: predicted", {I(JCC, 0x100, 0, 0, 0, 0)},
     {1, 1, 0, 6, 1, 0, 0, 5}},
    {"JCC taken, cold: mispredicted", {I(JCC, 0x100, 0x80, 1, 0, 0)},
     {16, 1, 1, 96, 1, 90, 0, 5}},
    {"JCC taken x3: learns", {I(JCC, 0x100, 0x80, 1, 0, 0),
     I(JCC, 0x100, 0x80, 1, 0, 0), I(JCC, 0x100, 0x80, 1, 0, 0)},
     {20, 3, 1, 120, 3, 90, 12, 15}},
    {"JCC T,N,T,N: 2-bit counter thrashes", {I(JCC, 0x100, 0x80, 1, 0, 0),
     I(JCC, 0x100, 0, 0, 0, 0), I(JCC, 0x100, 0x80, 1, 0, 0),
     I(JCC, 0x100, 0, 0, 0, 0)}, {64, 4, 4, 384, 4, 360, 0, 20}},
    {"JMP: bubble only", {I(JMP, 0x100, 0x200, 1, 0, 0)},
     {2, 1, 0, 12, 1, 0, 6, 5}},
    {"CALL, RET: return stack", {I(CALL, 0x100, 0x400, 1, 0, 1),
     I(RET, 0x400, 0x105, 1, 1, 0)}, {6, 2, 0, 36, 4, 0, 12, 20}},
    {"RET, empty stack", {I(RET, 0x400, 0x105, 1, 1, 0)},
     {17, 1, 1, 102, 2, 90, 0, 10}},
    {"CALL, RET elsewhere", {I(CALL, 0x100, 0x400, 1, 0, 1),
     I(RET, 0x400, 0x300, 1, 1, 0)}, {20, 2, 1, 120, 4, 90, 6, 20}},
    {"indirect JMP x3: last target", {I(JMP_INDIRECT, 0x100, 0x500, 1, 0, 0),
     I(JMP_INDIRECT, 0x100, 0x500, 1, 0, 0),
     I(JMP_INDIRECT, 0x100, 0x500, 1, 0, 0)},
     {20, 3, 1, 120, 3, 90, 12, 15}},
    {"indirect JMP, new target", {I(JMP_INDIRECT, 0x100, 0x500, 1, 1, 0),
     I(JMP_INDIRECT, 0x100, 0x600, 1, 1, 0)},
     {32, 2, 2, 192, 2, 180, 0, 10}},
    {"indirect CALL, RET", {I(CALL_INDIRECT, 0x100, 0x400, 1, 0, 1),
     I(RET, 0x400, 0x105, 1, 1, 0)}, {20, 2, 1, 120, 4, 90, 6, 20}},
};

static const uint32_t seq_events[8] = {
    0x003C, 0x00C4, 0x00C5, 0x01A4, 0x02C2, 0x0073, 0x019C, 0x02A4,
};

static void test_model(void **state)
{
    (void)state;
    for (size_t n = 0; n < sizeof(seqs) / sizeof(*seqs); n++) {
        const struct seq_case *s = &seqs[n];
        struct pmu *pmu = make("sapphire-rapids", NULL, NAT);
        unsigned pmis = 0;

        wr(pmu, GCTRL, 0);
        for (unsigned i = 0; i < 8; i++)
            wr(pmu, EVTSEL(i), SEL(seq_events[i], OS));
        wr(pmu, GCTRL, 0xFF);
        for (unsigned i = 0; i < 6 && s->in[i].addr; i++) {
            const struct seq_insn *q = &s->in[i];
            struct pmu_insn in = insn(q->addr, 5, q->cls, 0);
            if (q->next)
                in.next = q->next;
            in.taken = q->taken;
            in.mem_read = q->rd;
            in.mem_write = q->wr;
            retire(pmu, in, &pmis);
        }
        for (unsigned i = 0; i < 8; i++)
            if (rd(pmu, PMC(i)) != s->want[i])
                fail_msg("seq %zu (%s): event 0x%04x = %llu, want %llu", n,
                         s->why, seq_events[i],
                         (unsigned long long)rd(pmu, PMC(i)),
                         (unsigned long long)s->want[i]);
        assert_int_equal(pmis, 0);
        pmu_destroy(pmu);
    }
}

/* The return stack holds 16: of 17 nested returns the outermost
 * mispredicts (docs/counting.md). */
static void test_return_stack_depth(void **state)
{
    struct pmu *pmu = make("sapphire-rapids", NULL, NAT);
    unsigned pmis = 0;

    (void)state;
    wr(pmu, GCTRL, 0);
    wr(pmu, EVTSEL(0), SEL(0x00C5, OS));
    wr(pmu, EVTSEL(1), SEL(0x00C4, OS));
    wr(pmu, GCTRL, 3);
    for (unsigned d = 0; d < 17; d++) {
        struct pmu_insn in = insn(0x1000 + 0x100 * d, 5, PMU_INSN_CALL, 0);
        in.next = 0x1000 + 0x100 * (d + 1);
        retire(pmu, in, &pmis);
    }
    for (unsigned d = 17; d-- > 0;) {
        struct pmu_insn in = insn(0x1000 + 0x100 * (d + 1) + 0x50, 1,
                                  PMU_INSN_RET, 0);
        in.next = 0x1000 + 0x100 * d + 5;
        retire(pmu, in, &pmis);
    }
    assert_int_equal(rd(pmu, PMC(0)), 1);
    assert_int_equal(rd(pmu, PMC(1)), 34);
    pmu_destroy(pmu);
}

/* Metrics clear mode (pmu-spec 1.1): RDPMC 0x20000000 reads, then zeroes
 * PERF_METRICS, FIXED_CTR3 and the slots behind them; a second region,
 * whose LOOP the predictor now knows (1 mispredict, 9 bubbles), gives its
 * own fractions (docs/counting.md). */
static void test_metrics_clear(void **state)
{
    const struct pmu_mode cpl0 = {.cpl = 0, .cr0_pe = true};
    struct pmu *pmu = make("lunar-lake-p", NULL, NAT);
    struct wr en = {GCTRL, B(48) | B(35)}, dis = {GCTRL, 0}, none = {0, 0};
    uint64_t v;

    (void)state;
    wr(pmu, GCTRL, 0);
    wr(pmu, FCC, FOS(3) | METRICS_CLEAR);
    assert_int_equal(region(pmu, 0x1000, 0, en, dis, none), 0);
    assert_int_equal(pmu_rdpmc(pmu, 0x20000000, &cpl0, &v, NULL), PMU_OK);
    assert_int_equal(v, 0xBE040F03E6040F06ull);
    assert_int_equal(rd(pmu, METRICS), 0);
    assert_int_equal(rd(pmu, FCTR(3)), 0);
    assert_int_equal(region(pmu, 0x1000, 0, en, dis, none), 0);
    assert_int_equal(rd(pmu, FCTR(3)), 3904);
    assert_int_equal(pmu_rdpmc(pmu, 0x20000000, &cpl0, &v, NULL), PMU_OK);
    assert_int_equal(v, 0xC4050803EC050806ull);
    pmu_destroy(pmu);
}

/* GLOBAL_CTRL bit 48 cleared between two regions freezes PERF_METRICS
 * while FIXED_CTR3 goes on counting. */
static void test_metrics_frozen(void **state)
{
    struct pmu *pmu = make("sapphire-rapids", NULL, NAT);
    struct wr none = {0, 0};

    (void)state;
    wr(pmu, GCTRL, 0);
    wr(pmu, FCC, FOS(3));
    region(pmu, 0x1000, 0, (struct wr){GCTRL, B(48) | B(35)},
           (struct wr){GCTRL, 0}, none);
    assert_int_equal(rd(pmu, METRICS), 0xBE040F04E4040F08ull);
    region(pmu, 0x2000, 0, (struct wr){GCTRL, B(35)},
           (struct wr){GCTRL, 0}, none);
    assert_int_equal(rd(pmu, METRICS), 0xBE040F04E4040F08ull);
    assert_int_equal(rd(pmu, FCTR(3)), 2 * 3012);
    pmu_destroy(pmu);
}

/*
 * Rounding (docs/counting.md): restore FC3 = 255 and PERF_METRICS bytes
 * 0x40 0x41 0x3F 0x3F | 0 0x41 0 0, so the slots behind them are 64, 65,
 * 63, 63 and 65 mispredict slots; one ALU instruction adds 6 slots (1
 * retiring, 5 backend). Of 261 slots, in 0xFF units: retiring 63 r132,
 * bad speculation 63 r132, frontend 61 r144, backend 66 r114; the two
 * units left go to frontend (largest remainder), then to retiring (the
 * tie goes to the lower byte). The mispredict byte rounds to 64 but is
 * capped at its parent's 63.
 */
static void test_metrics_rounding(void **state)
{
    struct pmu *pmu = make("sapphire-rapids", NULL, NAT);
    unsigned pmis = 0;

    (void)state;
    wr(pmu, GCTRL, 0);
    wr(pmu, FCC, FOS(3));
    wr(pmu, FCTR(3), 255);
    wr(pmu, METRICS, 0x000041003F3F4140ull);
    wr(pmu, GCTRL, B(48) | B(35));
    retire(pmu, insn(0x100, 3, PMU_INSN_OTHER, 0), &pmis);
    assert_int_equal(rd(pmu, FCTR(3)), 261);
    assert_int_equal(rd(pmu, METRICS), 0x00003F00423E3F40ull);
    pmu_destroy(pmu);
}

/* EDGE: an instruction the counter does not count (here CPL 0 for a
 * USR-only counter) deasserts the condition, so CPL 3, 3, 0, 3 gives two
 * edges. */
static void test_edge_deasserts(void **state)
{
    static const unsigned cpls[] = {3, 3, 0, 3};
    struct pmu *pmu = make("sapphire-rapids", NULL, NAT);
    unsigned pmis = 0;

    (void)state;
    wr(pmu, GCTRL, 0);
    wr(pmu, EVTSEL(0), SEL(0x00C0, USR | EDGE));
    wr(pmu, GCTRL, 1);
    for (unsigned i = 0; i < 4; i++)
        retire(pmu, insn(0x100 + 3 * i, 3, PMU_INSN_OTHER, cpls[i]), &pmis);
    assert_int_equal(rd(pmu, PMC(0)), 2);
    pmu_destroy(pmu);
}

/* pmu_counting_rings: bit 0 CPL 0, bit 1 CPL > 0. */
struct rings_case {
    const char *cpu;
    const char *set[3];
    const char *why;
    struct wr setup[4];
    unsigned want;
};

static const struct rings_case rings[] = {
    {"sapphire-rapids", {NULL}, "reset: nothing enabled", {{0, 0}}, 0},
    {"sapphire-rapids", {NULL}, "OS", {{EVTSEL(3), SEL(0, OS)}}, 1},
    {"sapphire-rapids", {NULL}, "USR", {{EVTSEL(3), SEL(0, USR)}}, 2},
    {"sapphire-rapids", {NULL}, "OS|USR", {{EVTSEL(0), SEL(0, OS | USR)}}, 3},
    {"sapphire-rapids", {NULL}, "EN clear",
     {{EVTSEL(0), (OS | USR | 0xC0)}}, 0},
    {"sapphire-rapids", {NULL}, "GLOBAL_CTRL clear",
     {{EVTSEL(0), SEL(0, OS)}, {GCTRL, 0}}, 0},
    {"sapphire-rapids", {NULL}, "fixed USR needs GLOBAL bit 33",
     {{FCC, FUSR(1)}}, 0},
    {"sapphire-rapids", {NULL}, "fixed USR",
     {{FCC, FUSR(1)}, {GCTRL, B(33)}}, 2},
    {"skylake", {NULL}, "CTR_FRZ", {{EVTSEL(0), SEL(0, OS)},
     {STATUS_SET, B(59)}}, 0},
    {"skylake", {"pmu.version=1", "pmu.fixed_bitmap=0"}, "v1: no gate",
     {{EVTSEL(0), SEL(0, OS)}}, 1},
};

static void test_rings(void **state)
{
    (void)state;
    for (size_t n = 0; n < sizeof(rings) / sizeof(*rings); n++) {
        struct pmu *pmu = make(rings[n].cpu, rings[n].set, NAT);
        for (size_t i = 0; i < 4 && rings[n].setup[i].msr; i++)
            wr(pmu, rings[n].setup[i].msr, rings[n].setup[i].val);
        if (pmu_counting_rings(pmu) != rings[n].want)
            fail_msg("rings %zu (%s): %u, want %u", n, rings[n].why,
                     pmu_counting_rings(pmu), rings[n].want);
        pmu_destroy(pmu);
    }
}

/* Lion Cove's PMC9, through the v6 bank (0x1924 CTR, 0x1925 CFG_A):
 * counts like the others and RDPMC 9 reads it (pmu-spec 0, 6). */
static void test_pmc9(void **state)
{
    struct pmu *pmu = make("lunar-lake-p", NULL, NAT);
    struct pmu_mode cpl0 = {.cpl = 0, .cr0_pe = true};
    unsigned pmis = 0;
    uint64_t v = 0;

    (void)state;
    assert_int_equal(rd(pmu, GCTRL), 0x3FF); /* reset: every GP bit */
    wr(pmu, 0x1925, SEL(0xC0, OS));
    for (unsigned i = 0; i < 5; i++)
        retire(pmu, insn(0x100 + 2 * i, 2, PMU_INSN_OTHER, 0), &pmis);
    assert_int_equal(pmu_rdpmc(pmu, 9, &cpl0, &v, NULL), PMU_OK);
    assert_int_equal(v, 5);
    assert_int_equal(rd(pmu, 0xCA), 5);
    assert_int_equal(pmu_rdpmc(pmu, 10, &cpl0, &v, NULL), PMU_GP);
    pmu_destroy(pmu);
}

/*
 * Auto counter reload on Skymont (CPUID.23H.2: GP 2-7 and fixed 0-1, both
 * ways): PMC3 preset to -3 overflows on the third instruction; its CFG_B
 * names itself and PMC2 names PMC3, so both take their CFG_C then. PMC4,
 * with no CFG_B, just counts (ISE 8.7 via pmu-spec 2.2).
 */
static void test_acr(void **state)
{
    struct pmu *pmu = make("lunar-lake:atom", NULL, NAT);
    unsigned pmis = 0;

    (void)state;
    for (unsigned i = 2; i <= 4; i++)
        wr(pmu, EVTSEL(i), SEL(0xC0, OS));
    wr(pmu, APMC(3), 0xFFFFFFFFFFFDull);
    wr(pmu, 0x190A, B(3));             /* GP2 CFG_B: on PMC3 overflow */
    wr(pmu, 0x190B, 100);              /* GP2 CFG_C */
    wr(pmu, 0x190E, B(3));             /* GP3 CFG_B: itself */
    wr(pmu, 0x190F, 0xFFFFFFFFFFFDull); /* GP3 CFG_C: -3 again */
    for (unsigned i = 0; i < 3; i++)
        retire(pmu, insn(0x100 + 2 * i, 2, PMU_INSN_OTHER, 0), &pmis);
    assert_int_equal(rd(pmu, PMC(2)), 100);
    assert_int_equal(rd(pmu, PMC(3)), 0xFFFFFFFFFFFDull);
    assert_int_equal(rd(pmu, PMC(4)), 3);
    assert_int_equal(rd(pmu, GSTAT), B(3));
    assert_int_equal(pmis, 0); /* no EVTSEL.INT */
    retire(pmu, insn(0x106, 2, PMU_INSN_OTHER, 0), &pmis);
    assert_int_equal(rd(pmu, PMC(2)), 101);
    assert_int_equal(rd(pmu, PMC(3)), 0xFFFFFFFFFFFEull);
    pmu_destroy(pmu);
}

/*
 * pmu_retire_repeat(): a LOOP to itself, 5,000 times. By hand: PMC0
 * (instructions, INT) preset 1,000 below 2^48 overflows on the 1,000th,
 * which makes the PMI due, so the first call stops there: PMC0 reads 0,
 * GLOBAL_STATUS bit 0; PMC1 (branches) and PMC2 (instructions with CMASK
 * 1: one per instruction) read 1,000; PMC3 (instructions, EDGE) 1, the
 * first only; fixed counter 0 1,000. The second call takes the 4,000 left
 * with no PMI. The model's own counts (cycles, mispredicts, slots,
 * PERF_METRICS) are those of 5,000 pmu_retire() calls on a second PMU.
 */
static void setup_repeat(struct pmu *pmu)
{
    wr(pmu, GCTRL, 0);
    wr(pmu, PMC(0), 0);
    wr(pmu, 0x4C1, 0xFFFFFFFFFFFFull - 999); /* full-width write */
    wr(pmu, EVTSEL(0), SEL(0x00C0, OS | INT));
    wr(pmu, EVTSEL(1), SEL(0x00C4, OS));
    wr(pmu, EVTSEL(2), SEL(0x00C0, OS | CMASK(1)));
    wr(pmu, EVTSEL(3), SEL(0x00C0, OS | EDGE));
    wr(pmu, EVTSEL(4), SEL(0x00C5, OS));
    wr(pmu, FCC, FOS(0) | FOS(1) | FOS(3));
    wr(pmu, GCTRL, 0x1F | B(32) | B(33) | B(35) | B(48));
}

static void test_repeat(void **state)
{
    (void)state;
    struct pmu *a = make("sapphire-rapids", NULL, NAT);
    struct pmu *b = make("sapphire-rapids", NULL, NAT);
    struct pmu_insn loop = insn(0x1000, 2, PMU_INSN_JCC, 0);
    uint64_t done = 0;
    unsigned pmis = 0;

    loop.next = loop.addr; /* taken, to itself */
    loop.taken = true;
    setup_repeat(a);
    setup_repeat(b);
    assert_true(pmu_retire_repeat(a, &loop, 5000, &done));
    assert_int_equal(done, 1000);
    assert_int_equal(rd(a, PMC(0)), 0);
    assert_int_equal(rd(a, GSTAT) & 1, 1);
    assert_int_equal(rd(a, PMC(1)), 1000);
    assert_int_equal(rd(a, PMC(2)), 1000);
    assert_int_equal(rd(a, PMC(3)), 1);
    assert_int_equal(rd(a, FCTR(0)), 1000);
    assert_false(pmu_retire_repeat(a, &loop, 4000, &done));
    assert_int_equal(done, 4000);
    assert_int_equal(rd(a, PMC(0)), 4000);
    assert_int_equal(rd(a, PMC(1)), 5000);
    assert_int_equal(rd(a, PMC(2)), 5000);
    assert_int_equal(rd(a, PMC(3)), 1);
    assert_int_equal(rd(a, FCTR(0)), 5000);

    for (int i = 0; i < 5000; i++)
        retire(b, loop, &pmis);
    assert_int_equal(pmis, 1);
    const uint32_t same[] = {PMC(0), PMC(1), PMC(2), PMC(3), PMC(4),
                             FCTR(0), FCTR(1), FCTR(3), METRICS, GSTAT};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        assert_int_equal(rd(a, same[i]), rd(b, same[i]));
    assert_true(rd(a, FCTR(1)) >= 5000); /* at least a cycle each */
    pmu_destroy(a);
    pmu_destroy(b);
}

/*
 * The cache model (docs/counting.md, "Caches") on a tiny geometry: L1D 1
 * KiB in 2 ways (8 sets), L2 2 KiB in 2 ways (16 sets), LLC 4 KiB in 4
 * ways (16 sets). PMC0 counts LLC references, PMC1 LLC misses. By hand:
 * a first read of line A misses everywhere (1, 1) and L2's prefetcher
 * brings A+1; again, an L1D hit (1, 1); after CLFLUSH it misses again
 * (2, 2). 100 new lines streamed from a page boundary, half of them
 * written: the first misses and each next line is already prefetched
 * into L2, up to the page's end (64 lines): line 64 misses, the rest
 * hit (4, 4); without the prefetcher each would miss (102, 102). A,
 * whose LLC set (line 0x400 mod 16 = 0) took 7 of the 100 lines into
 * its 4 ways since, misses once more (5, 5).
 */
static void test_llc(void **state)
{
    (void)state;
    const char *const sets[] = {"pmu.l1d_kib=1", "pmu.l1d_ways=2",
                                "pmu.l2_kib=2", "pmu.l2_ways=2",
                                "pmu.llc_kib=4", "pmu.llc_ways=4"};
    struct pmu *pmu = pmu_test_pmu("sapphire-rapids", sets, 6, NAT);
    struct pmu_insn mov = insn(0x1000, 3, PMU_INSN_OTHER, 0);
    unsigned pmis = 0;
    const uint64_t a = 0x10000;

    wr(pmu, GCTRL, 0);
    wr(pmu, EVTSEL(0), SEL(0x4F2E, OS));
    wr(pmu, EVTSEL(1), SEL(0x412E, OS));
    wr(pmu, GCTRL, 0x3);
    mov.mem_read = true;
    pmu_mem_access(pmu, a, PMU_MEM_READ);
    retire(pmu, mov, &pmis);
    assert_int_equal(rd(pmu, PMC(0)), 1);
    assert_int_equal(rd(pmu, PMC(1)), 1);
    pmu_mem_access(pmu, a + 8, PMU_MEM_READ); /* the same line */
    retire(pmu, mov, &pmis);
    assert_int_equal(rd(pmu, PMC(0)), 1);
    assert_int_equal(rd(pmu, PMC(1)), 1);
    pmu_mem_access(pmu, a, PMU_MEM_FLUSH);
    retire(pmu, mov, &pmis);
    pmu_mem_access(pmu, a, PMU_MEM_READ);
    retire(pmu, mov, &pmis);
    assert_int_equal(rd(pmu, PMC(0)), 2);
    assert_int_equal(rd(pmu, PMC(1)), 2);
    for (uint64_t i = 0; i < 100; i++) {
        pmu_mem_access(pmu, 0x100000 + 64 * i,
                       i % 2 ? PMU_MEM_WRITE : PMU_MEM_READ);
        retire(pmu, mov, &pmis);
    }
    assert_int_equal(rd(pmu, PMC(0)), 4);
    assert_int_equal(rd(pmu, PMC(1)), 4);
    pmu_mem_access(pmu, a, PMU_MEM_READ);
    retire(pmu, mov, &pmis);
    assert_int_equal(rd(pmu, PMC(0)), 5);
    assert_int_equal(rd(pmu, PMC(1)), 5);
    assert_int_equal(pmis, 0);
    pmu_destroy(pmu);
}

static bool wr_ok(struct pmu *pmu, uint32_t msr, uint64_t val)
{
    return pmu_wrmsr(pmu, msr, val, NULL) == PMU_OK;
}

/*
 * TSX's event-select bits (pmu-spec 3.1: KVM un-reserves IN_TX[32] with
 * HLE or RTM in the guest's CPUID, and IN_TXCP[33] on PMC2 only; SDM
 * 19.3.6.5) and what they count in pmvm (docs/counting.md,
 * "Transactions": only an XBEGIN's abort is in a transaction, and it
 * takes that XBEGIN's cycles: 1, an OTHER instruction's).
 */
static void test_transactions(void **state)
{
    struct pmu *pmu = make("sapphire-rapids", NULL, NAT);
    const uint64_t IN_TX = B(32), IN_TXCP = B(33);
    unsigned pmis = 0;

    (void)state;
    assert_false(wr_ok(pmu, EVTSEL(0), SEL(0x003C, OS | IN_TX)));
    pmu_set_tsx(pmu, true);
    assert_true(wr_ok(pmu, EVTSEL(0), SEL(0x003C, OS | IN_TX)));
    assert_false(wr_ok(pmu, EVTSEL(1), SEL(0x003C, OS | IN_TXCP)));
    assert_false(wr_ok(pmu, EVTSEL(3), SEL(0x003C, OS | IN_TX | IN_TXCP)));
    wr(pmu, EVTSEL(1), SEL(0x003C, OS));
    wr(pmu, EVTSEL(2), SEL(0x003C, OS | IN_TX | IN_TXCP));
    wr(pmu, EVTSEL(3), SEL(0x00C0, OS | IN_TX));
    /* One instruction outside any transaction, then an XBEGIN whose
     * transaction aborts to a fallback 0x20 bytes on. */
    retire(pmu, insn(0x1000, 2, PMU_INSN_OTHER, 0), &pmis);
    struct pmu_insn xbegin = insn(0x1002, 6, PMU_INSN_OTHER, 0);
    xbegin.next = 0x1028;
    xbegin.taken = true;
    xbegin.tx_abort = true;
    retire(pmu, xbegin, &pmis);
    assert_int_equal(rd(pmu, PMC(0)), 1); /* the abort's cycle */
    assert_int_equal(rd(pmu, PMC(1)), 2); /* both instructions' cycles */
    assert_int_equal(rd(pmu, PMC(2)), 1); /* IN_TXCP keeps the abort's */
    assert_int_equal(rd(pmu, PMC(3)), 0); /* no instruction ran in it */
    assert_int_equal(pmis, 0);
    pmu_set_tsx(pmu, false);
    assert_false(wr_ok(pmu, EVTSEL(2), SEL(0x003C, OS | IN_TX)));
    pmu_destroy(pmu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_pmc9),
        cmocka_unit_test(test_acr),
        cmocka_unit_test(test_region),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_return_stack_depth),
        cmocka_unit_test(test_metrics_clear),
        cmocka_unit_test(test_metrics_frozen),
        cmocka_unit_test(test_metrics_rounding),
        cmocka_unit_test(test_edge_deasserts),
        cmocka_unit_test(test_rings),
        cmocka_unit_test(test_repeat),
        cmocka_unit_test(test_llc),
    };

    return cmocka_run_group_tests_name("pmu_count", tests, NULL, NULL);
}
