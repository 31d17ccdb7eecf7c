/* pmu_model_from_cpuid.c: the model of a CPU from its own CPUID answers (a dump, or the host). */
#include <stdio.h>
#include <string.h>

#include "pmu/pmu_internal.h"

const struct pmu_cpuid_regs *pmu_cpuid_dump_find(
    const struct pmu_cpuid_dump *d, uint32_t leaf, uint32_t subleaf)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->regs[i].leaf == leaf && d->regs[i].subleaf == subleaf)
            return &d->regs[i];
    return NULL;
}

/* A leaf the CPU enumerates (at or below CPUID.0:EAX) and the dump has;
 * all zeros otherwise, as the CPU would answer a leaf it lacks. */
static struct pmu_cpuid_regs leaf_of(const struct pmu_cpuid_dump *d,
                                     uint32_t max, uint32_t leaf,
                                     uint32_t subleaf)
{
    const struct pmu_cpuid_regs *r = pmu_cpuid_dump_find(d, leaf, subleaf);
    struct pmu_cpuid_regs zero = {.leaf = leaf, .subleaf = subleaf};

    return r && leaf <= max ? *r : zero;
}

static void mark(uint64_t *inferred, const char *key)
{
    *inferred |= 1ull << pmu_model_key_index(key);
}

/* CPUID leaf 4's data and unified caches by level (SDM CPUID leaf 04H:
 * ways EBX[31:22]+1, partitions EBX[21:12]+1, line EBX[11:0]+1, sets
 * ECX+1). The last level is level 3; a CPU without one has llc 0. */
static void caches(struct pmu_model *m, const struct pmu_cpuid_dump *d,
                   uint32_t max)
{
    m->llc_kib = m->llc_ways = 0;
    for (uint32_t sub = 0; sub < 16; sub++) {
        struct pmu_cpuid_regs r = leaf_of(d, max, 4, sub);
        uint32_t type = r.eax & 0x1F, level = r.eax >> 5 & 7;
        uint32_t ways = (r.ebx >> 22) + 1;
        uint64_t bytes = (uint64_t)ways * ((r.ebx >> 12 & 0x3FF) + 1) *
                         ((r.ebx & 0xFFF) + 1) * ((uint64_t)r.ecx + 1);
        uint32_t kib = (uint32_t)(bytes >> 10);

        if (type == 0)
            break;
        if (type == 2) /* instruction cache */
            continue;
        if (level == 1)
            m->l1d_kib = kib, m->l1d_ways = ways;
        else if (level == 2)
            m->l2_kib = kib, m->l2_ways = ways;
        else if (level == 3)
            m->llc_kib = kib, m->llc_ways = ways;
    }
}

/* Ice Lake's cores (family 6) have the 4 level-1 PERF_METRICS bytes;
 * later cores with PERF_METRICS have all 8 (pmu-spec 3.5; Linux's
 * icl_update_topdown_event() and INTEL_TD_METRIC_NUM). */
static bool ice_lake_core(const struct pmu_model *m)
{
    static const uint32_t models[] = {0x6A, 0x6C, 0x7D, 0x7E, 0x8C, 0x8D,
                                      0xA7};

    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
        if (m->family == 6 && m->model == models[i])
            return true;
    return false;
}

/* PERF_CAPABILITIES and what follows from it, when the MSR was not read:
 * full-width writes on every PDCM CPU pmvm models, PERF_METRICS on a
 * non-Atom core with TOPDOWN.SLOTS (fixed counter 3), the metrics clear
 * mode from version 6 (pmu-spec 3.4, 6). */
static void capabilities(struct pmu_model *m, const struct pmu_cpuid_dump *d,
                         uint64_t *inferred)
{
    uint32_t fixed = m->leaf23 ? m->leaf23_fixed_bitmap : m->fixed_bitmap;
    uint64_t known = PMU_CAP_FW_WRITES | PMU_CAP_PERF_METRICS |
                     PMU_CAP_RDPMC_METRICS_CLEAR;

    if (!m->pdcm) {
        m->perf_capabilities = 0;
    } else if (d->have_perf_caps) {
        m->perf_capabilities = d->perf_caps & known;
    } else {
        m->perf_capabilities = PMU_CAP_FW_WRITES;
        if (m->core_type != PMU_CORE_TYPE_ATOM && (fixed >> 3 & 1))
            m->perf_capabilities |= PMU_CAP_PERF_METRICS;
        if (m->version >= 6 && (m->perf_capabilities & PMU_CAP_PERF_METRICS))
            m->perf_capabilities |= PMU_CAP_RDPMC_METRICS_CLEAR;
        mark(inferred, "pmu.perf_capabilities");
    }
    if (m->perf_capabilities & PMU_CAP_PERF_METRICS) {
        m->metrics_bytes = ice_lake_core(m) ? 4 : 8;
        mark(inferred, "pmu.metrics_bytes");
    }
    /* Slots per cycle: leaf 0x23.0:ECX where the CPU says it; else the
     * issue width pmvm's shipped models use (pmu-spec 6: Skylake 4, S25;
     * Ice Lake 5, Golden and Redwood Cove 6, version 6 cores 8, [?]). */
    if (m->version == 0)
        return;
    m->slots_per_cycle = m->leaf23_slots;
    if (!m->slots_per_cycle) {
        m->slots_per_cycle = m->version < 5 ? 4 : ice_lake_core(m) ? 5
                             : m->version >= 6 ? 8 : 6;
        mark(inferred, "pmu.slots_per_cycle");
    }
}

static void leaf_0a(struct pmu_model *m, struct pmu_cpuid_regs a)
{
    m->version = a.eax & 0xFF;
    m->gp_counters = a.eax >> 8 & 0xFF;
    m->gp_width = a.eax >> 16 & 0xFF;
    m->events_length = a.eax >> 24;
    if (m->events_length > PMU_NR_ARCH_EVENTS)
        m->events_length = PMU_NR_ARCH_EVENTS; /* events pmvm has none of */
    m->events_mask = a.ebx & (uint32_t)pmu_width_mask(m->events_length);
    /* LBR inserts (bit 12) can never count without an LBR: unavailable. */
    if (m->events_length > 12)
        m->events_mask |= 1u << 12;
    if (m->version >= 2)
        m->fixed_bitmap = (uint32_t)pmu_width_mask(a.edx & 0x1F);
    if (m->version >= 5)
        m->fixed_bitmap |= a.ecx;
    m->fixed_bitmap &= (uint32_t)pmu_width_mask(PMU_MAX_FIXED);
    m->fixed_width = m->fixed_bitmap ? a.edx >> 5 & 0xFF : 0;
    m->anythread_deprecated = a.edx >> 15 & 1;
}

static void leaf_23(struct pmu_model *m, const struct pmu_cpuid_dump *d,
                    uint32_t max)
{
    struct pmu_cpuid_regs s0 = leaf_of(d, max, 0x23, 0);
    struct pmu_cpuid_regs s1 = leaf_of(d, max, 0x23, 1);
    struct pmu_cpuid_regs s2 = leaf_of(d, max, 0x23, 2);
    struct pmu_cpuid_regs s3 = leaf_of(d, max, 0x23, 3);

    if (!s0.eax)
        return;
    m->leaf23 = true;
    /* Only the features pmvm implements; arch-PEBS (sub-leaves 4, 5) is
     * not offered (docs/pmu-model.md). */
    m->leaf23_features = s0.ebx & (PMU_L23_UMASK2 | PMU_L23_EQ |
                                   PMU_L23_RDPMC_USER_DISABLE);
    m->leaf23_slots = s0.ecx & 0xFF;
    m->leaf23_gp_bitmap = s0.eax >> 1 & 1
                              ? s1.eax
                              : (uint32_t)pmu_width_mask(m->gp_counters);
    m->leaf23_fixed_bitmap = s0.eax >> 1 & 1 ? s1.ebx & 0x7F
                                             : m->fixed_bitmap;
    if (s0.eax >> 2 & 1) {
        m->acr_gp = s2.eax, m->acr_fixed = s2.ebx;
        m->acr_cause_gp = s2.ecx, m->acr_cause_fixed = s2.edx;
    }
    m->leaf23_events = s0.eax >> 3 & 1
                           ? s3.eax & (uint32_t)pmu_width_mask(
                                          PMU_NR_ARCH_EVENTS) & ~(1u << 12)
                           : ~m->events_mask &
                                 (uint32_t)pmu_width_mask(m->events_length);
}

int pmu_model_from_cpuid(struct pmu_model *m, const struct pmu_cpuid_dump *d,
                         uint64_t *inferred, char *err, size_t errlen)
{
    const struct pmu_cpuid_regs *l0 = pmu_cpuid_dump_find(d, 0, 0);
    char vendor[13];
    uint32_t max, eax1, fam;

    *inferred = 0;
    if (!l0) {
        snprintf(err, errlen, "no CPUID leaf 0 (vendor and highest leaf)");
        return -1;
    }
    memcpy(vendor, &l0->ebx, 4);
    memcpy(vendor + 4, &l0->edx, 4);
    memcpy(vendor + 8, &l0->ecx, 4);
    vendor[12] = '\0';
    for (int i = 0; i < 12; i++)
        if (vendor[i] < ' ' || vendor[i] > '~')
            vendor[i] = '?';
    if (strcmp(vendor, "GenuineIntel") != 0) {
        snprintf(err, errlen, "vendor %s, not GenuineIntel: pmvm models "
                 "Intel's architectural PMU only", vendor);
        return -1;
    }
    pmu_model_init(m);
    max = l0->eax;
    m->max_leaf = max > 0xFF ? 0xFF : max;
    eax1 = leaf_of(d, max, 1, 0).eax;
    fam = eax1 >> 8 & 0xF;
    m->family = fam == 0xF ? fam + (eax1 >> 20 & 0xFF) : fam;
    m->model = eax1 >> 4 & 0xF;
    if (fam == 6 || fam == 0xF)
        m->model |= (eax1 >> 16 & 0xF) << 4;
    m->stepping = eax1 & 0xF;
    m->pdcm = leaf_of(d, max, 1, 0).ecx >> 15 & 1;
    m->hybrid = leaf_of(d, max, 7, 0).edx >> 15 & 1;
    m->core_type = leaf_of(d, max, 0x1A, 0).eax >> 24;
    m->native_model_id = leaf_of(d, max, 0x1A, 0).eax & 0xFFFFFF;
    leaf_0a(m, leaf_of(d, max, 0xA, 0));
    leaf_23(m, d, max);
    caches(m, d, max);
    capabilities(m, d, inferred);
    return pmu_model_validate(m, err, errlen);
}
