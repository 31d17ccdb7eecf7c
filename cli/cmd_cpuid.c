/* cmd_cpuid.c: `pmvm cpuid`: the PMU's CPUID leaves and PERF_CAPABILITIES as the guest sees them. */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/oracle_json.h"
#include "cli/oracle_text.h"
#include "cli/cpu_options.h"
#include "cli/help.h"
#include "cpu/cpu_select.h"
#include "vmm/status.h"

static const char cpuid_usage[] =
    "usage: pmvm cpuid [--cpu M | --cpu host[:core|:atom] |\n"
    "                   --cpu-dump FILE [--core-type core|atom]]\n"
    "                  [--policy P] [--set pmu.KEY=VALUE]...\n"
    "Prints the PMU's CPUID leaves (0, 1, 0xA, 0x1A, 0x23) and\n"
    "PERF_CAPABILITIES as the guest sees them.\n";

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

    oracle_text_model_line(g);
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
        CPU_LONG_OPTIONS,
        {"format", required_argument, NULL, OPT_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cpu_select sel;
    struct pmu_model guest;
    bool json = false;
    int opt;

    cpu_select_init(&sel);
    optind = 1;
    opterr = 0; /* cli_bad_option() says it, in one line */
    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (cli_cpu_option(&sel, opt, optarg))
            continue;
        if (opt == OPT_FORMAT) {
            json = cli_format_json(optarg);
            continue;
        }
        if (opt == 'h') {
            return help_command(cpuid_usage, HELP_CPUID);
        }
        cli_bad_option(opt, argv, optind);
    }
    if (optind < argc)
        errx(STATUS_USAGE, "cpuid: unexpected argument '%s' (see pmvm cpuid"
             " --help)", argv[optind]);
    cpu_select_resolve(&sel, NULL, &guest);
    if (json)
        oracle_json_cpuid(&guest);
    else
        print_cpuid(&guest);
    return STATUS_OK;
}
