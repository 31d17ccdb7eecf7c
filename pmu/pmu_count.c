/* pmu_count.c: counting retired instructions into the enabled counters. */
#include "pmu/pmu_internal.h"

/* Architectural event encodings, event | umask << 8 (pmu-spec 4). */
#define EV_INST_RETIRED 0x00C0u
#define EV_BR_INST_RETIRED 0x00C4u

static bool is_branch(enum pmu_insn_class c)
{
    switch (c) {
    case PMU_INSN_JCC:
    case PMU_INSN_JMP:
    case PMU_INSN_JMP_INDIRECT:
    case PMU_INSN_CALL:
    case PMU_INSN_CALL_INDIRECT:
    case PMU_INSN_RET:
    case PMU_INSN_FAR:
        return true;
    default:
        return false;
    }
}

/* How much event `ev` (event | umask << 8) advances for this instruction. */
static uint64_t gp_delta(uint32_t ev, const struct pmu_insn *insn)
{
    switch (ev) {
    case EV_INST_RETIRED:
        return 1;
    case EV_BR_INST_RETIRED:
        return is_branch(insn->cls);
    default:
        return 0;
    }
}

/* Adds delta to *ctr of `width` bits; true if it wrapped past the width. */
static bool advance(uint64_t *ctr, uint32_t width, uint64_t delta)
{
    uint64_t mask = pmu_width_mask(width);
    uint64_t old = *ctr;

    *ctr = (old + delta) & mask;
    return delta != 0 && (delta > mask || *ctr < old);
}

bool pmu_retire(struct pmu *pmu, const struct pmu_insn *insn)
{
    const struct pmu_model *m = &pmu->m;
    bool pmi = false;

    for (unsigned i = 0; i < PMU_MAX_GP; i++) {
        uint64_t sel = pmu->evtsel[i];
        uint32_t ev = (uint32_t)(sel & 0xFFFF);

        if (!pmu_counter_enabled(pmu, i, insn->cpl))
            continue;
        if (advance(&pmu->pmc[i], m->gp_width, gp_delta(ev, insn))) {
            pmu->global_status |= 1ull << i;
            pmi |= (sel & EVTSEL_INT) != 0;
        }
    }
    if (pmu_counter_enabled(pmu, PMU_IDX_FIXED(0), insn->cpl) &&
        advance(&pmu->fixed[0], m->fixed_width, 1)) {
        pmu->global_status |= 1ull << PMU_IDX_FIXED(0);
        pmi |= (pmu->fixed_ctrl & FIXED_PMI(0)) != 0;
    }
    return pmi;
}

unsigned pmu_counting_rings(const struct pmu *pmu)
{
    unsigned rings = 0;

    for (unsigned idx = 0; idx < PMU_IDX_FIXED(PMU_MAX_FIXED); idx++) {
        if (pmu_counter_enabled(pmu, idx, 0))
            rings |= 1;
        if (pmu_counter_enabled(pmu, idx, 3))
            rings |= 2;
    }
    return rings;
}
