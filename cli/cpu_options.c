/* cpu_options.c: reads the model-picking options into a struct cpu_select; cpu/ resolves it. */
#include <err.h>
#include <string.h>

#include "cli/cpu_options.h"
#include "cli/options.h"
#include "vmm/status.h"

static const char *const core_type_words[] = {"core", "atom"};

bool cli_cpu_option(struct cpu_select *s, int opt, const char *arg)
{
    const char *eq, *dot;

    switch (opt) {
    case CPU_OPT_CPU:
        s->cpu = arg;
        s->cpu_given = true;
        return true;
    case CPU_OPT_DUMP:
        s->dump = arg;
        return true;
    case CPU_OPT_CORE_TYPE:
        s->core_type = core_type_words[CLI_ENUM("--core-type", arg,
                                                core_type_words)];
        return true;
    case CPU_OPT_POLICY:
        s->policy = (enum pmu_policy)cli_enum("--policy", arg,
                                              pmu_policy_names,
                                              PMU_POLICY_COUNT);
        return true;
    case CPU_OPT_SET:
        eq = strchr(arg, '=');
        dot = strchr(arg, '.');
        if (!eq || !dot || dot > eq || dot == arg || dot + 1 == eq)
            errx(STATUS_USAGE, "--set %s: expected section.KEY=VALUE, e.g. "
                 "pmu.gp_counters=4", arg);
        if (s->nsets == CPU_SELECT_MAX_SETS)
            errx(STATUS_USAGE, "--set: more than %d overrides",
                 CPU_SELECT_MAX_SETS);
        s->sets[s->nsets++] = arg;
        return true;
    default:
        return false;
    }
}
