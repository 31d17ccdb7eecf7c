/* help.c: pmvm's help texts: the usage, the options of every command from one table, the exit statuses and examples. */
#include <stdbool.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/help.h"

static const char usage_head[] =
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
    "architectural PMU modelled in userspace.\n";

/* The groups --help shows, in order, and what a reader of pmvm --help
 * needs to know of each. */
enum group { G_MODEL, G_RUN, G_EXPLAIN, G_OUTPUT, G_DIFF, G_COUNT };
static const struct {
    const char *heading, *note;
} groups[G_COUNT] = {
    [G_MODEL] = {"Model options:", "Every command takes these; model all "
                 "but --policy."},
    [G_RUN] = {"Run options:", "pmvm run's own."},
    [G_EXPLAIN] = {"Explain options:", "The mode pmvm explain rdpmc "
                   "assumes."},
    [G_OUTPUT] = {"Output options:", "pmvm cpuid, explain and diff."},
    [G_DIFF] = {"Diff options:", "pmvm diff's own."},
};

/* Every option, once: its tag as --help shows it, the commands that take
 * it and what it does. The commands' getopt tables must agree
 * (tests/integration/doc_options.sh checks both ways). */
static const struct option_help {
    enum group group;
    const char *tag;
    unsigned commands;
    const char *text;
} options[] = {
    {G_MODEL, "--cpu=NAME|FILE.ini", HELP_ALL,
     "CPU model: configs/NAME.ini, or a model file (default "
     "sapphire-rapids); a hybrid CPU's core type after a colon: "
     "lunar-lake:atom"},
    {G_MODEL, "--cpu=host[:TYPE]", HELP_ALL,
     "the CPU pmvm runs on (TYPE core or atom)"},
    {G_MODEL, "--cpu-dump=FILE", HELP_ALL,
     "the CPU of a dump: `cpuid -r` output or an InstLatx64/AIDA64 CPUID "
     "dump"},
    {G_MODEL, "--core-type=TYPE", HELP_ALL,
     "core or atom: which CPUs of a hybrid dump"},
    {G_MODEL, "--policy=NAME", HELP_ALL & ~HELP_MODEL,
     "native (default), kvm-legacy or kvm-mediated: the PMU as the "
     "hardware has it, or as KVM gives it"},
    {G_MODEL, "--set=pmu.KEY=VAL", HELP_ALL,
     "override one value of the model (repeatable)"},
    {G_RUN, "--mem=SIZE", HELP_RUN,
     "guest RAM: MiB, or with a K/M/G suffix (default 64)"},
    {G_RUN, "--timeout=SECONDS", HELP_RUN,
     "stop a guest still running after this (default 10, with "
     "--machine=pc 90 as kvm-unit-tests' runner, for a Linux kernel "
     "never; 0: never)"},
    {G_RUN, "--exit-code=STYLE", HELP_RUN,
     "pmvm: port 0xF4 value v is the status (default); qemu: (v << 1) | 1, "
     "as QEMU's isa-debug-exit"},
    {G_RUN, "--machine=NAME", HELP_RUN,
     "pmvm (default): pmvm's guest ABI; pc: QEMU's PC as kvm-unit-tests "
     "uses it (128 MiB and --exit-code=qemu unless given; an access to a "
     "port pmvm does not model ends the run); linux (implied by a Linux "
     "kernel, for nothing else): KVM's 8259s, I/O APIC and PIT, an MP "
     "table, the RTC and keyboard controller; a reset ends the run, "
     "status 0"},
    {G_RUN, "--env=NAME=VALUE", HELP_RUN,
     "an environment word in a Multiboot module, as kvm-unit-tests reads "
     "it (repeatable)"},
    {G_RUN, "--initrd=FILE", HELP_RUN,
     "FILE as the Multiboot module, or a Linux kernel's initrd (QEMU's "
     "-initrd)"},
    {G_RUN, "--append=CMDLINE", HELP_RUN,
     "a Linux kernel's command line; after a Multiboot image's path and "
     "ARGS (QEMU's -append)"},
    {G_RUN, "--accel=WHAT", HELP_RUN | HELP_DIFF,
     "what runs the guest: auto (default; KVM where /dev/kvm opens and "
     "answers, else the engine, said on stderr), kvm, or engine (pmvm's "
     "own x86-64 engine is the CPU: no KVM at all)"},
    {G_RUN, "--trap=MODE", HELP_RUN,
     "how RDPMC is caught: auto (default), bp (hardware breakpoints) or "
     "step (single-step)"},
    {G_RUN, "--count=HOW", HELP_RUN,
     "how instructions are counted while a counter counts: engine "
     "(default; pmvm runs the guest) or step (KVM single-steps it)"},
    {G_RUN, "--cpl0=WHO", HELP_RUN,
     "who runs the guest's CPL0 code while no counter counts: auto "
     "(default; the engine where this host's KVM would interpret it, as "
     "nested PVM does, else KVM), kvm or engine"},
    {G_RUN, "--trace[=all]", HELP_RUN,
     "one line per trapped event on stderr (a sweep of RDPMCs at one site "
     "folded into two lines; =all: every one), exit counts at the end"},
    {G_RUN, "--no-sandbox", HELP_RUN,
     "keep capabilities and allow every system call in the run loop (for "
     "debugging)"},
    {G_EXPLAIN, "--cpl=N", HELP_EXPLAIN,
     "explain rdpmc: the CPL it runs at (default 0)"},
    {G_EXPLAIN, "--pce=0|1", HELP_EXPLAIN,
     "explain rdpmc: CR4.PCE (default 0)"},
    {G_EXPLAIN, "--pe=0|1", HELP_EXPLAIN,
     "explain rdpmc: CR0.PE (default 1; 0: real mode)"},
    {G_OUTPUT, "--format=FORMAT", HELP_CPUID | HELP_EXPLAIN | HELP_DIFF,
     "text (default) or json"},
    {G_DIFF, "--log=FILE", HELP_DIFF, "the other side's captured log"},
    {G_DIFF, "--pmvm-log=FILE", HELP_DIFF,
     "pmvm's side from a log, not a run"},
    {G_DIFF, "--timeout=SECONDS", HELP_DIFF,
     "how long each side may run (default 60)"},
};

static const char exit_statuses[] =
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
    "        emulation error, entry failure\n";

static const char examples[] =
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

/* The column an option's text starts in, and the width --help keeps to
 * (help2man makes a tagged paragraph of each such line). */
#define TEXT_COL 22
#define WIDTH 78

/* "  TAG  text", the text filled into the columns from TEXT_COL, on a
 * line of its own when the tag leaves no two spaces before it. */
static void put_option(FILE *f, const char *tag, const char *text)
{
    int col = fprintf(f, "  %s", tag);

    if (col > TEXT_COL - 2) {
        fputc('\n', f);
        col = 0;
    }
    for (const char *w = text; *w; w += strspn(w, " ")) {
        int n = (int)strcspn(w, " ");
        if (col > TEXT_COL && col + 1 + n > WIDTH) {
            fputc('\n', f);
            col = 0;
        }
        col += col < TEXT_COL ? fprintf(f, "%*s", TEXT_COL - col, "")
                              : fprintf(f, " ");
        col += fprintf(f, "%.*s", n, w);
        w += n;
    }
    fputc('\n', f);
}

/* The options of (commands), under their groups' headings. */
static void put_options(FILE *f, unsigned commands, bool notes)
{
    for (unsigned g = 0; g < G_COUNT; g++) {
        bool shown = false;
        for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
            if (options[i].group != g || !(options[i].commands & commands))
                continue;
            if (!shown) {
                fprintf(f, "\n%s\n", groups[g].heading);
                if (notes)
                    fprintf(f, "%s\n", groups[g].note);
            }
            shown = true;
            put_option(f, options[i].tag, options[i].text);
        }
    }
}

void help_print(FILE *f)
{
    fputs(usage_head, f);
    fputs("\nCommands:\n", f);
    cli_commands(f);
    put_options(f, HELP_ALL, true);
    fprintf(f, "\n%s\n%s", exit_statuses, examples);
}

int help_command(const char *usage, unsigned command)
{
    fputs(usage, stdout);
    put_options(stdout, command, false);
    fprintf(stdout, "\n%s", exit_statuses);
    return 0;
}
