/* pmu_model.c: what a CPU model enumerates: existence, CPUID 0xA/0x23, leaf 1. */
#include <string.h>

#include "pmu/pmu_internal.h"

void pmu_model_init(struct pmu_model *m)
{
    memset(m, 0, sizeof(*m));
    strcpy(m->vendor, "GenuineIntel");
    m->family = 6;
    m->policy = PMU_POLICY_NATIVE;
    /* Caches where a model names none [I]: Golden Cove's L1D and L2
     * (Sapphire Rapids' CPUID leaf 4) and a 32 MiB last level. */
    m->l1d_kib = 48, m->l1d_ways = 12;
    m->l2_kib = 2048, m->l2_ways = 16;
    m->llc_kib = 32768, m->llc_ways = 16;
}

bool pmu_model_fixed_exists(const struct pmu_model *m, unsigned i)
{
    /* Fixed counters arrive with version 2 (SDM 18.2.2; KVM sets
     * nr_arch_fixed_counters = 0 for version 1). */
    return i < PMU_MAX_FIXED && (pmu_fixed_bitmap(m) >> i & 1);
}

unsigned pmu_model_fixed_contiguous(const struct pmu_model *m)
{
    unsigned n = 0;

    if (m->version < 2)
        return 0;
    while (n < PMU_MAX_FIXED && (m->fixed_bitmap >> n & 1))
        n++;
    return n;
}

uint64_t pmu_model_caps(const struct pmu_model *m)
{
    /* Without PDCM the MSR does not exist; KVM treats the value as 0
     * (pmu-spec 3.4, S24). */
    return m->pdcm ? m->perf_capabilities : 0;
}

uint32_t pmu_model_signature(const struct pmu_model *m)
{
    uint32_t fam = m->family, ext_fam = 0;

    /* SDM CPUID.1:EAX: the extended family adds to 0xF; the extended model
     * holds the model's high nibble for families 6 and 0xF+. */
    if (fam > 0xF) {
        ext_fam = fam - 0xF;
        fam = 0xF;
    }
    return (m->stepping & 0xF) | (m->model & 0xF) << 4 | fam << 8 |
           (m->model >> 4 & 0xF) << 16 | (ext_fam & 0xFF) << 20;
}

static void leaf_0a(const struct pmu_model *m, uint32_t r[4])
{
    if (m->version == 0)
        return; /* no architectural PMU: the leaf reads all zeros */
    r[0] = m->version | m->gp_counters << 8 | m->gp_width << 16 |
           m->events_length << 24;
    r[1] = m->events_mask;
    /* ECX is the fixed-counter bitmap, meaningful from v5 (pmu-spec 2.1). */
    r[2] = m->version >= 5 ? m->fixed_bitmap : 0;
    if (m->version >= 2)
        r[3] = pmu_model_fixed_contiguous(m) | m->fixed_width << 5;
    if (m->anythread_deprecated)
        r[3] |= 1u << 15;
}

bool pmu_model_has_acr(const struct pmu_model *m)
{
    return m->leaf23 && (m->acr_gp | m->acr_fixed) != 0;
}

static void leaf_23(const struct pmu_model *m, uint32_t sub, uint32_t r[4])
{
    switch (sub) {
    case 0:
        /* EAX: the valid sub-leaves. Bit 0 is set on every CPU whose dump
         * shows the leaf (docs/cpu-models.md); 1 counters, 2 ACR, 3
         * events. Arch-PEBS (4, 5) stays clear: pmvm has no PEBS. */
        r[0] = 1u << 0 | 1u << 1 | 1u << 3 |
               (pmu_model_has_acr(m) ? 1u << 2 : 0);
        r[1] = m->leaf23_features;
        r[2] = m->leaf23_slots;
        break;
    case 1: /* EAX: GP counter bitmap, EBX: fixed counter bitmap */
        r[0] = m->leaf23_gp_bitmap;
        r[1] = m->leaf23_fixed_bitmap;
        break;
    case 2: /* ACR: reloadable GP, fixed; GP, fixed that cause a reload */
        if (pmu_model_has_acr(m)) {
            r[0] = m->acr_gp;
            r[1] = m->acr_fixed;
            r[2] = m->acr_cause_gp;
            r[3] = m->acr_cause_fixed;
        }
        break;
    case 3: /* EAX: architectural events, 1 = supported */
        r[0] = m->leaf23_events;
        break;
    default: /* 4-5 (arch-PEBS) and beyond: zeros */
        break;
    }
}

uint32_t pmu_model_max_leaf(const struct pmu_model *m)
{
    if (m->max_leaf)
        return m->max_leaf;
    return m->leaf23 ? 0x23 : m->core_type ? 0x1A : 0xA;
}

bool pmu_model_cpuid(const struct pmu_model *m, uint32_t leaf,
                     uint32_t subleaf, uint32_t regs[4])
{
    memset(regs, 0, 4 * sizeof(regs[0]));
    switch (leaf) {
    case 0xA:
        leaf_0a(m, regs);
        return true;
    case 0x1A: /* EAX: core type [31:24], native model ID [23:0] */
        if (!m->core_type)
            return false;
        regs[0] = m->core_type << 24 | m->native_model_id;
        return true;
    case 0x23:
        if (!m->leaf23)
            return false;
        leaf_23(m, subleaf, regs);
        return true;
    default:
        return false;
    }
}
