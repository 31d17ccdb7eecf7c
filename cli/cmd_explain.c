/* cmd_explain.c: `pmvm explain`: what one RDPMC, RDMSR or WRMSR does from the reset state, and the rule that decided it. */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/oracle_json.h"
#include "cli/oracle_text.h"
#include "cli/cpu_options.h"
#include "cli/help.h"
#include "cpu/cpu_select.h"
#include "vmm/status.h"

static const char explain_usage[] =
    "usage: pmvm explain [--cpu M] [--policy P] [--set pmu.KEY=VALUE]...\n"
    "                    rdpmc ECX [--cpl N] [--pce 0|1] [--pe 0|1]\n"
    "       pmvm explain [...] rdmsr MSR | wrmsr MSR VALUE\n"
    "Prints what the access does from the reset state (a value, or #GP)\n"
    "and the rule that decided it. RDPMC runs at CPL 0, CR0.PE=1, CR4.PCE=0\n"
    "unless told otherwise.\n";

struct explain_args {
    struct pmu_mode mode;
    bool mode_given;
};

/* A number as C reads it (0x hex, a leading 0 octal, else decimal). ECX,
 * MSR indices and values are written in hex in the SDM, so one without
 * its 0x that is more than one digit is said on stderr as read. */
static uint64_t parse_num(const char *what, const char *s, uint64_t max)
{
    uint64_t v;

    if (cli_parse_u64(s, &v) || v > max)
        errx(STATUS_USAGE, "explain: %s '%s' is not a number from 0 to %"
             PRIu64, what, s, max);
    if (strlen(s) > 1 && s[1] != 'x' && s[1] != 'X')
        fprintf(stderr, "pmvm: explain: %s %s read as %s, 0x%" PRIx64
                " (hex is written 0x%s)\n", what, s,
                s[0] == '0' ? "octal" : "decimal", v, s + (s[0] == '0'));
    return v;
}

/* Who answers an MSR outside the model in a run (vmm/vpmu/msr.c's filter). */
static const char *kvm_rule(uint32_t msr, bool write)
{
    if (msr == 0xC0000080u)
        return write ? "EFER: pmvm applies the write itself, as the CPU "
                       "checks it (an unknown bit, or LME changed while "
                       "paging is on: #GP); KVM answers a read"
                     : "EFER: KVM answers a read (pmvm applies writes "
                       "itself)";
    if (msr == 0x48u || msr == 0x49u || msr == 0x10Bu)
        return "speculation control: pmvm applies KVM's rules for the "
               "guest's CPUID (#GP without the feature, PRED_CMD and "
               "FLUSH_CMD write-only), then the vCPU's own MSR";
    return "not an MSR of the PMU model: in a run KVM answers it as for "
           "any guest (pmvm filters only the PMU MSRs, EFER writes and the "
           "speculation-control MSRs)";
}

/* One access from the reset state: what it did and the rule. */
static void explain_do(struct pmu *pmu, struct oracle_access *x)
{
    if (x->kind != ORACLE_RDPMC && !pmu_msr_owned(x->ecx_or_msr)) {
        x->by_kvm = true;
        x->rule = kvm_rule(x->ecx_or_msr, x->kind == ORACLE_WRMSR);
        return;
    }
    if (x->kind == ORACLE_RDPMC) {
        x->rc = pmu_rdpmc(pmu, x->ecx_or_msr, &x->mode, &x->value, &x->rule);
        return;
    }
    if (x->kind == ORACLE_RDMSR) {
        x->rc = pmu_rdmsr(pmu, x->ecx_or_msr, &x->value, &x->rule);
        return;
    }
    x->rc = pmu_wrmsr(pmu, x->ecx_or_msr, x->written, &x->rule);
    x->then_read = x->rc == PMU_OK &&
                   pmu_rdmsr(pmu, x->ecx_or_msr, &x->value,
                             &x->then_rule) == PMU_OK;
}

static void explain_print(const struct oracle_access *x)
{
    uint32_t e = x->ecx_or_msr;

    switch (x->kind) {
    case ORACLE_RDPMC:
        printf("rdpmc ecx=0x%08x (type 0x%04x, index %u) at CPL %u, "
               "CR0.PE=%d, CR4.PCE=%d\n", e, e >> 16, e & 0xFFFF,
               x->mode.cpl, x->mode.cr0_pe, x->mode.cr4_pce);
        if (x->rc == PMU_OK)
            printf("result: EDX:EAX = 0x%08x:0x%08x (0x%" PRIx64 ")\n",
                   (uint32_t)(x->value >> 32), (uint32_t)x->value, x->value);
        else
            printf("result: #GP(0)\n");
        break;
    case ORACLE_RDMSR:
        printf("rdmsr 0x%x\n", e);
        if (x->by_kvm)
            printf("result: KVM's (pmvm's model has no such MSR)\n");
        else if (x->rc == PMU_OK)
            printf("result: 0x%" PRIx64 "\n", x->value);
        else
            printf("result: #GP(0)\n");
        break;
    case ORACLE_WRMSR:
        printf("wrmsr 0x%x <- 0x%" PRIx64 "\n", e, x->written);
        printf("result: %s\n", x->by_kvm ? "KVM's (pmvm's model has no "
               "such MSR)" : x->rc == PMU_OK ? "accepted" : "#GP(0)");
        break;
    }
    printf("rule: %s\n", x->rule);
    if (x->then_read)
        printf("then rdmsr 0x%x: 0x%" PRIx64 " (%s)\n", e, x->value,
               x->then_rule);
}

static void explain_parse(int argc, char **argv, const struct explain_args *a,
                          struct oracle_access *x)
{
    const char *op = argv[0];
    int n = !strcmp(op, "rdpmc") || !strcmp(op, "rdmsr") ? 2 :
            !strcmp(op, "wrmsr") ? 3 : 0;

    if (n == 0)
        errx(STATUS_USAGE, "explain: unknown access '%s' (rdpmc, rdmsr, "
             "wrmsr)", op);
    if (argc != n)
        errx(STATUS_USAGE, "explain %s: expected %s", op,
             n == 3 ? "MSR VALUE" : op[0] == 'r' && op[2] == 'p' ? "ECX" :
                                                                   "MSR");
    memset(x, 0, sizeof(*x));
    x->mode = a->mode;
    if (strcmp(op, "rdpmc") == 0) {
        x->kind = ORACLE_RDPMC;
        x->ecx_or_msr = (uint32_t)parse_num("ECX", argv[1], UINT32_MAX);
        return;
    }
    if (a->mode_given)
        errx(STATUS_USAGE, "explain %s: --cpl, --pce and --pe apply to "
             "rdpmc only", op);
    x->kind = n == 3 ? ORACLE_WRMSR : ORACLE_RDMSR;
    x->ecx_or_msr = (uint32_t)parse_num("MSR", argv[1], UINT32_MAX);
    if (n == 3)
        x->written = parse_num("VALUE", argv[2], UINT64_MAX);
}

int cmd_explain(int argc, char **argv)
{
    enum { OPT_CPL = 0x200, OPT_PCE, OPT_PE };
    struct oracle_access x;
    bool json = false;
    static const struct option opts[] = {
        CPU_LONG_OPTIONS,
        {"cpl", required_argument, NULL, OPT_CPL},
        {"pce", required_argument, NULL, OPT_PCE},
        {"pe", required_argument, NULL, OPT_PE},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct explain_args a = {.mode = {.cpl = 0, .cr0_pe = true}};
    struct cpu_select sel;
    struct pmu_model guest;
    struct pmu *pmu;
    int opt;

    cpu_select_init(&sel);
    optind = 1;
    opterr = 0; /* cli_bad_option() says it, in one line */
    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (cli_cpu_option(&sel, opt, optarg))
            continue;
        switch (opt) {
        case OPT_CPL:
            a.mode.cpl = (unsigned)parse_num("--cpl", optarg, 3);
            a.mode_given = true;
            break;
        case OPT_PCE:
            a.mode.cr4_pce = parse_num("--pce", optarg, 1);
            a.mode_given = true;
            break;
        case OPT_PE:
            a.mode.cr0_pe = parse_num("--pe", optarg, 1);
            a.mode_given = true;
            break;
        case OPT_FORMAT:
            json = cli_format_json(optarg);
            break;
        case 'h':
            return help_command(explain_usage, HELP_EXPLAIN);
        default:
            cli_bad_option(opt, argv, optind);
        }
    }
    if (optind >= argc)
        errx(STATUS_USAGE, "explain: no access given (rdpmc ECX, rdmsr MSR,"
             " wrmsr MSR VALUE)");
    explain_parse(argc - optind, argv + optind, &a, &x);
    cpu_select_resolve(&sel, NULL, &guest);
    pmu = pmu_create(&guest);
    if (!pmu)
        err(STATUS_OSERR, "explain");
    explain_do(pmu, &x);
    if (json) {
        oracle_json_explain(&guest, &x);
    } else {
        oracle_text_model_line(&guest);
        explain_print(&x);
    }
    pmu_destroy(pmu);
    return STATUS_OK;
}
