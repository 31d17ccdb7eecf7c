/* test_pmu_tally.c: tallied retirement counts exactly what retiring one instruction at a time counts: every return, counter, status bit and PERF_METRICS value, on random streams and configurations. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pmu/pmu_internal.h"
#include "tests/unit/pmu_test.h"

/*
 * Two PMUs of one model take the same guest: (sub) through pmu_retire(),
 * which tallies what cannot carry, and (ref) through pmu_retire_repeat()
 * with n = 1, which settles and counts each instruction on its own, the
 * path every instruction took before tallying. The same MSR writes,
 * memory accesses, reads and RDPMCs go to both, and every answer must be
 * equal: the PMI returned for each instruction, each read, and at the end
 * every counter, GLOBAL_STATUS, PERF_METRICS and the core cycles.
 */

#define B(n) (1ull << (n))
#define OS B(17)
#define USR B(16)
#define EDGE B(18)
#define INT B(20)
#define EN B(22)
#define INV B(23)
#define CMASK(n) ((uint64_t)(n) << 24)
#define IN_TX B(32)

static uint64_t rng;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned below(unsigned n)
{
    return (unsigned)(next() % n);
}

/* The events the model counts, and one it does not. */
static const uint16_t events[] = {
    0x00C0, 0x00C4, 0x00C5, 0x003C, 0x013C, 0x01A4, 0x02A4,
    0x4F2E, 0x412E, 0x0073, 0x019C, 0x02C2, 0x0099,
};

/* MSRs compared between the two: counters, controls, status, metrics. */
static const uint32_t compared[] = {
    0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8,
    0x309, 0x30A, 0x30B, 0x30C, 0x30D, 0x30E, 0x30F,
    0x329, 0x38E, 0x38F,
};

struct pair {
    struct pmu *sub, *ref;
    unsigned gp, fixed;
    uint64_t global_bits, fixed_ctrl_bits; /* the model's counters */
    uint64_t tallied, retired;
};

static void both_wr(struct pair *p, uint32_t msr, uint64_t val)
{
    int a = pmu_wrmsr(p->sub, msr, val, NULL);
    int b = pmu_wrmsr(p->ref, msr, val, NULL);

    assert_int_equal(a, b);
}

static void compare_msr(struct pair *p, uint32_t msr)
{
    uint64_t a = 0, b = 0;
    int ra = pmu_rdmsr(p->sub, msr, &a, NULL);
    int rb = pmu_rdmsr(p->ref, msr, &b, NULL);

    assert_int_equal(ra, rb);
    if (a != b)
        fail_msg("MSR 0x%x: tallied 0x%llx, one at a time 0x%llx", msr,
                 (unsigned long long)a, (unsigned long long)b);
}

static void compare_all(struct pair *p)
{
    for (size_t i = 0; i < sizeof(compared) / sizeof(compared[0]); i++)
        compare_msr(p, compared[i]);
    assert_int_equal(pmu_core_cycles(p->sub), pmu_core_cycles(p->ref));
}

/* A counter value close to the top a quarter of the time: overflows
 * come, within runs that are tallied and between them. */
static uint64_t preset(unsigned width)
{
    uint64_t mask = width >= 64 ? ~0ull : (1ull << width) - 1;

    return below(4) ? next() & 0xFFFF : mask - below(2000);
}

/* A random change of configuration, the same on both. */
static void reconfigure(struct pair *p)
{
    unsigned i;
    uint64_t sel;

    switch (below(6)) {
    case 0:
    case 1:
        i = below(p->gp);
        sel = events[below(sizeof(events) / sizeof(events[0]))] | EN;
        sel |= below(4) ? OS : 0;
        sel |= below(4) ? USR : 0;
        sel |= below(2) ? INT : 0;
        if (!below(16))
            sel |= EDGE;
        if (!below(16))
            sel |= CMASK(1 + below(3));
        if (!below(8))
            sel |= INV;
        if (!below(16))
            sel |= IN_TX;
        both_wr(p, 0x186 + i, sel);
        break;
    case 2:
        i = below(p->gp);
        both_wr(p, 0xC1 + i, preset(48) & 0xFFFFFFFF);
        both_wr(p, 0x4C1 + i, preset(48));
        break;
    case 3:
        i = below(p->fixed);
        both_wr(p, 0x309 + i, preset(48));
        break;
    case 4:
        both_wr(p, 0x38D, next() & p->fixed_ctrl_bits);
        break;
    default:
        both_wr(p, 0x390, next() & p->global_bits); /* clear overflows */
        both_wr(p, 0x38F, next() & p->global_bits);
        break;
    }
}

/* Two PMUs of (cpu)'s model, (gp) and (fixed) counters, randomly
 * configured alike. */
static void pair_open(struct pair *p, const char *cpu, unsigned gp,
                      unsigned fixed)
{
    p->sub = pmu_test_pmu(cpu, NULL, 0, PMU_POLICY_NATIVE);
    p->ref = pmu_test_pmu(cpu, NULL, 0, PMU_POLICY_NATIVE);
    p->gp = gp;
    p->fixed = fixed;
    const struct pmu_model *m = pmu_get_model(p->sub);
    uint32_t fixed_bits = pmu_fixed_bitmap(m);
    p->global_bits = pmu_gp_bitmap(m) | (uint64_t)fixed_bits << 32 |
                     (pmu_has_metrics(m) ? B(48) : 0);
    for (unsigned i = 0; i < 16; i++)
        if (fixed_bits >> i & 1)
            p->fixed_ctrl_bits |= 0xBull << (4 * i);
    for (unsigned k = 0; k < 4; k++)
        reconfigure(p);
}

static void retire_both(struct pair *p, const struct pmu_insn *in)
{
    uint64_t done = 0, before = p->sub->tally[0].n + p->sub->tally[1].n;
    bool a = pmu_retire(p->sub, in);
    bool b = pmu_retire_repeat(p->ref, in, 1, &done);

    assert_int_equal(done, 1);
    if (a != b)
        fail_msg("instruction %llu (class %d at 0x%llx): PMI %d tallied, "
                 "%d one at a time", (unsigned long long)p->retired,
                 in->cls, (unsigned long long)in->addr, a, b);
    p->tallied += p->sub->tally[0].n + p->sub->tally[1].n > before;
    p->retired++;
}

static void random_insn(struct pmu_insn *in, unsigned cpl)
{
    *in = (struct pmu_insn){0};
    in->cls = (enum pmu_insn_class)(below(3) ? PMU_INSN_OTHER
                                             : below(PMU_INSN_DIV + 1));
    in->addr = 0x401000 + 4 * below(64);
    in->length = 1 + below(6);
    in->taken = in->cls != PMU_INSN_OTHER && below(2);
    in->next = in->taken ? 0x401000 + 4 * below(64) : in->addr + in->length;
    in->mem_read = below(3) == 0;
    in->mem_write = below(4) == 0;
    in->cpl = cpl;
    in->tx_abort = !below(400);
}

/* One model, one seed: a stream of (n) instructions. */
static void run(const char *cpu, unsigned gp, unsigned fixed, uint64_t seed,
                unsigned n, struct pair *p)
{
    unsigned cpl = 0;

    rng = seed;
    pair_open(p, cpu, gp, fixed);
    /* with TSX, IN_TX counts an aborted transaction's cycles */
    pmu_set_tsx(p->sub, seed & 1);
    pmu_set_tsx(p->ref, seed & 1);
    for (unsigned k = 0; k < n; k++) {
        struct pmu_insn in;

        if (!below(200))
            reconfigure(p);
        if (!below(300))
            compare_msr(p, compared[below(sizeof(compared) /
                                          sizeof(compared[0]))]);
        if (!below(64))
            cpl = cpl ? 0 : 3;
        /* the instruction's memory accesses, many for a REP string one,
         * most missing the caches somewhere */
        for (unsigned a = below(8) ? 0 : 1 + below(below(4) ? 2 : 300);
             a; a--) {
            uint64_t gpa = 0x10000 + 64 * (uint64_t)below(1 << 18);
            pmu_mem_access(p->sub, gpa, PMU_MEM_READ);
            pmu_mem_access(p->ref, gpa, PMU_MEM_READ);
        }
        random_insn(&in, cpl);
        retire_both(p, &in);
    }
    compare_all(p);
    pmu_destroy(p->sub);
    pmu_destroy(p->ref);
}

static void streams(const char *cpu, unsigned gp, unsigned fixed)
{
    uint64_t tallied = 0, retired = 0;

    for (uint64_t seed = 1; seed <= 150; seed++) {
        struct pair p = {0};
        run(cpu, gp, fixed, seed * 0x9E3779B97F4A7C15ull, 4000, &p);
        tallied += p.tallied;
        retired += p.retired;
    }
    /* The comparison means something only if most instructions were
     * tallied: the configurations leave room most of the time. */
    if (tallied * 2 < retired)
        fail_msg("%s: only %llu of %llu instructions tallied", cpu,
                 (unsigned long long)tallied, (unsigned long long)retired);
}

/*
 * Blocks (pmu_retire_block()) against one at a time: the same stream cut
 * into blocks of plain instructions and records of any class (the last
 * always one; a record may stand for several in a row, as a loop of one
 * trace gives), each within pmu_block_room() and each instruction making
 * at most two memory accesses; the subject makes a block's accesses first and retires it at
 * once, the reference interleaves them and retires each (pmu_retire()).
 * With no room the subject retires one at a time, as the engine does.
 */
static void run_blocks(const char *cpu, unsigned gp, unsigned fixed,
                       uint64_t seed, unsigned nblocks, struct pair *p)
{
    unsigned cpl = 0;

    rng = seed;
    pair_open(p, cpu, gp, fixed);
    for (unsigned k = 0; k < nblocks; k++) {
        struct pmu_insn ins[33];
        uint64_t gpas[33][2];
        unsigned nacc[33];

        if (!below(20))
            reconfigure(p);
        if (!below(16))
            cpl = cpl ? 0 : 3;
        uint64_t room = pmu_block_room(p->sub, 2);
        unsigned n = 1 + below(32);
        if (n > room)
            n = (unsigned)room;
        bool is_rec[33];
        struct pmu_insn recs[PMU_BLOCK_RECORDS];
        uint32_t times[PMU_BLOCK_RECORDS];
        unsigned nrec = 0, again = 0;
        for (unsigned i = 0; i < n || (n == 0 && i < 1); i++) {
            if (again) {
                /* the last record again, straight after it (a loop that
                 * is one trace, going round) */
                again--;
                ins[i] = ins[i - 1];
                is_rec[i] = true;
                times[nrec - 1]++;
                nacc[i] = below(3);
                for (unsigned a = 0; a < nacc[i]; a++)
                    gpas[i][a] = 0x10000 + 64 * (uint64_t)below(1 << 16);
                continue;
            }
            random_insn(&ins[i], cpl);
            ins[i].tx_abort = false;
            /* a record: the last, and some before it while there is
             * room for one more */
            is_rec[i] = i + 1 == n ||
                        (nrec + 2 <= PMU_BLOCK_RECORDS && !below(4));
            if (!is_rec[i]) {
                ins[i].cls = PMU_INSN_OTHER;
            } else if (n) {
                times[nrec] = 1;
                recs[nrec++] = ins[i];
                if (!below(3))
                    again = 1 + below(12);
            }
            nacc[i] = below(3);
            for (unsigned a = 0; a < nacc[i]; a++)
                gpas[i][a] = 0x10000 + 64 * (uint64_t)below(1 << 16);
        }
        if (n == 0) { /* no room: one at a time on both */
            for (unsigned a = 0; a < nacc[0]; a++) {
                pmu_mem_access(p->sub, gpas[0][a], PMU_MEM_READ);
                pmu_mem_access(p->ref, gpas[0][a], PMU_MEM_READ);
            }
            retire_both(p, &ins[0]);
            continue;
        }
        struct pmu_block b = {.n = n, .cpl = cpl, .nrec = nrec,
                              .rec = recs, .times = below(2) ? times : NULL};
        for (unsigned r = 0; !b.times && r < nrec; r++)
            if (times[r] > 1) /* a record stands for one only: times needed */
                b.times = times;
        bool ref_pmi = false;
        for (unsigned i = 0; i < n; i++) {
            uint64_t done = 0;
            for (unsigned a = 0; a < nacc[i]; a++) {
                pmu_mem_access(p->sub, gpas[i][a], PMU_MEM_READ);
                pmu_mem_access(p->ref, gpas[i][a], PMU_MEM_READ);
            }
            if (!is_rec[i])
                b.plain[ins[i].mem_read]++;
            bool pmi = pmu_retire_repeat(p->ref, &ins[i], 1, &done);
            if (pmi && i + 1 < n)
                fail_msg("block %u: a PMI at its instruction %u of %u, "
                         "within the room %llu", k, i + 1, n,
                         (unsigned long long)room);
            ref_pmi |= pmi;
        }
        bool sub_pmi = pmu_retire_block(p->sub, &b);
        if (sub_pmi != ref_pmi)
            fail_msg("block %u of %u: PMI %d as a block, %d one at a time",
                     k, n, sub_pmi, ref_pmi);
        p->tallied += n > 1;
        p->retired++;
        if (!below(8))
            compare_all(p);
    }
    compare_all(p);
    pmu_destroy(p->sub);
    pmu_destroy(p->ref);
}

typedef void run_fn(const char *cpu, unsigned gp, unsigned fixed,
                    uint64_t seed, unsigned nblocks, struct pair *p);

/* (run) on Sapphire Rapids and Skymont, (seeds) seeds of (nblocks)
 * blocks each; most rounds must have been (what) (p.tallied) for the
 * comparison to mean anything. */
static void on_two_cpus(run_fn *run_one_seed, unsigned seeds,
                        unsigned nblocks, const char *what)
{
    static const struct { const char *cpu; unsigned gp, fixed; } cpus[] = {
        {"sapphire-rapids", 8, 4}, {"lunar-lake:atom", 8, 7},
    };
    for (size_t c = 0; c < 2; c++) {
        uint64_t hits = 0, all = 0;
        for (uint64_t seed = 1; seed <= seeds; seed++) {
            struct pair p = {0};
            run_one_seed(cpus[c].cpu, cpus[c].gp, cpus[c].fixed,
                         seed * 0x9E3779B97F4A7C15ull, nblocks, &p);
            hits += p.tallied;
            all += p.retired;
        }
        if (hits * 2 < all)
            fail_msg("%s: only %llu of %llu rounds %s", cpus[c].cpu,
                     (unsigned long long)hits, (unsigned long long)all,
                     what);
    }
}

static void test_blocks(void **state)
{
    (void)state;
    on_two_cpus(run_blocks, 100, 400, "were blocks");
}

/*
 * Blocks that end with a cycle (a loop of 2 to PMU_BLOCK_CYCLE_MAX traces
 * going round, as the engine gathers it) against one at a time: leading
 * records, then the cycle's records once, cycle_reps times more and the
 * first cycle_part of them, with plain instructions before each record
 * (the same ones each round) and memory accesses. Half the cycles hold
 * only conditional branches and classes the predictor does not see, whose
 * rounds the model tallies at once where the predictor has settled; the
 * rest any class (a CALL, a RET, an indirect branch), a round at a time.
 */
static void run_cycles(const char *cpu, unsigned gp, unsigned fixed,
                       uint64_t seed, unsigned nblocks, struct pair *p)
{
    unsigned cpl = 0;

    rng = seed;
    pair_open(p, cpu, gp, fixed);
    for (unsigned blk = 0; blk < nblocks; blk++) {
        struct pmu_insn recs[2 * PMU_BLOCK_CYCLE_MAX], plain_in;
        unsigned plains[2 * PMU_BLOCK_CYCLE_MAX];
        unsigned lead = below(4), k = 2 + below(PMU_BLOCK_CYCLE_MAX - 1);
        bool simple = below(2);
        uint64_t per_round = 0, n = 0;

        if (!below(20))
            reconfigure(p);
        if (!below(16))
            cpl = cpl ? 0 : 3;
        for (unsigned r = 0; r < lead + k; r++) {
            random_insn(&recs[r], cpl);
            recs[r].tx_abort = false;
            if (r >= lead && simple && !pmu_uarch_fixed(recs[r].cls))
                recs[r].cls = PMU_INSN_JCC;
            plains[r] = below(4);
            n += 1 + plains[r];
            per_round += r >= lead ? 1 + plains[r] : 0;
        }
        uint64_t room = pmu_block_room(p->sub, 2);
        uint64_t reps = below(8) ? below(40) : 100 + below(400);
        unsigned part = below(k);
        for (unsigned r = 0; r < part; r++)
            n += 1 + plains[lead + r];
        if (n + per_round > room) { /* no room for a round: one alone */
            retire_both(p, &recs[0]);
            continue;
        }
        if (n + reps * per_round > room)
            reps = (room - n) / per_round;
        n += reps * per_round;
        struct pmu_block b = {.n = n, .cpl = cpl, .nrec = lead + k,
                              .rec = recs, .cycle = k, .cycle_part = part,
                              .cycle_reps = reps};
        /* the reference, in program order */
        bool ref_pmi = false;
        uint64_t done_n = 0;
        for (uint64_t round = 0; round < 2 + reps; round++)
            for (unsigned r = round ? lead : 0; r < lead + k; r++) {
                if (round == 1 + reps && r >= lead + part)
                    break;
                for (unsigned i = 0; i <= plains[r]; i++) {
                    const struct pmu_insn *in = &recs[r];
                    uint64_t done = 0;
                    if (i < plains[r]) {
                        random_insn(&plain_in, cpl);
                        plain_in.cls = PMU_INSN_OTHER;
                        plain_in.tx_abort = false;
                        b.plain[plain_in.mem_read]++;
                        in = &plain_in;
                    }
                    for (unsigned a = below(3); a; a--) {
                        uint64_t gpa = 0x10000 + 64 * (uint64_t)below(1 << 16);
                        pmu_mem_access(p->sub, gpa, PMU_MEM_READ);
                        pmu_mem_access(p->ref, gpa, PMU_MEM_READ);
                    }
                    bool pmi = pmu_retire_repeat(p->ref, in, 1, &done);
                    if (pmi && ++done_n < n)
                        fail_msg("block %u: a PMI within the room", blk);
                    ref_pmi |= pmi;
                }
            }
        bool sub_pmi = pmu_retire_block(p->sub, &b);
        if (sub_pmi != ref_pmi)
            fail_msg("block %u (a cycle of %u, %llu rounds more): PMI %d "
                     "as a block, %d one at a time", blk, k,
                     (unsigned long long)reps, sub_pmi, ref_pmi);
        p->tallied += reps > 0;
        p->retired++;
        if (!below(4))
            compare_all(p);
    }
    compare_all(p);
    pmu_destroy(p->sub);
    pmu_destroy(p->ref);
}

static void test_cycles(void **state)
{
    (void)state;
    on_two_cpus(run_cycles, 50, 150, "had a cycle");
}

/* Sapphire Rapids: 8 GP, 4 fixed, PERF_METRICS. */
static void test_sapphire_rapids(void **state)
{
    (void)state;
    streams("sapphire-rapids", 8, 4);
}

/* Skymont: auto counter reload, fixed counters 4-6. */
static void test_skymont(void **state)
{
    (void)state;
    streams("lunar-lake:atom", 8, 7);
}

/*
 * A counter preset to carry on each instruction of a run of fixed-cost
 * instructions: the PMI comes back for exactly that instruction, as one
 * at a time (by hand: INST_RETIRED at -k carries on the k-th).
 */
static void test_carry_in_run(void **state)
{
    (void)state;
    for (unsigned k = 1; k <= 40; k++) {
        struct pmu *pmu = pmu_test_pmu("sapphire-rapids", NULL, 0,
                                       PMU_POLICY_NATIVE);
        struct pmu_insn in = {.cls = PMU_INSN_OTHER, .length = 2};
        uint64_t v = 0;

        assert_int_equal(pmu_wrmsr(pmu, 0x186, 0xC0 | EN | OS | INT, NULL),
                         PMU_OK);
        assert_int_equal(pmu_wrmsr(pmu, 0x4C1, 0x1000000000000ull - k,
                                   NULL), PMU_OK);
        for (unsigned i = 1; i <= 50; i++) {
            in.addr = 0x1000 + 2 * i;
            in.next = in.addr + 2;
            bool pmi = pmu_retire(pmu, &in);
            if (pmi != (i == k))
                fail_msg("preset -%u: PMI %d after instruction %u", k, pmi,
                         i);
        }
        assert_int_equal(pmu_rdmsr(pmu, 0xC1, &v, NULL), PMU_OK);
        assert_int_equal(v, 50 - k);
        assert_int_equal(pmu_rdmsr(pmu, 0x38E, &v, NULL), PMU_OK);
        assert_int_equal(v, 1);
        pmu_destroy(pmu);
    }
}

/*
 * LLC misses (docs/counting.md, "Caches"): the first load of a 4 KiB page
 * misses every level of a cold hierarchy, one LLC reference and miss (the
 * prefetcher stays within the page). LONGEST_LAT_CACHE.MISS preset to -k
 * carries on the k-th such load: one load per instruction, the k-th
 * instruction; k + 5 loads in the first instruction (a REP MOVS), the
 * first, and the counter reads 5.
 */
static void test_llc_carry(void **state)
{
    (void)state;
    for (unsigned k = 1; k <= 30; k++)
        for (unsigned rep = 0; rep < 2; rep++) {
            struct pmu *pmu = pmu_test_pmu("sapphire-rapids", NULL, 0,
                                           PMU_POLICY_NATIVE);
            struct pmu_insn in = {.cls = PMU_INSN_OTHER, .length = 2,
                                  .mem_read = true};
            uint64_t page = 0x100000, v = 0;
            unsigned n = rep ? 1 : 40, want = rep ? 1 : k;

            assert_int_equal(pmu_wrmsr(pmu, 0x186,
                                       0x412E | EN | OS | INT, NULL), PMU_OK);
            assert_int_equal(pmu_wrmsr(pmu, 0x4C1,
                                       0x1000000000000ull - k, NULL),
                             PMU_OK);
            for (unsigned i = 1; i <= n; i++) {
                for (unsigned a = rep ? k + 5 : 1; a; a--, page += 0x1000)
                    pmu_mem_access(pmu, page, PMU_MEM_READ);
                in.addr = 0x1000 + 2 * i;
                in.next = in.addr + 2;
                bool pmi = pmu_retire(pmu, &in);
                if (pmi != (i == want))
                    fail_msg("preset -%u%s: PMI %d after instruction %u", k,
                             rep ? ", one instruction" : "", pmi, i);
            }
            assert_int_equal(pmu_rdmsr(pmu, 0xC1, &v, NULL), PMU_OK);
            assert_int_equal(v, rep ? 5 : n - k);
            pmu_destroy(pmu);
        }
}

/*
 * EDGE across a tally: a counter with EDGE on INST_RETIRED rises once
 * (1); while GLOBAL_CTRL leaves it out, the condition it does not see is
 * deasserted (pmu_count.c), so when it is back it rises again (2). The
 * ten instructions between are tallied: only fixed counter 0 counts.
 */
static void test_edge_across_tally(void **state)
{
    struct pmu *pmu = pmu_test_pmu("sapphire-rapids", NULL, 0,
                                   PMU_POLICY_NATIVE);
    struct pmu_insn in = {.cls = PMU_INSN_OTHER, .length = 1};
    uint64_t v = 0;

    (void)state;
    assert_int_equal(pmu_wrmsr(pmu, 0x186, 0xC0 | EN | OS | EDGE, NULL),
                     PMU_OK);
    assert_int_equal(pmu_wrmsr(pmu, 0x38D, 0x1, NULL), PMU_OK);
    assert_int_equal(pmu_wrmsr(pmu, 0x38F, B(32) | B(0), NULL), PMU_OK);
    assert_false(pmu_retire(pmu, &in));
    assert_int_equal(pmu_wrmsr(pmu, 0x38F, B(32), NULL), PMU_OK);
    for (unsigned i = 0; i < 10; i++)
        assert_false(pmu_retire(pmu, &in));
    assert_int_equal(pmu->tally[0].n, 10);
    assert_int_equal(pmu_wrmsr(pmu, 0x38F, B(32) | B(0), NULL), PMU_OK);
    assert_false(pmu_retire(pmu, &in));
    assert_int_equal(pmu_rdmsr(pmu, 0xC1, &v, NULL), PMU_OK);
    assert_int_equal(v, 2);
    assert_int_equal(pmu_rdmsr(pmu, 0x309, &v, NULL), PMU_OK);
    assert_int_equal(v, 12);
    pmu_destroy(pmu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sapphire_rapids),
        cmocka_unit_test(test_skymont),
        cmocka_unit_test(test_carry_in_run),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_cycles),
        cmocka_unit_test(test_llc_carry),
        cmocka_unit_test(test_edge_across_tally),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
