/* cpu_select.c: resolves a struct cpu_select (model name, file, dump or host; policy; overrides) into the guest's PMU model. */
#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpu/cpu_dump.h"
#include "cpu/cpu_host.h"
#include "cpu/cpu_select.h"
#include "cpu/model_find.h"
#include "vmm/status.h"

void cpu_select_init(struct cpu_select *s)
{
    memset(s, 0, sizeof(*s));
    s->cpu = CPU_SELECT_DEFAULT_CPU;
    s->policy = PMU_POLICY_NATIVE;
}

static bool ends_with_ini(const char *s, size_t n)
{
    return n > 4 && strncmp(s + n - 4, ".ini", 4) == 0;
}

/*
 * Splits --cpu's "NAME[:TYPE]" or "FILE.ini[:TYPE]" and finds the model:
 * a file for a path, else model_find(). Exits with one line on a bad
 * name or an unknown model.
 */
static void model_locate(const char *cpu, struct model_found *found,
                         char core[8])
{
    const char *colon = strrchr(cpu, ':');
    size_t n = colon ? (size_t)(colon - cpu) : strlen(cpu);
    char name[PATH_MAX], err[PATH_MAX + 1100];

    core[0] = '\0';
    if (colon && (strcmp(colon + 1, "core") == 0 ||
                  strcmp(colon + 1, "atom") == 0))
        strcpy(core, colon + 1);
    else if (colon)
        errx(STATUS_USAGE, "--cpu %s: core type '%s': core or atom", cpu,
             colon + 1);
    if (n == 0 || n >= sizeof(name))
        errx(STATUS_USAGE, "--cpu %s: no model name", cpu);
    memcpy(name, cpu, n);
    name[n] = '\0';
    if (ends_with_ini(name, n)) {
        memset(found, 0, sizeof(*found));
        strcpy(found->path, name);
        return;
    }
    /* Capitals are a model name's typo, found as one below. */
    if (strspn(name, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != n)
        errx(STATUS_USAGE, "--cpu %s: not a model name (letters, digits, "
             "'-'), optionally with :core or :atom, or a file ending in "
             ".ini", cpu);
    if (model_find(name, found, err, sizeof(err)))
        errx(STATUS_DATAERR, "--cpu %s: %s", name, err);
}

/* An input file pmvm is told to read: missing or unreadable is status 66
 * for every input (as the image), not a malformed model (65). */
static void input_check(const char *opt, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;

    if (fd < 0)
        err(STATUS_NOINPUT, "%s %s", opt, path);
    if (fstat(fd, &st) < 0)
        err(STATUS_NOINPUT, "%s %s", opt, path);
    close(fd);
    if (S_ISDIR(st.st_mode))
        errx(STATUS_NOINPUT, "%s %s: Is a directory", opt, path);
}

/* Alias files may name aliases; a chain this long is a loop. */
#define MAX_ALIASES 4

/* --set's "section.KEY=VALUE"s over a model made from CPUID. */
static void apply_sets(const struct cpu_select *s, struct pmu_model *m)
{
    char key[128], err[512];

    for (size_t i = 0; i < s->nsets; i++) {
        const char *eq = strchr(s->sets[i], '=');
        snprintf(key, sizeof(key), "%.*s", (int)(eq - s->sets[i]),
                 s->sets[i]);
        if (pmu_model_set(m, key, eq + 1, err, sizeof(err)))
            errx(STATUS_DATAERR, "--set: %s", err);
    }
    if (pmu_model_validate(m, err, sizeof(err)))
        errx(STATUS_DATAERR, "--set: %s", err);
}

/* --cpu host[:TYPE] or --cpu-dump FILE: the model of a CPU's own CPUID. */
static void model_from_cpu(const struct cpu_select *s, const char *type,
                           struct pmu_model *m, uint64_t *inferred)
{
    static struct pmu_cpuid_dump d;
    char err[PATH_MAX + 512], note[PATH_MAX + 200] = "";
    const char *src = s->dump ? s->dump : "host";
    const char *base = strrchr(src, '/');
    if (s->dump)
        input_check("--cpu-dump", s->dump);
    int rc = s->dump ? cpu_dump_read(s->dump, type, &d, err, sizeof(err))
                     : cpu_host_read(type, &d, note, sizeof(note), err,
                                     sizeof(err));

    if (rc)
        errx(STATUS_DATAERR, "%s", err);
    if (pmu_model_from_cpuid(m, &d, inferred, err, sizeof(err)))
        errx(STATUS_DATAERR, "%s %s: %s", s->dump ? "--cpu-dump" : "--cpu",
             src, err);
    snprintf(m->name, sizeof(m->name), "%s%s%s", base ? base + 1 : src,
             type ? ":" : "", type ? type : "");
    if (note[0])
        fprintf(stderr, "pmvm: --cpu host: %s\n", note);
    apply_sets(s, m);
}

/* "host", "host:core", "host:atom": the CPU pmvm runs on. */
static bool is_host(const char *cpu, const char **type)
{
    if (strncmp(cpu, "host", 4) != 0 || (cpu[4] && cpu[4] != ':'))
        return false;
    *type = cpu[4] ? cpu + 5 : NULL;
    if (*type && strcmp(*type, "core") && strcmp(*type, "atom"))
        errx(STATUS_USAGE, "--cpu %s: core type '%s': core or atom", cpu,
             *type);
    return true;
}

void cpu_select_model(const struct cpu_select *s, struct pmu_model *m,
                      uint64_t *inferred)
{
    struct model_found found;
    char core[8], alias[2][128], err[PATH_MAX + 512];
    const char *cpu = s->cpu, *type = NULL;
    uint64_t none;
    int rc = 1;

    if (!inferred)
        inferred = &none;
    *inferred = 0;
    if (s->dump && s->cpu_given)
        errx(STATUS_USAGE, "--cpu-dump %s and --cpu %s: give one of them",
             s->dump, s->cpu);
    if (s->dump || is_host(s->cpu, &type)) {
        if (s->core_type && type)
            errx(STATUS_USAGE, "--cpu %s and --core-type %s: give the core "
                 "type once", s->cpu, s->core_type);
        model_from_cpu(s, type ? type : s->core_type, m, inferred);
        return;
    }
    if (s->core_type)
        errx(STATUS_USAGE, "--core-type %s: for --cpu-dump and --cpu host "
             "(a model takes NAME:%s)", s->core_type, s->core_type);
    for (int i = 0; rc == 1; i++) {
        if (i == MAX_ALIASES)
            errx(STATUS_DATAERR, "--cpu %s: aliases of aliases more than %d "
                 "deep (a loop?)", s->cpu, MAX_ALIASES);
        model_locate(cpu, &found, core);
        if (!found.text)
            input_check("--cpu", found.path);
        const struct pmu_model_src src = {
            .name = found.path, .text = found.text,
            .text_len = found.text_len, .core = core[0] ? core : NULL,
        };
        rc = pmu_model_load_src(m, &src, s->sets, s->nsets, alias[i % 2],
                                sizeof(alias[0]), err, sizeof(err));
        if (rc < 0)
            errx(STATUS_DATAERR, "%s", err);
        if (rc == 1 && core[0])
            errx(STATUS_DATAERR, "--cpu %s: %s is an alias of %s, which "
                 "names its core type itself", s->cpu, found.path,
                 alias[i % 2]);
        cpu = alias[i % 2];
    }
}

void cpu_select_resolve(const struct cpu_select *s, struct pmu_model *host,
                        struct pmu_model *guest)
{
    struct pmu_model h;
    char err[512];

    cpu_select_model(s, &h, NULL);
    if (pmu_policy_apply(&h, s->policy, guest, err, sizeof(err)))
        errx(STATUS_DATAERR, "--policy %s: %s", pmu_policy_name(s->policy),
             err);
    if (host)
        *host = h;
}
