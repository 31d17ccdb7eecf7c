/* pmu_model_load.c: reads a CPU model INI file (libinih), applies --set, validates. */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

#include "pmu/pmu_internal.h"

/*
 * Where each key was set: a line of the file (> 0), the n-th --set (-n,
 * counting from 1), or nowhere (0, the default). Errors found after
 * loading, such as contradictions, are reported where the key they blame
 * was set.
 */
struct load {
    FILE *f;
    const char *path;
    int line;           /* line the parser is on (counted by the reader) */
    bool at_line_start; /* the previous chunk ended a line */
    struct pmu_model *m;
    int where[PMU_MODEL_MAX_KEYS];
    char *err;
    size_t errlen;
    bool failed;
    int failed_line;
};

static void fail(struct load *ld, const char *msg)
{
    if (ld->failed)
        return; /* keep the first error: later ones often follow from it */
    ld->failed = true;
    ld->failed_line = ld->line;
    snprintf(ld->err, ld->errlen, "%s:%d: %s", ld->path, ld->line, msg);
}

/* fgets for ini_parse_stream, counting lines so that the handler knows
 * where it is (this libinih is built without INI_HANDLER_LINENO). */
static char *reader(char *str, int num, void *stream)
{
    struct load *ld = stream;
    size_t n;

    if (!fgets(str, num, ld->f))
        return NULL;
    if (ld->at_line_start)
        ld->line++;
    n = strlen(str);
    ld->at_line_start = n > 0 && str[n - 1] == '\n';
    if (!ld->at_line_start && !feof(ld->f)) {
        char msg[64];
        snprintf(msg, sizeof(msg), "line longer than %d characters",
                 num - 2);
        fail(ld, msg);
        return NULL;
    }
    return str;
}

static int handler(void *user, const char *section, const char *name,
                   const char *value)
{
    struct load *ld = user;
    char key[64], err[256], msg[320];
    int i;

    if (strcmp(section, "cpu") != 0 && strcmp(section, "pmu") != 0) {
        snprintf(msg, sizeof(msg), "unknown section [%s] (only [cpu] and "
                 "[pmu])", section);
        fail(ld, msg);
        return 0;
    }
    snprintf(key, sizeof(key), "%s.%s", section, name);
    i = pmu_model_key_index(key);
    if (i >= 0 && ld->where[i] > 0) {
        snprintf(msg, sizeof(msg), "%s: set twice (first at line %d)", key,
                 ld->where[i]);
        fail(ld, msg);
        return 0;
    }
    if (pmu_model_set(ld->m, key, value, err, sizeof(err))) {
        fail(ld, err);
        return 0;
    }
    ld->where[i] = ld->line;
    return 1;
}

static int apply_set(struct load *ld, int n, const char *set)
{
    const char *eq = strchr(set, '=');
    char key[64], err[256];
    size_t klen = eq ? (size_t)(eq - set) : 0;

    if (!eq || klen == 0 || klen >= sizeof(key)) {
        snprintf(ld->err, ld->errlen, "--set %s: expected section.key=value",
                 set);
        return -1;
    }
    memcpy(key, set, klen);
    key[klen] = '\0';
    if (pmu_model_set(ld->m, key, eq + 1, err, sizeof(err))) {
        snprintf(ld->err, ld->errlen, "--set: %s", err);
        return -1;
    }
    ld->where[pmu_model_key_index(key)] = -(n + 1);
    return 0;
}

static void name_from_path(struct pmu_model *m, const char *path)
{
    const char *base = strrchr(path, '/');
    size_t n;

    base = base ? base + 1 : path;
    n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
        n -= 4;
    if (n >= sizeof(m->name))
        n = sizeof(m->name) - 1;
    memcpy(m->name, base, n);
    m->name[n] = '\0';
}

/* Orders where keys were set: defaults, then file lines, then --set. */
static long rank(int where)
{
    return where == 0 ? 0 : where > 0 ? where : 1000000L - where;
}

static int validate(struct load *ld)
{
    char msg[256];
    size_t key[2], k;
    int w;

    if (pmu_model_check(ld->m, key, msg, sizeof(msg)) == 0)
        return 0;
    /* Blame the later of the two keys: the one that made it contradict. */
    k = rank(ld->where[key[1]]) > rank(ld->where[key[0]]) ? key[1] : key[0];
    w = ld->where[k];
    if (w > 0)
        snprintf(ld->err, ld->errlen, "%s:%d: %s: %s", ld->path, w,
                 pmu_model_key_name(k), msg);
    else if (w < 0)
        snprintf(ld->err, ld->errlen, "--set: %s: %s", pmu_model_key_name(k),
                 msg);
    else
        snprintf(ld->err, ld->errlen, "%s: %s (default): %s", ld->path,
                 pmu_model_key_name(k), msg);
    return -1;
}

int pmu_model_load(struct pmu_model *m, const char *path,
                   const char *const *sets, size_t nsets,
                   char *err, size_t errlen)
{
    struct load ld = {.path = path, .at_line_start = true, .m = m,
                      .err = err, .errlen = errlen};
    int rc;

    pmu_model_init(m);
    name_from_path(m, path);
    ld.f = fopen(path, "r");
    if (!ld.f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    rc = ini_parse_stream(reader, &ld, handler, &ld);
    fclose(ld.f);
    /* inih reports its first syntax error only at the end; it wins over
     * a handler error that comes later (and often follows from it). */
    if (ld.failed && !(rc > 0 && rc < ld.failed_line))
        return -1;
    if (rc != 0) {
        snprintf(err, errlen, "%s:%d: not \"key = value\", \"[section]\" or "
                 "a comment", path, rc > 0 ? rc : ld.line);
        return -1;
    }
    if (ld.where[pmu_model_key_index("pmu.version")] == 0) {
        snprintf(err, errlen, "%s: pmu.version is missing (a model must "
                 "say its PMU version, 0 for none)", path);
        return -1;
    }
    for (size_t i = 0; i < nsets; i++)
        if (apply_set(&ld, (int)i, sets[i]))
            return -1;
    return validate(&ld);
}
