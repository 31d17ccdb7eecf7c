/* bench.c: `make bench`: pmvm against the raw-KVM floor and against QEMU, as ratios taken in one run; BENCH lines. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/spawn.h"
#include "bench/stats.h"

/*
 * usage: bench/bench [BUILD_DIR]   (from the repository root)
 *
 * Every figure is a median over repeated measurements, and every ratio is
 * taken between measurements interleaved in this one run: the machines are
 * shared and noisy, so an absolute time drifts from run to run
 * (docs/performance.md says what each figure measures and why).
 */

#define LOOP_ROUNDS 6   /* processes per guest loop, interleaved */
#define BOOT_RUNS 15    /* pmvm boots of hello.elf (at least 10) */
#define QEMU_RUNS 10
#define SWEEP_RUNS 3

static const char *build = "build";
static FILE *txt;
static double tsc_hz;

/* One BENCH line, on stdout and in BUILD/bench.txt. */
static void figure(const char *name, double value, const char *unit,
                   int decimals)
{
    printf("BENCH %s %.*f %s\n", name, decimals, value, unit);
    fprintf(txt, "BENCH %s %.*f %s\n", name, decimals, value, unit);
    fflush(stdout);
}

/* A figure this run could not take: never a number, always the reason
 * (a host that cannot do it, or a run that failed). */
static unsigned nskipped;
static void figure_skipped(const char *name, const char *why)
{
    printf("BENCH %s skipped: %s\n", name, why);
    fprintf(txt, "BENCH %s skipped: %s\n", name, why);
    fflush(stdout);
    nskipped++;
}

/* BUILD/rel: what `make bench` built. */
static char *path(const char *rel)
{
    char *s;
    if (asprintf(&s, "%s/%s", build, rel) < 0)
        err(71, "asprintf");
    return s;
}

/* Run a command that must end with status want. On anything else a
 * figure from it would be a lie: false, with *why (allocated) naming the
 * command, its status and the first line it printed on stderr, for the
 * figures it was to give, which are skipped. */
static bool run_ok(const char *const argv[], int want, struct spawn_result *r,
                   char **why)
{
    spawn(argv, r);
    if (r->status == want)
        return true;
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1
                                             : argv[0];
    size_t len = strcspn(r->err, "\n");
    if (asprintf(why, "%s%s%s: status %d (want %d)%s%.*s", name,
                 argv[1] ? " " : "", argv[1] ? argv[1] : "", r->status,
                 want, len ? ": " : "", (int)len, r->err) < 0)
        err(71, "asprintf");
    return false;
}

/* ---- guest loops: figures 1-3 ---- */

enum loop_kind {
    PER_OP,     /* microseconds per operation: (loop - base) / ops */
    RATE,       /* instructions per second: ops / loop */
};

struct loop_bench {
    const char *name;
    enum loop_kind kind;
    const char *argv[6];
    bool check_count;   /* "insns" must count the stream (pmvm counting) */
    struct samples s;           /* every round of every process */
    double round_median[LOOP_ROUNDS];   /* one process's median */
    char *skip_why;     /* a run failed: its figures are skipped */
};

/* The loop's runs failed as (fmt) says: false, for the caller. */
__attribute__((format(printf, 2, 3)))
static bool loop_fail(struct loop_bench *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&b->skip_why, fmt, ap) < 0)
        err(71, "vasprintf");
    va_end(ap);
    return false;
}

/* The guest prints "KEY 0123456789abcdef" lines (bench/guests/boot.S). */
static bool line_value(const char *line, const char *key, uint64_t *v)
{
    size_t k = strlen(key);
    if (strncmp(line, key, k) != 0 || line[k] != ' ')
        return false;
    *v = strtoull(line + k + 1, NULL, 16);
    return true;
}

/* The rounds of one process's output into (mine); false (and b's
 * skip_why) if the output is not what the guest must print. */
static bool loop_parse(struct loop_bench *b, char *out, struct samples *mine)
{
    uint64_t ops = 0, base = 0, v;
    int round = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        if (line_value(line, "ops", &v))
            ops = v;
        else if (line_value(line, "base", &v))
            base = v;
        else if (line_value(line, "insns", &v) && b->check_count &&
                 (v < ops || v > ops + 64))
            return loop_fail(b, "%s: fixed counter 0 counted %" PRIu64
                             " instructions for a stream of %" PRIu64,
                             b->name, v, ops);
        else if (line_value(line, "loop", &v) && round++ > 0) {
            if (!ops || v <= base)
                return loop_fail(b, "%s: bad guest output (ops %" PRIu64
                                 ", loop %" PRIu64 ")", b->name, ops, v);
            if (b->kind == PER_OP)
                samples_add(mine, (double)(v - base) / (double)ops /
                                      tsc_hz * 1e6);
            else
                samples_add(mine, (double)ops * tsc_hz / (double)v);
        }
    }
    if (round < 2)
        return loop_fail(b, "%s: the guest reported %d rounds, not 2 or "
                         "more", b->name, round);
    return true;
}

/* One process; the first round is a warm-up (KVM's MMU faults the pages
 * in) and is dropped. After a failure the loop runs no more. */
static void loop_run(struct loop_bench *b, int round_index)
{
    struct samples mine = {0};
    struct spawn_result r;
    if (b->skip_why)
        return;
    if (run_ok(b->argv, 0, &r, &b->skip_why) && loop_parse(b, r.out, &mine)) {
        for (size_t i = 0; i < mine.n; i++)
            samples_add(&b->s, mine.v[i]);
        b->round_median[round_index] = samples_median(&mine);
    }
    samples_free(&mine);
    spawn_free(&r);
}

/* A loop's median, or skipped with why. */
static void figure_median(const char *name, struct loop_bench *b,
                          const char *unit, int decimals)
{
    if (b->skip_why)
        figure_skipped(name, b->skip_why);
    else
        figure(name, samples_median(&b->s), unit, decimals);
}

/* a / b as the median of the ratios within each round: the two were
 * measured minutes apart at most, seconds apart at best, and a drift
 * between rounds cancels out. */
static double ratio(const struct loop_bench *a, const struct loop_bench *b)
{
    struct samples q = {0};
    for (int i = 0; i < LOOP_ROUNDS; i++)
        samples_add(&q, a->round_median[i] / b->round_median[i]);
    double m = samples_median(&q);
    samples_free(&q);
    return m;
}

/* a / b, or skipped with the reason of whichever failed. */
static void figure_ratio(const char *name, struct loop_bench *a,
                         struct loop_bench *b, int decimals)
{
    if (a->skip_why || b->skip_why)
        figure_skipped(name, a->skip_why ? a->skip_why : b->skip_why);
    else
        figure(name, ratio(a, b), "x", decimals);
}

enum {
    RAW_MSR, PMVM_MSR, MSR_ENGINE, RAW_BP, RDPMC_BP, RDPMC_STEP, RAW_STEP,
    PMVM_STEP, ENGINE0, ENGINE3, NLOOPS
};

static void loops(void)
{
    char *pmvm = path("pmvm"), *raw = path("bench/raw_kvm");
    char *msr_bin = path("bench/guests/msr.bin");
    char *msr_elf = path("bench/guests/msr.elf");
    char *rdpmc_elf = path("bench/guests/rdpmc.elf");
    char *rdpmc_bin = path("bench/guests/rdpmc.bin");
    char *step_bin = path("bench/guests/step.bin");
    char *step_elf = path("bench/guests/step.elf");
    char *engine0_elf = path("bench/guests/engine0.elf");
    char *engine3_elf = path("bench/guests/engine3.elf");
    struct loop_bench b[NLOOPS] = {
        [RAW_MSR] = {"raw msr", PER_OP, {raw, msr_bin}, false, {0}},
        /* The exit path: KVM runs the guests' CPL0 loops, whatever the
         * host (--cpl0=auto would give them the engine on nested PVM). */
        [PMVM_MSR] = {"pmvm msr", PER_OP,
                      {pmvm, "run", "--cpl0=kvm", msr_elf}, false, {0}},
        [MSR_ENGINE] = {"pmvm msr engine", PER_OP,
                        {pmvm, "run", "--cpl0=engine", msr_elf}, false, {0}},
        [RAW_BP] = {"raw rdpmc bp", PER_OP, {raw, "--rdpmc-bp", rdpmc_bin},
                    false, {0}},
        [RDPMC_BP] = {"pmvm rdpmc bp", PER_OP,
                      {pmvm, "run", "--trap=bp", "--cpl0=kvm", rdpmc_elf},
                      false, {0}},
        [RDPMC_STEP] = {"pmvm rdpmc step", PER_OP,
                        {pmvm, "run", "--trap=step", rdpmc_elf}, false, {0}},
        [RAW_STEP] = {"raw step", RATE, {raw, "--step", step_bin}, false,
                      {0}},
        [PMVM_STEP] = {"pmvm step", RATE,
                       {pmvm, "run", "--count=step", step_elf}, true, {0}},
        [ENGINE0] = {"pmvm engine cpl0", RATE, {pmvm, "run", engine0_elf},
                     true, {0}},
        [ENGINE3] = {"pmvm engine cpl3", RATE, {pmvm, "run", engine3_elf},
                     true, {0}},
    };
    /* Interleave, and rotate the order each round, so that drift and the
     * neighbours' load hit every figure alike. */
    for (int round = 0; round < LOOP_ROUNDS; round++) {
        fprintf(stderr, "bench: guest loops, round %d of %d\n", round + 1,
                LOOP_ROUNDS);
        for (int i = 0; i < NLOOPS; i++)
            loop_run(&b[(i + round) % NLOOPS], round);
    }
    figure_median("raw_exit_us", &b[RAW_MSR], "us", 2);
    figure_median("pmvm_msr_exit_us", &b[PMVM_MSR], "us", 2);
    figure_ratio("msr_exit_overhead", &b[PMVM_MSR], &b[RAW_MSR], 3);
    figure_median("msr_engine_us", &b[MSR_ENGINE], "us", 3);
    figure_ratio("msr_engine_vs_raw_exit", &b[MSR_ENGINE], &b[RAW_MSR], 3);
    figure_median("rdpmc_bp_us", &b[RDPMC_BP], "us", 2);
    figure_ratio("rdpmc_bp_vs_raw_exit", &b[RDPMC_BP], &b[RAW_MSR], 3);
    figure_median("raw_rdpmc_bp_us", &b[RAW_BP], "us", 2);
    figure_ratio("rdpmc_bp_vs_raw_bp", &b[RDPMC_BP], &b[RAW_BP], 3);
    figure_median("rdpmc_step_us", &b[RDPMC_STEP], "us", 2);
    figure_ratio("rdpmc_step_vs_raw_exit", &b[RDPMC_STEP], &b[RAW_MSR], 3);
    figure_median("step_insn_per_s", &b[PMVM_STEP], "insn/s", 0);
    figure_median("raw_step_insn_per_s", &b[RAW_STEP], "insn/s", 0);
    figure_ratio("step_vs_raw", &b[PMVM_STEP], &b[RAW_STEP], 3);
    figure_median("engine_insn_per_s", &b[ENGINE0], "insn/s", 0);
    figure_median("engine_cpl3_insn_per_s", &b[ENGINE3], "insn/s", 0);
    figure_ratio("engine_vs_step", &b[ENGINE0], &b[PMVM_STEP], 1);
    figure_ratio("engine_cpl3_vs_step", &b[ENGINE3], &b[PMVM_STEP], 1);
    for (int i = 0; i < NLOOPS; i++) {
        samples_free(&b[i].s);
        free(b[i].skip_why);
    }
}

/* ---- boot: figure 4 ---- */

static bool on_path(const char *cmd)
{
    const char *p = getenv("PATH");
    if (!p)
        return false;
    char *copy = strdup(p), *save = NULL;
    bool found = false;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found;
         dir = strtok_r(NULL, ":", &save)) {
        char *f;
        if (asprintf(&f, "%s/%s", dir, cmd) < 0)
            err(71, "asprintf");
        found = access(f, X_OK) == 0;
        free(f);
    }
    free(copy);
    return found;
}

/* One command's wall time per run, in ms, for as long as it runs as it
 * must (status want, (expect) in its output); then why not. */
struct series {
    const char *const *argv;
    int want;
    const char *expect;
    struct samples ms;
    char *why;
};

static bool series_run(struct series *x)
{
    struct spawn_result r;
    if (x->why)
        return false;
    bool ok = run_ok(x->argv, x->want, &r, &x->why);
    if (ok && !strstr(r.out, x->expect)) {
        if (asprintf(&x->why, "%s printed no '%s'", x->argv[0],
                     x->expect) < 0)
            err(71, "asprintf");
        ok = false;
    }
    if (ok)
        samples_add(&x->ms, r.wall_s * 1e3);
    spawn_free(&r);
    return ok;
}

/* (runs) rounds of (a) then (b), each round's a / b into (ratio). */
static void series_pair(struct series *a, struct series *b, int runs,
                        struct samples *ratio)
{
    for (int i = 0; i < runs; i++) {
        bool ok_a = series_run(a), ok_b = series_run(b);
        if (ok_a && ok_b)
            samples_add(ratio, a->ms.v[a->ms.n - 1] / b->ms.v[b->ms.n - 1]);
    }
}

/* A series' median in seconds, or the figure skipped with its why. */
static void figure_series_s(const char *name, struct series *x,
                            int decimals)
{
    if (x->why)
        figure_skipped(name, x->why);
    else
        figure(name, samples_median(&x->ms) / 1e3, "s", decimals);
}

/* A ratio of two series, or skipped with the first why. */
static void figure_series_ratio(const char *name, const struct series *a,
                                const struct series *b, double ratio)
{
    if (a->why || b->why)
        figure_skipped(name, a->why ? a->why : b->why);
    else
        figure(name, ratio, "x", 2);
}

static void series_free(struct series *x)
{
    samples_free(&x->ms);
    free(x->why);
}

/* QEMU's own interpreter booting (kernel), as tests/integration/
 * qemu_boot.sh boots the probes; isa-debug-exit: guest status 0 ends
 * QEMU with 1. */
#define QEMU_TCG_ARGV(kernel)                                               \
    {"qemu-system-x86_64", "-accel", "tcg", "-nodefaults", "-display",     \
     "none", "-no-reboot", "-serial", "stdio", "-device",                  \
     "isa-debug-exit,iobase=0xf4,iosize=1", "-kernel", kernel, NULL}

static void boot(void)
{
    char *pmvm = path("pmvm"), *hello = path("guest/hello.elf");
    char *raw = path("bench/raw_kvm");
    char *exit_bin = path("bench/guests/exit.bin");
    const char *pmvm_argv[] = {pmvm, "run", hello, NULL};
    /* The floor: what any VMM pays here for a VM's life (create, MSR
     * filter, vCPU, one run to the exit port, teardown); with a local
     * APIC, which makes creating and destroying the vCPU cheaper here. */
    const char *raw_argv[] = {raw, "--irqchip", exit_bin, NULL};
    const char *qemu_argv[] = QEMU_TCG_ARGV(hello);
    struct series pm = {pmvm_argv, 0, "ok 1 hello", {0}, NULL};
    struct series rm = {raw_argv, 0, "", {0}, NULL};
    struct series qm = {qemu_argv, 1, "ok 1 hello", {0}, NULL};
    struct samples pm_raw = {0}, qm_pm = {0};   /* ratios within a run */
    long rss = 0;
    if (!on_path(qemu_argv[0]))
        qm.why = strdup("qemu-system-x86_64 is not installed");
    fprintf(stderr, "bench: boot, %d runs of pmvm%s\n", BOOT_RUNS,
            qm.why ? "" : " and QEMU");
    /* The peak memory of one boot, from a run of its own. */
    struct spawn_result r;
    if (run_ok(pmvm_argv, 0, &r, &pm.why))
        rss = r.maxrss_kib;
    spawn_free(&r);
    for (int i = 0; i < BOOT_RUNS; i++) {
        bool p = series_run(&pm), f = series_run(&rm);
        if (p && f)
            samples_add(&pm_raw, pm.ms.v[pm.ms.n - 1] / rm.ms.v[rm.ms.n - 1]);
        if (i < QEMU_RUNS && series_run(&qm) && p)
            samples_add(&qm_pm, qm.ms.v[qm.ms.n - 1] / pm.ms.v[pm.ms.n - 1]);
    }
    if (pm.why)
        figure_skipped("boot_ms", pm.why);
    else
        figure("boot_ms", samples_median(&pm.ms), "ms", 2);
    if (rm.why)
        figure_skipped("raw_boot_ms", rm.why);
    else
        figure("raw_boot_ms", samples_median(&rm.ms), "ms", 2);
    if (pm.why || rm.why) {
        figure_skipped("boot_vs_raw_boot", pm.why ? pm.why : rm.why);
    } else {
        double q = samples_median(&pm_raw);
        figure("boot_vs_raw_boot", q, "x", 2);
        /* A floor is below what stands on it: the two share every round
         * and the VM set-up (a split irqchip), so a ratio under 1 is
         * noise. */
        if (q < 1)
            fprintf(stderr, "bench: warning: the boot floor came out above "
                    "pmvm's boot (%.2f ms against %.2f ms): a noisy run\n",
                    samples_median(&rm.ms), samples_median(&pm.ms));
    }
    if (qm.why) {
        figure_skipped("qemu_boot_ms", qm.why);
        figure_skipped("qemu_vs_pmvm", qm.why);
    } else {
        figure("qemu_boot_ms", samples_median(&qm.ms), "ms", 1);
        if (pm.why)
            figure_skipped("qemu_vs_pmvm", pm.why);
        else
            figure("qemu_vs_pmvm", samples_median(&qm_pm), "x", 1);
    }
    if (pm.why)
        figure_skipped("rss_mib", pm.why);
    else
        figure("rss_mib", (double)rss / 1024, "MiB", 2);
    series_free(&pm);
    series_free(&rm);
    series_free(&qm);
    samples_free(&pm_raw);
    samples_free(&qm_pm);
}

/* ---- the probes: figure 5 ---- */

static void probes(void)
{
    char *pmvm = path("pmvm"), *rdpmc = path("guest/rdpmc.elf");
    const char *sweep_argv[] = {pmvm, "run", rdpmc, NULL};
    /* The same sweep with KVM running the probe's CPL0 code, for the
     * ratio (the engine runs it by default on hosts that would interpret
     * it; elsewhere the two are the same). */
    const char *kvm_argv[] = {pmvm, "run", "--cpl0=kvm", rdpmc, NULL};
    struct series sw = {sweep_argv, 0, "", {0}, NULL};
    struct series kv = {kvm_argv, 0, "", {0}, NULL};
    struct samples kv_sw = {0};
    fprintf(stderr, "bench: the RDPMC sweep probe, %d runs each way\n",
            SWEEP_RUNS);
    series_pair(&kv, &sw, SWEEP_RUNS, &kv_sw);
    figure_series_s("sweep_s", &sw, 2);
    figure_series_s("sweep_kvm_cpl0_s", &kv, 2);
    figure_series_ratio("sweep_kvm_cpl0_vs_sweep", &sw, &kv,
                        samples_median(&kv_sw));
    series_free(&sw);
    series_free(&kv);
    samples_free(&kv_sw);

    /* Every model and core type in configs/, the probes of all of them
     * sharing the CPUs, as `make run CPUS=all` runs them. */
    const char *argv[] = {"sh", "scripts/suite.sh", build, "--cpus=all",
                          NULL};
    struct spawn_result r;
    fprintf(stderr, "bench: the probe suite on every model\n");
    spawn(argv, &r);
    if (r.status)
        fprintf(stderr, "bench: warning: the suite fails (status %d); "
                "timed all the same\n", r.status);
    figure("suite_s", r.wall_s, "s", 1);
    spawn_free(&r);
}

/* ---- kvm-unit-tests' pmu.flat, in the engine and on KVM ---- */

/* The image: $KUT_DIR/pmu.flat, as tests/integration/kut.sh finds it;
 * NULL with (why) set where there is none. */
static char *pmu_flat(char **why)
{
    const char *dir = getenv("KUT_DIR");
    char *f;
    if (asprintf(&f, "%s/pmu.flat",
                 dir ? dir : "../shared/kvm-unit-tests/x86") < 0)
        err(71, "asprintf");
    if (access(f, R_OK) == 0)
        return f;
    if (asprintf(why, "no %s (set KUT_DIR)", f) < 0)
        err(71, "asprintf");
    free(f);
    return NULL;
}

/* One pmu.flat run (sapphire-rapids, native) with (accel): its seconds,
 * or the figure skipped with why. */
static double pmu_flat_run(const char *name, const char *accel)
{
    char *why = NULL, *flat = pmu_flat(&why), *pmvm = path("pmvm");
    double s = -1;
    if (flat) {
        /* --machine=pc stops a run at 90 s, the kvm-unit-tests runner's
         * default; this measures, so it lets pmu.flat finish on a slow
         * host (81 to 105 s seen on nested PVM) */
        const char *argv[] = {pmvm, "run", accel, "--machine=pc",
                              "--timeout=600", "--cpu=sapphire-rapids", flat,
                              NULL};
        struct spawn_result r;
        fprintf(stderr, "bench: pmu.flat with %s\n", accel);
        /* kvm-unit-tests' success is status 1 (QEMU's isa-debug-exit). */
        if (run_ok(argv, 1, &r, &why))
            s = r.wall_s;
        spawn_free(&r);
    }
    if (s < 0)
        figure_skipped(name, why);
    else
        figure(name, s, "s", 1);
    free(why);
    free(flat);
    free(pmvm);
    return s;
}

static double engine_pmu_flat_s = -1;

/* ---- the engine as the CPU (--accel=engine): no KVM needed ---- */

static void engine_boot(void)
{
    char *pmvm = path("pmvm"), *hello = path("guest/hello.elf");
    char *rdpmc = path("guest/rdpmc.elf");
    const char *eng_argv[] = {pmvm, "run", "--accel=engine", hello, NULL};
    const char *sweep_argv[] = {pmvm, "run", "--accel=engine", rdpmc, NULL};
    const char *qemu_argv[] = QEMU_TCG_ARGV(hello);
    struct series em = {eng_argv, 0, "ok 1 hello", {0}, NULL};
    struct series qm = {qemu_argv, 1, "ok 1 hello", {0}, NULL};
    struct series sw = {sweep_argv, 0, "", {0}, NULL};
    struct samples qm_em = {0};
    if (!on_path(qemu_argv[0]))
        qm.why = strdup("qemu-system-x86_64 is not installed");
    fprintf(stderr, "bench: boot with the engine as the CPU, %d runs%s\n",
            BOOT_RUNS, qm.why ? "" : ", and QEMU TCG's");
    for (int i = 0; i < BOOT_RUNS; i++) {
        bool e = series_run(&em);
        if (i < QEMU_RUNS && series_run(&qm) && e)
            samples_add(&qm_em, qm.ms.v[qm.ms.n - 1] / em.ms.v[em.ms.n - 1]);
    }
    for (int i = 0; i < SWEEP_RUNS; i++)
        series_run(&sw);
    if (em.why)
        figure_skipped("engine_boot_ms", em.why);
    else
        figure("engine_boot_ms", samples_median(&em.ms), "ms", 2);
    if (qm.why || em.why)
        figure_skipped("qemu_tcg_vs_engine_boot", qm.why ? qm.why : em.why);
    else
        figure("qemu_tcg_vs_engine_boot", samples_median(&qm_em), "x", 1);
    if (sw.why)
        figure_skipped("engine_sweep_s", sw.why);
    else
        figure("engine_sweep_s", samples_median(&sw.ms) / 1e3, "s", 2);
    series_free(&em);
    series_free(&qm);
    series_free(&sw);
    samples_free(&qm_em);
    engine_pmu_flat_s = pmu_flat_run("engine_pmu_flat_s", "--accel=engine");
    free(pmvm);
    free(hello);
    free(rdpmc);
}

/* ---- the engine against QEMU's interpreter, end to end ---- */

#define ICOUNT_RUNS 3
#define SIEVE_RUNS 1   /* a minute or more each */

/* The engine's loop as one long image (bench/guests/icount.elf: 190 M
 * instructions, counted by fixed counter 0 in pmvm), pmvm against QEMU's
 * exact instruction-counting mode (-icount shift=0), each run timed
 * whole: the ratio pmvm's time over QEMU's, the median of the rounds'. */
static void icount(void)
{
    char *pmvm = path("pmvm"), *image = path("bench/guests/icount.elf");
    const char *pmvm_argv[] = {pmvm, "run", image, NULL};
    const char *qemu_argv[] = {
        "qemu-system-x86_64", "-accel", "tcg", "-icount", "shift=0",
        "-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=1", "-kernel", image,
        NULL};
    struct series pm = {pmvm_argv, 0, "insns", {0}, NULL};
    struct series qm = {qemu_argv, 1, "ops", {0}, NULL};
    struct samples ratio = {0};
    if (!on_path(qemu_argv[0]))
        qm.why = strdup("qemu-system-x86_64 is not installed");
    fprintf(stderr, "bench: the engine's loop as one image, %d runs of "
            "pmvm and of QEMU -icount shift=0\n", ICOUNT_RUNS);
    series_pair(&pm, &qm, ICOUNT_RUNS, &ratio);
    figure_series_s("icount_image_s", &pm, 2);
    figure_series_ratio("icount_vs_engine", &pm, &qm,
                        samples_median(&ratio));
    series_free(&pm);
    series_free(&qm);
    samples_free(&ratio);
    free(pmvm);
    free(image);
}

/* kvm-unit-tests' sieve.flat (CPU-bound, one vCPU), pmvm as the suite's
 * runner starts it (--machine=pc) against QEMU TCG: QEMU's time over
 * pmvm's. */
static void sieve(void)
{
    const char *dir = getenv("KUT_DIR");
    char *pmvm = path("pmvm"), *image = NULL;
    if (asprintf(&image, "%s/sieve.flat",
                 dir ? dir : "../shared/kvm-unit-tests/x86") < 0)
        err(71, "asprintf");
    const char *pmvm_argv[] = {pmvm, "run", "--machine=pc", "--timeout=900",
                               image, NULL};
    const char *qemu_argv[] = {
        "qemu-system-x86_64", "-accel", "tcg", "-nodefaults", "-display",
        "none", "-no-reboot", "-serial", "stdio", "-m", "256", "-device",
        "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel", image, NULL};
    /* kvm-unit-tests' success is status 1 (isa-debug-exit) on both */
    struct series pm = {pmvm_argv, 1, "mapped:", {0}, NULL};
    struct series qm = {qemu_argv, 1, "mapped:", {0}, NULL};
    if (access(image, R_OK) != 0) {
        if (asprintf(&pm.why, "no %s (set KUT_DIR)", image) < 0)
            err(71, "asprintf");
        qm.why = strdup(pm.why);
    } else if (!on_path(qemu_argv[0])) {
        qm.why = strdup("qemu-system-x86_64 is not installed");
    }
    fprintf(stderr, "bench: sieve.flat, pmvm and QEMU TCG\n");
    for (int i = 0; i < SIEVE_RUNS; i++) {
        series_run(&pm);
        series_run(&qm);
    }
    figure_series_s("sieve_s", &pm, 1);
    figure_series_ratio("sieve_vs_qemu", &pm, &qm,
                        pm.why || qm.why ? 0
                        : samples_median(&qm.ms) / samples_median(&pm.ms));
    series_free(&pm);
    series_free(&qm);
    free(pmvm);
    free(image);
}

static const char *kvm_unusable(void);

/* Debian's kernel and make linux-guest's initramfs, from pmvm's start to
 * the initramfs's first line ("pmvm-guest: init", after which its init
 * resets the machine with pmvm.boot_only), on KVM and under QEMU TCG. */
#define LINUX_RUNS 3
#define LINUX_APPEND "console=ttyS0 acpi=off pci=off nmi_watchdog=0 " \
                     "panic=-1 mitigations=off cryptomgr.notests rodata=off " \
                     "pmvm.boot_only"

/* Why pmvm cannot boot the Linux guest to user space here, or NULL: its
 * files missing and not to be had, or this host's KVM's one line. */
static char *linux_guest_why(const char *kernel, const char *initrd)
{
    struct spawn_result r;
    char *why = NULL, *script = NULL, *pmvm = path("pmvm");
    char *stub = path("tests/linux/stub.elf");

    if (access(kernel, R_OK) != 0 || access(initrd, R_OK) != 0) {
        if (asprintf(&script, "scripts/linux_guest.sh") < 0)
            err(71, "asprintf");
        const char *argv[] = {script, build, NULL};
        run_ok(argv, 0, &r, &why);
        spawn_free(&r);
        free(script);
    }
    const char *probe[] = {pmvm, "run", "--timeout=20", stub, NULL};
    if (!why) {
        spawn(probe, &r);
        char *line = strstr(r.err, "does not take a SYSCALL");
        if (line) {
            char *end = strchr(line, '\n');
            if (asprintf(&why, "this host's KVM %.*s", end ? (int)(end - line)
                         : (int)strlen(line), line) < 0)
                err(71, "asprintf");
        }
        spawn_free(&r);
    }
    free(pmvm);
    free(stub);
    return why;
}

static void linux_boot(void)
{
    char *pmvm = path("pmvm"), *kernel = path("linux-guest/vmlinuz");
    char *initrd = path("linux-guest/initramfs.cpio");
    const char *pmvm_argv[] = {pmvm, "run", "--cpu", "sapphire-rapids",
                               "--mem=512M", "--timeout=300", "--initrd",
                               initrd, "--append", LINUX_APPEND, kernel,
                               NULL};
    const char *qemu_argv[] = {
        "qemu-system-x86_64", "-accel", "tcg", "-cpu",
        "max,vendor=GenuineIntel,family=6,model=143", "-m", "512",
        "-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
        "-kernel", kernel, "-initrd", initrd, "-append", LINUX_APPEND, NULL};
    struct series pm = {pmvm_argv, 0, "pmvm-guest: init", {0}, NULL};
    struct series qm = {qemu_argv, 0, "pmvm-guest: init", {0}, NULL};

    fprintf(stderr, "bench: Debian's kernel to its initramfs's first "
            "line, pmvm and QEMU TCG\n");
    char *why = linux_guest_why(kernel, initrd);
    if (why && access(kernel, R_OK) != 0)
        qm.why = strdup(why);
    else if (!on_path(qemu_argv[0]))
        qm.why = strdup("qemu-system-x86_64 is not installed");
    pm.why = why;
    if (!pm.why && kvm_unusable())
        pm.why = strdup(kvm_unusable());
    for (int i = 0; i < LINUX_RUNS; i++) {
        series_run(&pm);
        series_run(&qm);
    }
    figure_series_s("linux_boot_s", &pm, 2);
    figure_series_s("qemu_linux_boot_s", &qm, 2);
    figure_series_ratio("qemu_vs_pmvm_linux_boot", &qm, &pm,
                        pm.why || qm.why ? 0
                        : samples_median(&qm.ms) / samples_median(&pm.ms));
    series_free(&pm);
    series_free(&qm);
    free(pmvm);
    free(kernel);
    free(initrd);
}

/* ---- the engine alone (bench/engine_core): no KVM needed ---- */

static void engine_core(void)
{
    char *tool = path("bench/engine_core");
    const char *argv[] = {tool, "configs", NULL};
    struct spawn_result r;
    char *why = NULL;
    fprintf(stderr, "bench: the engine alone, against the host CPU\n");
    if (!run_ok(argv, 0, &r, &why)) {
        figure_skipped("engine_core", why);
        free(why);
    } else {
        char name[64], unit[16];
        double v;
        for (char *line = strtok(r.out, "\n"); line;
             line = strtok(NULL, "\n"))
            if (sscanf(line, "BENCH %63s %lf %15s", name, &v, unit) == 3)
                figure(name, v, unit, v >= 100 ? 0 : 1);
    }
    spawn_free(&r);
    free(tool);
}

/* Why /dev/kvm cannot run the other figures, or NULL. */
static const char *kvm_unusable(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return strerror(errno);
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 2)
        errx(64, "usage: bench/bench [BUILD_DIR]");
    if (argc == 2)
        build = argv[1];
    char *txt_path = path("bench.txt");
    txt = fopen(txt_path, "w");
    if (!txt)
        err(73, "%s", txt_path);
    engine_core();
    engine_boot();
    icount();
    sieve();
    linux_boot();
    const char *why = kvm_unusable();
    if (why) {
        fprintf(stderr, "bench: /dev/kvm: %s: the figures that run guests "
                "are skipped\n", why);
        fclose(txt);
        return 0;
    }
    double before = tsc_hz_measure();
    tsc_hz = before;
    loops();
    boot();
    probes();
    double kvm_s = pmu_flat_run("kvm_pmu_flat_s", "--accel=kvm");
    if (kvm_s < 0 || engine_pmu_flat_s < 0)
        figure_skipped("engine_vs_kvm_pmu_flat", kvm_s < 0
                       ? "pmu.flat did not run on KVM"
                       : "pmu.flat did not run in the engine");
    else
        figure("engine_vs_kvm_pmu_flat", engine_pmu_flat_s / kvm_s, "x", 2);
    double after = tsc_hz_measure();
    if (fabs(after - before) > before * 0.01)
        fprintf(stderr, "bench: warning: the TSC rate moved from %.0f to "
                "%.0f Hz during the run\n", before, after);
    figure("tsc_mhz", before / 1e6, "MHz", 0);
    if (nskipped)
        fprintf(stderr, "bench: %u figure%s skipped, each with its reason "
                "above\n", nskipped, nskipped == 1 ? "" : "s");
    if (fclose(txt) != 0)
        err(74, "%s", txt_path);
    fprintf(stderr, "bench: written to %s\n", txt_path);
    free(txt_path);
    return 0;
}
