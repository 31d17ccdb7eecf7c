/* cpu_select.c: resolves --cpu/--policy/--set into the guest's PMU model. */
#include <dirent.h>
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/cpu_select.h"
#include "vmm/status.h"

void cpu_select_init(struct cpu_select *s)
{
    memset(s, 0, sizeof(*s));
    s->cpu = CPU_SELECT_DEFAULT_CPU;
    s->policy = CPU_SELECT_DEFAULT_POLICY;
}

bool cpu_select_option(struct cpu_select *s, int opt, const char *arg)
{
    const char *eq, *dot;

    switch (opt) {
    case CPU_SELECT_OPT_CPU:
        s->cpu = arg;
        return true;
    case CPU_SELECT_OPT_POLICY:
        s->policy = arg;
        return true;
    case CPU_SELECT_OPT_SET:
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

static bool is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cpu_select_config_dir(void)
{
    static char dir[PATH_MAX];
    /* build/pmvm -> ../configs; build/san/pmvm -> ../../configs */
    static const char *const up[] = {"/../configs", "/../../configs"};
    const char *env = getenv("PMVM_CONFIG_DIR");
    char exe[PATH_MAX];
    ssize_t n;
    char *slash;

    if (env && *env)
        return env;
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
        if ((size_t)snprintf(dir, sizeof(dir), "%s%s", exe, up[i]) <
                sizeof(dir) && is_dir(dir))
            return dir;
    }
    return NULL;
}

static int is_ini(const struct dirent *e)
{
    size_t n = strlen(e->d_name);

    return n > 4 && strcmp(e->d_name + n - 4, ".ini") == 0;
}

/* "a, b, c" of the *.ini names in dir, for the unknown-model message. */
static void list_models(const char *dir, char *out, size_t len)
{
    struct dirent **names;
    size_t used = 0;
    int n = scandir(dir, &names, is_ini, alphasort);

    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t l = strlen(names[i]->d_name) - 4;
        int w = snprintf(out + used, len - used, "%s%.*s", used ? ", " : "",
                         (int)l, names[i]->d_name);
        if (w > 0 && (size_t)w < len - used)
            used += (size_t)w;
        free(names[i]);
    }
    if (n >= 0)
        free(names);
}

static bool ends_with_ini(const char *s)
{
    size_t n = strlen(s);

    return n > 4 && strcmp(s + n - 4, ".ini") == 0;
}

/* The file --cpu names, into path; exits on a bad or unknown name. */
static void model_path(const char *cpu, char *path, size_t len)
{
    const char *dir;
    char models[512];

    if (ends_with_ini(cpu)) {
        if ((size_t)snprintf(path, len, "%s", cpu) >= len)
            errx(STATUS_USAGE, "--cpu: path too long");
        return;
    }
    if (!*cpu || strspn(cpu, "abcdefghijklmnopqrstuvwxyz0123456789-_") !=
                     strlen(cpu))
        errx(STATUS_USAGE, "--cpu %s: not a model name (letters, digits, "
             "'-') or a file ending in .ini", cpu);
    dir = cpu_select_config_dir();
    if (!dir)
        errx(STATUS_DATAERR, "--cpu %s: no configs/ directory next to pmvm;"
             " set PMVM_CONFIG_DIR", cpu);
    if ((size_t)snprintf(path, len, "%s/%s.ini", dir, cpu) >= len)
        errx(STATUS_USAGE, "--cpu: path too long");
    if (access(path, F_OK) != 0) {
        list_models(dir, models, sizeof(models));
        errx(STATUS_DATAERR, "--cpu %s: unknown CPU model (no %s; models: "
             "%s)", cpu, path, models);
    }
}

void cpu_select_resolve(const struct cpu_select *s, struct pmu_model *host,
                        struct pmu_model *guest)
{
    struct pmu_model h;
    enum pmu_policy policy;
    char path[PATH_MAX], err[PATH_MAX + 512];

    if (!pmu_policy_from_string(s->policy, &policy))
        errx(STATUS_USAGE, "--policy %s: unknown policy (native, kvm-legacy,"
             " kvm-mediated)", s->policy);
    model_path(s->cpu, path, sizeof(path));
    if (pmu_model_load(&h, path, s->sets, s->nsets, err, sizeof(err)))
        errx(STATUS_DATAERR, "%s", err);
    if (pmu_policy_apply(&h, policy, guest, err, sizeof(err)))
        errx(STATUS_DATAERR, "--policy %s: %s", s->policy, err);
    if (host)
        *host = h;
}
