/* test_trace.c: traces and block retirement against the engine without them: the same guest code, budgets and counter presets, and the same states, stops and PMU counts to the instruction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "pmu/pmu.h"
#include "tests/engine/machine.h"
#include "tests/unit/pmu_test.h"

/*
 * Two sides run the same program from the same state, each on its own
 * machine and PMU (sapphire-rapids): the reference with no traces
 * (engine_ops.no_traces), every instruction retired through pmu_retire();
 * the subject with traces, retired in blocks as pmu_block_room() allows
 * (pmu_retire_block()). Both get the cache model's accesses. Each program
 * runs under budgets that stop it after every instruction count (where
 * the VMM's timer would interrupt it), and with counters preset to
 * overflow, with a PMI, at each instruction: every stop (why, RIP, how
 * many retired), the registers, the data page and every PMU register must
 * be equal. The programs cover what traces can break: self-modifying code
 * within a trace and across two, a fault in a trace's middle, a REP
 * string instruction between two traces, stopped by a fault at each of
 * its iterations, and branches. Code whose mapping changes under it is
 * test_engine.c's test_remap_under_code and test_machine64.c's
 * test_remap_then_cr3, which run with traces too. Counts of
 * the loop are checked against a hand count too.
 */

#define CODE 0x400000ull
#define DATA 0x600000ull
#define RO 0x601000ull
#define CODE2 0x401000ull /* a second code page, written as data first */
#define USTACK 0x700000ull

#define B(n) (1ull << (n))
#define USR B(16)
#define INT B(20)
#define EN B(22)

struct side {
    struct machine m;
    struct engine *e;
    struct pmu *pmu;
    struct engine_state st;
    uint64_t blocks, block_insns; /* blocks of more than one instruction */
    unsigned most_recs;           /* the most records one block had */
    uint32_t most_times;          /* the most times one record stood for */
    unsigned cycle;               /* the longest cycle a block had */
    uint64_t most_reps;           /* the most rounds of one again */
    uint64_t block_calls;         /* retire_block's */
    uint64_t retires;             /* retire's */
    uint64_t plain;               /* retired_plain's, summed */
};

static struct side ref, sub;
/* true: nothing counts, and the subject wants no record of what traces
 * retire (engine_ops.retire_wanted) */
static bool plain_sub;

/* The reference's model hears of nothing while nothing counts, as the
 * VMM's does not. */
static bool ref_retire(void *ctx, const struct pmu_insn *r)
{
    struct side *s = ctx;
    s->retires++;
    return !plain_sub && pmu_retire(s->pmu, r);
}

static void sub_plain(void *ctx, uint64_t n)
{
    ((struct side *)ctx)->plain += n;
}

static uint64_t sub_room(void *ctx)
{
    return pmu_block_room(((struct side *)ctx)->pmu,
                          ENGINE_BLOCK_MAX_ACCESSES);
}

static bool sub_block(void *ctx, const struct pmu_block *b)
{
    struct side *s = ctx;
    s->block_calls++;
    assert_int_equal(b->n, b->plain[0] + b->plain[1] + pmu_block_records(b));
    assert_true(b->nrec >= 1 && b->nrec <= PMU_BLOCK_RECORDS);
    if (b->n > 1) {
        s->blocks++;
        s->block_insns += b->n;
    }
    if (b->nrec > s->most_recs)
        s->most_recs = b->nrec;
    for (unsigned r = 0; b->times && r < b->nrec; r++)
        if (b->times[r] > s->most_times)
            s->most_times = b->times[r];
    assert_true(b->cycle == 0 ||
                (b->cycle >= 2 && b->cycle <= PMU_BLOCK_CYCLE_MAX &&
                 b->cycle <= b->nrec && b->cycle_part < b->cycle));
    if (b->cycle > s->cycle)
        s->cycle = b->cycle;
    if (b->cycle_reps > s->most_reps)
        s->most_reps = b->cycle_reps;
    return pmu_retire_block(s->pmu, b);
}

static void on_mem(void *ctx, uint64_t gpa, enum engine_mem kind)
{
    pmu_mem_access(((struct side *)ctx)->pmu, gpa,
                   kind == ENGINE_MEM_READ ? PMU_MEM_READ
                   : kind == ENGINE_MEM_WRITE ? PMU_MEM_WRITE
                                              : PMU_MEM_FLUSH);
}


static bool no_records(void *ctx, unsigned cpl)
{
    (void)ctx;
    (void)cpl;
    return false;
}

static void side_init(struct side *s, bool traces)
{
    const struct engine_ops ops = {
        .ctx = s, .retire = ref_retire, .mem_access = on_mem,
        .block_room = traces ? sub_room : NULL,
        .retire_block = traces ? sub_block : NULL,
        .retire_wanted = traces && plain_sub ? no_records : NULL,
        .retired_plain = traces && plain_sub ? sub_plain : NULL,
        .no_traces = !traces,
    };
    memset(s, 0, sizeof(*s));
    machine_init(&s->m, 4 << 20);
    machine_map(&s->m, CODE, 0x1000, MAP_U | MAP_W);
    machine_map(&s->m, CODE2, 0x1000, MAP_U | MAP_W);
    machine_map(&s->m, DATA, 0x1000, MAP_U | MAP_W | MAP_NX);
    machine_map(&s->m, RO, 0x1000, MAP_U | MAP_NX);
    machine_map(&s->m, USTACK - 0x1000, 0x1000, MAP_U | MAP_W | MAP_NX);
    s->e = engine_create(s->m.ram, s->m.ram_size, &ops);
    assert_non_null(s->e);
    s->pmu = pmu_test_pmu("sapphire-rapids", NULL, 0, PMU_POLICY_NATIVE);
}

static void side_free(struct side *s)
{
    engine_destroy(s->e);
    pmu_destroy(s->pmu);
    machine_free(&s->m);
}

static void both_wrmsr(uint32_t msr, uint64_t v)
{
    assert_int_equal(pmu_wrmsr(ref.pmu, msr, v, NULL), 0);
    assert_int_equal(pmu_wrmsr(sub.pmu, msr, v, NULL), 0);
}

/* Counters, controls, status: equal on both sides. */
static void compare_pmu(void)
{
    static const uint32_t msrs[] = {
        0xC1, 0xC2, 0xC3, 0xC4, 0x309, 0x30A, 0x30B, 0x30C,
        0x329, 0x38D, 0x38E, 0x38F, 0x186, 0x187, 0x188, 0x189,
    };
    for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
        uint64_t a = 0, b = 0;
        assert_int_equal(pmu_rdmsr(ref.pmu, msrs[i], &a, NULL),
                         pmu_rdmsr(sub.pmu, msrs[i], &b, NULL));
        if (a != b)
            fail_msg("MSR 0x%x: 0x%llx without traces, 0x%llx with",
                     msrs[i], (unsigned long long)a, (unsigned long long)b);
    }
    assert_int_equal(pmu_core_cycles(ref.pmu), pmu_core_cycles(sub.pmu));
}

static void compare_state(void)
{
    assert_memory_equal(ref.st.gpr, sub.st.gpr, sizeof(ref.st.gpr));
    assert_int_equal(ref.st.rip, sub.st.rip);
    assert_int_equal(ref.st.rflags, sub.st.rflags);
    assert_int_equal(ref.st.cr2, sub.st.cr2);
    assert_memory_equal(machine_ptr(&ref.m, DATA), machine_ptr(&sub.m, DATA),
                        0x1000);
    assert_memory_equal(machine_ptr(&ref.m, USTACK - 0x1000),
                        machine_ptr(&sub.m, USTACK - 0x1000), 0x1000);
}

/*
 * Fixed counters 0 (instructions) and 1 (core cycles), PMC0 on branches,
 * PMC1 on LLC references and PMC2 on instructions, all at CPL3 with a
 * PMI; fixed 0 overflows after (k) instructions, PMC0 after (k / 3)
 * branches and PMC2 after (k + 1) instructions; k = 0: none is preset.
 */
static bool llc_preset = true; /* false: PMC1 counts from 0 */

static void program_pmu(unsigned k)
{
    both_wrmsr(0x38F, 0);
    both_wrmsr(0x186, USR | INT | EN | 0x00C4);
    both_wrmsr(0x187, USR | INT | EN | 0x4F2E);
    both_wrmsr(0x188, USR | INT | EN | 0x00C0);
    if (k) {
        both_wrmsr(0x309, (1ull << 48) - k);
        both_wrmsr(0xC1, (uint32_t)-(int32_t)(k / 3 + 1));
        if (llc_preset)
            both_wrmsr(0xC2, (uint32_t)-(int32_t)(k % 5 + 1));
        both_wrmsr(0xC3, (uint32_t)-(int32_t)(k + 1));
    }
    both_wrmsr(0x38D, 0x2A); /* fixed 0: USR + PMI; fixed 1: USR */
    both_wrmsr(0x38F, 0x3ull << 32 | 0x7);
}

/* Loads (code) on both sides and runs it in slices of (budget) until it
 * stops at an exception handler; every stop is compared. Returns the
 * handler's vector. */
static int run_both(const char *code, size_t len, uint64_t budget,
                    unsigned preset)
{
    side_init(&ref, false);
    side_init(&sub, true);
    struct side *sides[2] = {&ref, &sub};
    for (int i = 0; i < 2; i++) {
        memcpy(machine_ptr(&sides[i]->m, CODE), code, len);
        for (unsigned j = 0; j < 0x1000; j++)
            machine_ptr(&sides[i]->m, DATA)[j] = (uint8_t)(j * 7 + 1);
        machine_state(&sides[i]->m, &sides[i]->st, 3, CODE, USTACK);
        engine_flush(sides[i]->e);
    }
    if (!plain_sub)
        program_pmu(preset);
    for (unsigned runs = 0;; runs++) {
        struct engine_exit xr, xs;
        assert_true(runs < 100000);
        engine_run(ref.e, &ref.st, budget, &xr);
        engine_run(sub.e, &sub.st, budget, &xs);
        assert_int_equal(xr.stop, xs.stop);
        assert_int_equal(xr.retired, xs.retired);
        compare_state();
        compare_pmu();
        if (plain_sub) { /* traces only counted: not one block */
            assert_int_equal(sub.block_calls, 0);
            assert_int_equal(sub.retires + sub.plain, ref.retires);
        }
        if (xr.stop == ENGINE_STOP_HANDBACK)
            return machine_vector_at(ref.st.rip);
        assert_true(xr.stop == ENGINE_STOP_BUDGET ||
                    xr.stop == ENGINE_STOP_RETIRE);
    }
}

static void done(void)
{
    side_free(&ref);
    side_free(&sub);
}

/* Each budget up to (most), then a large one; each preset up to (most). */
static void sweep(const char *code, size_t len, int vec, unsigned most)
{
    for (unsigned b = 1; b <= most; b++) {
        assert_int_equal(run_both(code, len, b, 0), vec);
        done();
    }
    for (unsigned k = 1; k <= most; k++) {
        assert_int_equal(run_both(code, len, 1000000, k), vec);
        done();
    }
}

#define SWEEP(code, vec, most) sweep(code, sizeof(code) - 1, vec, most)

/* A loop of ALU, a load, a store, PUSH/POP and two branches (bench's). */
static const char loop_prog[] =
    "\x48\xc7\xc6\x00\x00\x60\x00" /* mov $0x600000, %rsi */
    "\xb9\x3c\x00\x00\x00"         /* mov $60, %ecx */
    "\x48\x8b\x06"                 /* 1: mov (%rsi), %rax */
    "\x48\x01\xc2"                 /* add %rax, %rdx */
    "\x49\x31\xd0"                 /* xor %rdx, %r8 */
    "\x4c\x89\x46\x08"             /* mov %r8, 8(%rsi) */
    "\x49\xff\xc1"                 /* inc %r9 */
    "\x41\xf6\xc1\x01"             /* test $1, %r9b */
    "\x74\x07"                     /* jz 2f */
    "\x48\x83\xc2\x03"             /* add $3, %rdx */
    "\x52"                         /* push %rdx */
    "\x41\x5a"                     /* pop %r10 */
    "\x48\xff\xc9"                 /* 2: dec %rcx */
    "\x75\xde"                     /* jnz 1b */
    "\x0f\x0b";                    /* ud2 */

static void test_loop_counts(void **state)
{
    uint64_t a, b;

    (void)state;
    /* Hand count: 2 + 30 odd passes of 12 and 30 even ones of 9; two
     * branches a pass. */
    assert_int_equal(run_both(loop_prog, sizeof(loop_prog) - 1, 1000000, 0),
                     6);
    assert_int_equal(pmu_rdmsr(sub.pmu, 0x309, &a, NULL), 0);
    assert_int_equal(a, 632);
    assert_int_equal(pmu_rdmsr(sub.pmu, 0xC1, &b, NULL), 0);
    assert_int_equal(b, 120);
    /* and blocks did run it, as a cycle: two passes are four records
     * (an odd pass's [add .. jnz], then [mov .. jz] taken, [dec, jnz],
     * [mov .. jz] not taken), 120 in all, the first that of the trace
     * from the program's start. The other 119 are 29 rounds and three,
     * the last a JNZ that leaves the loop: a cycle of 4 found at the
     * second round, then 28 rounds more, then two of the next */
    assert_true(sub.block_insns >= 500);
    assert_int_equal(sub.cycle, 4);
    assert_int_equal(sub.most_reps, 28);
    done();
}

static void test_loop_sweep(void **state)
{
    (void)state;
    SWEEP(loop_prog, 6, 40);
}

/* A loop that is one trace: its runs after the first are one record,
 * which stands for each time round. */
static const char self_loop[] =
    "\xb9\x32\x00\x00\x00"         /* mov $50, %ecx */
    "\x48\x83\xc0\x03"             /* 1: add $3, %rax */
    "\x48\xff\xc9"                 /* dec %rcx */
    "\x75\xf7"                     /* jnz 1b */
    "\x0f\x0b";                    /* ud2 */

static void test_self_loop(void **state)
{
    uint64_t a, b;

    (void)state;
    /* Hand count: 1 + 50 passes of 3; a branch a pass. */
    assert_int_equal(run_both(self_loop, sizeof(self_loop) - 1, 1000000, 0),
                     6);
    assert_int_equal(sub.st.gpr[ENGINE_RAX], 150);
    assert_int_equal(pmu_rdmsr(sub.pmu, 0x309, &a, NULL), 0);
    assert_int_equal(a, 151);
    assert_int_equal(pmu_rdmsr(sub.pmu, 0xC1, &b, NULL), 0);
    assert_int_equal(b, 50);
    /* the first pass comes from the trace before the loop's: 48 more */
    assert_int_equal(sub.most_times, 48);
    done();
    SWEEP(self_loop, 6, 40);
}

/* The loop that is one trace with only the instruction and branch
 * counters preset (the LLC counter's room, which the block room divides
 * by the accesses one instruction may make, would hold every block to
 * two instructions): each preset up to the loop's 151 instructions
 * stops the rounds a loop runs at once (run_rounds()) at the room. */
static void test_self_loop_rooms(void **state)
{
    (void)state;
    llc_preset = false;
    for (unsigned k = 1; k <= 160; k++) {
        assert_int_equal(run_both(self_loop, sizeof(self_loop) - 1,
                                  1000000, k), 6);
        done();
    }
    llc_preset = true;
}

/* A loop of three traces with a CALL and a RET: a cycle whose records
 * the predictor's return stack takes, so the model retires it a round at
 * a time. */
static const char call_loop[] =
    "\xb9\x32\x00\x00\x00"         /* mov $50, %ecx */
    "\xe8\x08\x00\x00\x00"         /* 1: call f */
    "\x48\xff\xc9"                 /* dec %rcx */
    "\x75\xf6"                     /* jnz 1b */
    "\x0f\x0b"                     /* ud2 */
    "\x90"                         /* nop */
    "\x48\x83\xc0\x01"             /* f: add $1, %rax */
    "\xc3";                        /* ret */

static void test_call_loop(void **state)
{
    uint64_t a, b;

    (void)state;
    /* Hand count: 1 + 50 passes of 5; three branches a pass. */
    assert_int_equal(run_both(call_loop, sizeof(call_loop) - 1, 1000000, 0),
                     6);
    assert_int_equal(sub.st.gpr[ENGINE_RAX], 50);
    assert_int_equal(pmu_rdmsr(sub.pmu, 0x309, &a, NULL), 0);
    assert_int_equal(a, 251);
    assert_int_equal(pmu_rdmsr(sub.pmu, 0xC1, &b, NULL), 0);
    assert_int_equal(b, 150);
    /* 150 records, the first the CALL of the program's first trace; the
     * other 149 are [ret, jnz, call] 49 times and a RET and the JNZ that
     * leaves: a cycle of 3, found at its second round, and 48 more */
    assert_int_equal(sub.cycle, 3);
    assert_int_equal(sub.most_reps, 48);
    done();
    SWEEP(call_loop, 6, 40);
}

/* A loop of ten traces, more than a cycle holds: its blocks fill with
 * records. */
static const char long_loop[] =
    "\xb9\x1e\x00\x00\x00"         /* mov $30, %ecx */
    "\xeb\x00\xeb\x00\xeb\x00"     /* 1: jmp .+2, nine times */
    "\xeb\x00\xeb\x00\xeb\x00"
    "\xeb\x00\xeb\x00\xeb\x00"
    "\x48\xff\xc9"                 /* dec %rcx */
    "\x75\xe9"                     /* jnz 1b */
    "\x0f\x0b";                    /* ud2 */

static void test_long_loop(void **state)
{
    uint64_t a, b;

    (void)state;
    /* Hand count: 1 + 30 passes of 11; ten branches a pass. */
    assert_int_equal(run_both(long_loop, sizeof(long_loop) - 1, 1000000, 0),
                     6);
    assert_int_equal(pmu_rdmsr(sub.pmu, 0x309, &a, NULL), 0);
    assert_int_equal(a, 331);
    assert_int_equal(pmu_rdmsr(sub.pmu, 0xC1, &b, NULL), 0);
    assert_int_equal(b, 300);
    assert_int_equal(sub.cycle, 0);
    assert_int_equal(sub.most_recs, PMU_BLOCK_RECORDS);
    done();
    SWEEP(long_loop, 6, 40);
}

/* A store into the next instruction of its own trace: ADD's imm8 becomes
 * 5, so RAX = 5 + 1. */
static const char smc_in[] =
    "\x48\x8d\x1d\x04\x00\x00\x00" /* lea 1f(%rip), %rbx */
    "\xc6\x43\x03\x05"             /* movb $5, 3(%rbx) */
    "\x48\x83\xc0\x01"             /* 1: add $1, %rax */
    "\x48\xff\xc0"                 /* inc %rax */
    "\x0f\x0b";                    /* ud2 */

static void test_smc_in_trace(void **state)
{
    (void)state;
    assert_int_equal(run_both(smc_in, sizeof(smc_in) - 1, 1000000, 0), 6);
    assert_int_equal(sub.st.gpr[ENGINE_RAX], 6);
    done();
    SWEEP(smc_in, 6, 8);
}

/* A function run once, its ADD's imm8 then made 7, run again: RAX =
 * 1 + 7. */
static const char smc_across[] =
    "\x31\xc0"                     /* xor %eax, %eax */
    "\xe8\x0e\x00\x00\x00"         /* call 3f */
    "\xc6\x05\x0a\x00\x00\x00\x07" /* movb $7, 3f+3(%rip) */
    "\xe8\x02\x00\x00\x00"         /* call 3f */
    "\x0f\x0b"                     /* ud2 */
    "\x48\x83\xc0\x01"             /* 3: add $1, %rax */
    "\xc3";                        /* ret */

static void test_smc_across_traces(void **state)
{
    (void)state;
    assert_int_equal(run_both(smc_across, sizeof(smc_across) - 1, 1000000,
                              0), 6);
    assert_int_equal(sub.st.gpr[ENGINE_RAX], 8);
    done();
    SWEEP(smc_across, 6, 10);
}

/* A page written as data (its translation now lets stores through
 * unchecked), then run as code, then written again: the second write
 * must drop what was decoded from it. ADD $1 run, made ADD $7, run
 * again: RAX = 1 + 7. */
static const char smc_data_first[] =
    "\x31\xc0"                     /* xor %eax, %eax */
    "\x48\xc7\xc3\x00\x10\x40\x00" /* mov $CODE2, %rbx */
    "\xc7\x03\x48\x83\xc0\x01"     /* movl $<add $1, %rax>, (%rbx) */
    "\xc6\x43\x04\xc3"             /* movb $<ret>, 4(%rbx) */
    "\xff\xd3"                     /* call *%rbx */
    "\xc6\x43\x03\x07"             /* movb $7, 3(%rbx) */
    "\xff\xd3"                     /* call *%rbx */
    "\x0f\x0b";                    /* ud2 */

static void test_smc_data_first(void **state)
{
    (void)state;
    assert_int_equal(run_both(smc_data_first, sizeof(smc_data_first) - 1,
                              1000000, 0), 6);
    assert_int_equal(sub.st.gpr[ENGINE_RAX], 8);
    assert_int_equal(ref.st.gpr[ENGINE_RAX], 8);
    done();
    SWEEP(smc_data_first, 6, 11);
}

/* A #PF at the third instruction of a trace: two retired before it. */
static const char fault_mid[] =
    "\x48\xff\xc0"                     /* inc %rax */
    "\x48\xff\xc0"                     /* inc %rax */
    "\x48\x89\x04\x25\x00\x10\x60\x00" /* mov %rax, 0x601000 */
    "\x48\xff\xc0"                     /* inc %rax */
    "\x0f\x0b";                        /* ud2 */

static void test_fault_mid_trace(void **state)
{
    uint64_t a;

    (void)state;
    assert_int_equal(run_both(fault_mid, sizeof(fault_mid) - 1, 1000000, 0),
                     14);
    assert_int_equal(sub.st.gpr[ENGINE_RAX], 2);
    assert_int_equal(sub.st.cr2, RO);
    assert_int_equal(pmu_rdmsr(sub.pmu, 0x309, &a, NULL), 0);
    assert_int_equal(a, 2);
    done();
    SWEEP(fault_mid, 14, 6);
}

/* REP STOSB of 40 bytes between two traces, stopped by each budget. */
static const char rep_prog[] =
    "\xb9\x28\x00\x00\x00" /* mov $40, %ecx */
    "\xbf\x00\x01\x60\x00" /* mov $0x600100, %edi */
    "\xb0\xab"             /* mov $0xab, %al */
    "\x48\xff\xc2"         /* inc %rdx */
    "\xf3\xaa"             /* rep stosb */
    "\x48\xff\xc2"         /* inc %rdx */
    "\x0f\x0b";            /* ud2 */

static void test_rep_between_traces(void **state)
{
    (void)state;
    assert_int_equal(run_both(rep_prog, sizeof(rep_prog) - 1, 1000000, 0), 6);
    assert_int_equal(sub.st.gpr[ENGINE_RDX], 2);
    for (unsigned i = 0; i < 40; i++)
        assert_int_equal(machine_ptr(&sub.m, DATA + 0x100)[i], 0xab);
    done();
    SWEEP(rep_prog, 6, 12);
}

/*
 * The REP STOSB stopped at each of its iterations: its destination runs
 * into the read-only page after k bytes, a #PF at iteration k with k
 * bytes stored (k = 40: none), with and without counters preset to carry
 * around it.
 */
static void test_rep_fault_each_iteration(void **state)
{
    (void)state;
    for (unsigned k = 0; k <= 40; k++) {
        char code[sizeof(rep_prog)];
        uint32_t rdi = (uint32_t)(RO - k);
        memcpy(code, rep_prog, sizeof(code));
        memcpy(code + 6, &rdi, 4); /* mov $RO-k, %edi */
        for (unsigned preset = 0; preset <= 6; preset += 3) {
            int vec = run_both(code, sizeof(code) - 1, 1000000, preset);
            assert_int_equal(vec, k < 40 ? 14 : 6);
            assert_int_equal(sub.st.gpr[ENGINE_RCX], 40 - k);
            done();
        }
    }
}

/*
 * While nothing counts and the caller wants no records (the VMM's bridge
 * and engine CPU outside counting), traces are only counted: the same
 * stops, states and retired counts as the reference at every budget, not
 * one block, and every instruction told once, through retire or by
 * retired_plain's count, by the end of each run. Each program is run
 * until its handler, under every budget up to 40 and a large one.
 */
static void test_plain(void **state)
{
    static const struct {
        const char *code;
        size_t len;
        int vec;
    } progs[] = {
#define PROG(c, v) {c, sizeof(c) - 1, v}
        PROG(loop_prog, 6), PROG(self_loop, 6), PROG(call_loop, 6),
        PROG(long_loop, 6), PROG(smc_in, 6), PROG(smc_across, 6),
        PROG(smc_data_first, 6), PROG(fault_mid, 14), PROG(rep_prog, 6),
#undef PROG
    };
    (void)state;
    plain_sub = true;
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
        for (unsigned b = 1; b <= 41; b++) {
            uint64_t budget = b == 41 ? 1000000 : b;
            assert_int_equal(run_both(progs[i].code, progs[i].len, budget, 0),
                             progs[i].vec);
            done();
        }
    }
    plain_sub = false;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loop_counts),
        cmocka_unit_test(test_loop_sweep),
        cmocka_unit_test(test_self_loop),
        cmocka_unit_test(test_self_loop_rooms),
        cmocka_unit_test(test_call_loop),
        cmocka_unit_test(test_long_loop),
        cmocka_unit_test(test_smc_in_trace),
        cmocka_unit_test(test_smc_across_traces),
        cmocka_unit_test(test_smc_data_first),
        cmocka_unit_test(test_fault_mid_trace),
        cmocka_unit_test(test_rep_between_traces),
        cmocka_unit_test(test_rep_fault_each_iteration),
        cmocka_unit_test(test_plain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
