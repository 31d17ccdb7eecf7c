/* engine_core.c: the counting engine's own speed, with the PMU model counting, against the same loop on the host CPU in the same run; needs no KVM. */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/stats.h"
#include "engine/engine.h"
#include "pmu/pmu.h"
#include "tests/engine/machine.h"

/*
 * usage: bench/engine_core [CONFIG_DIR]
 *
 * pmvm's engine figures (engine_insn_per_s) include KVM and the guest's
 * way in and out; this is the engine and the PMU model alone (traces
 * retired in blocks through pmu_block_room() and pmu_retire_block(), as
 * the VMM has them), on tests/engine's small machine at CPL3, so it can be
 * measured and profiled (perf record, callgrind) anywhere. Ratios are
 * taken within each of ROUNDS rounds and their median reported
 * (docs/performance.md).
 */

#define ROUNDS 7
#define ITERS 2000000u              /* 19 instructions per two */
/* The host runs the loop about a hundred times faster: 64 times the
 * iterations, so that its time (about 60 ms) is not a millisecond that a
 * timer interrupt or a neighbour's burst can move by a tenth. */
#define NATIVE_ITERS (ITERS * 64ull)
#define CODE 0x400000ull
#define DATA 0x600000ull
#define STACK_TOP 0x700000ull

uint64_t bench_loop(uint64_t iters, uint64_t *buf);
extern const uint8_t bench_loop_end[];

static struct pmu *pmu;

static bool on_retire(void *ctx, const struct pmu_insn *r)
{
    (void)ctx;
    return pmu_retire(pmu, r);
}

static uint64_t on_block_room(void *ctx)
{
    (void)ctx;
    return pmu_block_room(pmu, ENGINE_BLOCK_MAX_ACCESSES);
}

static bool on_retire_block(void *ctx, const struct pmu_block *b)
{
    (void)ctx;
    return pmu_retire_block(pmu, b);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_RAW, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* sapphire-rapids, fixed counter 0 and a GP counter on branches. */
static void pmu_setup(const char *dir)
{
    char path[512], e[512];
    struct pmu_model host, guest;
    snprintf(path, sizeof(path), "%s/sapphire-rapids.ini", dir);
    if (pmu_model_load(&host, path, NULL, 0, e, sizeof(e)) ||
        pmu_policy_apply(&host, PMU_POLICY_NATIVE, &guest, e, sizeof(e)))
        errx(1, "%s", e);
    pmu = pmu_create(&guest);
    if (!pmu || pmu_wrmsr(pmu, 0x38D, 0x3, NULL) ||
        pmu_wrmsr(pmu, 0x186, 0x4300C4, NULL) ||
        pmu_wrmsr(pmu, 0x38F, 1ull << 32 | 1, NULL))
        errx(1, "cannot set up the PMU model");
}

static double engine_rate(struct machine *m, struct engine *eng)
{
    struct engine_state st;
    struct engine_exit x;
    uint64_t retired = 0;

    machine_state(m, &st, 3, CODE, STACK_TOP - 8);
    /* ret lands on a UD2: the engine delivers #UD and stops at HLT. */
    *(uint64_t *)(void *)machine_ptr(m, STACK_TOP - 8) = CODE + 0x800;
    st.gpr[ENGINE_RDI] = ITERS;
    st.gpr[ENGINE_RSI] = DATA;
    double t0 = now();
    do {
        engine_run(eng, &st, 1000000, &x);
        retired += x.retired;
    } while (x.stop == ENGINE_STOP_BUDGET);
    double t = now() - t0;
    if (machine_vector_at(st.rip) != 6 || retired != ITERS / 2 * 19 + 6)
        errx(1, "the engine stopped at 0x%llx after %llu instructions",
             (unsigned long long)st.rip, (unsigned long long)retired);
    return (double)retired / t;
}

static double native_rate(void)
{
    static uint64_t buf[2];
    double t0 = now();
    bench_loop(NATIVE_ITERS, buf);
    return (double)(NATIVE_ITERS / 2 * 19 + 6) / (now() - t0);
}

int main(int argc, char **argv)
{
    pmu_setup(argc > 1 ? argv[1] : "configs");
    struct machine m;
    machine_init(&m, 32 << 20);
    machine_map(&m, CODE, 0x1000, MAP_U);
    machine_map(&m, DATA, 0x1000, MAP_U | MAP_W);
    machine_map(&m, STACK_TOP - 0x1000, 0x1000, MAP_U | MAP_W);
    size_t len = (size_t)(bench_loop_end - (const uint8_t *)bench_loop);
    memcpy(machine_ptr(&m, CODE), (const void *)bench_loop, len);
    memcpy(machine_ptr(&m, CODE + 0x800), "\x0f\x0b", 2);
    const struct engine_ops ops = {.retire = on_retire,
                                   .block_room = on_block_room,
                                   .retire_block = on_retire_block};
    struct engine *eng = engine_create(m.ram, m.ram_size, &ops);
    if (!eng)
        errx(1, "engine_create");

    struct samples er = {0}, nr = {0}, ratio = {0};
    for (int i = 0; i < ROUNDS; i++) {
        double e = engine_rate(&m, eng), n = native_rate();
        samples_add(&er, e);
        samples_add(&nr, n);
        samples_add(&ratio, n / e);
    }
    printf("BENCH engine_core_insn_per_s %.0f insn/s\n", samples_median(&er));
    printf("BENCH native_insn_per_s %.0f insn/s\n", samples_median(&nr));
    printf("BENCH native_vs_engine_core %.1f x\n", samples_median(&ratio));
    engine_destroy(eng);
    machine_free(&m);
    pmu_destroy(pmu);
    return 0;
}
