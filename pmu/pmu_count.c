/* pmu_count.c: counting retired instructions into the enabled counters, overflow and PMIs. */
#include "pmu/pmu_internal.h"

/* The events the model counts, as event | umask << 8 (pmu-spec 4;
 * checklist 1.2's table). Every other encoding counts zero
 * (docs/counting.md lists the architectural ones). */
enum {
    EV_CYCLES = 0x003C,      /* CPU_CLK_UNHALTED.CORE, fixed 1 */
    EV_REF_CYCLES = 0x013C,  /* CPU_CLK_UNHALTED.REF, fixed 2 */
    EV_INSTRUCTIONS = 0x00C0, /* INST_RETIRED.ANY, fixed 0 */
    EV_BRANCHES = 0x00C4,    /* BR_INST_RETIRED.ALL_BRANCHES */
    EV_MISPREDICTS = 0x00C5, /* BR_MISP_RETIRED.ALL_BRANCHES */
    EV_SLOTS = 0x01A4,       /* TOPDOWN.SLOTS, fixed 3 */
    EV_BE_BOUND = 0x02A4,    /* TOPDOWN.BACKEND_BOUND_SLOTS */
    EV_BAD_SPEC = 0x0073,    /* TOPDOWN_BAD_SPECULATION.ALL, fixed 4 */
    EV_FE_BOUND = 0x019C,    /* TOPDOWN_FE_BOUND.ALL, fixed 5 */
    EV_RETIRING = 0x02C2,    /* TOPDOWN_RETIRING.ALL, fixed 6 */
};

/* The event of fixed counter i (pmu-spec 3.5, 4). */
static const uint32_t fixed_event[PMU_MAX_FIXED] = {
    EV_INSTRUCTIONS, EV_CYCLES, EV_REF_CYCLES, EV_SLOTS,
    EV_BAD_SPEC, EV_FE_BOUND, EV_RETIRING,
};

/* How much an event advances for one instruction. The modelled core runs
 * at its nominal frequency: one reference cycle per core cycle. */
static uint64_t event_delta(uint32_t ev, const struct pmu_cost *c)
{
    switch (ev) {
    case EV_INSTRUCTIONS: return 1;
    case EV_BRANCHES: return c->branch;
    case EV_MISPREDICTS: return c->mispredict;
    case EV_CYCLES:
    case EV_REF_CYCLES: return c->cycles;
    case EV_SLOTS: return c->slots;
    case EV_BE_BOUND: return c->td[TD_BE_BOUND];
    case EV_BAD_SPEC: return c->td[TD_BAD_SPEC];
    case EV_FE_BOUND: return c->td[TD_FE_BOUND];
    case EV_RETIRING: return c->td[TD_RETIRING];
    default: return 0;
    }
}

/*
 * A GP counter's increment. Without CMASK it is the event's count. With
 * CMASK c the retired instruction is the unit the hardware's cycle is:
 * it adds 1 if its count x satisfies x >= c (x == c with EQ; INV inverts
 * either), else 0. EDGE adds 1 only when the condition (x >= 1 without
 * CMASK) holds for this instruction and did not for the previous one the
 * counter saw. INV without CMASK is ignored, as the SDM says.
 */
static uint64_t gp_delta(struct pmu *pmu, unsigned i, uint64_t x)
{
    uint64_t sel = pmu->evtsel[i];
    uint64_t cmask = (sel >> EVTSEL_CMASK_SHIFT) & 0xFF;
    bool cond, prev = pmu->edge_prev >> i & 1;

    if (cmask == 0) {
        cond = x >= 1;
    } else {
        cond = (sel & EVTSEL_EQ) ? x == cmask : x >= cmask;
        if (sel & EVTSEL_INV)
            cond = !cond;
    }
    pmu->edge_prev = (pmu->edge_prev & ~(1u << i)) | (uint32_t)cond << i;
    if (sel & EVTSEL_EDGE)
        return cond && !prev;
    return cmask ? cond : x;
}

/* Adds delta to *ctr of `width` bits; true if it carried past the width. */
static bool advance(uint64_t *ctr, uint32_t width, uint64_t delta)
{
    uint64_t mask = pmu_width_mask(width);
    uint64_t room = mask - *ctr;

    *ctr = (*ctr + delta) & mask;
    return delta > room;
}

static bool overflow(struct pmu *pmu, unsigned idx, bool pmi_enabled,
                     uint64_t *ovf)
{
    pmu->global_status |= 1ull << idx;
    *ovf |= 1ull << idx;
    return pmi_enabled;
}

/*
 * Auto counter reload (ISE 8.7, pmu-spec 2.2): once the instruction has
 * been counted, every counter whose CFG_B names a counter that overflowed
 * takes its CFG_C value, the overflowing counter itself included when it
 * names itself. CFG_B only holds bits CPUID.23H.2 allows.
 */
static void acr_reload(struct pmu *pmu, uint64_t ovf)
{
    if (!ovf || !pmu_model_has_acr(&pmu->m))
        return;
    for (unsigned idx = 0; idx < PMU_NR_IDX; idx++)
        if (pmu->acr_mask[idx] & ovf)
            pmu_counter_set(pmu, idx, pmu->acr_reload[idx]);
}

static bool count_gp(struct pmu *pmu, uint32_t on,
                     const struct pmu_cost *cost, uint64_t *ovf)
{
    bool pmi = false;

    /* A condition the counter does not see is deasserted. */
    pmu->edge_prev &= on;
    for (; on; on &= on - 1) {
        unsigned i = (unsigned)__builtin_ctz(on);
        uint64_t sel = pmu->evtsel[i];
        uint32_t ev = (uint32_t)(sel & (EVTSEL_EVENT | EVTSEL_UMASK));
        /* UMASK2 (v6) refines events the model does not split. */
        uint64_t x = (sel & EVTSEL_UMASK2) ? 0 : event_delta(ev, cost);

        if (advance(&pmu->pmc[i], pmu->m.gp_width, gp_delta(pmu, i, x)))
            pmi |= overflow(pmu, i, sel & EVTSEL_INT, ovf);
    }
    return pmi;
}

bool pmu_retire(struct pmu *pmu, const struct pmu_insn *insn)
{
    uint64_t on = pmu->enabled[insn->cpl != 0];
    struct pmu_cost cost;
    uint64_t ovf = 0;
    bool pmi;

    pmu_uarch_retire(&pmu->ua, pmu->m.slots_per_cycle, insn, &cost);
    pmi = count_gp(pmu, (uint32_t)on, &cost, &ovf);
    /* A metrics overflow interrupts as FIXED_CTR3's does [I]. */
    if (on & GLOBAL_PERF_METRICS)
        pmi |= pmu_metrics_add(pmu, &cost) &&
               (pmu->fixed_ctrl & FIXED_PMI(3));
    for (uint64_t f = (on >> PMU_IDX_FIXED(0)) & 0xFFFF; f; f &= f - 1) {
        unsigned i = (unsigned)__builtin_ctzll(f);

        if (advance(&pmu->fixed[i], pmu->m.fixed_width,
                    event_delta(fixed_event[i], &cost)))
            pmi |= overflow(pmu, PMU_IDX_FIXED(i),
                            pmu->fixed_ctrl & FIXED_PMI(i), &ovf);
    }
    acr_reload(pmu, ovf);
    return pmi;
}

unsigned pmu_counting_rings(const struct pmu *pmu)
{
    return (pmu->enabled[0] != 0) | (unsigned)(pmu->enabled[1] != 0) << 1;
}
