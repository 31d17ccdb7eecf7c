/* pmu_bits.c: which bits of each PMU register exist for a model (pmu-spec 3). */
#include "pmu/pmu_internal.h"

uint64_t pmu_evtsel_valid(const struct pmu_model *m, unsigned i)
{
    /* Bits 31:0 less AnyThread; KVM's reserved mask is 0xFFFFFFFF00200000
     * and un-reserves TSX's bits (IN_TXCP on PMC2 only) and PEBS's, which
     * the library does not implement (pmu-spec 3.1). */
    uint64_t v = 0xFFFFFFFFull & ~EVTSEL_ANY;

    if (m->tsx)
        v |= EVTSEL_IN_TX | (i == 2 ? EVTSEL_IN_TXCP : 0);

    if (pmu_anythread_ok(m))
        v |= EVTSEL_ANY;
    if (m->leaf23) {
        if (m->leaf23_features & PMU_L23_UMASK2)
            v |= EVTSEL_UMASK2;
        if (m->leaf23_features & PMU_L23_EQ)
            v |= EVTSEL_EQ;
        if (m->leaf23_features & PMU_L23_RDPMC_USER_DISABLE)
            v |= EVTSEL_RDPMC_USER_DISABLE;
    }
    return v;
}

uint64_t pmu_fixed_ctrl_valid(const struct pmu_model *m)
{
    bool clear = pmu_model_caps(m) & PMU_CAP_RDPMC_METRICS_CLEAR;
    bool user_disable = m->leaf23 &&
        (m->leaf23_features & PMU_L23_RDPMC_USER_DISABLE);
    uint64_t v = 0;

    for (unsigned i = 0; i < PMU_MAX_FIXED; i++) {
        if (!pmu_model_fixed_exists(m, i))
            continue;
        v |= FIXED_OS(i) | FIXED_USR(i) | FIXED_PMI(i);
        /* Counter 3's bit 2 is METRICS_CLEAR_EN where enumerated, else
         * AnyThread like the others (pmu-spec 1.1, 3.2). */
        if (i == 3 && clear)
            v |= FIXED_METRICS_CLEAR_EN;
        else if (pmu_anythread_ok(m))
            v |= FIXED_ANY(i);
        if (user_disable)
            v |= FIXED_USER_DISABLE(i);
    }
    return v;
}

uint64_t pmu_global_ctrl_valid(const struct pmu_model *m)
{
    uint64_t v = pmu_gp_bitmap(m);

    for (unsigned i = 0; i < PMU_MAX_FIXED; i++)
        if (pmu_model_fixed_exists(m, i))
            v |= 1ull << PMU_IDX_FIXED(i);
    if (pmu_has_metrics(m))
        v |= GLOBAL_PERF_METRICS;
    return v;
}

uint64_t pmu_global_status_valid(const struct pmu_model *m)
{
    /* SDM table 2-2: OvfBuf and CondChgd from the first global MSRs,
     * Ovf_Uncore from v3, LBR_Frz and CTR_Frz from v4. Trace ToPA (55) and
     * ASCI (60) need PT/SGX, which pmvm does not model. KVM: the counter
     * bits plus 62 and 63 (global_status_rsvd), which v2 gives here too. */
    uint64_t v = pmu_global_ctrl_valid(m) | STATUS_OVF_BUF | STATUS_COND_CHGD;

    if (m->version >= 3)
        v |= STATUS_OVF_UNCORE;
    if (m->version >= 4)
        v |= STATUS_LBR_FRZ | STATUS_CTR_FRZ;
    return v;
}

uint64_t pmu_global_inuse(const struct pmu *pmu)
{
    /* SDM 18.2.4.3: PERFEVTSELn_InUse = EVTSELn[7:0] != 0, FCi_InUse =
     * FIXED_CTR_CTRL.ENi != 0, PMI_InUse (bit 63) = any INT/PMI bit. */
    uint64_t v = 0;
    bool pmi = false;

    for (unsigned i = 0; i < PMU_MAX_GP; i++) {
        if (!pmu_gp_exists(&pmu->m, i))
            continue;
        if (pmu->evtsel[i] & EVTSEL_EVENT)
            v |= 1ull << i;
        pmi |= (pmu->evtsel[i] & EVTSEL_INT) != 0;
    }
    for (unsigned i = 0; i < PMU_MAX_FIXED; i++) {
        if (!pmu_model_fixed_exists(&pmu->m, i))
            continue;
        if (pmu->fixed_ctrl & (FIXED_OS(i) | FIXED_USR(i)))
            v |= 1ull << PMU_IDX_FIXED(i);
        pmi |= (pmu->fixed_ctrl & FIXED_PMI(i)) != 0;
    }
    return pmi ? v | 1ull << 63 : v;
}

/* Counter idx can be reloaded (CPUID.23H.2:EAX, EBX). */
static bool acr_reloadable(const struct pmu_model *m, unsigned idx)
{
    if (!pmu_model_has_acr(m))
        return false;
    if (idx < PMU_IDX_FIXED(0))
        return m->acr_gp >> idx & 1;
    return m->acr_fixed >> (idx - PMU_IDX_FIXED(0)) & 1;
}

uint64_t pmu_acr_mask_valid(const struct pmu_model *m, unsigned idx)
{
    /* ISE 8.7: CFG_B names the counters whose overflow reloads this one;
     * only those that CPUID.23H.2:ECX/EDX say can cause a reload [I]. */
    if (!acr_reloadable(m, idx))
        return 0;
    return m->acr_cause_gp | (uint64_t)m->acr_cause_fixed << 32;
}

uint64_t pmu_acr_reload_valid(const struct pmu_model *m, unsigned idx)
{
    if (!acr_reloadable(m, idx))
        return 0;
    return pmu_width_mask(idx < PMU_IDX_FIXED(0) ? m->gp_width
                                                : m->fixed_width);
}
