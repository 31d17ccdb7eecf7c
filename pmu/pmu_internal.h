/* pmu_internal.h: the PMU state and helpers shared by the pmu/ sources only. */
#ifndef PMVM_PMU_INTERNAL_H
#define PMVM_PMU_INTERNAL_H

#include "pmu/pmu.h"

/* IA32_PERFEVTSELx fields (pmu-spec 3.1). */
#define EVTSEL_EVENT 0xFFull
#define EVTSEL_USR (1ull << 16)
#define EVTSEL_OS (1ull << 17)
#define EVTSEL_INT (1ull << 20)
#define EVTSEL_ANY (1ull << 21)
#define EVTSEL_EN (1ull << 22)
#define EVTSEL_IN_TX (1ull << 32)
#define EVTSEL_IN_TXCP (1ull << 33)
#define EVTSEL_EQ (1ull << 36)
#define EVTSEL_RDPMC_USER_DISABLE (1ull << 37)
#define EVTSEL_UMASK2 (0xFFull << 40)

/* IA32_FIXED_CTR_CTRL, per counter i (pmu-spec 3.2). */
#define FIXED_OS(i) (1ull << (4 * (i)))
#define FIXED_USR(i) (2ull << (4 * (i)))
#define FIXED_ANY(i) (4ull << (4 * (i)))
#define FIXED_PMI(i) (8ull << (4 * (i)))
#define FIXED_METRICS_CLEAR_EN (1ull << 14) /* counter 3's bit 2 */
#define FIXED_USER_DISABLE(i) (1ull << (33 + 4 * (i)))

/* GLOBAL_CTRL / GLOBAL_STATUS bits beyond the counters (pmu-spec 3.3). */
#define GLOBAL_PERF_METRICS (1ull << 48)
#define STATUS_LBR_FRZ (1ull << 58)
#define STATUS_CTR_FRZ (1ull << 59)
#define STATUS_OVF_UNCORE (1ull << 61)
#define STATUS_OVF_BUF (1ull << 62)
#define STATUS_COND_CHGD (1ull << 63)

/* IA32_PERFEVTSELx fields counting interprets (pmu-spec 3.1). */
#define EVTSEL_UMASK 0xFF00ull
#define EVTSEL_EDGE (1ull << 18)
#define EVTSEL_INV (1ull << 23)
#define EVTSEL_CMASK_SHIFT 24
#define EVTSEL_CMASK (0xFFull << EVTSEL_CMASK_SHIFT)

/* The deterministic micro-architecture model (pmu_uarch.c,
 * docs/counting.md): a branch predictor that learns from every retired
 * instruction pmu_retire() sees. */
#define UARCH_BHT_SIZE 4096 /* 2-bit counters for conditional branches */
#define UARCH_BTB_SIZE 512  /* last targets of indirect branches */
#define UARCH_RSB_SIZE 16   /* return stack */

struct pmu_uarch {
    uint8_t bht[UARCH_BHT_SIZE];
    struct {
        uint64_t addr, target;
        bool valid;
    } btb[UARCH_BTB_SIZE];
    uint64_t rsb[UARCH_RSB_SIZE];
    unsigned rsb_top;   /* next free slot, modulo UARCH_RSB_SIZE */
    unsigned rsb_count; /* valid entries, at most UARCH_RSB_SIZE */
};

/* What one retired instruction costs in the model. The four topdown level-1
 * categories sum exactly to slots; each level-2 value is part of its
 * level-1 parent (pmu-spec 3.5 byte order). */
enum topdown {
    TD_RETIRING,
    TD_BAD_SPEC,
    TD_FE_BOUND,
    TD_BE_BOUND,
    TD_HEAVY_OPS,     /* of retiring */
    TD_BR_MISPREDICT, /* of bad speculation */
    TD_FETCH_LAT,     /* of frontend bound */
    TD_MEM_BOUND,     /* of backend bound */
    TD_COUNT,
};

struct pmu_cost {
    uint64_t insns;          /* 1 (a sum: how many) */
    uint64_t cycles;
    uint64_t slots;
    uint64_t td[TD_COUNT];
    uint64_t branch;         /* 0 or 1 (a sum: how many) */
    uint64_t mispredict;
    uint64_t llc_refs, llc_misses; /* of its memory accesses (pmu_cache.c) */
    bool tx_abort;                 /* pmu_insn.tx_abort */
};

/* What a branch's prediction adds to its cost: nothing, a correctly
 * predicted taken branch's fetch bubble, or a mispredict's penalty. */
enum pmu_outcome {
    PMU_OUTCOME_NONE,
    PMU_OUTCOME_BUBBLE,
    PMU_OUTCOME_MISPREDICT,
    PMU_OUTCOMES,
};

/* How many classes of pmu_insn_class there are. */
#define PMU_INSN_CLASSES (PMU_INSN_DIV + 1)

/*
 * Instructions retired but not yet counted (pmu_tally.c): those that
 * cannot make any counter carry, at one CPL ring, tallied by class and
 * memory read (which fix the cost but for a predicted branch's outcome)
 * and by outcome, with their LLC references and misses.
 */
struct pmu_tally {
    uint64_t n;                                /* instructions in it */
    uint64_t count[PMU_INSN_CLASSES][2];       /* [class][mem_read] */
    uint64_t outcomes[PMU_OUTCOMES];
    uint64_t llc_refs, llc_misses;
};

/* The cache model (pmu_cache.c): three levels of ways, each a line's tag
 * (line number + 1; 0: empty), when it was last used, and (L2) whether the
 * prefetcher brought it and no demand access has used it yet. */
struct pmu_cache_way {
    uint32_t tag;
    uint32_t used;
    bool prefetched;
};

struct pmu_cache_level {
    uint32_t sets, ways;     /* 0 sets: the level is absent */
    uint32_t set_mask;       /* sets - 1 where sets is a power of two */
    struct pmu_cache_way *way; /* sets x ways, set-major */
};

struct pmu_cache {
    struct pmu_cache_level level[3]; /* L1D, L2, LLC */
    uint32_t clock;          /* LRU time: one tick per use */
    struct pmu_cache_way *l1_last; /* the L1D way the last access used */
    uint64_t llc_refs, llc_misses; /* since the last retirement */
};

bool pmu_cache_init(struct pmu_cache *c, const struct pmu_model *m);
void pmu_cache_free(struct pmu_cache *c);
/* (pmu_mem_access(), pmu/pmu.h, is the cache model's access.) */

/* PERF_METRICS' hidden accumulators: the slots and topdown slots counted
 * since FIXED_CTR3 and PERF_METRICS were last zeroed (pmu_metrics.c). */
struct pmu_topdown {
    uint64_t slots;          /* kept to the fixed counter width */
    uint64_t td[TD_COUNT];
};

/* Counter indices (GP i = i, fixed i = 32 + i) run below this. */
#define PMU_NR_IDX PMU_IDX_FIXED(PMU_MAX_FIXED)

struct pmu {
    struct pmu_model m;  /* the guest model, fixed for the PMU's life */
    uint64_t pmc[PMU_MAX_GP];        /* masked to gp_width */
    uint64_t evtsel[PMU_MAX_GP];
    uint64_t fixed[PMU_MAX_FIXED];   /* masked to fixed_width */
    /* Auto counter reload, by counter index: CFG_B (the counters whose
     * overflow reloads this one) and CFG_C (the value it reloads). */
    uint64_t acr_mask[PMU_NR_IDX];
    uint64_t acr_reload[PMU_NR_IDX];
    uint64_t fixed_ctrl;
    uint64_t global_ctrl;
    uint64_t global_status;
    uint64_t perf_metrics;
    uint32_t edge_prev;              /* EDGE: last instruction's condition,
                                        a bit per GP counter */
    /* What counts at CPL 0 ([0]) and CPL 1-3 ([1]): bit idx for a counter
     * that pmu_counter_enabled() says counts, bit 48 for PERF_METRICS.
     * pmu_retire() runs once per guest instruction; this is its answer
     * to "who counts", kept by pmu_enabled_refresh() at every change. */
    uint64_t enabled[2];
    struct pmu_topdown acc;
    struct pmu_uarch ua;
    uint64_t cycles;     /* the core model's cycles of all it retired */
    struct pmu_cache cache;
    /* Tallied retirements (pmu_tally.c): per ring, and how many more may
     * be tallied before a counter could carry (0: look again). */
    struct pmu_tally tally[2];
    uint64_t tally_room;
    uint64_t tally_llc_room[2]; /* LLC references, misses still to come */
    bool fixed_class[PMU_INSN_CLASSES]; /* pmu_uarch_fixed() */
    /* by class and mem_read: the cost (of a predicted branch, without
     * its outcome), and what each outcome adds */
    struct pmu_cost fixed_cost[PMU_INSN_CLASSES][2];
    struct pmu_cost outcome_cost[PMU_OUTCOMES];
    struct pmu_cost max_cost; /* no instruction costs more, field by field */
};

/* Recompute pmu->enabled after a write that may change it. */
void pmu_enabled_refresh(struct pmu *pmu);

/* All ones in the low `width` bits; width 64 gives ~0. */
static inline uint64_t pmu_width_mask(uint32_t width)
{
    return width >= 64 ? ~0ull : (1ull << width) - 1;
}

/* The GP counters that exist, as a bitmap: CPUID.23H.1:EAX where leaf
 * 0x23 is enumerated (perf takes it over leaf 0xA, which shows only what
 * every core type of a hybrid part has), else the first
 * CPUID.0AH:EAX[15:8]. */
static inline uint32_t pmu_gp_bitmap(const struct pmu_model *m)
{
    if (m->version == 0)
        return 0;
    return m->leaf23 ? m->leaf23_gp_bitmap
                     : (uint32_t)pmu_width_mask(m->gp_counters < PMU_MAX_GP ?
                                                m->gp_counters : PMU_MAX_GP);
}

/* The same for fixed counters: CPUID.23H.1:EBX, else CPUID.0AH:ECX (v5)
 * or EDX[4:0]; none before version 2. */
static inline uint32_t pmu_fixed_bitmap(const struct pmu_model *m)
{
    if (m->version < 2)
        return 0;
    return (m->leaf23 ? m->leaf23_fixed_bitmap : m->fixed_bitmap) &
           (uint32_t)pmu_width_mask(PMU_MAX_FIXED);
}

static inline bool pmu_gp_exists(const struct pmu_model *m, unsigned i)
{
    return i < PMU_MAX_GP && (pmu_gp_bitmap(m) >> i & 1);
}

static inline bool pmu_has_metrics(const struct pmu_model *m)
{
    return (pmu_model_caps(m) & PMU_CAP_PERF_METRICS) != 0;
}

/* AnyThread (EVTSEL bit 21, FIXED_CTR_CTRL bit 4i+2) is usable: v3 added
 * it, CPUID.0AH:EDX[15] deprecates it (pmu-spec 3.1, 2.1). */
static inline bool pmu_anythread_ok(const struct pmu_model *m)
{
    return m->version >= 3 && !m->anythread_deprecated;
}

/* GLOBAL_CTRL bits that exist: GP enables, fixed enables, EN_PERF_METRICS. */
uint64_t pmu_global_ctrl_valid(const struct pmu_model *m);

/* GLOBAL_STATUS bits that OVF_CTRL may clear and STATUS_SET may set. */
uint64_t pmu_global_status_valid(const struct pmu_model *m);

/* Writable bits of PERFEVTSELx and FIXED_CTR_CTRL. */
uint64_t pmu_evtsel_valid(const struct pmu_model *m, unsigned i);
uint64_t pmu_fixed_ctrl_valid(const struct pmu_model *m);

/* Writable bits of counter idx's auto counter reload MSRs: CFG_B (the
 * counters whose overflow reloads it) and CFG_C (the reload value); 0
 * where it cannot be reloaded. */
uint64_t pmu_acr_mask_valid(const struct pmu_model *m, unsigned idx);
uint64_t pmu_acr_reload_valid(const struct pmu_model *m, unsigned idx);

/* IA32_PERF_GLOBAL_INUSE computed from the selectors (SDM 18.2.4.3). */
uint64_t pmu_global_inuse(const struct pmu *pmu);

/* The reason a model is invalid and the two keys that contradict each
 * other (the same key twice for a value out of range), as indices into the
 * key table (pmu_model_key_name()). 0 if valid. */
int pmu_model_check(const struct pmu_model *m, size_t key[2], char *msg,
                    size_t len);

/* The PMU MSRs, classified for pmu_msr.c and pmu_msr_write.c. */
enum msr_kind {
    MSR_NONE,
    MSR_PMC,        /* 0xC1 + i */
    MSR_A_PMC,      /* 0x4C1 + i */
    MSR_EVTSEL,     /* 0x186 + i */
    MSR_FIXED,      /* 0x309 + i */
    MSR_METRICS,    /* 0x329 */
    MSR_CAPS,       /* 0x345 */
    MSR_FIXED_CTRL, /* 0x38D */
    MSR_STATUS,     /* 0x38E */
    MSR_CTRL,       /* 0x38F */
    MSR_OVF_CTRL,   /* 0x390 */
    MSR_STATUS_SET, /* 0x391 */
    MSR_INUSE,      /* 0x392 */
    MSR_V6_CTR,     /* 0x1900 + 4i: GP counter i */
    MSR_V6_CFG_A,   /* 0x1901 + 4i: its event select */
    MSR_V6_CFG_B,   /* 0x1902 + 4i: its reload mask */
    MSR_V6_CFG_C,   /* 0x1903 + 4i: its reload value */
    MSR_V6_FX_CTR,  /* 0x1980 + 4i: fixed counter i */
    MSR_V6_FX_CFG_B,
    MSR_V6_FX_CFG_C,
};

/* Which PMU MSR msr is, with its counter index in *i. */
enum msr_kind msr_classify(uint32_t msr, unsigned *i);

/* The counter index (GP i, or 32 + i) of a counter MSR kind. */
static inline unsigned msr_counter_idx(enum msr_kind k, unsigned i)
{
    return k == MSR_FIXED || k == MSR_V6_FX_CTR || k == MSR_V6_FX_CFG_B ||
           k == MSR_V6_FX_CFG_C ? PMU_IDX_FIXED(i) : i;
}

/* NULL if the MSR exists for the model, else the rule that removes it. */
const char *msr_absent(const struct pmu_model *m, enum msr_kind k,
                       unsigned i);

/* An absent msr that KVM answers itself (reads 0, drops writes). */
bool msr_kvm_quirk(const struct pmu_model *m, uint32_t msr);

/* Upper bound on the number of model keys (checked in pmu_model_keys.c). */
#define PMU_MODEL_MAX_KEYS 56

/* Index of "section.key" in the key table, or -1. */
int pmu_model_key_index(const char *key);

/* ---- Counting (pmu_uarch.c, pmu_metrics.c) ---- */

/* The predictor's power-on state (conditional branches weakly not taken,
 * empty target table and return stack). */
void pmu_uarch_reset(struct pmu_uarch *ua);

/* An instruction's cost before its branch outcome: fixed by its class
 * and whether it reads memory. */
void pmu_uarch_base(uint32_t slots_per_cycle, enum pmu_insn_class cls,
                    bool mem_read, struct pmu_cost *cost);
/* The outcome of (insn), which trains the predictor (NONE for anything
 * but a near branch). */
enum pmu_outcome pmu_uarch_predict(struct pmu_uarch *ua,
                                   const struct pmu_insn *insn);
/* The predictor's index of a branch at (addr): the address folded so
 * that nearby branches use different entries. */
static inline unsigned pmu_uarch_hash(uint64_t addr, unsigned size)
{
    return (unsigned)((addr ^ (addr >> 12) ^ (addr >> 24)) % size);
}

/* A conditional branch: its 2-bit saturating counter, taken if >= 2,
 * trained; true if it was mispredicted. Inline: most branches are. */
static inline bool pmu_uarch_predict_jcc(struct pmu_uarch *ua,
                                         const struct pmu_insn *in)
{
    uint8_t *ctr = &ua->bht[pmu_uarch_hash(in->addr, UARCH_BHT_SIZE)];
    bool miss = (*ctr >= 2) != in->taken;

    if (in->taken && *ctr < 3)
        (*ctr)++;
    else if (!in->taken && *ctr > 0)
        (*ctr)--;
    return miss;
}

/* pmu_uarch_predict() with a conditional branch's inline. */
static inline enum pmu_outcome
pmu_uarch_predict_inline(struct pmu_uarch *ua, const struct pmu_insn *insn)
{
    if (insn->cls != PMU_INSN_JCC)
        return pmu_uarch_predict(ua, insn);
    if (pmu_uarch_predict_jcc(ua, insn))
        return PMU_OUTCOME_MISPREDICT;
    return insn->taken ? PMU_OUTCOME_BUBBLE : PMU_OUTCOME_NONE;
}

/* Would (insn), retired again now, leave the predictor as it is? Then
 * any number more of it have the outcome the next one has. */
bool pmu_uarch_steady(const struct pmu_uarch *ua, const struct pmu_insn *insn);
/* What outcome (o) adds to the base cost. */
void pmu_uarch_outcome(uint32_t slots_per_cycle, enum pmu_outcome o,
                       struct pmu_cost *delta);

/* Costs one retired instruction at `slots_per_cycle` and trains the
 * predictor with it: the base cost plus the outcome's. */
void pmu_uarch_retire(struct pmu_uarch *ua, uint32_t slots_per_cycle,
                      const struct pmu_insn *insn, struct pmu_cost *cost);

/* Whether an instruction's cost depends only on its class and memory
 * read (the predictor does not see it). */
bool pmu_uarch_fixed(enum pmu_insn_class cls);

/* The most any one instruction costs, field by field; LLC references and
 * misses, which have no bound, 0. */
void pmu_uarch_max(uint32_t slots_per_cycle, struct pmu_cost *max);

/* How much an event advances for an instruction of (cost) (pmu_count.c):
 * of a fixed counter's, or of a GP counter whose select is (sel), without
 * CMASK or EDGE. Linear in the cost: a sum of costs gives the sum. */
extern const uint32_t pmu_fixed_event[PMU_MAX_FIXED];
uint64_t pmu_event_delta(uint32_t ev, const struct pmu_cost *c);
uint64_t pmu_gp_event(uint64_t sel, const struct pmu_cost *c);
/* How many instructions of cost (c), at most (max), the fixed counters in
 * (on) and PERF_METRICS' accumulators take without carrying. */
uint64_t pmu_fixed_room(const struct pmu *pmu, uint64_t on,
                        const struct pmu_cost *c, uint64_t max);

/* pmu_tally.c: the fixed costs are computed (pmu_reset). */
void pmu_tally_init(struct pmu *pmu);
/* One instruction tallied instead of counted, if it cannot make a counter
 * carry; false: pmu_retire() counts it. */
bool pmu_tally_retire(struct pmu *pmu, const struct pmu_insn *insn);
/* pmu_retire() of an instruction the tally did not take (it settled). */
bool pmu_retire_one(struct pmu *pmu, const struct pmu_insn *insn);
/* Counts what is tallied: every function that reads or writes the
 * counters' state calls it first. */
void pmu_settle(struct pmu *pmu);

/* Adds an instruction's topdown slots to the PERF_METRICS accumulators and
 * recomputes PERF_METRICS; true if the accumulators wrapped (GLOBAL_STATUS
 * bit 48, set here). */
bool pmu_metrics_add(struct pmu *pmu, const struct pmu_cost *cost);
/* (m) instructions of that cost at once; the caller made sure the slots
 * do not carry past FIXED_CTR3's width. */
void pmu_metrics_add_many(struct pmu *pmu, const struct pmu_cost *cost,
                          uint64_t m);

/* The accumulators restart from zero (FIXED_CTR3 written, metrics clear
 * mode); PERF_METRICS is the caller's. */
void pmu_metrics_zero(struct pmu *pmu);

/* A guest write of PERF_METRICS: the accumulators take the written
 * fractions of FIXED_CTR3's value, so a restore (FIXED_CTR3, then
 * PERF_METRICS) continues where it left off. */
void pmu_metrics_write(struct pmu *pmu, uint64_t val);

#endif
