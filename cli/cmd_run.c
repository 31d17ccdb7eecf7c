/* cmd_run.c: `pmvm run`: boot a Multiboot image on /dev/kvm and run it to its end. */
#include <err.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cpu/cpu_select.h"
#include "vmm/vpmu/cpuid.h"
#include "cpu/model_find.h"
#include "vmm/vpmu/msr.h"
#include "vmm/pmvm.h"
#include "vmm/sandbox.h"
#include "vmm/status.h"
#include "vmm/vpmu/trap.h"

#define DEFAULT_MEM (64ull << 20)
#define PC_DEFAULT_MEM (128ull << 20) /* QEMU's -m default */
#define MIN_MEM (2ull << 20)
#define MAX_MEM (3ull << 30) /* below the PCI hole, as multiboot's 32 bits */
#define DEFAULT_TIMEOUT 10.0
#define PC_DEFAULT_TIMEOUT 90.0 /* kvm-unit-tests' runner's default */

struct run_options {
    uint64_t mem;
    double timeout;
    enum exit_code_style exit_code;
    bool trace;
    bool no_sandbox;
    enum trap_mode trap;
    bool count_step;     /* --count=step: count by single-stepping */
    enum exec_cpl0 cpl0; /* --cpl0 */
    struct cpu_select cpu;
    enum machine machine;
    bool mem_given, exit_code_given, timeout_given;
    const char *initrd;  /* --initrd FILE, or NULL */
    char *env;           /* --env words, one a line, or NULL */
    size_t env_len;
    const char *image;
    char *cmdline;
};

/* Read a whole file (what: "image" or "initrd", for messages); its size
 * is checked against guest RAM first so a huge file is refused before it
 * is read. */
static uint8_t *file_read(const char *what, const char *path, uint64_t mem,
                          size_t *len)
{
    /* Non-blocking: a FIFO without a writer would block open() itself,
     * before the watchdog runs; only a regular file is read. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        err(STATUS_NOINPUT, "cannot open %s %s", what, path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        err(STATUS_NOINPUT, "cannot stat %s %s", what, path);
    if (!S_ISREG(st.st_mode))
        errx(STATUS_NOINPUT, "%s %s is not a regular file", what, path);
    if ((uint64_t)st.st_size > mem)
        errx(STATUS_DATAERR, "%s %s is %lld bytes, larger than guest RAM "
             "(%llu MiB): use a larger --mem", what, path,
             (long long)st.st_size, (unsigned long long)(mem >> 20));
    *len = (size_t)st.st_size;
    uint8_t *buf = malloc(*len ? *len : 1);
    if (!buf)
        err(STATUS_OSERR, "malloc");
    size_t done = 0;
    while (done < *len) {
        ssize_t n = read(fd, buf + done, *len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            err(STATUS_NOINPUT, "cannot read %s %s", what, path);
        if (n == 0)
            errx(STATUS_NOINPUT, "%s %s shrank while being read", what,
                 path);
        done += (size_t)n;
    }
    close(fd);
    return buf;
}

/* The multiboot command line: the image path, then the words after --,
 * as QEMU's -kernel and -append give it. */
static char *cmdline_join(const char *image, int argc, char **argv)
{
    size_t len = strlen(image) + 1;
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

/* The Multiboot module: the --initrd file, then the --env lines. */
static uint8_t *module_build(const struct run_options *o, size_t *len)
{
    size_t file_len = 0;
    uint8_t *file = o->initrd ? file_read("initrd", o->initrd, o->mem,
                                          &file_len)
                              : NULL;
    *len = file_len + o->env_len;
    if (!*len) {
        free(file);
        return NULL;
    }
    uint8_t *m = realloc(file, *len);
    if (!m)
        err(STATUS_OSERR, "realloc");
    if (o->env_len)
        memcpy(m + file_len, o->env, o->env_len);
    return m;
}

/* The words of the enum-valued options, indexed by the enums' values. */
static const char *const trap_words[] = {
    [TRAP_AUTO] = "auto", [TRAP_BP] = "bp", [TRAP_STEP] = "step",
};
static const char *const count_words[] = {"engine", "step"};
static const char *const cpl0_words[] = {
    [EXEC_CPL0_AUTO] = "auto", [EXEC_CPL0_KVM] = "kvm",
    [EXEC_CPL0_ENGINE] = "engine",
};
static const char *const machine_words[] = {
    [MACHINE_PMVM] = "pmvm", [MACHINE_PC] = "pc",
};
static const char *const exit_code_words[] = {
    [EXIT_CODE_PMVM] = "pmvm", [EXIT_CODE_QEMU] = "qemu",
};

static void run_options_parse(struct run_options *o, int argc, char **argv)
{
    enum { OPT_MEM = 0x200, OPT_TIMEOUT, OPT_EXIT_CODE, OPT_TRACE,
           OPT_TRAP, OPT_NO_SANDBOX, OPT_COUNT, OPT_CPL0, OPT_MACHINE,
           OPT_ENV, OPT_INITRD };
    static const struct option longopts[] = {
        CPU_SELECT_LONG_OPTIONS,
        {"trap", required_argument, NULL, OPT_TRAP},
        {"count", required_argument, NULL, OPT_COUNT},
        {"cpl0", required_argument, NULL, OPT_CPL0},
        {"mem", required_argument, NULL, OPT_MEM},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"exit-code", required_argument, NULL, OPT_EXIT_CODE},
        {"machine", required_argument, NULL, OPT_MACHINE},
        {"env", required_argument, NULL, OPT_ENV},
        {"initrd", required_argument, NULL, OPT_INITRD},
        {"trace", no_argument, NULL, OPT_TRACE},
        {"no-sandbox", no_argument, NULL, OPT_NO_SANDBOX},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    *o = (struct run_options){.mem = DEFAULT_MEM, .timeout = DEFAULT_TIMEOUT};
    cpu_select_init(&o->cpu);
    opterr = 0;
    int c;
    /* '-': options anywhere before "--", the image among them (code 1). */
    while ((c = getopt_long(argc, argv, "-h", longopts, NULL)) != -1) {
        if (cpu_select_option(&o->cpu, c, optarg))
            continue;
        switch (c) {
        case 1:
            if (o->image)
                errx(STATUS_USAGE, "run: unexpected '%s' after the image "
                     "(one image; guest arguments go after --)", optarg);
            o->image = optarg;
            break;
        case OPT_TRAP:
            o->trap = CLI_ENUM("--trap", optarg, trap_words);
            break;
        case OPT_COUNT:
            o->count_step = CLI_ENUM("--count", optarg, count_words) == 1;
            break;
        case OPT_CPL0:
            o->cpl0 = CLI_ENUM("--cpl0", optarg, cpl0_words);
            break;
        case OPT_MACHINE:
            o->machine = CLI_ENUM("--machine", optarg, machine_words);
            break;
        case OPT_ENV:
            env_add(o, optarg);
            break;
        case OPT_INITRD:
            o->initrd = optarg;
            break;
        case OPT_MEM:
            o->mem_given = true;
            if (cli_parse_size(optarg, &o->mem) < 0)
                errx(STATUS_USAGE, "--mem: '%s' is not a size (examples: "
                     "64, 64M, 1G)", optarg);
            if (o->mem < MIN_MEM || o->mem > MAX_MEM || o->mem % 4096)
                errx(STATUS_USAGE, "--mem: %s is outside 2 MiB .. 3 GiB or "
                     "not a whole number of 4 KiB pages", optarg);
            break;
        case OPT_TIMEOUT:
            o->timeout_given = true;
            if (cli_parse_seconds(optarg, &o->timeout) < 0)
                errx(STATUS_USAGE, "--timeout: '%s' is not a number of "
                     "seconds (0 for none)", optarg);
            break;
        case OPT_EXIT_CODE:
            o->exit_code_given = true;
            o->exit_code = CLI_ENUM("--exit-code", optarg, exit_code_words);
            break;
        case OPT_TRACE:
            o->trace = true;
            break;
        case OPT_NO_SANDBOX:
            o->no_sandbox = true;
            break;
        case 'h':
            cli_usage(stdout);
            exit(STATUS_OK);
        default:
            cli_bad_option(argv, optind);
        }
    }
    if (o->cpl0 == EXEC_CPL0_ENGINE && o->count_step)
        errx(STATUS_USAGE, "--cpl0=engine needs the engine, which "
             "--count=step leaves out");
    /* QEMU's PC: its default RAM and isa-debug-exit's status, and the
     * time kvm-unit-tests' runner gives a test (scripts/runtime.bash). */
    if (o->machine == MACHINE_PC && !o->mem_given)
        o->mem = PC_DEFAULT_MEM;
    if (o->machine == MACHINE_PC && !o->timeout_given)
        o->timeout = PC_DEFAULT_TIMEOUT;
    if (o->machine == MACHINE_PC && !o->exit_code_given)
        o->exit_code = EXIT_CODE_QEMU;
    /* getopt stopped at "--" (then optind is past it) or at the end;
     * "run [options] -- IMAGE ARGS" names the image after it. */
    if (!o->image && optind < argc)
        o->image = argv[optind++];
    if (!o->image)
        errx(STATUS_USAGE, "run: no image given (pmvm run [options] IMAGE "
             "[-- ARGS...])");
    static char found[PATH_MAX];
    if (image_find(o->image, found, sizeof(found)) == 0)
        o->image = found;
    o->cmdline = cmdline_join(o->image, argc - optind, argv + optind);
}

int cmd_run(int argc, char **argv)
{
    struct run_options o;
    run_options_parse(&o, argc, argv);

    static struct pmvm p;
    struct pmu_model guest;
    cpu_select_resolve(&o.cpu, NULL, &guest);
    p.pmu = pmu_create(&guest);
    if (!p.pmu)
        errx(STATUS_OSERR, "cannot allocate the PMU model");

    size_t len;
    uint8_t *image = file_read("image", o.image, o.mem, &len);
    char why[256];
    if (loader_parse(image, len, o.mem, &p.image, why, sizeof why) < 0)
        errx(STATUS_DATAERR, "%s: %s", o.image, why);
    p.trace = o.trace;
    p.exit_code = o.exit_code;
    p.machine = o.machine;
    struct boot_module module = {0};
    uint8_t *module_data = module_build(&o, &module.len);
    module.data = module_data;

    vm_create(&p.vm, o.mem);
    bool kvm_pmu_off = vm_kvm_pmu_disable(&p.vm);
    if (p.trace)
        fprintf(stderr, "pmvm: trace: KVM's own vPMU %s\n", kvm_pmu_off
                ? "switched off (KVM_CAP_PMU_CAPABILITY)"
                : "cannot be switched off here (no KVM_CAP_PMU_CAPABILITY)");
    msr_filter_install(&p);
    vm_create_vcpu(&p.vm);
    cpuid_setup(&p);
    loader_copy(&p.image, image, p.vm.mem);
    exec_setup(&p, !o.count_step, o.cpl0);
    trap_setup(&p, o.trap, image);
    free(image);
    boot_multiboot(&p.vm, &p.image, o.cmdline, &module);
    free(o.cmdline);
    free(module_data);
    free(o.env);
    fw_cfg_init(&p.fw_cfg, o.mem);

    /* A reader that goes away is a failed write (EPIPE, said in one
     * line), not a signal that ends pmvm mid-sentence. */
    signal(SIGPIPE, SIG_IGN);
    console_init(&p.console, STDOUT_FILENO);
    serial_init(&p.serial, console_putc, &p.console);

    if (!o.no_sandbox)
        sandbox_install();
    int status = vcpu_run(&p, o.timeout);
    if (p.trace)
        vcpu_print_exit_counts(&p);
    exec_teardown(&p);
    vm_destroy(&p.vm);
    pmu_destroy(p.pmu);
    return status;
}
