/* bench.c: `make bench`: pmvm against the raw-KVM floor and against QEMU, as ratios taken in one run; BENCH lines. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
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

static void figure_skipped(const char *name, const char *why)
{
    printf("BENCH %s skipped\n", name);
    fprintf(txt, "BENCH %s skipped\n", name);
    fprintf(stderr, "bench: %s skipped: %s\n", name, why);
}

/* BUILD/rel: what `make bench` built. */
static char *path(const char *rel)
{
    char *s;
    if (asprintf(&s, "%s/%s", build, rel) < 0)
        err(71, "asprintf");
    return s;
}

/* Run a command that must end with status want; on anything else say what
 * happened and stop: a figure from a failed run would be a lie. */
static void run_checked(const char *const argv[], int want,
                        struct spawn_result *r)
{
    spawn(argv, r);
    if (r->status == want)
        return;
    fprintf(stderr, "bench: %s", argv[0]);
    for (int i = 1; argv[i]; i++)
        fprintf(stderr, " %s", argv[i]);
    fprintf(stderr, ": status %d, want %d\n%s%s", r->status, want, r->out,
            r->err);
    exit(1);
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
};

/* The guest prints "KEY 0123456789abcdef" lines (bench/guests/boot.S). */
static bool line_value(const char *line, const char *key, uint64_t *v)
{
    size_t k = strlen(key);
    if (strncmp(line, key, k) != 0 || line[k] != ' ')
        return false;
    *v = strtoull(line + k + 1, NULL, 16);
    return true;
}

/* One process; the first round is a warm-up (KVM's MMU faults the pages
 * in) and is dropped. */
static void loop_run(struct loop_bench *b, int round_index)
{
    struct samples mine = {0};
    struct spawn_result r;
    run_checked(b->argv, 0, &r);
    uint64_t ops = 0, base = 0, v;
    int round = 0;
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        if (line_value(line, "ops", &v))
            ops = v;
        else if (line_value(line, "base", &v))
            base = v;
        else if (line_value(line, "insns", &v) && b->check_count &&
                 (v < ops || v > ops + 64)) {
            fprintf(stderr, "bench: %s: fixed counter 0 counted %" PRIu64
                    " instructions for a stream of %" PRIu64 "\n", b->name,
                    v, ops);
            exit(1);
        } else if (line_value(line, "loop", &v) && round++ > 0) {
            if (!ops || v <= base)
                errx(1, "%s: bad guest output", b->name);
            if (b->kind == PER_OP)
                samples_add(&mine, (double)(v - base) / (double)ops /
                                       tsc_hz * 1e6);
            else
                samples_add(&mine, (double)ops * tsc_hz / (double)v);
        }
    }
    if (round < 2)
        errx(1, "%s: the guest reported %d rounds", b->name, round);
    for (size_t i = 0; i < mine.n; i++)
        samples_add(&b->s, mine.v[i]);
    b->round_median[round_index] = samples_median(&mine);
    samples_free(&mine);
    spawn_free(&r);
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
    double raw_us = samples_median(&b[RAW_MSR].s);
    double msr_us = samples_median(&b[PMVM_MSR].s);
    double raw_bp_us = samples_median(&b[RAW_BP].s);
    double bp_us = samples_median(&b[RDPMC_BP].s);
    double step_us = samples_median(&b[RDPMC_STEP].s);
    double raw_rate = samples_median(&b[RAW_STEP].s);
    double rate = samples_median(&b[PMVM_STEP].s);
    figure("raw_exit_us", raw_us, "us", 2);
    figure("pmvm_msr_exit_us", msr_us, "us", 2);
    figure("msr_exit_overhead", ratio(&b[PMVM_MSR], &b[RAW_MSR]), "x", 3);
    figure("msr_engine_us", samples_median(&b[MSR_ENGINE].s), "us", 3);
    figure("msr_engine_vs_raw_exit", ratio(&b[MSR_ENGINE], &b[RAW_MSR]), "x",
           3);
    figure("rdpmc_bp_us", bp_us, "us", 2);
    figure("rdpmc_bp_vs_raw_exit", ratio(&b[RDPMC_BP], &b[RAW_MSR]), "x", 3);
    figure("raw_rdpmc_bp_us", raw_bp_us, "us", 2);
    figure("rdpmc_bp_vs_raw_bp", ratio(&b[RDPMC_BP], &b[RAW_BP]), "x", 3);
    figure("rdpmc_step_us", step_us, "us", 2);
    figure("rdpmc_step_vs_raw_exit", ratio(&b[RDPMC_STEP], &b[RAW_MSR]),
           "x", 3);
    figure("step_insn_per_s", rate, "insn/s", 0);
    figure("raw_step_insn_per_s", raw_rate, "insn/s", 0);
    figure("step_vs_raw", ratio(&b[PMVM_STEP], &b[RAW_STEP]), "x", 3);
    figure("engine_insn_per_s", samples_median(&b[ENGINE0].s), "insn/s", 0);
    figure("engine_cpl3_insn_per_s", samples_median(&b[ENGINE3].s),
           "insn/s", 0);
    figure("engine_vs_step", ratio(&b[ENGINE0], &b[PMVM_STEP]), "x", 1);
    figure("engine_cpl3_vs_step", ratio(&b[ENGINE3], &b[PMVM_STEP]), "x",
           1);
    for (int i = 0; i < NLOOPS; i++)
        samples_free(&b[i].s);
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
    /* As tests/integration/qemu_boot.sh boots the probes. */
    const char *qemu_argv[] = {"qemu-system-x86_64", "-accel", "tcg",
                         "-nodefaults", "-display", "none", "-no-reboot",
                         "-serial", "stdio", "-device",
                         "isa-debug-exit,iobase=0xf4,iosize=1", "-kernel",
                         hello, NULL};
    bool qemu = on_path(qemu_argv[0]);
    struct samples pm = {0}, rm = {0}, qm = {0};
    struct samples pm_raw = {0}, qm_pm = {0};   /* ratios within a run */
    long rss = 0;
    fprintf(stderr, "bench: boot, %d runs of pmvm%s\n", BOOT_RUNS,
            qemu ? " and QEMU" : "");
    for (int i = 0; i < BOOT_RUNS; i++) {
        struct spawn_result r;
        run_checked(pmvm_argv, 0, &r);
        if (!strstr(r.out, "ok 1 hello"))
            errx(1, "pmvm run %s: no 'ok 1 hello'", hello);
        samples_add(&pm, r.wall_s * 1e3);
        rss = r.maxrss_kib > rss ? r.maxrss_kib : rss;
        spawn_free(&r);
        run_checked(raw_argv, 0, &r);
        samples_add(&rm, r.wall_s * 1e3);
        samples_add(&pm_raw, pm.v[i] / rm.v[i]);
        spawn_free(&r);
        if (qemu && i < QEMU_RUNS) {
            /* isa-debug-exit: guest status 0 ends QEMU with 1. */
            run_checked(qemu_argv, 1, &r);
            if (!strstr(r.out, "ok 1 hello"))
                errx(1, "QEMU -kernel %s: no 'ok 1 hello'", hello);
            samples_add(&qm, r.wall_s * 1e3);
            samples_add(&qm_pm, qm.v[i] / pm.v[i]);
            spawn_free(&r);
        }
    }
    double boot_ms = samples_median(&pm), raw_ms = samples_median(&rm);
    figure("boot_ms", boot_ms, "ms", 2);
    figure("raw_boot_ms", raw_ms, "ms", 2);
    figure("boot_vs_raw_boot", samples_median(&pm_raw), "x", 2);
    /* A floor is below what stands on it: the two share every round and
     * the VM set-up (a split irqchip), so a ratio under 1 is noise. */
    if (samples_median(&pm_raw) < 1)
        fprintf(stderr, "bench: warning: the boot floor came out above "
                "pmvm's boot (%.2f ms against %.2f ms): a noisy run\n",
                raw_ms, boot_ms);
    if (qemu) {
        double q = samples_median(&qm);
        figure("qemu_boot_ms", q, "ms", 1);
        figure("qemu_vs_pmvm", samples_median(&qm_pm), "x", 1);
    } else {
        figure_skipped("qemu_boot_ms", "qemu-system-x86_64 not installed");
        figure_skipped("qemu_vs_pmvm", "qemu-system-x86_64 not installed");
    }
    figure("rss_mib", (double)rss / 1024, "MiB", 2);
    samples_free(&pm);
    samples_free(&rm);
    samples_free(&qm);
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
    struct samples sw = {0}, kv = {0}, kv_sw = {0};
    fprintf(stderr, "bench: the RDPMC sweep probe, %d runs each way\n",
            SWEEP_RUNS);
    for (int i = 0; i < SWEEP_RUNS; i++) {
        struct spawn_result r;
        run_checked(sweep_argv, 0, &r);
        samples_add(&sw, r.wall_s);
        spawn_free(&r);
        run_checked(kvm_argv, 0, &r);
        samples_add(&kv, r.wall_s);
        samples_add(&kv_sw, kv.v[i] / sw.v[i]);
        spawn_free(&r);
    }
    figure("sweep_s", samples_median(&sw), "s", 2);
    figure("sweep_kvm_cpl0_s", samples_median(&kv), "s", 2);
    figure("sweep_kvm_cpl0_vs_sweep", samples_median(&kv_sw), "x", 2);
    samples_free(&sw);
    samples_free(&kv);
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

/* ---- the engine alone (bench/engine_core): no KVM needed ---- */

static void engine_core(void)
{
    char *tool = path("bench/engine_core");
    const char *argv[] = {tool, "configs", NULL};
    struct spawn_result r;
    fprintf(stderr, "bench: the engine alone, against the host CPU\n");
    run_checked(argv, 0, &r);
    char name[64], unit[16];
    double v;
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
        if (sscanf(line, "BENCH %63s %lf %15s", name, &v, unit) == 3)
            figure(name, v, unit, v >= 100 ? 0 : 1);
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
    double after = tsc_hz_measure();
    if (fabs(after - before) > before * 0.01)
        fprintf(stderr, "bench: warning: the TSC rate moved from %.0f to "
                "%.0f Hz during the run\n", before, after);
    figure("tsc_mhz", before / 1e6, "MHz", 0);
    if (fclose(txt) != 0)
        err(74, "%s", txt_path);
    fprintf(stderr, "bench: written to %s\n", txt_path);
    free(txt_path);
    return 0;
}
