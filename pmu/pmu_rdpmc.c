/* pmu_rdpmc.c: RDPMC: ECX decoding, the privilege rule, and the value read. */
#include "pmu/pmu_internal.h"

enum rdpmc_kind { RD_GP, RD_FIXED, RD_METRICS };

static int answer(const char **rule, const char *why, int rc)
{
    if (rule)
        *rule = why;
    return rc;
}

/*
 * ECX[31:16] is the type and ECX[15:0] the index (pmu-spec 1.1). Returns
 * NULL and the counter, or the rule that makes the encoding invalid.
 */
static const char *decode(const struct pmu_model *m, uint32_t ecx,
                          enum rdpmc_kind *kind, unsigned *idx)
{
    uint32_t type = ecx >> 16;

    *idx = ecx & 0xFFFF;
    /* KVM rejects every type but GP and fixed, metrics and the old fast
     * bit included (pmu-spec 1.2, 1.3). */
    if (m->rdpmc_kvm_decode && type != PMU_RDPMC_GP &&
        type != PMU_RDPMC_FIXED)
        return "KVM's RDPMC decoder (intel_rdpmc_ecx_to_pmc) accepts "
               "types 0 (GP) and 0x4000 (fixed) only";
    switch (type) {
    case PMU_RDPMC_GP:
        *kind = RD_GP;
        if (*idx < PMU_MAX_GP && (m->kvm_host_gp_bitmap >> *idx & 1) &&
            !pmu_gp_exists(m, *idx))
            return "RDPMC type 0 (GP): the host has counter ECX[15:0], but "
                   "KVM gives a guest at most KVM_MAX_NR_INTEL_GP_COUNTERS "
                   "= 8";
        if (!pmu_gp_exists(m, *idx))
            return m->leaf23 ? "RDPMC type 0 (GP): index ECX[15:0] must name"
                               " a GP counter of CPUID.23H.1:EAX" :
                               "RDPMC type 0 (GP): index ECX[15:0] must be "
                               "below CPUID.0AH:EAX[15:8]";
        return NULL;
    case PMU_RDPMC_FIXED:
        *kind = RD_FIXED;
        if (*idx >= 32 || !pmu_model_fixed_exists(m, *idx))
            return "RDPMC type 0x4000 (fixed): index ECX[15:0] must name a "
                   "fixed counter that exists (CPUID.0AH:ECX[i] or "
                   "EDX[4:0] > i; CPUID.23H.1:EBX[i] where leaf 0x23 is "
                   "enumerated)";
        return NULL;
    case PMU_RDPMC_METRICS:
        *kind = RD_METRICS;
        if (!(pmu_model_caps(m) & PMU_CAP_PERF_METRICS))
            return "RDPMC type 0x2000 (metrics) needs PERF_CAPABILITIES[15]"
                   " (PERF_METRICS)";
        if (*idx != 0)
            return "RDPMC type 0x2000 (metrics) takes index 0 only";
        return NULL;
    default:
        if (type & 0x8000)
            return "ECX bit 31, the fast-read flag of non-architectural "
                   "PMUs, is part of the type on an architectural PMU and "
                   "no type has it";
        return "ECX[31:16] is not a defined type (0 GP, 0x2000 metrics, "
               "0x4000 fixed)";
    }
}

/* RDPMC_USER_DISABLE (CPUID.23H.0:EBX[2]): a CPL>0 read of a counter
 * whose disable bit is set returns 0 without a fault (pmu-spec 1.1). */
static bool user_disabled(const struct pmu *pmu, enum rdpmc_kind kind,
                          unsigned idx, unsigned cpl)
{
    const struct pmu_model *m = &pmu->m;

    if (cpl == 0 || !m->leaf23 ||
        !(m->leaf23_features & PMU_L23_RDPMC_USER_DISABLE))
        return false;
    if (kind == RD_GP)
        return pmu->evtsel[idx] & EVTSEL_RDPMC_USER_DISABLE;
    if (kind == RD_FIXED)
        return pmu->fixed_ctrl & FIXED_USER_DISABLE(idx);
    return false;
}

static int read_counter(struct pmu *pmu, enum rdpmc_kind kind, unsigned idx,
                        unsigned cpl, uint64_t *val, const char **rule)
{
    if (user_disabled(pmu, kind, idx, cpl))
        return answer(rule, "RDPMC_USER_DISABLE: a CPL>0 read of a "
                      "disabled counter returns 0", PMU_OK);
    switch (kind) {
    case RD_GP:
        *val = pmu->pmc[idx];
        return answer(rule, "RDPMC type 0 reads IA32_PMCx, zero-extended "
                      "from CPUID.0AH:EAX[23:16] bits", PMU_OK);
    case RD_FIXED:
        *val = pmu->fixed[idx];
        return answer(rule, "RDPMC type 0x4000 reads IA32_FIXED_CTRx, "
                      "zero-extended from CPUID.0AH:EDX[12:5] bits", PMU_OK);
    case RD_METRICS:
        *val = pmu->perf_metrics;
        if ((pmu_model_caps(&pmu->m) & PMU_CAP_RDPMC_METRICS_CLEAR) &&
            (pmu->fixed_ctrl & FIXED_METRICS_CLEAR_EN)) {
            pmu->perf_metrics = 0;
            pmu->fixed[3] = 0;
            pmu_metrics_zero(pmu);
            return answer(rule, "RDPMC type 0x2000 reads IA32_PERF_METRICS; "
                          "metrics clear mode (PERF_CAPABILITIES[19], "
                          "FIXED_CTR_CTRL[14]) then zeroes it and "
                          "FIXED_CTR3", PMU_OK);
        }
        return answer(rule, "RDPMC type 0x2000 reads IA32_PERF_METRICS "
                      "(PERF_CAPABILITIES[15])", PMU_OK);
    }
    return answer(rule, "internal: unknown counter kind", PMU_GP);
}

int pmu_rdpmc(struct pmu *pmu, uint32_t ecx, const struct pmu_mode *mode,
              uint64_t *val, const char **rule)
{
    const struct pmu_model *m = &pmu->m;
    bool allowed = mode->cr4_pce || mode->cpl == 0 || !mode->cr0_pe;
    enum rdpmc_kind kind;
    unsigned idx;
    const char *bad;

    pmu_settle(pmu);
    *val = 0;
    if (m->version == 0)
        return answer(rule, "no architectural PMU (CPUID.0AH:EAX[7:0] = 0)",
                      PMU_GP);
    /* The CPU checks privilege before the counter (SDM: a privilege fault
     * comes first); KVM's kvm_pmu_rdpmc decodes ECX first. Both #GP(0). */
    if (!allowed && !m->rdpmc_kvm_decode)
        return answer(rule, "RDPMC needs CR4.PCE=1, CPL 0, or CR0.PE=0",
                      PMU_GP);
    bad = decode(m, ecx, &kind, &idx);
    if (bad)
        return answer(rule, bad, PMU_GP);
    if (!allowed)
        return answer(rule, "RDPMC needs CR4.PCE=1, CPL 0, or CR0.PE=0 "
                      "(KVM checks it after a valid ECX)", PMU_GP);
    return read_counter(pmu, kind, idx, mode->cpl, val, rule);
}
