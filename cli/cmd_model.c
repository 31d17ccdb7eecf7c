/* cmd_model.c: `pmvm model`: a CPU's model as the INI file --cpu FILE.ini takes back; `pmvm models`: the model names. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/cpu_options.h"
#include "cli/help.h"
#include "cpu/cpu_select.h"
#include "cpu/model_find.h"
#include "vmm/status.h"

static const char model_usage[] =
    "usage: pmvm model [--cpu M | --cpu host[:core|:atom] |\n"
    "                   --cpu-dump FILE [--core-type core|atom]]\n"
    "                  [--set pmu.KEY=VALUE]...\n"
    "Prints the CPU's model (before any policy) as a commented INI file\n"
    "that --cpu FILE.ini reads back to the same model. Values marked [I]\n"
    "were inferred, not read from the CPU (docs/cpu-models.md).\n";

/* The command line that made the model, for the file's first comment. */
static void print_source(int argc, char **argv)
{
    fputs("; pmvm", stdout);
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n; a CPU model for pmvm (docs/cpu-models.md); pmvm %s\n",
           PMVM_VERSION);
}

int cmd_model(int argc, char **argv)
{
    static const struct option opts[] = {
        CPU_LONG_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cpu_select sel;
    struct pmu_model m;
    uint64_t inferred;
    int opt;

    cpu_select_init(&sel);
    optind = 1;
    opterr = 0; /* cli_bad_option() says it, in one line */
    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (opt == CPU_OPT_POLICY)
            errx(STATUS_USAGE, "model: --policy: a model is the CPU's own; "
                 "give the policy where the model is used");
        if (cli_cpu_option(&sel, opt, optarg))
            continue;
        if (opt == 'h') {
            return help_command(model_usage, HELP_MODEL);
        }
        cli_bad_option(opt, argv, optind);
    }
    if (optind < argc)
        errx(STATUS_USAGE, "model: unexpected argument '%s' (see pmvm model"
             " --help)", argv[optind]);
    cpu_select_model(&sel, &m, &inferred);
    print_source(argc, argv);
    pmu_model_write_ini(&m, inferred, stdout);
    return STATUS_OK;
}

/* What a name is, beside it: an alias's model, a hybrid part's core
 * types; nothing for a plain model. Asks the model library, which is
 * what --cpu would do with the name. */
static void print_name(const char *name)
{
    struct model_found f;
    struct pmu_model m;
    char alias[128], err[512];

    if (model_find(name, &f, err, sizeof(err))) {
        printf("%-20s (%s)\n", name, err);
        return;
    }
    struct pmu_model_src src = {.name = f.path, .text = f.text,
                                .text_len = f.text_len};
    int rc = pmu_model_load_src(&m, &src, NULL, 0, alias, sizeof(alias),
                                err, sizeof(err));
    if (rc == 1) {
        printf("%-20s alias of %s\n", name, alias);
        return;
    }
    if (rc == 0) {
        puts(name);
        return;
    }
    src.core = "atom";
    if (pmu_model_load_src(&m, &src, NULL, 0, alias, sizeof(alias), err,
                           sizeof(err)) == 0)
        printf("%-20s hybrid: %s:core, %s:atom\n", name, name, name);
    else
        printf("%-20s (cannot be loaded: %s)\n", name, err);
}

int cmd_models(int argc, char **argv)
{
    char names[4096], *save = NULL;

    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: pmvm models\nLists the CPU model names --cpu "
               "takes (configs/ and the models built in), one a line;\n"
               "an alias says its model, a hybrid part its core types.\n");
        return STATUS_OK;
    }
    if (argc > 1)
        errx(STATUS_USAGE, "models: unexpected argument '%s'", argv[1]);
    model_list(names, sizeof(names));
    for (char *n = strtok_r(names, ", ", &save); n;
         n = strtok_r(NULL, ", ", &save))
        print_name(n);
    return STATUS_OK;
}
