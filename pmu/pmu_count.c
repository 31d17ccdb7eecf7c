/* pmu_count.c: counting retired instructions into the enabled counters, overflow and PMIs. */
#include <string.h>

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
    EV_LLC_REFS = 0x4F2E,    /* LONGEST_LAT_CACHE.REFERENCE */
    EV_LLC_MISSES = 0x412E,  /* LONGEST_LAT_CACHE.MISS */
};

/* The event of fixed counter i (pmu-spec 3.5, 4). */
const uint32_t pmu_fixed_event[PMU_MAX_FIXED] = {
    EV_INSTRUCTIONS, EV_CYCLES, EV_REF_CYCLES, EV_SLOTS,
    EV_BAD_SPEC, EV_FE_BOUND, EV_RETIRING,
};

/* How much an event advances for one instruction. The modelled core runs
 * at its nominal frequency: one reference cycle per core cycle. */
uint64_t pmu_event_delta(uint32_t ev, const struct pmu_cost *c)
{
    switch (ev) {
    case EV_INSTRUCTIONS: return c->insns;
    case EV_BRANCHES: return c->branch;
    case EV_MISPREDICTS: return c->mispredict;
    case EV_CYCLES:
    case EV_REF_CYCLES: return c->cycles;
    case EV_SLOTS: return c->slots;
    case EV_BE_BOUND: return c->td[TD_BE_BOUND];
    case EV_BAD_SPEC: return c->td[TD_BAD_SPEC];
    case EV_FE_BOUND: return c->td[TD_FE_BOUND];
    case EV_RETIRING: return c->td[TD_RETIRING];
    case EV_LLC_REFS: return c->llc_refs;
    case EV_LLC_MISSES: return c->llc_misses;
    default: return 0;
    }
}

/*
 * What a GP counter's event counts for one instruction. With IN_TX only
 * what happened in a transaction counts: in pmvm nothing but the abort of
 * the transaction an XBEGIN began, which takes the XBEGIN's cycles
 * (docs/counting.md, "Transactions"). IN_TXCP discards what an aborted
 * transaction counted, and that abort comes after the rollback.
 */
uint64_t pmu_gp_event(uint64_t sel, const struct pmu_cost *c)
{
    uint32_t ev = (uint32_t)(sel & (EVTSEL_EVENT | EVTSEL_UMASK));

    /* UMASK2 (v6) refines events the model does not split. */
    if (sel & EVTSEL_UMASK2)
        return 0;
    if (sel & EVTSEL_IN_TX)
        return c->tx_abort && (ev == EV_CYCLES || ev == EV_REF_CYCLES)
                   ? c->cycles : 0;
    return pmu_event_delta(ev, c);
}

/*
 * A GP counter's increment. Without CMASK it is the event's count. With
 * CMASK c the retired instruction is the unit the hardware's cycle is:
 * it adds 1 if its count x satisfies x >= c (x == c with EQ; INV inverts
 * either), else 0. EDGE adds 1 only when the condition (x >= 1 without
 * CMASK) holds for this instruction and did not for the previous one the
 * counter saw. INV without CMASK is ignored, as the SDM says.
 */
static bool gp_cond(uint64_t sel, uint64_t x)
{
    uint64_t cmask = (sel >> EVTSEL_CMASK_SHIFT) & 0xFF;
    bool cond;

    if (cmask == 0)
        return x >= 1;
    cond = (sel & EVTSEL_EQ) ? x == cmask : x >= cmask;
    return (sel & EVTSEL_INV) ? !cond : cond;
}

static uint64_t gp_delta(struct pmu *pmu, unsigned i, uint64_t x)
{
    uint64_t sel = pmu->evtsel[i];
    bool cond = gp_cond(sel, x), prev = pmu->edge_prev >> i & 1;

    pmu->edge_prev = (pmu->edge_prev & ~(1u << i)) | (uint32_t)cond << i;
    if (sel & EVTSEL_EDGE)
        return cond && !prev;
    return (sel & EVTSEL_CMASK) ? cond : x;
}

/* The same for an instruction like the last one the counter saw: EDGE
 * then adds nothing (the condition held already, or does not hold). */
static uint64_t gp_delta_again(const struct pmu *pmu, unsigned i, uint64_t x)
{
    uint64_t sel = pmu->evtsel[i];

    if (sel & EVTSEL_EDGE)
        return 0;
    return (sel & EVTSEL_CMASK) ? gp_cond(sel, x) : x;
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
        uint64_t x = pmu_gp_event(sel, cost);

        if (advance(&pmu->pmc[i], pmu->m.gp_width, gp_delta(pmu, i, x)))
            pmi |= overflow(pmu, i, sel & EVTSEL_INT, ovf);
    }
    return pmi;
}

static bool retire_one(struct pmu *pmu, const struct pmu_insn *insn,
                       struct pmu_cost *cost_out)
{
    uint64_t on = pmu->enabled[insn->cpl != 0];
    struct pmu_cost cost;
    uint64_t ovf = 0;
    bool pmi;

    pmu_uarch_retire(&pmu->ua, pmu->m.slots_per_cycle, insn, &cost);
    cost.tx_abort = insn->tx_abort;
    cost.llc_refs = pmu->cache.llc_refs;
    cost.llc_misses = pmu->cache.llc_misses;
    pmu->cache.llc_refs = pmu->cache.llc_misses = 0;
    *cost_out = cost;
    pmu->cycles += cost.cycles;
    pmi = count_gp(pmu, (uint32_t)on, &cost, &ovf);
    /* A metrics overflow interrupts as FIXED_CTR3's does [I]. */
    if (on & GLOBAL_PERF_METRICS)
        pmi |= pmu_metrics_add(pmu, &cost) &&
               (pmu->fixed_ctrl & FIXED_PMI(3));
    for (uint64_t f = (on >> PMU_IDX_FIXED(0)) & 0xFFFF; f; f &= f - 1) {
        unsigned i = (unsigned)__builtin_ctzll(f);

        if (advance(&pmu->fixed[i], pmu->m.fixed_width,
                    pmu_event_delta(pmu_fixed_event[i], &cost)))
            pmi |= overflow(pmu, PMU_IDX_FIXED(i),
                            pmu->fixed_ctrl & FIXED_PMI(i), &ovf);
    }
    acr_reload(pmu, ovf);
    return pmi;
}

bool pmu_retire_one(struct pmu *pmu, const struct pmu_insn *insn)
{
    struct pmu_cost cost;

    return retire_one(pmu, insn, &cost);
}

bool pmu_retire(struct pmu *pmu, const struct pmu_insn *insn)
{
    struct pmu_cost cost;

    if (pmu_tally_retire(pmu, insn))
        return false;
    return retire_one(pmu, insn, &cost);
}

/* How many more of an instruction of cost (c) the enabled counters take
 * without any of them carrying (at most max): then no overflow, PMI or
 * reload can happen among them. */
static uint64_t room_for(const struct pmu *pmu, uint64_t on,
                         const struct pmu_cost *c, uint64_t max)
{
    uint64_t m = max;

    for (uint32_t gp = (uint32_t)on; gp; gp &= gp - 1) {
        unsigned i = (unsigned)__builtin_ctz(gp);
        uint64_t x = pmu_gp_event(pmu->evtsel[i], c);
        uint64_t d = gp_delta_again(pmu, i, x);
        if (d && (pmu_width_mask(pmu->m.gp_width) - pmu->pmc[i]) / d < m)
            m = (pmu_width_mask(pmu->m.gp_width) - pmu->pmc[i]) / d;
    }
    return pmu_fixed_room(pmu, on, c, m);
}

uint64_t pmu_fixed_room(const struct pmu *pmu, uint64_t on,
                        const struct pmu_cost *c, uint64_t max)
{
    uint64_t m = max;

    for (uint64_t f = (on >> PMU_IDX_FIXED(0)) & 0xFFFF; f; f &= f - 1) {
        unsigned i = (unsigned)__builtin_ctzll(f);
        uint64_t d = pmu_event_delta(pmu_fixed_event[i], c);
        uint64_t room = pmu_width_mask(pmu->m.fixed_width) - pmu->fixed[i];
        if (d && room / d < m)
            m = room / d;
    }
    if ((on & GLOBAL_PERF_METRICS) && c->slots) {
        uint64_t room = pmu_width_mask(pmu->m.fixed_width) - pmu->acc.slots;
        if (room / c->slots < m)
            m = room / c->slots;
    }
    return m;
}

/* (m) more instructions of cost (c), none of which carries (room_for). */
static void retire_many(struct pmu *pmu, uint64_t on,
                        const struct pmu_cost *c, uint64_t m)
{
    pmu->cycles += m * c->cycles;
    for (uint32_t gp = (uint32_t)on; gp; gp &= gp - 1) {
        unsigned i = (unsigned)__builtin_ctz(gp);
        uint64_t x = pmu_gp_event(pmu->evtsel[i], c);
        pmu->pmc[i] += m * gp_delta_again(pmu, i, x);
    }
    for (uint64_t f = (on >> PMU_IDX_FIXED(0)) & 0xFFFF; f; f &= f - 1) {
        unsigned i = (unsigned)__builtin_ctzll(f);
        pmu->fixed[i] += m * pmu_event_delta(pmu_fixed_event[i], c);
    }
    if (on & GLOBAL_PERF_METRICS)
        pmu_metrics_add_many(pmu, c, m);
}

/*
 * n retirements of one instruction (LOOP to itself, say), exactly as n
 * calls of pmu_retire() would count them, in far fewer steps: once the
 * core model's state no longer changes from one to the next, each costs
 * the same, and the counters advance by a multiple at once, up to the
 * last instruction before any counter would carry. That one, and the
 * rest, go one at a time again.
 */
bool pmu_retire_repeat(struct pmu *pmu, const struct pmu_insn *insn,
                       uint64_t n, uint64_t *done)
{
    uint64_t on = pmu->enabled[insn->cpl != 0];
    uint64_t i = 0;

    pmu_settle(pmu);
    while (i < n) {
        struct pmu_uarch before = pmu->ua;
        uint32_t edge_before = pmu->edge_prev;
        struct pmu_cost cost;
        bool pmi = retire_one(pmu, insn, &cost);

        i++;
        if (pmi) {
            *done = i;
            return true;
        }
        if (i < n && pmu->edge_prev == edge_before &&
            !cost.llc_refs && !cost.llc_misses &&
            memcmp(&before, &pmu->ua, sizeof(before)) == 0) {
            uint64_t m = room_for(pmu, on, &cost, n - i);
            retire_many(pmu, on, &cost, m);
            i += m;
        }
    }
    *done = i;
    return false;
}

uint64_t pmu_core_cycles(const struct pmu *pmu)
{
    return pmu->cycles;
}

unsigned pmu_counting_rings(const struct pmu *pmu)
{
    return (pmu->enabled[0] != 0) | (unsigned)(pmu->enabled[1] != 0) << 1;
}
