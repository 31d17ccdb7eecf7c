/* pmu_tally.c: retiring instructions in bulk: those that cannot make any counter carry are tallied by class and counted at once, with the counts of one at a time. */
#include "pmu/pmu_internal.h"

/*
 * Per instruction, pmu_retire() costs the instruction in the core model
 * and advances every enabled counter, the PERF_METRICS accumulators and
 * their fractions. Where no counter can carry before the next read, the
 * sums are all that shows: every event is linear in the cost (a GP
 * counter without CMASK or EDGE), so the counters can take the summed
 * cost of a run of instructions at once. An instruction's class and
 * memory read fix its cost but for a predicted branch's outcome (none, a
 * fetch bubble or a mispredict, each adding a fixed cost), so it is
 * tallied with one increment, and a predicted branch with two.
 *
 * The room (how many instructions may be tallied) is the least, over the
 * enabled counters, of the counter's room to its width over the most one
 * instruction can add to it. LLC references and misses have no such bound
 * (a REP MOVS makes many): each instruction's are checked against what is
 * left of the LLC counters' room. Reads, writes and an instruction that
 * could carry settle the tally first, so overflow, GLOBAL_STATUS, PMIs and
 * every count are the same to the instruction (tests/unit/test_pmu_tally.c).
 */

void pmu_tally_init(struct pmu *pmu)
{
    struct pmu_uarch scratch;
    struct pmu_insn in = {0};

    pmu_uarch_max(pmu->m.slots_per_cycle, &pmu->max_cost);
    for (unsigned cls = 0; cls < PMU_INSN_CLASSES; cls++) {
        pmu->fixed_class[cls] = pmu_uarch_fixed((enum pmu_insn_class)cls);
        for (unsigned rd = 0; rd < 2; rd++) {
            in.cls = (enum pmu_insn_class)cls;
            in.mem_read = rd;
            pmu_uarch_reset(&scratch);
            if (pmu->fixed_class[cls])
                pmu_uarch_retire(&scratch, pmu->m.slots_per_cycle, &in,
                                 &pmu->fixed_cost[cls][rd]);
            else
                pmu_uarch_base(pmu->m.slots_per_cycle, in.cls, rd,
                               &pmu->fixed_cost[cls][rd]);
        }
    }
    for (unsigned o = 0; o < PMU_OUTCOMES; o++)
        pmu_uarch_outcome(pmu->m.slots_per_cycle, (enum pmu_outcome)o,
                          &pmu->outcome_cost[o]);
}

static void cost_add(struct pmu_cost *sum, const struct pmu_cost *c,
                     uint64_t times)
{
    sum->insns += times * c->insns;
    sum->cycles += times * c->cycles;
    sum->slots += times * c->slots;
    for (unsigned k = 0; k < TD_COUNT; k++)
        sum->td[k] += times * c->td[k];
    sum->branch += times * c->branch;
    sum->mispredict += times * c->mispredict;
}

/* A GP counter's select that the tally can count: its increment is the
 * event's count (no CMASK, no EDGE). */
static bool linear_select(uint64_t sel)
{
    return !(sel & (EVTSEL_CMASK | EVTSEL_EDGE));
}

/* How many instructions may be tallied before one of the counters in
 * (on) could carry; 0 if one is not linear. The LLC references and
 * misses that may come before one carries: pmu->tally_llc_room. */
static uint64_t room_of(struct pmu *pmu, uint64_t on)
{
    const struct pmu_cost *max = &pmu->max_cost;
    const struct pmu_cost ref = {.llc_refs = 1}, miss = {.llc_misses = 1};
    uint64_t room = UINT64_MAX;

    pmu->tally_llc_room[0] = pmu->tally_llc_room[1] = UINT64_MAX;
    for (uint32_t gp = (uint32_t)on; gp; gp &= gp - 1) {
        unsigned i = (unsigned)__builtin_ctz(gp);
        uint64_t sel = pmu->evtsel[i];
        uint64_t d = pmu_gp_event(sel, max);
        uint64_t left = pmu_width_mask(pmu->m.gp_width) - pmu->pmc[i];
        if (!linear_select(sel))
            return 0;
        if (d && left / d < room)
            room = left / d;
        if (pmu_gp_event(sel, &ref) && left < pmu->tally_llc_room[0])
            pmu->tally_llc_room[0] = left;
        if (pmu_gp_event(sel, &miss) && left < pmu->tally_llc_room[1])
            pmu->tally_llc_room[1] = left;
    }
    return pmu_fixed_room(pmu, on, max, room);
}

/* The tally is empty or full: counts it, and the room for the next;
 * false if there is none. Apart (and the settling), so that the path of
 * almost every instruction keeps nothing on its stack. */
static __attribute__((noinline)) bool reopen(struct pmu *pmu)
{
    pmu_settle(pmu);
    pmu->tally_room = room_of(pmu, pmu->enabled[0] | pmu->enabled[1]);
    return pmu->tally_room != 0;
}

/* The LLC references and misses the cache model counted since the last
 * retirement go into the tally. One at a time and only if there are
 * any: as a pair, the compiler loads and adds them as one 16-byte vector,
 * which waits for the cache model's two 8-byte stores (no store
 * forwarding across them). */
static inline void take_llc(struct pmu *pmu, struct pmu_tally *t,
                            uint64_t refs, uint64_t misses)
{
    if (refs) {
        pmu->tally_llc_room[0] -= refs;
        t->llc_refs += refs;
        pmu->cache.llc_refs = 0;
    }
    if (misses) {
        pmu->tally_llc_room[1] -= misses;
        t->llc_misses += misses;
        pmu->cache.llc_misses = 0;
    }
}

/* (m) of (insn), whose predictor outcome (o) is known (any, for a class
 * the predictor does not see), tallied. */
static inline __attribute__((always_inline)) void
tally_known(struct pmu *pmu, struct pmu_tally *t, const struct pmu_insn *insn,
            uint64_t m, enum pmu_outcome o)
{
    unsigned cls = (unsigned)insn->cls < PMU_INSN_CLASSES
                       ? (unsigned)insn->cls : PMU_INSN_OTHER;

    pmu->tally_room -= m;
    pmu->cycles += m * pmu->fixed_cost[cls][insn->mem_read].cycles;
    t->count[cls][insn->mem_read] += m;
    if (!pmu->fixed_class[cls]) {
        pmu->cycles += m * pmu->outcome_cost[o].cycles;
        t->outcomes[o] += m;
    }
    t->n += m;
}

/* (m) of (insn), tallied where tally()'s checks have passed: one after
 * them, a block's record within the room pmu_retire_block() checked,
 * whose LLC events it took (m = 1), or m more after one tallied, where
 * the predictor is steady for it (pmu_uarch_steady()) and the room takes
 * them, each with the outcome the predictor gives now, which is
 * returned. */
static inline __attribute__((always_inline)) enum pmu_outcome
tally_many(struct pmu *pmu, struct pmu_tally *t, const struct pmu_insn *insn,
           uint64_t m)
{
    unsigned cls = (unsigned)insn->cls < PMU_INSN_CLASSES
                       ? (unsigned)insn->cls : PMU_INSN_OTHER;
    enum pmu_outcome o = PMU_OUTCOME_NONE;

    if (!pmu->fixed_class[cls])
        o = pmu_uarch_predict_inline(&pmu->ua, insn);
    tally_known(pmu, t, insn, m, o);
    return o;
}

/* Inline in both callers: a block's last instruction goes through it
 * straight from pmu_retire_block(). */
static inline __attribute__((always_inline)) bool
tally(struct pmu *pmu, const struct pmu_insn *insn)
{
    struct pmu_tally *t = &pmu->tally[insn->cpl != 0];

    if (pmu->tally_room == 0 && !reopen(pmu))
        return false;
    uint64_t refs = pmu->cache.llc_refs, misses = pmu->cache.llc_misses;
    if (insn->tx_abort || refs > pmu->tally_llc_room[0] ||
        misses > pmu->tally_llc_room[1]) {
        /* IN_TX counts what an aborted transaction costs, and an LLC
         * counter may carry: one at a time */
        pmu_settle(pmu);
        return false;
    }
    take_llc(pmu, t, refs, misses);
    tally_many(pmu, t, insn, 1);
    return true;
}

/* A record of a block retired (times) times in a row: tallied, or alone
 * where the tally cannot take one; true if a PMI is due. Once the
 * predictor is steady for it, the rest are tallied at once. */
static bool tally_times(struct pmu *pmu, const struct pmu_insn *insn,
                        uint64_t times)
{
    bool pmi = false;

    while (times) {
        bool tallied = tally(pmu, insn);
        if (!tallied)
            pmi |= pmu_retire_one(pmu, insn);
        times--;
        if (tallied && times && pmu->tally_room >= times &&
            pmu_uarch_steady(&pmu->ua, insn)) {
            tally_many(pmu, &pmu->tally[insn->cpl != 0], insn, times);
            break;
        }
    }
    return pmi;
}

bool pmu_tally_retire(struct pmu *pmu, const struct pmu_insn *insn)
{
    return tally(pmu, insn);
}

uint64_t pmu_block_room(struct pmu *pmu, unsigned max_accesses)
{
    const uint64_t pending[2] = {pmu->cache.llc_refs, pmu->cache.llc_misses};

    if (pmu->tally_room == 0 && !reopen(pmu))
        return 0;
    uint64_t room = pmu->tally_room;
    for (unsigned k = 0; k < 2; k++) {
        uint64_t left = pmu->tally_llc_room[k];
        if (left == UINT64_MAX)
            continue;
        if (pending[k] > left)
            return 0;
        if ((left - pending[k]) / max_accesses < room)
            room = (left - pending[k]) / max_accesses;
    }
    return room;
}

/* Beyond the room: one by one (the plain instructions' addresses do not
 * matter to the model, only their class and read). */
static bool retire_each(struct pmu *pmu, const struct pmu_block *b)
{
    struct pmu_insn in = {.cls = PMU_INSN_OTHER, .cpl = b->cpl};
    const struct pmu_insn *cyc = b->rec + b->nrec - b->cycle;
    bool pmi = false;

    for (unsigned rd = 0; rd < 2; rd++)
        for (uint64_t i = 0; i < b->plain[rd]; i++) {
            in.mem_read = rd;
            pmi |= pmu_retire(pmu, &in);
        }
    for (unsigned r = 0; r < b->nrec; r++)
        for (uint64_t k = b->times ? b->times[r] : 1; k; k--)
            pmi |= pmu_retire(pmu, &b->rec[r]);
    for (uint64_t rep = 0; b->cycle && rep < b->cycle_reps; rep++)
        for (unsigned r = 0; r < b->cycle; r++)
            pmi |= pmu_retire(pmu, &cyc[r]);
    for (unsigned r = 0; r < b->cycle_part; r++)
        pmi |= pmu_retire(pmu, &cyc[r]);
    return pmi;
}

/* Records of a block within its room, in order (the predictor's): each
 * tallied, or counted alone if the tally cannot take it; true if a PMI
 * is due. */
static bool retire_records(struct pmu *pmu, struct pmu_tally *t,
                           const struct pmu_insn *rec, const uint32_t *times,
                           unsigned nrec)
{
    bool pmi = false;

    for (unsigned r = 0; r < nrec; r++) {
        if (times && times[r] > 1)
            pmi |= tally_times(pmu, &rec[r], times[r]);
        else if (!rec[r].tx_abort && pmu->tally_room)
            /* the room was checked and the LLC events taken */
            tally_many(pmu, t, &rec[r], 1);
        else if (!tally(pmu, &rec[r]))
            pmi |= pmu_retire_one(pmu, &rec[r]);
    }
    return pmi;
}

/*
 * A block's cycle, within its room: its records again, cycle_reps times,
 * then the first cycle_part of them. The records are the same each time
 * round, so once a round has left the predictor's state for them as it
 * found it, every later round has the outcomes that one had: the rest are
 * tallied at once, with them. Only where each record is a conditional
 * branch (whose state is its counter) or of a class the predictor does
 * not see; a round at a time otherwise. What a round does to a 2-bit
 * counter is monotone (saturating steps up and down), so the counters
 * settle within three rounds.
 */
static bool retire_cycle(struct pmu *pmu, struct pmu_tally *t,
                         const struct pmu_block *b)
{
    const struct pmu_insn *c = b->rec + b->nrec - b->cycle;
    unsigned k = b->cycle, ctr[PMU_BLOCK_CYCLE_MAX];
    uint8_t before[PMU_BLOCK_CYCLE_MAX];
    enum pmu_outcome o[PMU_BLOCK_CYCLE_MAX];
    uint64_t reps = b->cycle_reps;
    bool pmi = false, whole = k <= PMU_BLOCK_CYCLE_MAX;

    for (unsigned r = 0; whole && r < k; r++) {
        unsigned cls = (unsigned)c[r].cls < PMU_INSN_CLASSES
                           ? (unsigned)c[r].cls : PMU_INSN_OTHER;
        whole = !c[r].tx_abort &&
                (cls == PMU_INSN_JCC || pmu->fixed_class[cls]);
        ctr[r] = pmu_uarch_hash(c[r].addr, UARCH_BHT_SIZE);
    }
    while (reps) {
        if (!whole || pmu->tally_room < reps * k) {
            pmi |= retire_records(pmu, t, c, NULL, k);
            reps--;
            continue;
        }
        for (unsigned r = 0; r < k; r++)
            before[r] = pmu->ua.bht[ctr[r]];
        for (unsigned r = 0; r < k; r++)
            o[r] = tally_many(pmu, t, &c[r], 1);
        reps--;
        bool again = true;
        for (unsigned r = 0; r < k; r++)
            again &= before[r] == pmu->ua.bht[ctr[r]];
        if (again && reps) {
            for (unsigned r = 0; r < k; r++)
                tally_known(pmu, t, &c[r], reps, o[r]);
            reps = 0;
        }
    }
    return pmi | retire_records(pmu, t, c, NULL, b->cycle_part);
}

bool pmu_retire_block(struct pmu *pmu, const struct pmu_block *b)
{
    uint64_t plain = b->plain[0] + b->plain[1];
    uint64_t refs = pmu->cache.llc_refs, misses = pmu->cache.llc_misses;
    struct pmu_tally *t = &pmu->tally[b->cpl != 0];

    if (b->n == 1)
        return pmu_retire(pmu, b->rec);
    if (pmu->tally_room == 0)
        reopen(pmu);
    if (b->n > pmu->tally_room || refs > pmu->tally_llc_room[0] ||
        misses > pmu->tally_llc_room[1]) {
        pmu_settle(pmu);
        return retire_each(pmu, b);
    }
    take_llc(pmu, t, refs, misses);
    pmu->tally_room -= plain;
    /* each on its own, for take_llc()'s reason */
    for (unsigned rd = 0; rd < 2; rd++)
        if (b->plain[rd]) {
            pmu->cycles +=
                b->plain[rd] * pmu->fixed_cost[PMU_INSN_OTHER][rd].cycles;
            t->count[PMU_INSN_OTHER][rd] += b->plain[rd];
        }
    t->n += plain;
    bool pmi = retire_records(pmu, t, b->rec, b->times, b->nrec);
    if (b->cycle)
        pmi |= retire_cycle(pmu, t, b);
    return pmi;
}

/* The counters in (on) take the summed cost (sum); none carries. */
static void count_sum(struct pmu *pmu, uint64_t on, const struct pmu_cost *sum)
{
    for (uint32_t gp = (uint32_t)on; gp; gp &= gp - 1) {
        unsigned i = (unsigned)__builtin_ctz(gp);
        pmu->pmc[i] += pmu_gp_event(pmu->evtsel[i], sum);
    }
    for (uint64_t f = (on >> PMU_IDX_FIXED(0)) & 0xFFFF; f; f &= f - 1) {
        unsigned i = (unsigned)__builtin_ctzll(f);
        pmu->fixed[i] += pmu_event_delta(pmu_fixed_event[i], sum);
    }
    if (on & GLOBAL_PERF_METRICS)
        pmu_metrics_add_many(pmu, sum, 1);
}

__attribute__((noinline)) void pmu_settle(struct pmu *pmu)
{
    pmu->tally_room = 0;
    for (unsigned ring = 0; ring < 2; ring++) {
        struct pmu_tally *t = &pmu->tally[ring];
        struct pmu_cost sum = {.llc_refs = t->llc_refs,
                               .llc_misses = t->llc_misses};

        if (!t->n)
            continue;
        for (unsigned cls = 0; cls < PMU_INSN_CLASSES; cls++)
            for (unsigned rd = 0; rd < 2; rd++)
                if (t->count[cls][rd])
                    cost_add(&sum, &pmu->fixed_cost[cls][rd],
                             t->count[cls][rd]);
        for (unsigned o = 0; o < PMU_OUTCOMES; o++)
            if (t->outcomes[o])
                cost_add(&sum, &pmu->outcome_cost[o], t->outcomes[o]);
        count_sum(pmu, pmu->enabled[ring], &sum);
        *t = (struct pmu_tally){0};
        /* EDGE's condition as one at a time leaves it: deasserted for
         * every counter that did not count the last instruction. Those
         * that did have no EDGE (room_of), and a write that sets EDGE
         * deasserts it, so their bit is never read: 0 for all. */
        pmu->edge_prev = 0;
    }
}
