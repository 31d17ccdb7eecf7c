/* msr.c: the PMU MSRs' reset values, aliases, reserved bits and side effects, one fixed access list (docs/probe-format.md). */
#include "guest.h"

/*
 * Every access prints one "# obs " line in the order docs/probe-format.md
 * fixes, the same on every model; the expected tables hold the outcomes.
 * The KTAP results at the end check what the probe can decide alone from
 * CPUID and the pmu-spec rules it cites.
 */

#define MSR_PMC0 0x0c1              /* pmu-spec 0 */
#define MSR_EVTSEL0 0x186
#define MSR_FIXED_CTR0 0x309
#define MSR_FIXED_CTR3 0x30c
#define MSR_PERF_METRICS 0x329
#define MSR_PERF_CAPABILITIES 0x345
#define MSR_FIXED_CTR_CTRL 0x38d
#define MSR_GLOBAL_STATUS 0x38e
#define MSR_GLOBAL_CTRL 0x38f
#define MSR_GLOBAL_OVF_CTRL 0x390
#define MSR_GLOBAL_STATUS_SET 0x391
#define MSR_GLOBAL_INUSE 0x392
#define MSR_A_PMC0 0x4c1
#define MSR_V6_GP(i, reg) (0x1900 + 4 * (i) + (reg)) /* pmu-spec 0 */
#define MSR_V6_FX(i, reg) (0x1980 + 4 * (i) + (reg))

#define PERF_CAP_FW_WRITE (1ull << 13)     /* pmu-spec 3.4 */
#define PERF_CAP_PERF_METRICS (1ull << 15)
#define PERF_METRICS_VALUE 0x0102030405060708ull

#define N_CHECKS 13

struct read {
    uint8_t vector;
    uint32_t err;
    uint64_t val;
};

/* What CPUID says (read at CPL0), for the checks: the GP counters that
 * exist are leaf 0x23.1's where it is enumerated, else leaf 0xA's. */
static unsigned version, gp, gp_width;
static uint32_t gp_exist;
static bool pdcm;


static struct read rd(uint32_t msr)
{
    struct read r;

    r.vector = rdmsr_safe(msr, &r.val, &r.err);
    if (r.vector)
        ktap_diag("obs rdmsr 0x%03x = %s", msr, exception_outcome(r.vector, r.err));
    else
        ktap_diag("obs rdmsr 0x%03x = 0x%016llx", msr,
                  (unsigned long long)r.val);
    return r;
}

/* Returns the vector: 0 if the write was taken. */
static uint8_t wr(uint32_t msr, uint64_t val)
{
    uint32_t err;
    uint8_t vector = wrmsr_safe(msr, val, &err);

    ktap_diag("obs wrmsr 0x%03x 0x%016llx: %s", msr, (unsigned long long)val,
              exception_outcome(vector, err));
    return vector;
}

static bool read_is(struct read r, uint64_t want)
{
    return !r.vector && r.val == want;
}

/* The bits a counter of this width holds (pmu-spec 1.1: CPUID.0AH:EAX[23:16]). */
static uint64_t width_mask(unsigned width)
{
    return width >= 64 ? ~0ull : (1ull << width) - 1;
}

static void read_cpuid(void)
{
    uint32_t r[4];

    if (!cpuid_safe(1, 0, r, NULL))
        pdcm = r[2] & (1u << 15);
    if (!cpuid_safe(0xa, 0, r, NULL)) {
        version = r[0] & 0xff;
        gp = (r[0] >> 8) & 0xff;
        gp_width = (r[0] >> 16) & 0xff;
    }
    gp_exist = (uint32_t)width_mask(gp);
    if (!cpuid_safe(0, 0, r, NULL) && r[0] >= 0x23 &&
        !cpuid_safe(0x23, 0, r, NULL) && (r[0] & 2) &&
        !cpuid_safe(0x23, 1, r, NULL))
        gp_exist = r[0];
}

/* A check that needs a feature the model lacks is a SKIP. */
static void check(bool applies, const char *lacks, bool ok, const char *name)
{
    if (applies)
        ktap_result(ok, "%s", name);
    else
        ktap_skip(lacks, "%s", name);
}

int main(void)
{
    static const unsigned ctrl_bits[] = {
        0, 7, 8, 31, 32, 33, 34, 35, 36, 37, 38, 39, 48, 63,
    };
    struct read reset_ctrl, perf_cap, r, legacy_lo, legacy_hi, alias_lo,
        alias_hi, full, full_alias, evtsel, status_set, status_clear,
        metrics, metrics_cleared;
    struct read v6_ctr, v6_sel;
    uint8_t full_over, status_wr0, status_wr1, cap_wr0, cap_wr1, v6_wr;
    bool fw_write, has_metrics, pmc0;
    uint64_t m;

    read_cpuid();
    ktap_plan(N_CHECKS);

    /* 1. reset state */
    reset_ctrl = rd(MSR_GLOBAL_CTRL);
    rd(MSR_GLOBAL_STATUS);
    rd(MSR_GLOBAL_OVF_CTRL);
    rd(MSR_GLOBAL_STATUS_SET);
    rd(MSR_GLOBAL_INUSE);
    rd(MSR_FIXED_CTR_CTRL);
    perf_cap = rd(MSR_PERF_CAPABILITIES);
    rd(MSR_PERF_METRICS);
    fw_write = pdcm && !perf_cap.vector && (perf_cap.val & PERF_CAP_FW_WRITE);
    has_metrics = pdcm && !perf_cap.vector &&
                  (perf_cap.val & PERF_CAP_PERF_METRICS);

    /* 2. counters and event selects */
    for (uint32_t i = 0; i <= 8; i++)
        rd(MSR_PMC0 + i);
    for (uint32_t i = 0; i <= 8; i++)
        rd(MSR_EVTSEL0 + i);
    for (uint32_t i = 0; i <= 8; i++)
        rd(MSR_A_PMC0 + i);
    for (uint32_t i = 0; i <= 7; i++)
        rd(MSR_FIXED_CTR0 + i);

    /* 3. legacy PMC0 writes */
    wr(MSR_PMC0, 0x0000000080000000ull);
    legacy_lo = rd(MSR_PMC0);
    alias_lo = rd(MSR_A_PMC0);
    wr(MSR_PMC0, 0xffffff0123456789ull);
    legacy_hi = rd(MSR_PMC0);
    alias_hi = rd(MSR_A_PMC0);

    /* 4. full-width PMC0 */
    wr(MSR_A_PMC0, 0x0000ff0123456789ull);
    full = rd(MSR_A_PMC0);
    full_alias = rd(MSR_PMC0);
    full_over = wr(MSR_A_PMC0, 0xffffff0123456789ull);
    rd(MSR_A_PMC0);

    /* 5. PMC round trip, as the selftest */
    wr(MSR_PMC0, 0x000000000000ffffull);
    r = rd(MSR_PMC0);
    for (uint32_t i = 1; i <= 8; i++)
        wr(MSR_PMC0 + i, 0x000000000000ffffull);

    /* 6. EVTSEL0 */
    wr(MSR_EVTSEL0, 0x00000000004300c0ull);
    evtsel = rd(MSR_EVTSEL0);
    wr(MSR_EVTSEL0, 0x00000000002000c0ull);
    /* Bit 33, IN_TXCP, is reserved on EVTSEL0 with TSX or without (PMC2
     * only; pmu-spec 3.1): bit 32, IN_TX, would depend on whether the
     * host lets pmvm hide TSX (docs/counting.md, "Transactions"). */
    wr(MSR_EVTSEL0, 0x00000002000000c0ull);
    wr(MSR_EVTSEL0, 0x8000000000000000ull);
    wr(MSR_EVTSEL0, 0x0000000000000000ull);

    /* 7. fixed counters */
    for (uint32_t i = 0; i <= 7; i++)
        wr(MSR_FIXED_CTR0 + i, 0x000000000000ffffull);
    wr(MSR_FIXED_CTR0, 0xffffffffffffffffull);
    rd(MSR_FIXED_CTR0);

    /* 8. FIXED_CTR_CTRL */
    for (unsigned i = 0; i <= 6; i++)
        wr(MSR_FIXED_CTR_CTRL, 1ull << (4 * i));
    wr(MSR_FIXED_CTR_CTRL, 0x0000000000000004ull);
    wr(MSR_FIXED_CTR_CTRL, 0x0000000000004000ull);
    wr(MSR_FIXED_CTR_CTRL, 0x0000000000000000ull);

    /* 9. GLOBAL_CTRL */
    wr(MSR_GLOBAL_CTRL, 0);
    for (unsigned i = 0; i < sizeof ctrl_bits / sizeof ctrl_bits[0]; i++)
        wr(MSR_GLOBAL_CTRL, 1ull << ctrl_bits[i]);
    wr(MSR_GLOBAL_CTRL, 0);

    /* 10. GLOBAL_STATUS is read-only */
    status_wr0 = wr(MSR_GLOBAL_STATUS, 0);
    status_wr1 = wr(MSR_GLOBAL_STATUS, 1);

    /* 11. STATUS_SET and OVF_CTRL */
    wr(MSR_GLOBAL_STATUS_SET, 1);
    status_set = rd(MSR_GLOBAL_STATUS);
    wr(MSR_GLOBAL_OVF_CTRL, 1);
    status_clear = rd(MSR_GLOBAL_STATUS);
    wr(MSR_GLOBAL_STATUS_SET, 1ull << 48);
    rd(MSR_GLOBAL_STATUS);
    wr(MSR_GLOBAL_OVF_CTRL, 1ull << 48);
    rd(MSR_GLOBAL_STATUS);

    /* 12. INUSE */
    wr(MSR_GLOBAL_INUSE, 0);

    /* 13. PERF_CAPABILITIES is read-only */
    perf_cap = rd(MSR_PERF_CAPABILITIES);
    cap_wr0 = wr(MSR_PERF_CAPABILITIES, 0);
    cap_wr1 = wr(MSR_PERF_CAPABILITIES, perf_cap.vector ? 0 : perf_cap.val);

    /* 14. PERF_METRICS, and writing FIXED_CTR3 clears it */
    wr(MSR_PERF_METRICS, PERF_METRICS_VALUE);
    metrics = rd(MSR_PERF_METRICS);
    wr(MSR_FIXED_CTR3, 0);
    metrics_cleared = rd(MSR_PERF_METRICS);
    rd(MSR_FIXED_CTR3);

    /* 15. PMC8-9 (SDM Table 2-2) and the v6 bank, which aliases the same
     * counters from version 6 (pmu-spec 0) */
    rd(MSR_PMC0 + 9);
    rd(MSR_EVTSEL0 + 9);
    rd(MSR_A_PMC0 + 9);
    wr(MSR_PMC0, 0x5555); /* PMC0 counted in section 6: a known value */
    for (uint32_t reg = 0; reg < 4; reg++)
        rd(MSR_V6_GP(0, reg));
    rd(MSR_V6_GP(9, 0));
    rd(MSR_V6_GP(9, 1));
    rd(MSR_V6_GP(10, 0));
    for (uint32_t reg = 0; reg < 4; reg++)
        rd(MSR_V6_FX(0, reg));
    rd(MSR_V6_FX(3, 0));
    rd(MSR_V6_FX(4, 0));
    v6_wr = wr(MSR_V6_GP(1, 0), 0x1234);
    v6_ctr = rd(MSR_PMC0 + 1);
    wr(MSR_V6_GP(1, 1), 0x4300c0);
    v6_sel = rd(MSR_EVTSEL0 + 1);
    wr(MSR_V6_GP(0, 0), 1ull << 48);

    /* The checks, from CPUID and pmu-spec. */
    pmc0 = version && gp;
    m = width_mask(gp_width);
    check(pmc0, "no PMC0", read_is(legacy_lo, 0xffffffff80000000ull & m),
          "legacy PMC0 write sign-extends bit 31 to the counter width "
          "(pmu-spec 0)");
    check(pmc0, "no PMC0", read_is(legacy_hi, 0x23456789),
          "legacy PMC0 write takes bits 31:0 only (pmu-spec 0)");
    check(pmc0 && fw_write, "no full-width PMC0 (PERF_CAPABILITIES[13])",
          read_is(alias_lo, legacy_lo.val) && read_is(alias_hi, legacy_hi.val),
          "0x4c1 reads what 0x0c1 reads (pmu-spec 0)");
    check(pmc0 && fw_write && gp_width >= 48,
          "no 48-bit full-width PMC0",
          read_is(full, 0x0000ff0123456789ull) &&
              read_is(full_alias, 0x0000ff0123456789ull),
          "a full-width write within the width is read back at 0x4c1 and "
          "0x0c1 (pmu-spec 0)");
    check(pmc0 && fw_write && gp_width < 64, "no full-width PMC0 below 64 bits",
          full_over == 13,
          "a full-width write above the width is #GP (pmu-spec 0)");
    check(pmc0, "no PMC0", read_is(r, 0xffff), "PMC0 round trip 0xffff");
    check(pmc0, "no EVTSEL0", read_is(evtsel, 0x4300c0),
          "EVTSEL0 round trip 0x4300c0 (pmu-spec 3.1)");
    check(version >= 2, "no GLOBAL_CTRL before version 2",
          read_is(reset_ctrl, gp_exist),
          "GLOBAL_CTRL resets to every GP enable bit (pmu-spec 3.3)");
    check(version >= 2, "no GLOBAL_STATUS before version 2",
          status_wr0 == 13 && status_wr1 == 13,
          "writes to GLOBAL_STATUS are #GP (pmu-spec 0, 3.3)");
    check(version >= 4, "no STATUS_SET before version 4",
          !status_set.vector && (status_set.val & 1) &&
              !status_clear.vector && !(status_clear.val & 1),
          "STATUS_SET sets and OVF_CTRL clears GLOBAL_STATUS bit 0 "
          "(pmu-spec 0, 3.3)");
    check(pdcm, "no PDCM", cap_wr0 == 13 && cap_wr1 == 13,
          "writes to PERF_CAPABILITIES are #GP (pmu-spec 3.4)");
    check(has_metrics, "no PERF_METRICS (PERF_CAPABILITIES[15])",
          read_is(metrics, PERF_METRICS_VALUE) &&
              read_is(metrics_cleared, 0),
          "PERF_METRICS round trip, and writing FIXED_CTR3 clears it "
          "(pmu-spec 3.5)");
    check(version >= 6 && (gp_exist & 2), "no v6 bank (version 6) or PMC1",
          v6_wr == 0 && read_is(v6_ctr, 0x1234) && read_is(v6_sel, 0x4300c0),
          "the v6 bank's GP1 CTR and CFG_A are IA32_PMC1 and PERFEVTSEL1 "
          "(pmu-spec 0)");
    return ktap_finish();
}
