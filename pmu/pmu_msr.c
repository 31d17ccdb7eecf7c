/* pmu_msr.c: which PMU MSRs exist for a model, and RDMSR of each. */
#include "pmu/pmu_internal.h"

static const struct pmu_msr_range ranges[] = {
    {PMU_MSR_PMC0, PMU_MAX_GP},
    {PMU_MSR_PERFEVTSEL0, PMU_MAX_GP},
    {PMU_MSR_FIXED_CTR0, PMU_MAX_FIXED},
    {PMU_MSR_PERF_METRICS, 1},
    {PMU_MSR_PERF_CAPABILITIES, 1},
    {PMU_MSR_FIXED_CTR_CTRL, PMU_MSR_GLOBAL_INUSE - PMU_MSR_FIXED_CTR_CTRL + 1},
    {PMU_MSR_A_PMC0, PMU_MAX_GP},
};

size_t pmu_msr_ranges(const struct pmu_msr_range **out)
{
    *out = ranges;
    return sizeof(ranges) / sizeof(ranges[0]);
}

static bool in(uint32_t msr, uint32_t base, uint32_t n, unsigned *i)
{
    if (msr < base || msr >= base + n)
        return false;
    *i = msr - base;
    return true;
}

enum msr_kind msr_classify(uint32_t msr, unsigned *i)
{
    *i = 0;
    if (in(msr, PMU_MSR_PMC0, PMU_MAX_GP, i))
        return MSR_PMC;
    if (in(msr, PMU_MSR_A_PMC0, PMU_MAX_GP, i))
        return MSR_A_PMC;
    if (in(msr, PMU_MSR_PERFEVTSEL0, PMU_MAX_GP, i))
        return MSR_EVTSEL;
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
        if (i >= m->gp_counters)
            return "GP counter x exists only for x < CPUID.0AH:EAX[15:8]";
        return NULL;
    case MSR_FIXED:
        if (m->version < 2)
            return "fixed counters exist from PMU version 2";
        if (!pmu_model_fixed_exists(m, i))
            return "IA32_FIXED_CTRx exists only if CPUID.0AH:ECX[x] (v5+) "
                   "or EDX[4:0] > x";
        return NULL;
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

    *val = 0;
    if (absent && msr_kvm_quirk(m, msr))
        return answer(rule, "KVM quirk: an absent IA32_PMC0/1 or "
                      "PERFEVTSEL0/1 reads 0 (x86.c)", PMU_OK);
    if (absent)
        return answer(rule, absent, PMU_GP);
    switch (k) {
    case MSR_PMC:
    case MSR_A_PMC:
        *val = pmu->pmc[i];
        return answer(rule, "IA32_PMCx / IA32_A_PMCx read the same counter, "
                      "CPUID.0AH:EAX[23:16] bits wide", PMU_OK);
    case MSR_EVTSEL:
        *val = pmu->evtsel[i];
        return answer(rule, "IA32_PERFEVTSELx reads back as written", PMU_OK);
    case MSR_FIXED:
        *val = pmu->fixed[i];
        return answer(rule, "IA32_FIXED_CTRx reads the counter, "
                      "CPUID.0AH:EDX[12:5] bits wide", PMU_OK);
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
