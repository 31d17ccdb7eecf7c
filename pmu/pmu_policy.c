/* pmu_policy.c: derives the guest's PMU from a host model, natively or as KVM does. */
#include <stdio.h>
#include <string.h>

#include "pmu/pmu_internal.h"

/* KVM_MAX_NR_INTEL_GP_COUNTERS (arch/x86/include/asm/kvm_host.h). */
#define KVM_MAX_GP 8
/* KVM_MAX_NR_INTEL_FIXED_COUNTERS: 3 upstream; 4 with the Feb-2026 topdown
 * series, and then only with the mediated vPMU (pmu-spec 5.4). */
#define KVM_MAX_FIXED_LEGACY 3
#define KVM_MAX_FIXED_MEDIATED 4
/* kvm_init_pmu_capability: version = min(host, 2) (pmu-spec 2.1, 5.1). */
#define KVM_MAX_VERSION 2

const char *const pmu_policy_names[PMU_POLICY_COUNT] = {
    [PMU_POLICY_NATIVE] = "native",
    [PMU_POLICY_KVM_LEGACY] = "kvm-legacy",
    [PMU_POLICY_KVM_MEDIATED] = "kvm-mediated",
};

bool pmu_policy_from_string(const char *name, enum pmu_policy *out)
{
    for (size_t i = 0; i < PMU_POLICY_COUNT; i++)
        if (strcmp(name, pmu_policy_names[i]) == 0) {
            *out = (enum pmu_policy)i;
            return true;
        }
    return false;
}

const char *pmu_policy_name(enum pmu_policy p)
{
    if ((size_t)p < PMU_POLICY_COUNT)
        return pmu_policy_names[p];
    return "unknown";
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* Upstream KVM enumerates no leaf 0x23 (pmu-spec 2.2), so its counter
 * bitmaps, events and auto counter reload go too. */
static void kvm_no_leaf23(struct pmu_model *g)
{
    g->leaf23 = false;
    g->leaf23_features = g->leaf23_slots = 0;
    g->leaf23_gp_bitmap = g->leaf23_fixed_bitmap = g->leaf23_events = 0;
    g->acr_gp = g->acr_fixed = g->acr_cause_gp = g->acr_cause_fixed = 0;
}

/* KVM's enable_pmu = false: leaf 0xA reads zeros and PDCM is cleared. */
static void kvm_no_pmu(struct pmu_model *g)
{
    g->version = g->gp_counters = g->gp_width = 0;
    g->events_length = g->events_mask = 0;
    g->fixed_bitmap = g->fixed_width = 0;
    g->anythread_deprecated = false;
    g->pdcm = false;
    g->perf_capabilities = 0;
    g->metrics_bytes = 0;
    kvm_no_leaf23(g);
}

/*
 * What KVM gives the guest (pmu-spec 2.1, 3.4, 5.1, 5.4; arch/x86/kvm/pmu.h
 * kvm_init_pmu_capability, cpuid.c leaf 0xA, vmx.c
 * vmx_get_perf_capabilities). Fixed counters are capped by the host's
 * *contiguous* count: KVM supports only contiguous fixed counters (ECX=0).
 */
static int kvm_guest(const struct pmu_model *host, bool mediated,
                     struct pmu_model *g, char *err, size_t errlen)
{
    uint32_t nfixed, cap, host_gp;

    g->rdpmc_kvm_decode = true;
    /* Checked first: a host with no usable PMU (none at all, or hybrid,
     * where perf gives KVM zeroed capabilities, pmu-spec 2.1) cannot run
     * the mediated vPMU either, and KVM would fall back silently. */
    if (mediated && (host->hybrid || host->version < 4 ||
                     !(pmu_model_caps(host) & PMU_CAP_FW_WRITES))) {
        if (host->hybrid)
            snprintf(err, errlen, "kvm-mediated needs a host PMU, and %s is "
                     "hybrid: KVM gives hybrid hosts no vPMU", host->name);
        else
            snprintf(err, errlen, "kvm-mediated needs a host PMU of version "
                     "4+ with PERF_CAPABILITIES.FW_WRITES; %s has version "
                     "%u%s", host->name, host->version,
                     pmu_model_caps(host) & PMU_CAP_FW_WRITES
                         ? "" : " and no FW_WRITES");
        return -1;
    }
    host_gp = pmu_gp_bitmap(host);
    if (host->hybrid || host->version == 0 || host_gp == 0) {
        kvm_no_pmu(g);
        return 0;
    }
    /* perf's counter mask comes from CPUID.23H.1 where it exists; KVM
     * takes its count, capped (KVM_MAX_NR_INTEL_GP_COUNTERS). */
    g->kvm_host_gp_bitmap = host_gp;
    g->version = min_u32(host->version, KVM_MAX_VERSION);
    g->gp_counters = min_u32((uint32_t)__builtin_popcount(host_gp),
                             KVM_MAX_GP);
    cap = mediated ? KVM_MAX_FIXED_MEDIATED : KVM_MAX_FIXED_LEGACY;
    nfixed = g->version >= 2 ? min_u32(pmu_model_fixed_contiguous(host), cap)
                             : 0;
    g->fixed_bitmap = (uint32_t)pmu_width_mask(nfixed);
    g->anythread_deprecated = true; /* EDX[15] whenever version != 0 */
    kvm_no_leaf23(g);
    /* Always FW_WRITES; no LBR/PEBS here; PERF_METRICS only mediated with
     * the host's and fixed counter 3; never RDPMC_METRICS_CLEAR. */
    g->perf_capabilities = g->pdcm ? PMU_CAP_FW_WRITES : 0;
    g->metrics_bytes = 0;
    if (mediated && g->pdcm && nfixed >= 4 &&
        (pmu_model_caps(host) & PMU_CAP_PERF_METRICS)) {
        g->perf_capabilities |= PMU_CAP_PERF_METRICS;
        g->metrics_bytes = host->metrics_bytes;
    }
    /* kvm_need_rdpmc_intercept(): RDPMC runs natively only if the guest has
     * exactly the host's counters (perf counts fixed counters by popcount)
     * and widths (pmu-spec 5.3); widths are the host's here. */
    if (mediated &&
        g->gp_counters == (uint32_t)__builtin_popcount(host_gp) &&
        __builtin_popcount(g->fixed_bitmap) ==
            __builtin_popcount(pmu_fixed_bitmap(host)))
        g->rdpmc_kvm_decode = false;
    return 0;
}

int pmu_policy_apply(const struct pmu_model *host, enum pmu_policy p,
                     struct pmu_model *guest, char *err, size_t errlen)
{
    *guest = *host;
    guest->policy = p;
    guest->rdpmc_kvm_decode = false;
    switch (p) {
    case PMU_POLICY_NATIVE:
        return 0;
    case PMU_POLICY_KVM_LEGACY:
        return kvm_guest(host, false, guest, err, errlen);
    case PMU_POLICY_KVM_MEDIATED:
        return kvm_guest(host, true, guest, err, errlen);
    }
    snprintf(err, errlen, "unknown policy %d", (int)p);
    return -1;
}
