/* main.c: pmvm's entry point: the usage text and the table of commands it dispatches to. */
#include <err.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vmm/status.h"

static const char usage_text[] =
    "Usage: pmvm run [options] IMAGE [-- ARGS...]\n"
    "   or: pmvm cpuid [--cpu M] [--policy P] [--set pmu.KEY=VALUE]...\n"
    "   or: pmvm explain [--cpu M] [--policy P] rdpmc ECX [--cpl N] [--pce 0|1]\n"
    "   or: pmvm explain [--cpu M] [--policy P] rdmsr MSR | wrmsr MSR VALUE\n"
    "   or: pmvm model [--cpu M] [--set pmu.KEY=VALUE]...\n"
    "   or: pmvm models\n"
    "   or: pmvm diff [options] IMAGE (--log FILE | -- COMMAND [ARGS...])\n"
    "   or: pmvm --version\n"
    "\n"
    "pmvm boots a Multiboot v1 guest image on /dev/kvm and gives it an Intel\n"
    "architectural PMU modelled in userspace.\n"
    "\n"
    "options (run takes all but the last six; every command takes\n"
    "--cpu, --cpu-dump, --core-type and --set, and all but model\n"
    "--policy):\n"
    "  --mem=SIZE          guest RAM: MiB, or with a K/M/G suffix (default 64)\n"
    "  --timeout=SECONDS   stop a guest still running after this (default 10,\n"
    "                      with --machine=pc 90 as kvm-unit-tests' runner;\n"
    "                      0: never); diff: the other command's (default 60)\n"
    "  --exit-code=STYLE   pmvm: port 0xF4 value v is the status (default);\n"
    "                      qemu: (v << 1) | 1, as QEMU's isa-debug-exit\n"
    "  --machine=NAME      pmvm (default): pmvm's guest ABI; pc: QEMU's PC\n"
    "                      as kvm-unit-tests uses it (128 MiB and\n"
    "                      --exit-code=qemu unless given; an access to a\n"
    "                      port pmvm does not model ends the run)\n"
    "  --env=NAME=VALUE    an environment word in a Multiboot module, as\n"
    "                      kvm-unit-tests reads it (repeatable)\n"
    "  --initrd=FILE       FILE as the Multiboot module (QEMU's -initrd)\n"
    "  --cpu=NAME|FILE.ini\n"
    "                      CPU model: configs/NAME.ini, or a model file\n"
    "                      (default sapphire-rapids); a hybrid CPU's core\n"
    "                      type after a colon: lunar-lake:atom\n"
    "  --cpu=host[:TYPE]   the CPU pmvm runs on (TYPE core or atom)\n"
    "  --cpu-dump=FILE     the CPU of a dump: `cpuid -r` output or an\n"
    "                      InstLatx64/AIDA64 CPUID dump\n"
    "  --core-type=TYPE    core or atom: which CPUs of a hybrid dump\n"
    "  --policy=NAME       native (default), kvm-legacy or kvm-mediated: the\n"
    "                      PMU as the hardware has it, or as KVM gives it\n"
    "  --set=pmu.KEY=VAL   override one value of the model (repeatable)\n"
    "  --trap=MODE         how RDPMC is caught: auto (default), bp (hardware\n"
    "                      breakpoints) or step (single-step)\n"
    "  --count=HOW         how instructions are counted while a counter\n"
    "                      counts: engine (default; pmvm runs the guest) or\n"
    "                      step (KVM single-steps it)\n"
    "  --cpl0=WHO          who runs the guest's CPL0 code while no counter\n"
    "                      counts: auto (default; the engine where this\n"
    "                      host's KVM would interpret it, as nested PVM\n"
    "                      does, else KVM), kvm or engine\n"
    "  --trace[=all]       one line per trapped event on stderr (a sweep of\n"
    "                      RDPMCs at one site folded into two lines; =all:\n"
    "                      every one), exit counts at the end\n"
    "  --no-sandbox        keep capabilities and allow every system call in\n"
    "                      the run loop (for debugging)\n"
    "  --cpl=N             explain rdpmc: the CPL it runs at (default 0)\n"
    "  --pce=0|1           explain rdpmc: CR4.PCE (default 0)\n"
    "  --pe=0|1            explain rdpmc: CR0.PE (default 1; 0: real mode)\n"
    "  --format=FORMAT     cpuid, explain, diff: text (default) or json\n"
    "  --log=FILE          diff: the other side's captured log\n"
    "  --pmvm-log=FILE     diff: pmvm's side from a log, not a run\n"
    "\n"
    "The guest's command line is IMAGE followed by ARGS, as with QEMU -kernel\n"
    "and -append. A probe's name alone (rdpmc) runs pmvm's own image.\n"
    "pmvm model prints a model as a file --cpu takes back; pmvm models\n"
    "lists the model names.\n"
    "\n"
    "exit status (pmvm diff: 0 when every obs line agrees, 1 when any\n"
    "differs, else as below):\n"
    "  0     guest wrote 0 to port 0xF4, or halted with interrupts off\n"
    "  v     guest wrote v to port 0xF4 (0..255; with --exit-code=qemu,\n"
    "        (v << 1) | 1)\n"
    "  64    bad option or number\n"
    "  65    malformed image, CPU model or config value\n"
    "  66    image missing or unreadable\n"
    "  69    /dev/kvm missing, not permitted, or lacking a capability\n"
    "  70    internal error in pmvm\n"
    "  71    a system call pmvm needs failed\n"
    "  74    standard output closed, or a write to it failed (the\n"
    "        guest's console, or a command's output)\n"
    "  124   guest still running after --timeout (also while its\n"
    "        console waits on a reader that does not read)\n"
    "  125   guest triple-faulted\n"
    "  126   guest ended otherwise: unexpected exit, KVM internal or\n"
    "        emulation error, entry failure\n"
    "\n"
    "Examples:\n"
    "  pmvm run build/guest/hello.elf\n"
    "  pmvm run --timeout=2 build/guest/cpuid.elf\n"
    "  pmvm run --machine=pc --cpu icelake \"$KUT_DIR/pmu.flat\"   # status 1\n"
    "      (KUT_DIR: the x86 directory of a kvm-unit-tests build; 1: every\n"
    "      check passed, as QEMU's isa-debug-exit gives it)\n"
    "  pmvm cpuid --cpu clearwater-forest\n"
    "  pmvm cpuid --cpu host --policy kvm-mediated  # on a PMU v4+ host\n"
    "  pmvm model --cpu-dump my-cpuid-r.txt > my-cpu.ini\n"
    "  pmvm explain --cpu sapphire-rapids rdpmc 0x20000000\n"
    "  pmvm diff rdpmc -- qemu-system-x86_64 -accel tcg -display none \\\n"
    "      -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=1 \\\n"
    "      -kernel build/guest/rdpmc.elf           # status 1: they differ\n";

void cli_usage(FILE *f)
{
    fputs(usage_text, f);
}

static int cmd_help(int argc, char **argv)
{
    (void)argc, (void)argv;
    cli_usage(stdout);
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
