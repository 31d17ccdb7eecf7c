/* pmu_model.c: what a CPU model enumerates: existence, CPUID 0xA/0x23, leaf 1. */
#include <string.h>

#include "pmu/pmu_internal.h"

void pmu_model_init(struct pmu_model *m)
{
    memset(m, 0, sizeof(*m));
    strcpy(m->vendor, "GenuineIntel");
    m->family = 6;
    m->policy = PMU_POLICY_NATIVE;
}

bool pmu_model_fixed_exists(const struct pmu_model *m, unsigned i)
{
    /* Fixed counters arrive with version 2 (SDM 18.2.2; KVM sets
     * nr_arch_fixed_counters = 0 for version 1). */
    return m->version >= 2 && i < PMU_MAX_FIXED &&
           (m->fixed_bitmap >> i & 1);
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

static void leaf_23(const struct pmu_model *m, uint32_t sub, uint32_t r[4])
{
    uint32_t len_mask = (uint32_t)pmu_width_mask(m->events_length);

    switch (sub) {
    case 0: /* EAX: valid sub-leaves 1 (counters) and 3 (events) */
        r[0] = 1u << 1 | 1u << 3;
        r[1] = m->leaf23_features;
        break;
    case 1: /* EAX: GP counter bitmap, EBX: fixed counter bitmap */
        r[0] = (uint32_t)pmu_width_mask(m->gp_counters);
        r[1] = m->fixed_bitmap;
        break;
    case 3: /* EAX: architectural events, 1 = supported (0xA.EBX inverted) */
        r[0] = ~m->events_mask & len_mask;
        break;
    default: /* 2 (ACR), 4-5 (arch-PEBS) are not implemented: zeros */
        break;
    }
}

bool pmu_model_cpuid(const struct pmu_model *m, uint32_t leaf,
                     uint32_t subleaf, uint32_t regs[4])
{
    if (leaf != 0xA && !(leaf == 0x23 && m->leaf23))
        return false;
    memset(regs, 0, 4 * sizeof(regs[0]));
    if (leaf == 0xA)
        leaf_0a(m, regs);
    else
        leaf_23(m, subleaf, regs);
    return true;
}
