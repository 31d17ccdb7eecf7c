/* cmd_oracle.c: `pmvm cpuid` and `pmvm explain`: the PMU model as an oracle. */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli.h"
#include "vmm/cli_num.h"
#include "vmm/cpu_select.h"
#include "vmm/status.h"

static const char cpuid_usage[] =
    "usage: pmvm cpuid [--cpu M | --cpu host[:core|:atom] |\n"
    "                   --cpu-dump FILE [--core-type core|atom]]\n"
    "                  [--policy P] [--set pmu.KEY=VALUE]...\n"
    "Prints the PMU's CPUID leaves (0, 1, 0xA, 0x23) and PERF_CAPABILITIES\n"
    "as the guest sees them.\n";

static const char explain_usage[] =
    "usage: pmvm explain [--cpu M] [--policy P] [--set pmu.KEY=VALUE]...\n"
    "                    rdpmc ECX [--cpl N] [--pce 0|1] [--pe 0|1]\n"
    "       pmvm explain [...] rdmsr MSR | wrmsr MSR VALUE\n"
    "Prints what the access does from the reset state (a value, or #GP)\n"
    "and the rule that decided it. RDPMC runs at CPL 0, CR0.PE=1, CR4.PCE=0\n"
    "unless told otherwise.\n";

static void print_model_line(const struct pmu_model *g)
{
    printf("model %s, policy %s%s\n", g->name, pmu_policy_name(g->policy),
           g->policy == PMU_POLICY_KVM_MEDIATED && g->version ?
               (g->rdpmc_kvm_decode ? " (RDPMC intercepted)" :
                                      " (RDPMC passed through)") : "");
}

static void print_caps(const struct pmu_model *g)
{
    uint64_t caps = pmu_model_caps(g);

    if (!g->pdcm) {
        printf("MSR 0x345 IA32_PERF_CAPABILITIES: absent (no PDCM)\n");
        return;
    }
    printf("MSR 0x345 IA32_PERF_CAPABILITIES = 0x%" PRIx64 "%s%s%s\n", caps,
           caps & PMU_CAP_FW_WRITES ? " FW_WRITES[13]" : "",
           caps & PMU_CAP_PERF_METRICS ? " PERF_METRICS[15]" : "",
           caps & PMU_CAP_RDPMC_METRICS_CLEAR ? " RDPMC_METRICS_CLEAR[19]" :
                                                "");
}

static void print_cpuid(const struct pmu_model *g)
{
    uint32_t r[4], sig = pmu_model_signature(g);

    print_model_line(g);
    printf("leaf 0x00: max leaf 0x%x, vendor \"%s\"\n",
           pmu_model_max_leaf(g), g->vendor);
    printf("leaf 0x01: eax=0x%08x (family 0x%x model 0x%x stepping 0x%x) "
           "ecx.PDCM[15]=%d\n", sig, g->family, g->model, g->stepping,
           g->pdcm);
    pmu_model_cpuid(g, 0xA, 0, r);
    printf("leaf 0x0a: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n",
           r[0], r[1], r[2], r[3]);
    printf("  EAX: version %u, %u GP counters, %u bits, EBX length %u\n",
           r[0] & 0xFF, r[0] >> 8 & 0xFF, r[0] >> 16 & 0xFF, r[0] >> 24);
    printf("  EBX: unavailable-event mask 0x%x\n", r[1]);
    printf("  ECX: fixed-counter bitmap 0x%x\n", r[2]);
    printf("  EDX: EDX[4:0] = %u contiguous fixed counters, %u bits, "
           "AnyThread deprecated[15] = %u\n", r[3] & 0x1F, r[3] >> 5 & 0xFF,
           r[3] >> 15 & 1);
    if (pmu_model_cpuid(g, 0x1A, 0, r))
        printf("leaf 0x1a: eax=0x%08x (core type 0x%02x %s, native model "
               "0x%06x)\n", r[0], r[0] >> 24,
               g->core_type == PMU_CORE_TYPE_CORE ? "Core" : "Atom",
               r[0] & 0xFFFFFF);
    if (g->leaf23) {
        pmu_model_cpuid(g, 0x23, 0, r);
        uint32_t valid = r[0];
        for (uint32_t sub = 0; sub < 32; sub++) {
            if (!(valid >> sub & 1))
                continue;
            pmu_model_cpuid(g, 0x23, sub, r);
            printf("leaf 0x23.%u: eax=0x%08x ebx=0x%08x ecx=0x%08x "
                   "edx=0x%08x\n", sub, r[0], r[1], r[2], r[3]);
        }
    } else {
        printf("leaf 0x23: absent\n");
    }
    print_caps(g);
}

int cmd_cpuid(int argc, char **argv)
{
    static const struct option opts[] = {
        CPU_SELECT_LONG_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cpu_select sel;
    struct pmu_model guest;
    int opt;

    cpu_select_init(&sel);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cpu_select_option(&sel, opt, optarg))
            continue;
        if (opt == 'h') {
            fputs(cpuid_usage, stdout);
            return STATUS_OK;
        }
        cli_bad_option(argv, optind);
    }
    if (optind < argc)
        errx(STATUS_USAGE, "cpuid: unexpected argument '%s' (see pmvm cpuid"
             " --help)", argv[optind]);
    cpu_select_resolve(&sel, NULL, &guest);
    print_cpuid(&guest);
    return STATUS_OK;
}

struct explain_args {
    struct pmu_mode mode;
    bool mode_given;
};

static uint64_t parse_num(const char *what, const char *s, uint64_t max)
{
    uint64_t v;

    if (cli_parse_u64(s, &v) || v > max)
        errx(STATUS_USAGE, "explain: %s '%s' is not a number from 0 to %"
             PRIu64, what, s, max);
    return v;
}

static void print_outcome(int rc, uint64_t val, const char *rule)
{
    if (rc == PMU_OK)
        printf("result: 0x%" PRIx64 "\n", val);
    else
        printf("result: #GP(0)\n");
    printf("rule: %s\n", rule);
}

static int explain_rdpmc(struct pmu *pmu, uint32_t ecx,
                         const struct pmu_mode *mode)
{
    const char *rule;
    uint64_t v;
    int rc;

    printf("rdpmc ecx=0x%08x (type 0x%04x, index %u) at CPL %u, CR0.PE=%d, "
           "CR4.PCE=%d\n", ecx, ecx >> 16, ecx & 0xFFFF, mode->cpl,
           mode->cr0_pe, mode->cr4_pce);
    rc = pmu_rdpmc(pmu, ecx, mode, &v, &rule);
    if (rc == PMU_OK)
        printf("result: EDX:EAX = 0x%08x:0x%08x (0x%" PRIx64 ")\n",
               (uint32_t)(v >> 32), (uint32_t)v, v);
    else
        printf("result: #GP(0)\n");
    printf("rule: %s\n", rule);
    return STATUS_OK;
}

static int explain_msr(struct pmu *pmu, bool write, uint32_t msr,
                       uint64_t val)
{
    const char *rule;
    uint64_t v;
    int rc;

    if (!write) {
        printf("rdmsr 0x%x\n", msr);
        rc = pmu_rdmsr(pmu, msr, &v, &rule);
        print_outcome(rc, v, rule);
        return STATUS_OK;
    }
    printf("wrmsr 0x%x <- 0x%" PRIx64 "\n", msr, val);
    rc = pmu_wrmsr(pmu, msr, val, &rule);
    printf("result: %s\nrule: %s\n", rc == PMU_OK ? "accepted" : "#GP(0)",
           rule);
    if (rc == PMU_OK && pmu_rdmsr(pmu, msr, &v, &rule) == PMU_OK)
        printf("then rdmsr 0x%x: 0x%" PRIx64 " (%s)\n", msr, v, rule);
    return STATUS_OK;
}

static int explain_op(struct pmu *pmu, int argc, char **argv,
                      const struct explain_args *a)
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
    if (strcmp(op, "rdpmc") == 0)
        return explain_rdpmc(pmu, (uint32_t)parse_num("ECX", argv[1],
                                                      UINT32_MAX), &a->mode);
    if (a->mode_given)
        errx(STATUS_USAGE, "explain %s: --cpl, --pce and --pe apply to "
             "rdpmc only", op);
    return explain_msr(pmu, n == 3,
                       (uint32_t)parse_num("MSR", argv[1], UINT32_MAX),
                       n == 3 ? parse_num("VALUE", argv[2], UINT64_MAX) : 0);
}

int cmd_explain(int argc, char **argv)
{
    enum { OPT_CPL = 0x200, OPT_PCE, OPT_PE };
    static const struct option opts[] = {
        CPU_SELECT_LONG_OPTIONS,
        {"cpl", required_argument, NULL, OPT_CPL},
        {"pce", required_argument, NULL, OPT_PCE},
        {"pe", required_argument, NULL, OPT_PE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct explain_args a = {.mode = {.cpl = 0, .cr0_pe = true}};
    struct cpu_select sel;
    struct pmu_model guest;
    struct pmu *pmu;
    int opt, rc;

    cpu_select_init(&sel);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cpu_select_option(&sel, opt, optarg))
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
        case 'h':
            fputs(explain_usage, stdout);
            return STATUS_OK;
        default:
            cli_bad_option(argv, optind);
        }
    }
    if (optind >= argc)
        errx(STATUS_USAGE, "explain: no access given (rdpmc ECX, rdmsr MSR,"
             " wrmsr MSR VALUE)");
    cpu_select_resolve(&sel, NULL, &guest);
    pmu = pmu_create(&guest);
    if (!pmu)
        err(STATUS_OSERR, "explain");
    print_model_line(&guest);
    rc = explain_op(pmu, argc - optind, argv + optind, &a);
    pmu_destroy(pmu);
    return rc;
}
