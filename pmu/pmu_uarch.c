/* pmu_uarch.c: the deterministic core model: cycles per class, branch predictor, topdown split. */
#include "pmu/pmu_internal.h"

/*
 * docs/counting.md is the reference for every number here. The model is an
 * in-order core that retires one instruction at a time: an instruction
 * takes its class's cycles, plus the load latency, plus a fetch bubble for
 * a correctly predicted taken branch or the penalty of a mispredicted one.
 * Nothing depends on the host: the same instructions give the same counts.
 */

#define LOAD_LATENCY 4      /* cycles a memory read adds (L1 hit) */
#define TAKEN_BUBBLE 1      /* fetch redirect of a predicted taken branch */
#define MISPREDICT_PENALTY 15 /* cycles lost to a mispredicted branch */

struct class_cost {
    uint8_t cycles;  /* at least uops, so uops fit in the slots at 1/cycle */
    uint8_t uops;    /* retiring slots */
    bool all_in;     /* the cycles include its memory access */
    bool mem_stall;  /* its idle slots wait on memory (memory bound) */
};

static const struct class_cost costs[] = {
    [PMU_INSN_OTHER] = {1, 1, false, false},
    [PMU_INSN_JCC] = {1, 1, false, false},
    [PMU_INSN_JMP] = {1, 1, false, false},
    [PMU_INSN_JMP_INDIRECT] = {1, 1, true, false},
    [PMU_INSN_CALL] = {2, 2, true, false},
    [PMU_INSN_CALL_INDIRECT] = {2, 2, true, false},
    [PMU_INSN_RET] = {2, 2, true, false},
    [PMU_INSN_FAR] = {30, 10, true, false},
    [PMU_INSN_SERIALIZING] = {40, 10, true, false},
    [PMU_INSN_FENCE] = {20, 2, true, true},
    [PMU_INSN_CACHE] = {10, 2, true, true},
    [PMU_INSN_DIV] = {20, 4, false, false},
};

void pmu_uarch_reset(struct pmu_uarch *ua)
{
    *ua = (struct pmu_uarch){0};
    /* Weakly not taken: a loop branch mispredicts on its first taken and
     * its final not-taken execution. */
    for (unsigned i = 0; i < UARCH_BHT_SIZE; i++)
        ua->bht[i] = 1;
}


/* Indirect: the last target seen at this address (tagged). */
static bool predict_indirect(struct pmu_uarch *ua, const struct pmu_insn *in)
{
    unsigned i = pmu_uarch_hash(in->addr, UARCH_BTB_SIZE);
    bool hit = ua->btb[i].valid && ua->btb[i].addr == in->addr &&
               ua->btb[i].target == in->next;

    ua->btb[i].valid = true;
    ua->btb[i].addr = in->addr;
    ua->btb[i].target = in->next;
    return !hit;
}

static void rsb_push(struct pmu_uarch *ua, uint64_t ret)
{
    ua->rsb[ua->rsb_top] = ret;
    ua->rsb_top = (ua->rsb_top + 1) % UARCH_RSB_SIZE;
    if (ua->rsb_count < UARCH_RSB_SIZE)
        ua->rsb_count++;
}

/* A return: the top of the return stack, if any (a deeper call chain
 * overwrote the oldest entries; an empty stack mispredicts). */
static bool predict_ret(struct pmu_uarch *ua, const struct pmu_insn *in)
{
    if (ua->rsb_count == 0)
        return true;
    ua->rsb_top = (ua->rsb_top + UARCH_RSB_SIZE - 1) % UARCH_RSB_SIZE;
    ua->rsb_count--;
    return ua->rsb[ua->rsb_top] != in->next;
}

/* Trains the predictor; true if the branch was mispredicted. */
static bool predict(struct pmu_uarch *ua, const struct pmu_insn *in)
{
    uint64_t ret = in->addr + in->length;
    bool miss;

    switch (in->cls) {
    case PMU_INSN_JCC:
        return pmu_uarch_predict_jcc(ua, in);
    case PMU_INSN_JMP_INDIRECT:
        return predict_indirect(ua, in);
    case PMU_INSN_CALL:
        rsb_push(ua, ret);
        return false; /* a direct target is known at decode */
    case PMU_INSN_CALL_INDIRECT:
        miss = predict_indirect(ua, in);
        rsb_push(ua, ret);
        return miss;
    case PMU_INSN_RET:
        return predict_ret(ua, in);
    default:
        return false; /* direct JMP; FAR transfers are not predicted */
    }
}

static bool is_branch(enum pmu_insn_class c)
{
    return c >= PMU_INSN_JCC && c <= PMU_INSN_FAR;
}

void pmu_uarch_base(uint32_t slots_per_cycle, enum pmu_insn_class cls,
                    bool mem_read, struct pmu_cost *cost)
{
    const struct class_cost *c;
    uint64_t w = slots_per_cycle, load = 0, stall;

    if ((unsigned)cls >= sizeof(costs) / sizeof(costs[0]))
        cls = PMU_INSN_OTHER; /* a class from a newer caller */
    c = &costs[cls];
    *cost = (struct pmu_cost){0};
    cost->insns = 1;
    cost->branch = is_branch(cls);
    if (mem_read && !c->all_in)
        load = LOAD_LATENCY;
    cost->cycles = c->cycles + load;
    cost->slots = w * cost->cycles;
    if (w == 0)
        return; /* a hand-built model without slots: no topdown */

    /* Level 1: the uops retire, every other idle slot is backend bound
     * (a branch's outcome adds bad speculation or frontend bound). */
    stall = w * (c->cycles + load) - c->uops;
    cost->td[TD_RETIRING] = c->uops;
    cost->td[TD_BE_BOUND] = stall;
    /* Level 2: multi-uop instructions are heavy; the load latency,
     * fences and cache maintenance are memory bound. */
    cost->td[TD_HEAVY_OPS] = c->uops >= 2 ? c->uops : 0;
    cost->td[TD_MEM_BOUND] = c->mem_stall ? stall : w * load;
}

bool pmu_uarch_steady(const struct pmu_uarch *ua, const struct pmu_insn *insn)
{
    unsigned i;

    if (!is_branch(insn->cls) || insn->cls == PMU_INSN_FAR)
        return true; /* not predicted */
    switch (insn->cls) {
    case PMU_INSN_JCC: /* saturated the way it goes */
        i = pmu_uarch_hash(insn->addr, UARCH_BHT_SIZE);
        return insn->taken ? ua->bht[i] == 3 : ua->bht[i] == 0;
    case PMU_INSN_JMP_INDIRECT: /* the target table holds this target */
        i = pmu_uarch_hash(insn->addr, UARCH_BTB_SIZE);
        return ua->btb[i].valid && ua->btb[i].addr == insn->addr &&
               ua->btb[i].target == insn->next;
    case PMU_INSN_JMP:
        return true;
    default:
        return false; /* calls and returns move the return stack */
    }
}

enum pmu_outcome pmu_uarch_predict(struct pmu_uarch *ua,
                                   const struct pmu_insn *insn)
{
    enum pmu_insn_class cls = insn->cls;

    if (!is_branch(cls) || cls == PMU_INSN_FAR)
        return PMU_OUTCOME_NONE;
    if (predict(ua, insn))
        return PMU_OUTCOME_MISPREDICT;
    /* JMP and CALL are always taken, whatever the caller says. */
    return insn->taken || cls != PMU_INSN_JCC ? PMU_OUTCOME_BUBBLE
                                              : PMU_OUTCOME_NONE;
}

void pmu_uarch_outcome(uint32_t slots_per_cycle, enum pmu_outcome o,
                       struct pmu_cost *delta)
{
    uint64_t w = slots_per_cycle;

    *delta = (struct pmu_cost){0};
    if (o == PMU_OUTCOME_MISPREDICT) {
        /* the penalty cycles are bad speculation, all of it mispredicts */
        delta->mispredict = 1;
        delta->cycles = MISPREDICT_PENALTY;
        delta->td[TD_BAD_SPEC] = delta->td[TD_BR_MISPREDICT] =
            w * MISPREDICT_PENALTY;
    } else if (o == PMU_OUTCOME_BUBBLE) {
        /* the bubble is frontend bound, all of it fetch latency */
        delta->cycles = TAKEN_BUBBLE;
        delta->td[TD_FE_BOUND] = delta->td[TD_FETCH_LAT] = w * TAKEN_BUBBLE;
    }
    delta->slots = w * delta->cycles;
}

void pmu_uarch_retire(struct pmu_uarch *ua, uint32_t slots_per_cycle,
                      const struct pmu_insn *insn, struct pmu_cost *cost)
{
    enum pmu_outcome o = pmu_uarch_predict(ua, insn);
    struct pmu_cost d;

    pmu_uarch_base(slots_per_cycle, insn->cls, insn->mem_read, cost);
    if (o == PMU_OUTCOME_NONE)
        return;
    pmu_uarch_outcome(slots_per_cycle, o, &d);
    cost->mispredict += d.mispredict;
    cost->cycles += d.cycles;
    cost->slots += d.slots;
    for (unsigned k = 0; k < TD_COUNT; k++)
        cost->td[k] += d.td[k];
}

bool pmu_uarch_fixed(enum pmu_insn_class cls)
{
    switch (cls) {
    case PMU_INSN_JCC:
    case PMU_INSN_JMP_INDIRECT:
    case PMU_INSN_CALL:
    case PMU_INSN_CALL_INDIRECT:
    case PMU_INSN_RET:
        return false; /* predicted, or trains the return stack */
    default:
        return true;
    }
}

void pmu_uarch_max(uint32_t slots_per_cycle, struct pmu_cost *max)
{
    uint64_t cycles = 0;

    for (unsigned cls = 0; cls < sizeof(costs) / sizeof(costs[0]); cls++) {
        uint64_t c = costs[cls].cycles + (costs[cls].all_in ? 0 : LOAD_LATENCY);
        if (is_branch((enum pmu_insn_class)cls) && cls != PMU_INSN_FAR)
            c += MISPREDICT_PENALTY > TAKEN_BUBBLE ? MISPREDICT_PENALTY
                                                   : TAKEN_BUBBLE;
        if (c > cycles)
            cycles = c;
    }
    *max = (struct pmu_cost){0};
    max->cycles = cycles;
    max->slots = slots_per_cycle * cycles;
    /* every topdown part of an instruction is within its slots */
    for (unsigned k = 0; k < TD_COUNT; k++)
        max->td[k] = max->slots;
    max->insns = max->branch = max->mispredict = 1;
    /* an instruction's LLC references and misses have no bound (a REP
     * MOVS): left 0 here, they are checked as they come (pmu_tally.c) */
}
