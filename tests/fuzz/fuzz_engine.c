/* fuzz_engine.c: libFuzzer harness for the engine, which runs whatever a guest's CPL0 or CPL3 code holds: arbitrary bytes as code, arbitrary registers and callback answers, on a small machine. */
#include <stdlib.h>

#include "engine/engine.h"
#include "tests/engine/machine.h"
#include "tests/fuzz/fuzz.h"

/*
 * Input: one byte of set-up (bit 0: CPL3; bit 1: DF; bit 2: IF; bits 3-4:
 * IOPL; bit 5: CR4.PCE; bit 6: an interrupt before the run), sixteen
 * general registers, then one byte of callback answers (the caller's
 * OK, #GP or not-mine, in turn), then the code. The code page is
 * writable, so code may rewrite itself; data and stack pages lie where
 * the registers may point.
 */
#define CODE 0x400000ull
#define DATA 0x600000ull
#define USTACK 0x700000ull
#define BUDGET 5000
#define CODE_MAX 0x1000

static struct machine m;
static uint8_t *pristine;   /* the machine's used RAM after set-up */
static struct engine *e;
static uint8_t answers;
static unsigned calls;

static enum engine_answer answer(void)
{
    static const enum engine_answer a[4] = {ENGINE_OK, ENGINE_GP,
                                            ENGINE_NOT_MINE, ENGINE_OK};
    return a[(answers >> (2 * (calls++ % 4))) & 3];
}

static bool on_retire(void *ctx, const struct pmu_insn *r)
{
    (void)ctx;
    if (r->length == 0 || r->length > 15)
        abort(); /* what the engine reports is an instruction */
    return false;
}

/* Traces retire in blocks, each input with its own room (from its
 * answers byte): 1 to 7 instructions, or no limit. */
static uint64_t room;

static uint64_t on_block_room(void *ctx)
{
    (void)ctx;
    room = answers & 7 ? answers & 7 : UINT64_MAX;
    return room;
}

static bool on_retire_block(void *ctx, const struct pmu_block *b)
{
    (void)ctx;
    if (b->nrec < 1 || b->nrec > PMU_BLOCK_RECORDS || b->n > room ||
        b->n != b->plain[0] + b->plain[1] + pmu_block_records(b) ||
        (b->cycle && (b->cycle < 2 || b->cycle > PMU_BLOCK_CYCLE_MAX ||
                      b->cycle > b->nrec || b->cycle_part >= b->cycle)))
        abort(); /* a block is what pmu/pmu.h says */
    for (unsigned i = 0; i < b->nrec; i++)
        if (b->rec[i].length == 0 || b->rec[i].length > 15)
            abort();
    return false;
}

static bool on_retire_repeat(void *ctx, const struct pmu_insn *r,
                             uint64_t n, uint64_t *done)
{
    (void)ctx, (void)r;
    *done = n;
    return false;
}

static enum engine_answer on_rdmsr(void *ctx, uint32_t msr, uint64_t *v)
{
    (void)ctx;
    *v = msr * 0x9E3779B97F4A7C15ull;
    return answer();
}

static enum engine_answer on_wrmsr(void *ctx, uint32_t msr, uint64_t v,
                                   bool *stop)
{
    (void)ctx, (void)msr;
    *stop = v & 1;
    return answer();
}

static enum engine_answer on_rdpmc(void *ctx, uint32_t ecx, unsigned cpl,
                                   bool pe, bool pce, uint64_t *v)
{
    (void)ctx, (void)cpl, (void)pe, (void)pce;
    *v = ecx;
    return answer();
}

static enum engine_answer on_cpuid(void *ctx, uint32_t leaf, uint32_t sub,
                                   uint32_t r[4])
{
    (void)ctx;
    r[0] = leaf, r[1] = sub, r[2] = ~leaf, r[3] = ~sub;
    return answer() == ENGINE_GP ? ENGINE_NOT_MINE : ENGINE_OK;
}

static bool on_sys_read(void *ctx, uint32_t msr, uint64_t *v)
{
    (void)ctx;
    *v = (uint64_t)msr << 12;
    return answer() != ENGINE_NOT_MINE;
}

static bool on_sys_write(void *ctx, uint32_t msr, uint64_t v)
{
    (void)ctx, (void)msr, (void)v;
    return answer() != ENGINE_NOT_MINE;
}

static enum engine_answer on_io(void *ctx, uint16_t port, unsigned size,
                                bool in, uint32_t *val, bool *stop)
{
    (void)ctx;
    if (size != 1 && size != 2 && size != 4)
        abort(); /* a port access is 1, 2 or 4 bytes */
    if (in)
        *val = port;
    *stop = port == 0xF4;
    return answer();
}

/* The machine and the engine once; each input starts from a copy of the
 * machine's RAM as set up (the code may write anything it can reach). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const struct engine_ops ops = {
        .retire = on_retire, .retire_repeat = on_retire_repeat,
        .block_room = on_block_room, .retire_block = on_retire_block,
        .rdmsr = on_rdmsr, .wrmsr = on_wrmsr, .rdpmc = on_rdpmc,
        .cpuid = on_cpuid, .sys_msr_read = on_sys_read,
        .sys_msr_write = on_sys_write, .io = on_io,
    };
    (void)argc, (void)argv;
    machine_init(&m, 4 << 20);
    machine_map(&m, CODE, 0x2000, MAP_U | MAP_W);
    machine_map(&m, DATA, 0x2000, MAP_U | MAP_W | MAP_NX);
    machine_map(&m, USTACK - 0x2000, 0x2000, MAP_U | MAP_W | MAP_NX);
    pristine = malloc(m.next_phys);
    e = engine_create(m.ram, m.ram_size, &ops);
    if (!pristine || !e)
        abort();
    memcpy(pristine, m.ram, m.next_phys);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    uint8_t setup = fuzz_u8(&in);
    struct engine_state st;

    memcpy(m.ram, pristine, m.next_phys);
    engine_flush(e);
    machine_state(&m, &st, setup & 1 ? 3 : 0, CODE,
                  setup & 1 ? USTACK : MACHINE_KSTACK_TOP);
    for (unsigned i = 0; i < ENGINE_NR_GPRS; i++)
        if (i != ENGINE_RSP)
            st.gpr[i] = fuzz_u64(&in);
    st.rflags = 0x2 | (setup & 2 ? 0x400 : 0) | (setup & 4 ? 0x200 : 0) |
                ((uint64_t)(setup >> 3) & 3) << 12;
    if (setup & 0x20)
        st.cr4 |= 0x100;
    if (setup & 0x80) { /* the guest's own TF and breakpoints */
        uint64_t bits = fuzz_u64(&in);
        st.rflags |= (bits & 1) << 8;
        st.dr7 = bits & 0xFFFF03FFull;
        for (unsigned i = 0; i < 4; i++)
            st.dr[i] = (i & 1 ? CODE : st.gpr[i]) + fuzz_u8(&in);
    }
    answers = fuzz_u8(&in);
    calls = 0;
    size_t n = in.left < CODE_MAX ? in.left : CODE_MAX;
    memcpy(machine_ptr(&m, CODE), in.p, n);

    struct engine_exit x;
    if (setup & 0x40)
        engine_interrupt(e, &st, 0x20 + (answers & 0x1F));
    engine_run(e, &st, BUDGET, &x);
    return 0;
}
