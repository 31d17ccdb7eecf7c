/* pmu_state.c: one vCPU's PMU: life cycle, reset values, counter access. */
#include <stdlib.h>
#include <string.h>

#include "pmu/pmu_internal.h"

struct pmu *pmu_create(const struct pmu_model *guest)
{
    struct pmu *pmu = calloc(1, sizeof(*pmu));

    if (!pmu)
        return NULL;
    pmu->m = *guest;
    pmu_reset(pmu);
    if (!pmu->cache.level[0].way && guest->l1d_kib) {
        free(pmu);
        return NULL;
    }
    return pmu;
}

void pmu_destroy(struct pmu *pmu)
{
    if (pmu)
        pmu_cache_free(&pmu->cache);
    free(pmu);
}

void pmu_reset(struct pmu *pmu)
{
    struct pmu_model m = pmu->m;

    pmu_cache_free(&pmu->cache);
    memset(pmu, 0, sizeof(*pmu));
    pmu->m = m;
    (void)pmu_cache_init(&pmu->cache, &m); /* pmu_create checks */
    /* At RESET every GP enable bit of GLOBAL_CTRL is set, so that v1
     * software counts without knowing the MSR (pmu-spec 3.3; KVM
     * kvm_pmu_refresh). */
    if (m.version >= 2)
        pmu->global_ctrl = pmu_gp_bitmap(&m);
    pmu_uarch_reset(&pmu->ua);
    pmu_tally_init(pmu);
    pmu_enabled_refresh(pmu);
}

void pmu_enabled_refresh(struct pmu *pmu)
{
    for (unsigned ring = 0; ring < 2; ring++) {
        uint64_t on = 0;
        unsigned cpl = ring ? 3 : 0;
        for (unsigned idx = 0; idx < PMU_NR_IDX; idx++)
            if (pmu_counter_enabled(pmu, idx, cpl))
                on |= 1ull << idx;
        /* Metrics count with FIXED_CTR3, the denominator, and GLOBAL_CTRL
         * bit 48 (pmu-spec 3.3, 3.5). */
        if (pmu_has_metrics(&pmu->m) &&
            (pmu->global_ctrl & GLOBAL_PERF_METRICS) &&
            (on >> PMU_IDX_FIXED(3) & 1))
            on |= GLOBAL_PERF_METRICS;
        pmu->enabled[ring] = on;
    }
}

const struct pmu_model *pmu_get_model(const struct pmu *pmu)
{
    return &pmu->m;
}

void pmu_set_tsx(struct pmu *pmu, bool tsx)
{
    pmu->m.tsx = tsx;
}

bool pmu_cpuid(const struct pmu *pmu, uint32_t leaf, uint32_t subleaf,
               uint32_t regs[4])
{
    return pmu_model_cpuid(&pmu->m, leaf, subleaf, regs);
}

const char *pmu_vendor(const struct pmu *pmu)
{
    return pmu->m.vendor;
}

uint32_t pmu_cpuid1_eax(const struct pmu *pmu)
{
    return pmu_model_signature(&pmu->m);
}

bool pmu_pdcm(const struct pmu *pmu)
{
    return pmu->m.pdcm;
}

static bool counter_exists(const struct pmu_model *m, unsigned idx)
{
    if (idx < PMU_IDX_FIXED(0))
        return pmu_gp_exists(m, idx);
    return pmu_model_fixed_exists(m, idx - PMU_IDX_FIXED(0));
}

bool pmu_counter_enabled(const struct pmu *pmu, unsigned idx, unsigned cpl)
{
    const struct pmu_model *m = &pmu->m;
    bool os, usr;

    if (!counter_exists(m, idx))
        return false;
    if (idx < PMU_IDX_FIXED(0)) {
        uint64_t sel = pmu->evtsel[idx];
        if (!(sel & EVTSEL_EN))
            return false;
        os = sel & EVTSEL_OS;
        usr = sel & EVTSEL_USR;
    } else {
        unsigned i = idx - PMU_IDX_FIXED(0);
        os = pmu->fixed_ctrl & FIXED_OS(i);
        usr = pmu->fixed_ctrl & FIXED_USR(i);
    }
    if (!(cpl == 0 ? os : usr))
        return false;
    /* Version 1 has no global gate; v4 adds the CTR_FRZ freeze (SDM
     * 18.2.4.1). */
    if (m->version >= 2 && !(pmu->global_ctrl >> idx & 1))
        return false;
    return !(m->version >= 4 && (pmu->global_status & STATUS_CTR_FRZ));
}

uint64_t pmu_counter_get(struct pmu *pmu, unsigned idx)
{
    pmu_settle(pmu);
    if (!counter_exists(&pmu->m, idx))
        return 0;
    if (idx < PMU_IDX_FIXED(0))
        return pmu->pmc[idx];
    return pmu->fixed[idx - PMU_IDX_FIXED(0)];
}

bool pmu_counter_set(struct pmu *pmu, unsigned idx, uint64_t val)
{
    pmu_settle(pmu);
    if (!counter_exists(&pmu->m, idx))
        return false;
    if (idx < PMU_IDX_FIXED(0))
        pmu->pmc[idx] = val & pmu_width_mask(pmu->m.gp_width);
    else
        pmu->fixed[idx - PMU_IDX_FIXED(0)] =
            val & pmu_width_mask(pmu->m.fixed_width);
    return true;
}
