/* trace.c: traces: runs of decoded instructions on one code page, run one after another without a look-up each, and retired as one block. */
#include <stdlib.h>

#include "engine/engine_internal.h"

/*
 * Most of what the engine does per instruction is not the instruction:
 * the decoded-instruction cache's look-up, the fetch's translation, the
 * debug checks, and the retirement callback with its record. A trace
 * does those once for a run of general-purpose instructions that cannot
 * change the mode, the privilege, the flags the checks read (TF, RF) or
 * the interrupt shadow: it stands only where none of the guest's debug
 * features is on, in 64-bit mode. Its instructions still execute one at
 * a time, each with every check of its own (faults, page permissions,
 * MMIO), and retire in order:
 *  - with ops->retire_block, the trace runs as many instructions as
 *    ops->block_room allows (so no counter can carry, and no PMI or stop
 *    can fall, inside it) and retires them as one block;
 *  - without, each instruction goes through ops->retire as it retires,
 *    which may stop the trace after it;
 *  - while the caller wants no record of what retires at the trace's
 *    privilege (ops->retire_wanted: nothing counts), the trace is only
 *    counted, against the budget.
 * A write to the trace's own page (self-modifying code) ends the trace
 * after the instruction that did it (none in a trace flushes the TLB or
 * changes paging: those are system instructions); a fault or hand-back
 * inside it retires the instructions before it first.
 */

bool eng_trace_init(struct eng *e)
{
    e->trace_map = calloc(TRACE_BUCKETS, sizeof(*e->trace_map));
    e->trace_pool = malloc(TRACE_POOL);
    e->trace_pool_gen = 1;
    return e->trace_map && e->trace_pool;
}

void eng_trace_free(struct eng *e)
{
    free(e->trace_map);
    free(e->trace_pool);
}

enum eng_trace_role eng_trace_role_of(ZydisMnemonic m,
                                      const struct eng_insn *in)
{
    if (in->exec == eng_exec_unimplemented || in->lock)
        return TRACE_NEVER;
    /* The general-purpose groups only; of them, not what changes TF or
     * RF (POPF), what the VMM's paths look for (PUSHF), what makes many
     * accesses (ENTER) or retires many times at once (LOOP); and nothing
     * locked, whose MMIO the engine hands back (run_one() clears the
     * LOCK state once for the trace). */
    if (!eng_exec_alu_for(m) && !eng_exec_bits_for(m) &&
        !eng_exec_move_for(m) && !eng_exec_branch_for(m))
        return TRACE_NEVER;
    switch (m) {
    case ZYDIS_MNEMONIC_POPF: case ZYDIS_MNEMONIC_POPFD:
    case ZYDIS_MNEMONIC_POPFQ: case ZYDIS_MNEMONIC_PUSHF:
    case ZYDIS_MNEMONIC_PUSHFD: case ZYDIS_MNEMONIC_PUSHFQ:
    case ZYDIS_MNEMONIC_ENTER: case ZYDIS_MNEMONIC_LOOP:
    case ZYDIS_MNEMONIC_LOOPE: case ZYDIS_MNEMONIC_LOOPNE:
        return TRACE_NEVER;
    default:
        break;
    }
    /* MOV to or from a segment, control or debug register, far pointers */
    for (unsigned i = 0; i < in->nopnd; i++)
        if ((in->op[i].type == OPND_REG && in->op[i].regkind != REGK_GPR) ||
            in->op[i].type == OPND_PTR)
            return TRACE_NEVER;
    switch ((enum engine_class)in->cls) {
    case ENGINE_CLASS_OTHER:
        return TRACE_IN;
    case ENGINE_CLASS_JCC: case ENGINE_CLASS_JMP:
    case ENGINE_CLASS_JMP_INDIRECT: case ENGINE_CLASS_CALL:
    case ENGINE_CLASS_CALL_INDIRECT: case ENGINE_CLASS_RET:
    case ENGINE_CLASS_DIV: case ENGINE_CLASS_FENCE: case ENGINE_CLASS_CACHE:
        return TRACE_END;
    default:
        return TRACE_NEVER;
    }
}

/* Decodes the trace at (gpa) into the pool; NULL if the pool is full. */
static struct eng_trace *build(struct eng *e, uint64_t gpa)
{
    size_t room = TRACE_POOL - e->trace_used;
    size_t most = sizeof(struct eng_trace) + TRACE_MAX * sizeof(struct eng_insn);

    if (room < most)
        return NULL;
    struct eng_trace *t = (struct eng_trace *)(void *)(e->trace_pool +
                                                       e->trace_used);
    t->gpa = gpa;
    t->gen = e->page_gen[gpa >> 12];
    t->n = 0;
    t->len = 0;
    t->plain[0] = t->plain[1] = 0;
    t->next_pool_gen[0] = t->next_pool_gen[1] = 0;
    for (uint64_t at = gpa; t->n < TRACE_MAX && (at >> 12) == (gpa >> 12);) {
        const struct eng_insn *in = eng_decode_in_page(e, at);
        if (!in || in->trace == TRACE_NEVER)
            break;
        t->ins[t->n++] = *in;
        t->len = (uint16_t)(t->len + in->length);
        if (in->trace == TRACE_END)
            break;
        at += in->length;
    }
    t->all_lazy = true;
    for (unsigned i = 0; i < t->n; i++) {
        if (i + 1 < t->n)
            t->plain[t->ins[i].mem_read]++;
        t->all_lazy &= t->ins[i].lazy;
        /* a trace runs from its start: the instruction before a Jcc
         * set the flags it reads */
        if (i)
            t->ins[i].exec = eng_exec_jcc_after(&t->ins[i - 1], &t->ins[i]);
    }
    e->trace_used += (uint32_t)(sizeof(*t) + t->n * sizeof(struct eng_insn));
    e->trace_used = (e->trace_used + 15) & ~15u;
    return t;
}

/* The pool empty again: a new generation, which no bucket or link has. */
static void pool_restart(struct eng *e)
{
    e->trace_used = 0;
    e->trace_pool_gen++;
}

/* The trace at (gpa), from the cache or built. */
static struct eng_trace *trace_at(struct eng *e, uint64_t gpa)
{
    if (e->trace_epoch != e->icache_epoch) {
        /* a flush: every trace may be stale */
        e->trace_epoch = e->icache_epoch;
        pool_restart(e);
    }
    struct trace_bucket *b = &e->trace_map[(gpa ^ gpa >> 13) % TRACE_BUCKETS];
    if (b->pool_gen == e->trace_pool_gen) {
        struct eng_trace *t =
            (struct eng_trace *)(void *)(e->trace_pool + b->off);
        if (t->gpa == gpa && t->gen == e->page_gen[gpa >> 12])
            return t;
    }
    struct eng_trace *t = build(e, gpa);
    if (!t) {
        pool_restart(e);
        t = build(e, gpa);
    }
    b->off = (uint32_t)((uint8_t *)t - e->trace_pool);
    b->pool_gen = e->trace_pool_gen;
    return t;
}

/* The first instruction of a trace retired: RF and the interrupt shadow
 * end with it (none in a trace sets either, and none reads them). */
static inline void retired_first(struct eng *e)
{
    e->st->interrupt_shadow = false;
    e->st->rflags &= ~RFLAGS_RF;
}

/* The block gathered so far, if any, retired through ops->retire_block
 * (true: stop after it). */
static bool block_flush(struct eng *e)
{
    struct pmu_block *b = &e->pend;

    if (!b->nrec)
        return false;
    b->rec = e->pend_rec;
    b->times = e->pend_times;
    bool stop = e->ops.retire_block(e->ops.ctx, b);
    *b = (struct pmu_block){0};
    return stop;
}

/* An instruction of the trace running, at (at), which went on at
 * (next), as retire reports it, into (r) field by field: a record built
 * whole and assigned goes through a copy on the stack, loaded with wide
 * loads that wait for its narrow stores. */
static inline void record(struct pmu_insn *r, const struct eng_insn *in,
                          uint64_t at, uint64_t next, unsigned cpl)
{
    r->addr = at;
    r->next = next;
    r->length = in->length;
    r->cls = in->cls;
    r->taken = next != at + in->length;
    r->mem_read = in->mem_read;
    r->mem_write = in->mem_write;
    r->cpl = cpl;
    r->tx_abort = false;
}

/* Whether record (r) of the block being gathered is the one (t)'s first
 * (done) instructions end with, at (at), going on at (next): the same
 * trace of the same pool generation holds the same instructions. */
static inline bool same_record(const struct eng *e, unsigned r,
                               const struct eng_trace *t, unsigned done,
                               uint64_t at, uint64_t next)
{
    return e->pend_of[r].trace == t && e->pend_of[r].done == done &&
           e->pend_rec[r].addr == at && e->pend_rec[r].next == next;
}

/* That record counted where the block already has it: as the next of its
 * cycle, or, with no cycle, as its last record once more (a loop that is
 * one trace, going round). False: it is new. */
static inline bool repeat(struct eng *e, const struct eng_trace *t,
                          unsigned done, uint64_t at, uint64_t next)
{
    struct pmu_block *b = &e->pend;
    unsigned r = b->nrec - 1;

    if (b->cycle) {
        if (!same_record(e, b->nrec - b->cycle + b->cycle_part, t, done, at,
                         next))
            return false;
        if (++b->cycle_part == b->cycle) {
            b->cycle_part = 0;
            b->cycle_reps++;
        }
        return true;
    }
    if (!b->nrec || !same_record(e, r, t, done, at, next) ||
        e->pend_times[r] == UINT32_MAX)
        return false;
    e->pend_times[r]++;
    return true;
}

/* The block's last record just written: where its last k records repeat
 * the k before them (2 <= k <= PMU_BLOCK_CYCLE_MAX, each standing for
 * one), a loop of k traces is going round. The first k become the
 * block's cycle, and the second its first round again. */
static void find_cycle(struct eng *e)
{
    struct pmu_block *b = &e->pend;
    const unsigned last = b->nrec - 1;

    for (unsigned k = 2; k <= PMU_BLOCK_CYCLE_MAX && 2 * k <= b->nrec; k++) {
        unsigned i = 0;
        while (i < k && e->pend_times[last - i] == 1 &&
               e->pend_times[last - k - i] == 1 &&
               same_record(e, last - k - i, e->pend_of[last - i].trace,
                           e->pend_of[last - i].done,
                           e->pend_rec[last - i].addr,
                           e->pend_rec[last - i].next))
            i++;
        if (i == k) {
            b->nrec -= k;
            b->cycle = k;
            b->cycle_reps = 1;
            return;
        }
    }
}

/* The first (done) instructions of a trace retired: the run's count, and
 * the budget's. */
static inline __attribute__((always_inline)) void
plain_count(struct eng *e, unsigned done)
{
    e->run_retired += done;
    e->count += done;
}

/* The first (done) instructions of (t), whose record the block has,
 * counted: its plain ones, and the block's and the run's totals. */
static inline __attribute__((always_inline)) void
block_count(struct eng *e, const struct eng_trace *t, unsigned done)
{
    struct pmu_block *b = &e->pend;

    if (done == t->n) {
        b->plain[0] += t->plain[0];
        b->plain[1] += t->plain[1];
    } else {
        for (unsigned i = 0; i + 1 < done; i++)
            b->plain[t->ins[i].mem_read]++;
    }
    b->n += done;
    plain_count(e, done);
    if (e->room_left != UINT64_MAX)
        e->room_left -= done;
}

/* A new record, of (t)'s first (done) instructions, the last of them at
 * (at), going on at (next), at the block's end, after the block so far
 * where its traces may be gone (the pool restarted) or where a loop it
 * found a cycle in left it (true: stop after that block). Out of line,
 * so that block_add() for a record the block has keeps to a few
 * registers. */
static __attribute__((noinline)) bool
block_new_record(struct eng *e, const struct eng_trace *t, unsigned done,
                 uint64_t at, uint64_t next, unsigned cpl)
{
    struct pmu_block *b = &e->pend;
    bool stop = false;

    if (b->nrec && (b->cycle || e->pend_pool_gen != e->trace_pool_gen))
        stop = block_flush(e);
    e->pend_pool_gen = e->trace_pool_gen;
    e->pend_of[b->nrec].trace = t;
    e->pend_of[b->nrec].done = done;
    e->pend_times[b->nrec] = 1;
    record(&e->pend_rec[b->nrec++], &t->ins[done - 1], at, next, cpl);
    find_cycle(e);
    return stop;
}

/* The first (done) instructions of (t) retired, the last of them at
 * (at), going on at (next): into the block being gathered, which goes to
 * ops->retire_block when full (true: stop after it). Its record is
 * counted where the block has it already (repeat()), or written at its
 * end. */
static inline __attribute__((always_inline)) bool
block_add(struct eng *e, const struct eng_trace *t, unsigned done,
          uint64_t at, uint64_t next, unsigned cpl)
{
    struct pmu_block *b = &e->pend;
    bool stop = false;

    if ((b->nrec && e->pend_pool_gen != e->trace_pool_gen) ||
        !repeat(e, t, done, at, next))
        stop = block_new_record(e, t, done, at, next, cpl);
    block_count(e, t, done);
    b->cpl = cpl;
    if (b->nrec == PMU_BLOCK_RECORDS)
        stop |= block_flush(e);
    return stop;
}

/* How a trace's instructions retire (the comment atop this file): each
 * through ops->retire, gathered into a block, or only counted. */
enum retire_way { RETIRE_EACH, RETIRE_BLOCK, RETIRE_PLAIN };

/* What traces retired with no record since run_traces() began, to
 * ops->retired_plain. */
static void plain_flush(struct eng *e)
{
    if (!e->plain_open)
        return;
    e->plain_open = false;
    uint64_t n = e->run_retired - e->plain_from;
    if (n && e->ops.retired_plain)
        e->ops.retired_plain(e->ops.ctx, n);
}

/* How many instructions of (t) may run now: its own, the budget's and
 * the block room's limit. */
static uint64_t limit_of(struct eng *e, const struct eng_trace *t, bool block)
{
    uint64_t limit = t->n, left = e->budget - e->count;

    if (left < limit)
        limit = left;
    if (block && limit) {
        /* Asked again only when short: a block of n leaves at least the
         * room less n (the tally's room and the LLC's both shrink by
         * what the n took at most). */
        if (e->room_left < limit) {
            /* the caller's room counts what it has been given: the block
             * gathered so far first */
            if (block_flush(e)) {
                e->stop_after = true;
                return 0;
            }
            e->room_left = e->ops.block_room(e->ops.ctx);
        }
        if (e->room_left < limit)
            limit = e->room_left;
    }
    return limit;
}

/* An instruction of a trace, at (at), executed: its RIP and the next
 * one where the handlers read them, the flags made whole first unless
 * it leaves them lazy (all_lazy: every one of the trace's does).
 * Returns where it went on. */
static inline __attribute__((always_inline)) uint64_t
exec_at(struct eng *e, const struct eng_insn *in, uint64_t at, bool all_lazy)
{
    e->insn_rip = at;
    e->next_rip = at + in->length;
    if (!all_lazy && !in->lazy)
        eng_flags_sync(e);
    in->exec(e, in);
    return e->next_rip;
}

/* Runs the first (limit) instructions of (t), from RIP on its page at
 * guest-physical (gpa), and retires them; true if all of t ran and
 * nothing asks to stop (the next trace may follow at once). all_lazy:
 * no instruction of t needs the flags made whole before it. */
static inline __attribute__((always_inline)) bool
run_one(struct eng *e, const struct eng_trace *t, uint64_t gpa,
        uint64_t limit, unsigned cpl, enum retire_way way, bool all_lazy)
{
    struct engine_state *st = e->st;
    uint32_t *gen = &e->page_gen[gpa >> 12], gen0 = *gen;
    unsigned i = 0;
    bool whole = true;

    e->trace_cur = t;
    e->trace_rip = st->rip;
    e->insn_lock = false; /* no locked instruction stands in a trace */
    /* RIP in a local: the handlers read insn_rip and next_rip, and a load
     * of st->rip right after its store would wait for it */
    uint64_t rip = st->rip, at;
    for (;;) {
        const struct eng_insn *in = &t->ins[i];
        at = rip;
        rip = exec_at(e, in, at, all_lazy);
        i++;
        if (way == RETIRE_EACH) {
            eng_flags_sync(e); /* the state as ops->retire may read it */
            retired_first(e);
            st->rip = rip;
            struct pmu_insn r;
            record(&r, in, at, rip, cpl);
            e->run_retired++;
            e->count++;
            if (e->ops.retire(e->ops.ctx, &r)) {
                e->stop_after = true;
                whole = false;
                break;
            }
        }
        /* its own page written: the rest may be stale (a TLB flush comes
         * only from exec_cr.c's system instructions, never in a trace) */
        if (*gen != gen0) {
            whole = false;
            break;
        }
        if (i == limit) {
            whole = i == t->n;
            break;
        }
    }
    e->trace_cur = NULL;
    st->rip = rip;
    retired_first(e);
    if (way == RETIRE_PLAIN) {
        plain_count(e, i);
    } else if (way == RETIRE_BLOCK && block_add(e, t, i, at, rip, cpl)) {
        e->stop_after = true;
        whole = false;
    }
    return whole;
}

/*
 * A loop that is one trace, (t) at guest-physical (gpa), going round: it
 * just ran whole and back to its start, and its record is the block's
 * last (loop_record_last()). Rounds run while each runs whole and back to
 * the start and the budget and the block room take one more; each counts
 * as that record once more, as block_add() would, without its checks
 * (the same trace, ending the same way). A round that stops short,
 * writes the trace's page or leaves the loop ends as run_one() does.
 * (plain: rounds that retire with no record, only counted.) Returns
 * run_one()'s answer for the last round.
 */
static inline __attribute__((always_inline)) bool
run_rounds(struct eng *e, const struct eng_trace *t, uint64_t gpa,
           unsigned cpl, bool plain, bool all_lazy)
{
    struct engine_state *st = e->st;
    struct pmu_block *b = &e->pend;
    const uint64_t start = st->rip;
    const unsigned n = t->n, r = plain ? 0 : b->nrec - 1;
    uint32_t *gen = &e->page_gen[gpa >> 12], gen0 = *gen;
    uint64_t rounds = (e->budget - e->count) / n;

    if (!plain && e->room_left != UINT64_MAX && e->room_left / n < rounds)
        rounds = e->room_left / n;
    if (!plain && UINT32_MAX - e->pend_times[r] < rounds)
        rounds = UINT32_MAX - e->pend_times[r];
    e->trace_cur = t;
    e->trace_rip = start;
    e->insn_lock = false;
    for (; rounds; rounds--) {
        uint64_t rip = start, at;
        unsigned i = 0;
        do {
            at = rip;
            rip = exec_at(e, &t->ins[i++], at, all_lazy);
        } while (i < n && *gen == gen0);
        if (i < n || rip != start || *gen != gen0) {
            bool whole = i == n && *gen == gen0;
            e->trace_cur = NULL;
            st->rip = rip;
            retired_first(e);
            if (plain) {
                plain_count(e, i);
            } else if (block_add(e, t, i, at, rip, cpl)) {
                e->stop_after = true;
                whole = false;
            }
            return whole;
        }
        if (plain) {
            plain_count(e, n);
            continue;
        }
        e->pend_times[r]++;
        block_count(e, t, n);
    }
    e->trace_cur = NULL;
    st->rip = start;
    retired_first(e);
    return true;
}

/* Whether the block's last record is that of (t), a loop of one trace
 * from (start), run whole and back to it, and can count more. */
static inline bool loop_record_last(const struct eng *e,
                                    const struct eng_trace *t,
                                    uint64_t start)
{
    const struct pmu_block *b = &e->pend;
    unsigned r = b->nrec - 1;

    return b->nrec && !b->cycle && e->pend_pool_gen == e->trace_pool_gen &&
           e->pend_times[r] < UINT32_MAX &&
           same_record(e, r, t, t->n,
                       start + t->len - t->ins[t->n - 1].length, start);
}

/* The trace that follows (t) at (gpa), through the link (t) keeps to its
 * last successor on that side (fall-through or branch taken). */
static struct eng_trace *next_of(struct eng *e, struct eng_trace *t,
                                       uint64_t gpa, bool taken)
{
    uint32_t pool_gen = e->trace_pool_gen;

    if (t->next_pool_gen[taken] == pool_gen) {
        struct eng_trace *n =
            (struct eng_trace *)(void *)(e->trace_pool + t->next_off[taken]);
        if (n->gpa == gpa && n->gen == e->page_gen[gpa >> 12])
            return n;
    }
    struct eng_trace *n = trace_at(e, gpa);
    if (e->trace_pool_gen == pool_gen) { /* (t) is still in the pool */
        t->next_off[taken] = (uint32_t)((const uint8_t *)n - e->trace_pool);
        t->next_pool_gen[taken] = pool_gen;
    }
    return n;
}

static bool run_traces(struct eng *e)
{
    struct engine_state *st = e->st;
    bool ran = false;

    if ((st->rflags & RFLAGS_TF) || (st->dr7 & DR7_ENABLES) || e->db_held ||
        !eng_mode64(e) || e->ops.no_traces)
        return false;
    e->insn_rip = st->rip; /* where a fault of the fetch is */
    uint64_t gpa = eng_fetch_gpa(e, eng_code_la(e, st->rip));
    struct eng_trace *t = trace_at(e, gpa);
    unsigned cpl = eng_cpl(e);
    enum retire_way way = !e->ops.retire_block ? RETIRE_EACH
                          : e->retire_plain[cpl == 3] ? RETIRE_PLAIN
                                                      : RETIRE_BLOCK;
    bool block = way == RETIRE_BLOCK;
    if (way == RETIRE_PLAIN) {
        e->plain_open = true;
        e->plain_from = e->run_retired;
    }
    if (!eng_align_checked(e)) { /* else an access may raise #AC */
        e->fast_want[ACC_READ] = (uint8_t)(TLB_FAST_READ_SUP << (cpl == 3));
        e->fast_want[ACC_WRITE] = (uint8_t)(TLB_FAST_WRITE_SUP << (cpl == 3));
    }
    e->tf_start = false;
    e->bp_hits = 0;
    e->ss_load = false;
    /*
     * Trace after trace on the same page, while each runs whole: none of
     * their instructions changes what the checks above or the fetch's
     * translation depend on (the mode, the CPL, TF, DR7, the TLB), and
     * a store into the page stops them (run_one()).
     */
    for (;;) {
        uint64_t limit = limit_of(e, t, block);
        if (limit == 0)
            return ran;
        ran = true;
        uint64_t start = st->rip, end = start + t->len;
        /* run_one() for each way of retiring, and for traces of fast
         * handlers alone, the choice out of its loop */
        bool whole;
        if (way == RETIRE_EACH)
            whole = run_one(e, t, gpa, limit, cpl, RETIRE_EACH, false);
        else if (way == RETIRE_PLAIN)
            whole = t->all_lazy
                        ? run_one(e, t, gpa, limit, cpl, RETIRE_PLAIN, true)
                        : run_one(e, t, gpa, limit, cpl, RETIRE_PLAIN, false);
        else
            whole = t->all_lazy
                        ? run_one(e, t, gpa, limit, cpl, RETIRE_BLOCK, true)
                        : run_one(e, t, gpa, limit, cpl, RETIRE_BLOCK, false);
        if (!whole || e->count >= e->budget)
            return true;
        uint64_t rip = st->rip;
        if (rip == start) {
            /* round a loop that is one trace: (t) again, its rounds
             * counted on its record while the room lasts, or only
             * counted */
            bool plain = way == RETIRE_PLAIN;
            if (plain || (block && loop_record_last(e, t, start))) {
                if (plain)
                    whole = t->all_lazy
                                ? run_rounds(e, t, gpa, cpl, true, true)
                                : run_rounds(e, t, gpa, cpl, true, false);
                else
                    whole = t->all_lazy
                                ? run_rounds(e, t, gpa, cpl, false, true)
                                : run_rounds(e, t, gpa, cpl, false, false);
                if (!whole || e->count >= e->budget)
                    return true;
                rip = st->rip;
                if (rip == start)
                    continue;
            } else {
                continue;
            }
        }
        if ((rip >> 12) != (start >> 12))
            return true; /* another page: its translation first */
        gpa = (gpa & ~0xFFFull) | (rip & 0xFFF);
        t = next_of(e, t, gpa, rip != end);
    }
}

bool eng_trace_run(struct eng *e)
{
    bool ran = run_traces(e);

    eng_traces_left(e);
    plain_flush(e);
    if (block_flush(e))
        e->stop_after = true;
    return ran || e->stop_after;
}

void eng_trace_unwound(struct eng *e)
{
    const struct eng_trace *t = e->trace_cur;
    unsigned done = 0;

    e->trace_cur = NULL;
    e->room_left = 0; /* the event's delivery comes next */
    /* the instructions before the one at insn_rip */
    for (uint64_t at = e->trace_rip; t && at != e->insn_rip && done < t->n;)
        at += t->ins[done++].length;
    if (!t || !done) {
        plain_flush(e);
        if (block_flush(e))
            e->stop_after = true;
        return;
    }
    retired_first(e);
    if (!e->ops.retire_block)
        return;
    if (e->plain_open) {
        plain_count(e, done);
        plain_flush(e);
        return;
    }
    /* The instruction before the one that stopped it: it ended at
     * insn_rip, which is where it went on. */
    uint64_t next = e->insn_rip, at = next - t->ins[done - 1].length;
    bool stop = block_add(e, t, done, at, next, eng_cpl(e));
    stop |= block_flush(e);
    if (stop)
        e->stop_after = true;
}
