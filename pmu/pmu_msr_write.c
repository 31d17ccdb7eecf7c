/* pmu_msr_write.c: WRMSR of each PMU MSR: the accept-or-#GP rule and its effect. */
#include "pmu/pmu_internal.h"

static int answer(const char **rule, const char *why, int rc)
{
    if (rule)
        *rule = why;
    return rc;
}

static unsigned lowest(uint64_t bits)
{
    return (unsigned)__builtin_ctzll(bits);
}

/* Why a PERFEVTSELx value has bits outside pmu_evtsel_valid(). */
static const char *evtsel_reserved(uint64_t bad)
{
    if (bad & EVTSEL_ANY)
        return "PERFEVTSELx.AnyThread[21] is reserved (before version 3, or "
               "deprecated by CPUID.0AH:EDX[15]; KVM always)";
    if (bad & (EVTSEL_IN_TX | EVTSEL_IN_TXCP))
        return "PERFEVTSELx.IN_TX[32] needs HLE or RTM in CPUID.7.0:EBX, "
               "and IN_TXCP[33] also exists on PERFEVTSEL2 only";
    return "PERFEVTSELx bits 63:32 are reserved unless enumerated (UMASK2, "
           "EQ, RDPMC_USER_DISABLE by CPUID.23H.0:EBX; IN_TX and IN_TXCP by "
           "TSX; PEBS bits are not implemented)";
}

/* Why a FIXED_CTR_CTRL value has bits outside pmu_fixed_ctrl_valid(). */
static const char *fixed_ctrl_reserved(const struct pmu_model *m,
                                       uint64_t bad)
{
    unsigned b = lowest(bad), i = b / 4;

    if (b >= 32)
        return "FIXED_CTR_CTRL bits 63:32 are reserved unless "
               "RDPMC_USER_DISABLE (CPUID.23H.0:EBX[2]) gives bit 33+4i "
               "(adaptive PEBS is not implemented)";
    if (!pmu_model_fixed_exists(m, i))
        return "FIXED_CTR_CTRL field i is reserved when fixed counter i "
               "does not exist";
    if (b == 14)
        return "FIXED_CTR_CTRL bit 14 (METRICS_CLEAR_EN, FC3's AnyThread) "
               "needs PERF_CAPABILITIES.RDPMC_METRICS_CLEAR[19]";
    return "FIXED_CTR_CTRL AnyThread (bit 4i+2) is reserved (before "
           "version 3, or deprecated by CPUID.0AH:EDX[15]; KVM always)";
}

/* Why a GLOBAL_CTRL (or status) value has bits that do not exist. */
static const char *global_reserved(const struct pmu_model *m, uint64_t bad,
                                   bool status)
{
    unsigned b = lowest(bad);

    if (b < 32)
        return status ? "GLOBAL_STATUS bit i of a GP counter that does not "
                        "exist is reserved" :
                        "GLOBAL_CTRL bit i enables GP counter i, which must "
                        "exist (i < CPUID.0AH:EAX[15:8])";
    if (b < 32 + PMU_MAX_FIXED && !pmu_model_fixed_exists(m, b - 32))
        return status ? "GLOBAL_STATUS bit 32+i of an absent fixed counter "
                        "is reserved" :
                        "GLOBAL_CTRL bit 32+i enables fixed counter i, which "
                        "must exist";
    if (b == 48)
        return "bit 48 (PERF_METRICS) of GLOBAL_CTRL/STATUS needs "
               "PERF_CAPABILITIES[15]";
    return status ? "this GLOBAL_STATUS bit is reserved for the model "
                    "(OVF_CTRL and STATUS_SET share GLOBAL_STATUS's bits)" :
                    "GLOBAL_CTRL bits other than the counters' and 48 are "
                    "reserved";
}

static int write_fixed(struct pmu *pmu, unsigned i, uint64_t val,
                       const char **rule)
{
    uint64_t mask = pmu_width_mask(pmu->m.fixed_width);
    const char *why = "IA32_FIXED_CTRx takes the value";

    if (val & ~mask) {
        /* SDM 18.2.2: bits beyond the fixed width are reserved and must be
         * written as zeros; KVM's perf-based vPMU masks instead. */
        if (pmu->m.policy != PMU_POLICY_KVM_LEGACY)
            return answer(rule, "a FIXED_CTRx write with bits above "
                          "CPUID.0AH:EDX[12:5] (reserved bits)", PMU_GP);
        why = "KVM masks a FIXED_CTRx write to CPUID.0AH:EDX[12:5] bits";
    }
    pmu->fixed[i] = val & mask;
    if (i == 3 && pmu_has_metrics(&pmu->m)) {
        /* Writing FIXED_CTR3 clears PERF_METRICS (pmu-spec 3.5). */
        pmu->perf_metrics = 0;
        pmu_metrics_zero(pmu);
        why = "a FIXED_CTR3 write also clears IA32_PERF_METRICS";
    }
    return answer(rule, why, PMU_OK);
}

static int write_present(struct pmu *pmu, enum msr_kind k, unsigned i,
                         uint64_t val, const char **rule)
{
    const struct pmu_model *m = &pmu->m;
    uint64_t gp_mask = pmu_width_mask(m->gp_width), bad;
    unsigned idx;

    switch (k) {
    case MSR_PMC:
        /* Only EAX is written, sign-extended from bit 31 (pmu-spec 0). */
        pmu->pmc[i] = (uint64_t)(int64_t)(int32_t)(uint32_t)val & gp_mask;
        return answer(rule, "a legacy IA32_PMCx write sign-extends EAX "
                      "bit 31, masked to the counter width", PMU_OK);
    case MSR_A_PMC:
    case MSR_V6_CTR:
        /* The v6 bank's counter is full width like IA32_A_PMCx, without
         * needing FW_WRITES [I] (docs/pmu-model.md). */
        if (val & ~gp_mask)
            return answer(rule, "a full-width IA32_A_PMCx / v6 "
                          "IA32_PMC_GPx_CTR write with bits above "
                          "CPUID.0AH:EAX[23:16]", PMU_GP);
        pmu->pmc[i] = val;
        return answer(rule, "a full-width IA32_A_PMCx / v6 IA32_PMC_GPx_CTR "
                      "write takes all counter bits", PMU_OK);
    case MSR_V6_CFG_B:
    case MSR_V6_FX_CFG_B:
        idx = msr_counter_idx(k, i);
        if (val & ~pmu_acr_mask_valid(m, idx))
            return answer(rule, "CFG_B takes the bits of counters that can "
                          "cause a reload (CPUID.23H.2:ECX, EDX << 32), and "
                          "only on a counter that can be reloaded "
                          "(CPUID.23H.2:EAX, EBX)", PMU_GP);
        pmu->acr_mask[idx] = val;
        return answer(rule, "CFG_B takes the counters whose overflow reloads"
                      " this one", PMU_OK);
    case MSR_V6_CFG_C:
    case MSR_V6_FX_CFG_C:
        idx = msr_counter_idx(k, i);
        if (val & ~pmu_acr_reload_valid(m, idx))
            return answer(rule, "CFG_C takes a reload value of the counter's"
                          " width, and only on a counter that can be "
                          "reloaded (CPUID.23H.2:EAX, EBX)", PMU_GP);
        pmu->acr_reload[idx] = val;
        return answer(rule, "CFG_C takes the value this counter reloads",
                      PMU_OK);
    case MSR_EVTSEL:
    case MSR_V6_CFG_A:
        bad = val & ~pmu_evtsel_valid(m, i);
        if (bad)
            return answer(rule, evtsel_reserved(bad), PMU_GP);
        pmu->evtsel[i] = val;
        pmu->edge_prev &= ~(1u << i); /* EDGE starts deasserted */
        return answer(rule, "IA32_PERFEVTSELx takes any value without "
                      "reserved bits", PMU_OK);
    case MSR_FIXED:
    case MSR_V6_FX_CTR:
        return write_fixed(pmu, i, val, rule);
    case MSR_METRICS:
        pmu->perf_metrics = val;
        pmu_metrics_write(pmu, val);
        return answer(rule, "IA32_PERF_METRICS is writable (software "
                      "zeroes it; VMMs restore it after FIXED_CTR3)", PMU_OK);
    case MSR_CAPS:
        return answer(rule, "IA32_PERF_CAPABILITIES is read-only to the "
                      "guest", PMU_GP);
    case MSR_FIXED_CTRL:
        bad = val & ~pmu_fixed_ctrl_valid(m);
        if (bad)
            return answer(rule, fixed_ctrl_reserved(m, bad), PMU_GP);
        pmu->fixed_ctrl = val;
        return answer(rule, "IA32_FIXED_CTR_CTRL takes any value without "
                      "reserved bits", PMU_OK);
    case MSR_STATUS:
        return answer(rule, "IA32_PERF_GLOBAL_STATUS is read-only (use "
                      "OVF_CTRL and STATUS_SET)", PMU_GP);
    case MSR_CTRL:
        bad = val & ~pmu_global_ctrl_valid(m);
        if (bad)
            return answer(rule, global_reserved(m, bad, false), PMU_GP);
        pmu->global_ctrl = val;
        return answer(rule, "IA32_PERF_GLOBAL_CTRL takes the enables of "
                      "counters that exist", PMU_OK);
    case MSR_OVF_CTRL:
    case MSR_STATUS_SET:
        bad = val & ~pmu_global_status_valid(m);
        if (bad)
            return answer(rule, global_reserved(m, bad, true), PMU_GP);
        if (k == MSR_OVF_CTRL) {
            pmu->global_status &= ~val;
            return answer(rule, "GLOBAL_OVF_CTRL clears the GLOBAL_STATUS "
                          "bits written as 1", PMU_OK);
        }
        pmu->global_status |= val;
        return answer(rule, "GLOBAL_STATUS_SET sets the GLOBAL_STATUS bits "
                      "written as 1", PMU_OK);
    case MSR_INUSE:
        return answer(rule, "IA32_PERF_GLOBAL_INUSE is read-only", PMU_GP);
    case MSR_NONE:
        break;
    }
    return answer(rule, "not an MSR of the PMU model", PMU_GP);
}

int pmu_wrmsr(struct pmu *pmu, uint32_t msr, uint64_t val, const char **rule)
{
    unsigned i;
    enum msr_kind k = msr_classify(msr, &i);
    const char *absent = msr_absent(&pmu->m, k, i);

    pmu_settle(pmu);
    if (absent && msr_kvm_quirk(&pmu->m, msr))
        return answer(rule, "KVM quirk: a write of an absent IA32_PMC0/1 or "
                      "PERFEVTSEL0/1 is dropped (x86.c)", PMU_OK);
    if (absent)
        return answer(rule, absent, PMU_GP);
    int r = write_present(pmu, k, i, val, rule);
    pmu_enabled_refresh(pmu);
    return r;
}
