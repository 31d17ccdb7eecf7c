/* main.c: pmvm's entry point: the table of commands it dispatches to. */
#include <err.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "vmm/status.h"

static int cmd_help(int argc, char **argv)
{
    (void)argc, (void)argv;
    help_print(stdout);
    return STATUS_OK;
}

static int cmd_version(int argc, char **argv)
{
    (void)argc, (void)argv;
    printf("pmvm %s\n", PMVM_VERSION);
    return STATUS_OK;
}

/* The commands, as kvmtool's builtin table: argv[0] of fn is the name. */
static const struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"run", cmd_run, "boot a Multiboot image with the modelled PMU"},
    {"cpuid", cmd_cpuid, "the PMU's CPUID leaves as the guest sees them"},
    {"explain", cmd_explain, "what one RDPMC, RDMSR or WRMSR does, and why"},
    {"model", cmd_model, "a CPU's model as a file --cpu reads back"},
    {"models", cmd_models, "the CPU model names --cpu takes"},
    {"diff", cmd_diff, "a probe under pmvm against the same elsewhere"},
    {"help", cmd_help, "this text"},
    {"--help", cmd_help, NULL},
    {"-h", cmd_help, NULL},
    {"version", cmd_version, "pmvm's version"},
    {"--version", cmd_version, NULL},
};

void cli_commands(FILE *f)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].summary)
            fprintf(f, "  %-10s%s\n", commands[i].name, commands[i].summary);
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2)
        errx(STATUS_USAGE, "no command given (see pmvm --help)");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    errx(STATUS_USAGE, "unknown command '%s' (see pmvm --help)", argv[1]);
}

int main(int argc, char **argv)
{
    /* Output nobody can receive is an error, not a success: a closed
     * stdout (whose descriptor a later open() would take over), and a
     * write that failed (a full disk, /dev/full). pmvm run's console
     * says so itself (vmm/console.c). */
    if (fcntl(STDOUT_FILENO, F_GETFD) < 0)
        errx(STATUS_IOERR, "standard output is closed");
    int status = dispatch(argc, argv);
    if (fflush(stdout) == EOF || ferror(stdout)) {
        warn("cannot write to standard output");
        return STATUS_IOERR;
    }
    return status;
}
