/* pmu_msr.c: which PMU MSRs exist for a model, and RDMSR of each. */
#include "pmu/pmu_internal.h"

#define V6_GP_MSRS (PMU_MAX_GP * PMU_MSR_V6_STEP)
#define V6_FX_MSRS (PMU_MAX_FIXED * PMU_MSR_V6_STEP)

static const struct pmu_msr_range ranges[] = {
    {PMU_MSR_PMC0, PMU_LEGACY_GP},
    {PMU_MSR_PERFEVTSEL0, PMU_LEGACY_GP},
    {PMU_MSR_FIXED_CTR0, PMU_MAX_FIXED},
    {PMU_MSR_PERF_METRICS, 1},
    {PMU_MSR_PERF_CAPABILITIES, 1},
    {PMU_MSR_FIXED_CTR_CTRL, PMU_MSR_GLOBAL_INUSE - PMU_MSR_FIXED_CTR_CTRL + 1},
    {PMU_MSR_A_PMC0, PMU_LEGACY_GP},
    {PMU_MSR_V6_GP0, V6_GP_MSRS},
    {PMU_MSR_V6_FX0, V6_FX_MSRS},
};

size_t pmu_msr_ranges(const struct pmu_msr_range **out)
{
    *out = ranges;
    return sizeof(ranges) / sizeof(ranges[0]);
}

bool pmu_msr_owned(uint32_t msr)
{
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        if (msr - ranges[i].first < ranges[i].count)
            return true;
    return false;
}

static bool in(uint32_t msr, uint32_t base, uint32_t n, unsigned *i)
{
    if (msr < base || msr >= base + n)
        return false;
    *i = msr - base;
    return true;
}

/* The v6 bank: four MSRs per counter; the fixed half has no CFG_A. */
static enum msr_kind classify_v6(uint32_t msr, unsigned *i)
{
    static const enum msr_kind gp[4] = {MSR_V6_CTR, MSR_V6_CFG_A,
                                        MSR_V6_CFG_B, MSR_V6_CFG_C};
    static const enum msr_kind fx[4] = {MSR_V6_FX_CTR, MSR_NONE,
                                        MSR_V6_FX_CFG_B, MSR_V6_FX_CFG_C};
    unsigned n;

    if (in(msr, PMU_MSR_V6_GP0, V6_GP_MSRS, &n)) {
        *i = n / PMU_MSR_V6_STEP;
        return gp[n % PMU_MSR_V6_STEP];
    }
    if (in(msr, PMU_MSR_V6_FX0, V6_FX_MSRS, &n)) {
        *i = n / PMU_MSR_V6_STEP;
        return fx[n % PMU_MSR_V6_STEP];
    }
    return MSR_NONE;
}

enum msr_kind msr_classify(uint32_t msr, unsigned *i)
{
    *i = 0;
    if (in(msr, PMU_MSR_PMC0, PMU_LEGACY_GP, i))
        return MSR_PMC;
    if (in(msr, PMU_MSR_A_PMC0, PMU_LEGACY_GP, i))
        return MSR_A_PMC;
    if (in(msr, PMU_MSR_PERFEVTSEL0, PMU_LEGACY_GP, i))
        return MSR_EVTSEL;
    if (msr >= PMU_MSR_V6_GP0)
        return classify_v6(msr, i);
    if (in(msr, PMU_MSR_FIXED_CTR0, PMU_MAX_FIXED, i))
        return MSR_FIXED;
    switch (msr) {
    case PMU_MSR_PERF_METRICS: return MSR_METRICS;
    case PMU_MSR_PERF_CAPABILITIES: return MSR_CAPS;
    case PMU_MSR_FIXED_CTR_CTRL: return MSR_FIXED_CTRL;
    case PMU_MSR_GLOBAL_STATUS: return MSR_STATUS;
    case PMU_MSR_GLOBAL_CTRL: return MSR_CTRL;
    case PMU_MSR_GLOBAL_OVF_CTRL: return MSR_OVF_CTRL;
    case PMU_MSR_GLOBAL_STATUS_SET: return MSR_STATUS_SET;
    case PMU_MSR_GLOBAL_INUSE: return MSR_INUSE;
    default: return MSR_NONE;
    }
}

/* The KVM quirk: x86.c kvm_{get,set}_msr_common answer 0xC1, 0xC2, 0x186
 * and 0x187 themselves when the vPMU lacks them, reading 0 and dropping
 * writes, for old guests (checklist 17; pmu_counters_test). */
bool msr_kvm_quirk(const struct pmu_model *m, uint32_t msr)
{
    return m->policy != PMU_POLICY_NATIVE &&
           (msr == PMU_MSR_PMC0 || msr == PMU_MSR_PMC0 + 1 ||
            msr == PMU_MSR_PERFEVTSEL0 || msr == PMU_MSR_PERFEVTSEL0 + 1);
}

#define V6_ABSENT "the perfmon v6 MSR bank (0x1900 + 4x GP, 0x1980 + 4x " \
                  "fixed) exists from PMU version 6"

/* NULL if GP counter i exists, else the rule that says it does not. */
static const char *gp_absent(const struct pmu_model *m, unsigned i)
{
    if (pmu_gp_exists(m, i))
        return NULL;
    if (i < PMU_MAX_GP && (m->kvm_host_gp_bitmap >> i & 1))
        return "the host has GP counter x, but KVM gives a guest at most "
               "KVM_MAX_NR_INTEL_GP_COUNTERS = 8";
    return m->leaf23 ? "GP counter x exists only if CPUID.23H.1:EAX[x]" :
                       "GP counter x exists only for x < CPUID.0AH:EAX[15:8]";
}

static const char *fixed_absent(const struct pmu_model *m, unsigned i)
{
    if (pmu_model_fixed_exists(m, i))
        return NULL;
    return m->leaf23 ? "fixed counter x exists only if CPUID.23H.1:EBX[x]" :
                       "IA32_FIXED_CTRx exists only if CPUID.0AH:ECX[x] (v5+)"
                       " or EDX[4:0] > x";
}

const char *msr_absent(const struct pmu_model *m, enum msr_kind k,
                       unsigned i)
{
    uint64_t caps = pmu_model_caps(m);

    switch (k) {
    case MSR_NONE:
        return "not an MSR of the PMU model";
    case MSR_PMC:
    case MSR_EVTSEL:
    case MSR_A_PMC:
        if (m->version == 0)
            return "no architectural PMU (CPUID.0AH:EAX[7:0] = 0): "
                   "no counter MSRs";
        if (k == MSR_A_PMC && !(caps & PMU_CAP_FW_WRITES))
            return "IA32_A_PMCx exists only with "
                   "PERF_CAPABILITIES.FW_WRITES[13]";
        return gp_absent(m, i);
    case MSR_FIXED:
        if (m->version < 2)
            return "fixed counters exist from PMU version 2";
        return fixed_absent(m, i);
    case MSR_V6_CTR:
    case MSR_V6_CFG_A:
    case MSR_V6_CFG_B:
    case MSR_V6_CFG_C:
        if (m->version < 6)
            return V6_ABSENT;
        return gp_absent(m, i);
    case MSR_V6_FX_CTR:
    case MSR_V6_FX_CFG_B:
    case MSR_V6_FX_CFG_C:
        if (m->version < 6)
            return V6_ABSENT;
        return fixed_absent(m, i);
    case MSR_METRICS:
        return pmu_has_metrics(m) ? NULL :
               "IA32_PERF_METRICS exists only with PERF_CAPABILITIES[15]";
    case MSR_CAPS:
        return m->pdcm ? NULL :
               "IA32_PERF_CAPABILITIES exists only with CPUID.1:ECX.PDCM[15]";
    case MSR_FIXED_CTRL:
    case MSR_STATUS:
    case MSR_CTRL:
    case MSR_OVF_CTRL:
        return m->version >= 2 ? NULL :
               "the global control MSRs and FIXED_CTR_CTRL exist from PMU "
               "version 2";
    case MSR_STATUS_SET:
    case MSR_INUSE:
        return m->version >= 4 ? NULL :
               "GLOBAL_STATUS_SET and GLOBAL_INUSE exist from PMU version 4";
    }
    return "not an MSR of the PMU model";
}

static int answer(const char **rule, const char *why, int rc)
{
    if (rule)
        *rule = why;
    return rc;
}

int pmu_rdmsr(struct pmu *pmu, uint32_t msr, uint64_t *val,
              const char **rule)
{
    const struct pmu_model *m = &pmu->m;
    unsigned i;
    enum msr_kind k = msr_classify(msr, &i);
    const char *absent = msr_absent(m, k, i);

    pmu_settle(pmu);
    *val = 0;
    if (absent && msr_kvm_quirk(m, msr))
        return answer(rule, "KVM quirk: an absent IA32_PMC0/1 or "
                      "PERFEVTSEL0/1 reads 0 (x86.c)", PMU_OK);
    if (absent)
        return answer(rule, absent, PMU_GP);
    switch (k) {
    case MSR_PMC:
    case MSR_A_PMC:
    case MSR_V6_CTR:
        *val = pmu->pmc[i];
        return answer(rule, "IA32_PMCx, IA32_A_PMCx and the v6 "
                      "IA32_PMC_GPx_CTR read the same counter, "
                      "CPUID.0AH:EAX[23:16] bits wide", PMU_OK);
    case MSR_EVTSEL:
    case MSR_V6_CFG_A:
        *val = pmu->evtsel[i];
        return answer(rule, "IA32_PERFEVTSELx (v6: IA32_PMC_GPx_CFG_A) reads"
                      " back as written", PMU_OK);
    case MSR_FIXED:
    case MSR_V6_FX_CTR:
        *val = pmu->fixed[i];
        return answer(rule, "IA32_FIXED_CTRx (v6: IA32_PMC_FXx_CTR) reads "
                      "the counter, CPUID.0AH:EDX[12:5] bits wide", PMU_OK);
    case MSR_V6_CFG_B:
    case MSR_V6_FX_CFG_B:
        *val = pmu->acr_mask[msr_counter_idx(k, i)];
        return answer(rule, "CFG_B reads back its auto counter reload mask",
                      PMU_OK);
    case MSR_V6_CFG_C:
    case MSR_V6_FX_CFG_C:
        *val = pmu->acr_reload[msr_counter_idx(k, i)];
        return answer(rule, "CFG_C reads back its auto counter reload value",
                      PMU_OK);
    case MSR_METRICS:
        *val = pmu->perf_metrics;
        return answer(rule, "IA32_PERF_METRICS reads its 8 byte fields",
                      PMU_OK);
    case MSR_CAPS:
        *val = pmu_model_caps(m);
        return answer(rule, "IA32_PERF_CAPABILITIES reads the model's value",
                      PMU_OK);
    case MSR_FIXED_CTRL:
        *val = pmu->fixed_ctrl;
        return answer(rule, "IA32_FIXED_CTR_CTRL reads back as written",
                      PMU_OK);
    case MSR_STATUS:
        *val = pmu->global_status;
        return answer(rule, "IA32_PERF_GLOBAL_STATUS reads the overflow "
                      "status", PMU_OK);
    case MSR_CTRL:
        *val = pmu->global_ctrl;
        return answer(rule, "IA32_PERF_GLOBAL_CTRL reads back as written "
                      "(reset: every GP enable bit)", PMU_OK);
    case MSR_OVF_CTRL:
        return answer(rule, "GLOBAL_OVF_CTRL (STATUS_RESET) is "
                      "write-1-to-clear and reads 0 (as KVM)", PMU_OK);
    case MSR_STATUS_SET:
        return answer(rule, "GLOBAL_STATUS_SET is write-1-to-set and reads "
                      "0 [I]", PMU_OK);
    case MSR_INUSE:
        *val = pmu_global_inuse(pmu);
        return answer(rule, "GLOBAL_INUSE reflects EVTSELx[7:0] != 0, "
                      "FIXED_CTR_CTRL.ENi != 0 and any PMI bit (SDM "
                      "18.2.4.3)", PMU_OK);
    case MSR_NONE:
        break;
    }
    return answer(rule, "not an MSR of the PMU model", PMU_GP);
}
