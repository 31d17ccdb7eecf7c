/* cmd_run.c: `pmvm run`: its options into a run configuration, which vmm_run() boots on /dev/kvm and runs to its end. */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cpu_options.h"
#include "cli/help.h"
#include "cli/options.h"
#include "cpu/cpu_select.h"
#include "cpu/model_find.h"
#include "vmm/machine.h"
#include "vmm/status.h"

#define DEFAULT_MEM (64ull << 20)
#define PC_DEFAULT_MEM (128ull << 20) /* QEMU's -m default */
#define MIN_MEM (2ull << 20)
#define MAX_MEM (3ull << 30) /* below the PCI hole, as multiboot's 32 bits */
#define DEFAULT_TIMEOUT 10.0
#define PC_DEFAULT_TIMEOUT 90.0 /* kvm-unit-tests' runner's default */

/* What `pmvm run` collects: the run's configuration, the CPU options it
 * resolves the guest's model from, and what the defaults depend on. */
struct run_options {
    struct run_config cfg;
    struct cpu_select cpu;
    bool mem_given, exit_code_given, timeout_given;
    char *env;           /* --env words, one a line, or NULL */
    size_t env_len;
    char *cmdline;
};

/* The multiboot command line: the image path, then the words after --
 * and --append's, as QEMU's -kernel and -append give it. A Linux kernel
 * gets --append's alone. */
static const char run_usage[] =
    "usage: pmvm run [options] IMAGE [-- ARGS...]\n"
    "Boots IMAGE, a Multiboot v1 image, a probe's name (rdpmc runs pmvm's\n"
    "own) or a Linux x86-64 kernel (bzImage or vmlinux), on /dev/kvm or in\n"
    "pmvm's engine, with the modelled PMU. IMAGE and ARGS are a Multiboot\n"
    "guest's command line, as with QEMU -kernel and -append; --append is a\n"
    "Linux kernel's. The status is the guest's (below).\n";

static char *cmdline_join(const char *image, int argc, char **argv,
                          const char *append)
{
    size_t len = strlen(image) + 1 + (append ? strlen(append) + 1 : 0);
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (!s)
        err(STATUS_OSERR, "malloc");
    strcpy(s, image);
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    if (append) {
        strcat(s, " ");
        strcat(s, append);
    }
    return s;
}

/* --env K=V: one more line of the module's text, which kvm-unit-tests
 * reads as its environment (lib/argv.c). */
static void env_add(struct run_options *o, const char *word)
{
    const char *eq = strchr(word, '=');
    if (!eq || eq == word || strchr(word, '\n') || strchr(word, ' '))
        errx(STATUS_USAGE, "--env: '%s' is not NAME=VALUE (no spaces)",
             word);
    size_t n = strlen(word);
    char *env = realloc(o->env, o->env_len + n + 2);
    if (!env)
        err(STATUS_OSERR, "realloc");
    memcpy(env + o->env_len, word, n);
    env[o->env_len + n] = '\n';
    env[o->env_len + n + 1] = '\0';
    o->env = env;
    o->env_len += n + 1;
}

/* The words of the enum-valued options, indexed by the enums' values. */
static const char *const trap_words[] = {
    [TRAP_AUTO] = "auto", [TRAP_BP] = "bp", [TRAP_STEP] = "step",
};
static const char *const count_words[] = {"engine", "step"};
static const char *const cpl0_words[] = {
    [BRIDGE_CPL0_AUTO] = "auto", [BRIDGE_CPL0_KVM] = "kvm",
    [BRIDGE_CPL0_ENGINE] = "engine",
};
static const char *const accel_words[] = {
    [ACCEL_AUTO] = "auto", [ACCEL_KVM] = "kvm", [ACCEL_ENGINE] = "engine",
};
static const char *const machine_words[] = {
    [MACHINE_PMVM] = "pmvm", [MACHINE_PC] = "pc", [MACHINE_LINUX] = "linux",
};
static const char *const exit_code_words[] = {
    [EXIT_CODE_PMVM] = "pmvm", [EXIT_CODE_QEMU] = "qemu",
};

static void run_options_parse(struct run_options *o, int argc, char **argv)
{
    enum { OPT_MEM = 0x200, OPT_TIMEOUT, OPT_EXIT_CODE, OPT_TRACE,
           OPT_TRAP, OPT_NO_SANDBOX, OPT_COUNT, OPT_CPL0, OPT_MACHINE,
           OPT_ENV, OPT_INITRD, OPT_ACCEL, OPT_APPEND };
    static const struct option longopts[] = {
        CPU_LONG_OPTIONS,
        {"accel", required_argument, NULL, OPT_ACCEL},
        {"trap", required_argument, NULL, OPT_TRAP},
        {"count", required_argument, NULL, OPT_COUNT},
        {"cpl0", required_argument, NULL, OPT_CPL0},
        {"mem", required_argument, NULL, OPT_MEM},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"exit-code", required_argument, NULL, OPT_EXIT_CODE},
        {"machine", required_argument, NULL, OPT_MACHINE},
        {"env", required_argument, NULL, OPT_ENV},
        {"initrd", required_argument, NULL, OPT_INITRD},
        {"append", required_argument, NULL, OPT_APPEND},
        {"trace", optional_argument, NULL, OPT_TRACE},
        {"no-sandbox", no_argument, NULL, OPT_NO_SANDBOX},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    *o = (struct run_options){
        .cfg = {.mem = DEFAULT_MEM, .timeout = DEFAULT_TIMEOUT,
                .sandbox = true},
    };
    cpu_select_init(&o->cpu);
    opterr = 0;
    int c;
    /* '-': options anywhere before "--", the image among them (code 1). */
    while ((c = getopt_long(argc, argv, "-:h", longopts, NULL)) != -1) {
        if (cli_cpu_option(&o->cpu, c, optarg))
            continue;
        switch (c) {
        case 1:
            if (o->cfg.image)
                errx(STATUS_USAGE, "run: unexpected '%s' after the image "
                     "(one image; guest arguments go after --)", optarg);
            o->cfg.image = optarg;
            break;
        case OPT_ACCEL:
            o->cfg.accel = CLI_ENUM("--accel", optarg, accel_words);
            break;
        case OPT_TRAP:
            o->cfg.trap = CLI_ENUM("--trap", optarg, trap_words);
            break;
        case OPT_COUNT:
            o->cfg.count_step = CLI_ENUM("--count", optarg, count_words) == 1;
            break;
        case OPT_CPL0:
            o->cfg.cpl0 = CLI_ENUM("--cpl0", optarg, cpl0_words);
            break;
        case OPT_MACHINE:
            o->cfg.machine = CLI_ENUM("--machine", optarg, machine_words);
            o->cfg.machine_given = true;
            break;
        case OPT_ENV:
            env_add(o, optarg);
            break;
        case OPT_INITRD:
            o->cfg.initrd = optarg;
            break;
        case OPT_APPEND:
            o->cfg.append = optarg;
            break;
        case OPT_MEM:
            o->mem_given = true;
            if (cli_parse_size(optarg, &o->cfg.mem) < 0)
                errx(STATUS_USAGE, "--mem: '%s' is not a size (examples: "
                     "64, 64M, 1G)", optarg);
            if (o->cfg.mem < MIN_MEM || o->cfg.mem > MAX_MEM ||
                o->cfg.mem % 4096)
                errx(STATUS_USAGE, "--mem: %s is outside 2 MiB .. 3 GiB or "
                     "not a whole number of 4 KiB pages", optarg);
            break;
        case OPT_TIMEOUT:
            o->timeout_given = true;
            o->cfg.timeout_given = true;
            if (cli_parse_seconds(optarg, &o->cfg.timeout) < 0)
                errx(STATUS_USAGE, "--timeout: '%s' is not a number of "
                     "seconds (0 for none)", optarg);
            break;
        case OPT_EXIT_CODE:
            o->exit_code_given = true;
            o->cfg.exit_code = CLI_ENUM("--exit-code", optarg,
                                        exit_code_words);
            break;
        case OPT_TRACE:
            if (optarg && strcmp(optarg, "all"))
                errx(STATUS_USAGE, "--trace: '%s' is not all (--trace, "
                     "or --trace=all)", optarg);
            o->cfg.trace = true;
            o->cfg.trace_all = optarg != NULL;
            break;
        case OPT_NO_SANDBOX:
            o->cfg.sandbox = false;
            break;
        case 'h':
            exit(help_command(run_usage, HELP_RUN));
        default:
            cli_bad_option(c, argv, optind);
        }
    }
    const char *kvm_only = run_config_needs_kvm(&o->cfg);
    if (o->cfg.accel == ACCEL_ENGINE && kvm_only)
        errx(STATUS_USAGE, "%s is KVM's, which --accel=engine leaves out",
             kvm_only);
    if (o->cfg.cpl0 == BRIDGE_CPL0_ENGINE && o->cfg.count_step)
        errx(STATUS_USAGE, "--cpl0=engine and --count=step disagree: "
             "with --count=step KVM runs the guest's CPL0 code");
    /* QEMU's PC: its default RAM and isa-debug-exit's status, and the
     * time kvm-unit-tests' runner gives a test (scripts/runtime.bash). */
    if (o->cfg.machine == MACHINE_PC && !o->mem_given)
        o->cfg.mem = PC_DEFAULT_MEM;
    if (o->cfg.machine == MACHINE_PC && !o->timeout_given)
        o->cfg.timeout = PC_DEFAULT_TIMEOUT;
    if (o->cfg.machine == MACHINE_PC && !o->exit_code_given)
        o->cfg.exit_code = EXIT_CODE_QEMU;
    /* getopt stopped at "--" (then optind is past it) or at the end;
     * "run [options] -- IMAGE ARGS" names the image after it. */
    if (!o->cfg.image && optind < argc)
        o->cfg.image = argv[optind++];
    if (!o->cfg.image)
        errx(STATUS_USAGE, "run: no image given (pmvm run [options] IMAGE "
             "[-- ARGS...])");
    static char found[PATH_MAX];
    if (image_find(o->cfg.image, found, sizeof(found)) == 0)
        o->cfg.image = found;
    o->cmdline = cmdline_join(o->cfg.image, argc - optind, argv + optind,
                              o->cfg.append);
    o->cfg.cmdline = o->cmdline;
    o->cfg.env = o->env;
    o->cfg.env_len = o->env_len;
}

int cmd_run(int argc, char **argv)
{
    struct run_options o;
    run_options_parse(&o, argc, argv);
    cpu_select_resolve(&o.cpu, NULL, &o.cfg.pmu_model);
    int status = vmm_run(&o.cfg);
    free(o.cmdline);
    free(o.env);
    return status;
}
