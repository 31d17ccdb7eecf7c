/* cmd_run.c: `pmvm run`: boot a Multiboot image on /dev/kvm and run it to its end. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot.h"
#include "vmm/cli.h"
#include "vmm/cli_num.h"
#include "vmm/cpu_select.h"
#include "vmm/cpuid.h"
#include "vmm/msr.h"
#include "vmm/pmvm.h"
#include "vmm/sandbox.h"
#include "vmm/status.h"
#include "vmm/trap.h"

#define DEFAULT_MEM (64ull << 20)
#define MIN_MEM (2ull << 20)
#define MAX_MEM (3ull << 30) /* below the PCI hole, as multiboot's 32 bits */
#define DEFAULT_TIMEOUT 10.0

struct run_options {
    uint64_t mem;
    double timeout;
    enum exit_code_style exit_code;
    bool trace;
    bool no_sandbox;
    enum trap_mode trap;
    struct cpu_select cpu;
    const char *image;
    char *cmdline;
};

/* Read the whole image; its size is checked against guest RAM first so a
 * huge file is refused before it is read. */
static uint8_t *image_read(const char *path, uint64_t mem, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        err(STATUS_NOINPUT, "cannot open image %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        err(STATUS_NOINPUT, "cannot stat image %s", path);
    if (!S_ISREG(st.st_mode))
        errx(STATUS_NOINPUT, "image %s is not a regular file", path);
    if ((uint64_t)st.st_size > mem)
        errx(STATUS_DATAERR, "image %s is %lld bytes, larger than guest RAM "
             "(%llu MiB): use a larger --mem", path, (long long)st.st_size,
             (unsigned long long)(mem >> 20));
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
            err(STATUS_NOINPUT, "cannot read image %s", path);
        if (n == 0)
            errx(STATUS_NOINPUT, "image %s shrank while being read", path);
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

static void run_options_parse(struct run_options *o, int argc, char **argv)
{
    enum { OPT_MEM = 0x200, OPT_TIMEOUT, OPT_EXIT_CODE, OPT_TRACE,
           OPT_TRAP, OPT_NO_SANDBOX };
    static const struct option longopts[] = {
        CPU_SELECT_LONG_OPTIONS,
        {"trap", required_argument, NULL, OPT_TRAP},
        {"mem", required_argument, NULL, OPT_MEM},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"exit-code", required_argument, NULL, OPT_EXIT_CODE},
        {"trace", no_argument, NULL, OPT_TRACE},
        {"no-sandbox", no_argument, NULL, OPT_NO_SANDBOX},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    *o = (struct run_options){.mem = DEFAULT_MEM, .timeout = DEFAULT_TIMEOUT};
    cpu_select_init(&o->cpu);
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        if (cpu_select_option(&o->cpu, c, optarg))
            continue;
        switch (c) {
        case OPT_TRAP:
            if (!trap_mode_parse(optarg, &o->trap))
                errx(STATUS_USAGE, "--trap: '%s' is not auto, bp or step",
                     optarg);
            break;
        case OPT_MEM:
            if (cli_parse_size(optarg, &o->mem) < 0)
                errx(STATUS_USAGE, "--mem: '%s' is not a size (examples: "
                     "64, 64M, 1G)", optarg);
            if (o->mem < MIN_MEM || o->mem > MAX_MEM || o->mem % 4096)
                errx(STATUS_USAGE, "--mem: %s is outside 2 MiB .. 3 GiB or "
                     "not a whole number of 4 KiB pages", optarg);
            break;
        case OPT_TIMEOUT:
            if (cli_parse_seconds(optarg, &o->timeout) < 0)
                errx(STATUS_USAGE, "--timeout: '%s' is not a number of "
                     "seconds (0 for none)", optarg);
            break;
        case OPT_EXIT_CODE:
            if (strcmp(optarg, "pmvm") == 0)
                o->exit_code = EXIT_CODE_PMVM;
            else if (strcmp(optarg, "qemu") == 0)
                o->exit_code = EXIT_CODE_QEMU;
            else
                errx(STATUS_USAGE, "--exit-code: '%s' is neither pmvm nor "
                     "qemu", optarg);
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
    if (optind >= argc)
        errx(STATUS_USAGE, "run: no image given (pmvm run [options] IMAGE "
             "[-- ARGS...])");
    o->image = argv[optind++];
    if (optind < argc && strcmp(argv[optind], "--") == 0)
        optind++;
    else if (optind < argc)
        errx(STATUS_USAGE, "run: unexpected '%s' after the image (options "
             "go before it, guest arguments after --)", argv[optind]);
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
    uint8_t *image = image_read(o.image, o.mem, &len);
    char why[256];
    if (loader_parse(image, len, o.mem, &p.image, why, sizeof why) < 0)
        errx(STATUS_DATAERR, "%s: %s", o.image, why);
    p.trace = o.trace;
    p.exit_code = o.exit_code;

    vm_create(&p.vm, o.mem);
    bool kvm_pmu_off = cpuid_kvm_pmu_disable(&p);
    if (p.trace)
        fprintf(stderr, "pmvm: trace: KVM's own vPMU %s\n", kvm_pmu_off
                ? "switched off (KVM_CAP_PMU_CAPABILITY)"
                : "cannot be switched off here (no KVM_CAP_PMU_CAPABILITY)");
    msr_filter_install(&p);
    vm_create_vcpu(&p.vm);
    cpuid_setup(&p);
    loader_copy(&p.image, image, p.vm.mem);
    trap_setup(&p, o.trap, image);
    free(image);
    boot_multiboot(&p.vm, &p.image, o.cmdline);
    free(o.cmdline);

    /* Console bytes arrive one exit at a time; let stdio batch them. */
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    serial_init(&p.serial, stdout);

    if (!o.no_sandbox)
        sandbox_install();
    int status = vcpu_run(&p, o.timeout);
    fflush(stdout);
    if (p.trace)
        vcpu_print_exit_counts(&p);
    vm_destroy(&p.vm);
    pmu_destroy(p.pmu);
    return status;
}
