/* pmu_model_load.c: reads a CPU model INI file (libinih), applies --set, validates. */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

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
    const char *core;   /* the core type asked for: NULL, "core", "atom" */
    int line;           /* line the parser is on (counted by the reader) */
    bool at_line_start; /* the previous chunk ended a line */
    struct pmu_model *m;
    int where[PMU_MODEL_MAX_KEYS];      /* [cpu], [pmu] and --set */
    int where_type[PMU_MODEL_MAX_KEYS]; /* the [cpu.TYPE], [pmu.TYPE] */
    bool type_seen[2];  /* a section for "core", for "atom" */
    char alias[128];    /* [alias] model = NAME[:TYPE] */
    bool is_alias;
    char *err;
    size_t errlen;
    bool failed;
    int failed_line;
    unsigned keys;      /* key = value lines read */
};

static const char *const core_types[2] = {"core", "atom"};

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

/* "[alias] model = NAME" makes the whole file a second name for NAME. */
static int alias_key(struct load *ld, const char *name, const char *value)
{
    if (strcmp(name, "model") != 0) {
        fail(ld, "[alias] takes one key, model = NAME[:core|:atom]");
        return 0;
    }
    if ((size_t)snprintf(ld->alias, sizeof(ld->alias), "%s", value) >=
        sizeof(ld->alias)) {
        fail(ld, "alias.model: name too long");
        return 0;
    }
    ld->is_alias = true;
    return 1;
}

/* Which section a key is in: "cpu"/"pmu" (shared), or "cpu.TYPE" /
 * "pmu.TYPE" for one core type of a hybrid CPU. Sets *base to "cpu" or
 * "pmu" and *type to -1 or the index in core_types; false if unknown. */
static bool section_parse(const char *section, char base[4], int *type)
{
    *type = -1;
    if (strncmp(section, "cpu", 3) != 0 && strncmp(section, "pmu", 3) != 0)
        return false;
    memcpy(base, section, 3);
    base[3] = '\0';
    if (section[3] == '\0')
        return true;
    if (section[3] != '.')
        return false;
    for (int t = 0; t < 2; t++)
        if (strcmp(section + 4, core_types[t]) == 0) {
            *type = t;
            return true;
        }
    return false;
}

static int handler(void *user, const char *section, const char *name,
                   const char *value)
{
    struct load *ld = user;
    char key[64], err[256], msg[320], base[4];
    struct pmu_model scratch;
    int i, type, *where;

    ld->keys++;
    if (strcmp(section, "alias") == 0)
        return alias_key(ld, name, value);
    if (!section_parse(section, base, &type)) {
        snprintf(msg, sizeof(msg), "unknown section [%s] ([cpu], [pmu], and "
                 "for a hybrid CPU [cpu.core], [pmu.core], [cpu.atom], "
                 "[pmu.atom])", section);
        fail(ld, msg);
        return 0;
    }
    snprintf(key, sizeof(key), "%s.%s", base, name);
    i = pmu_model_key_index(key);
    where = type < 0 ? ld->where : ld->where_type;
    if (type >= 0)
        ld->type_seen[type] = true;
    if (i >= 0 && where[i] > 0 && (type < 0 || !ld->core ||
                                   strcmp(ld->core, core_types[type]) == 0)) {
        if (type < 0)
            snprintf(msg, sizeof(msg), "%s: set twice (first at line %d)",
                     key, where[i]);
        else
            snprintf(msg, sizeof(msg), "%s: set twice in [%s] (first at "
                     "line %d)", key, section, where[i]);
        fail(ld, msg);
        return 0;
    }
    /* A section of the other core type is checked, not applied. */
    bool apply = type < 0 || (ld->core &&
                              strcmp(ld->core, core_types[type]) == 0);
    if (pmu_model_set(apply ? ld->m : &scratch, key, value, err,
                      sizeof(err))) {
        fail(ld, err);
        return 0;
    }
    if (apply)
        where[i] = ld->line;
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

/* Where key k got its value: --set, else its core type's section, else
 * the shared section, else nowhere (0). */
static int where_set(const struct load *ld, size_t k)
{
    if (ld->where[k] < 0 || ld->where_type[k] == 0)
        return ld->where[k];
    return ld->where_type[k];
}

static bool key_set(const struct load *ld, const char *key)
{
    return where_set(ld, (size_t)pmu_model_key_index(key)) != 0;
}

/*
 * Leaf 0x23's counter and event bitmaps default to what leaf 0xA says, so
 * a model of a non-hybrid part names only what differs (docs/cpu-models.md);
 * so does the core type of a chosen hybrid type.
 */
static void derive_defaults(struct load *ld)
{
    struct pmu_model *m = ld->m;

    if (m->leaf23 && !key_set(ld, "pmu.leaf23_gp_bitmap"))
        m->leaf23_gp_bitmap = (uint32_t)pmu_width_mask(m->gp_counters);
    if (m->leaf23 && !key_set(ld, "pmu.leaf23_fixed_bitmap"))
        m->leaf23_fixed_bitmap = m->fixed_bitmap;
    if (m->leaf23 && !key_set(ld, "pmu.leaf23_events"))
        m->leaf23_events = ~m->events_mask &
                           (uint32_t)pmu_width_mask(m->events_length);
    if (ld->core && !key_set(ld, "cpu.core_type"))
        m->core_type = strcmp(ld->core, "core") == 0 ? PMU_CORE_TYPE_CORE
                                                     : PMU_CORE_TYPE_ATOM;
}

static int validate(struct load *ld)
{
    char msg[256];
    size_t key[2], k;
    int w;

    if (pmu_model_check(ld->m, key, msg, sizeof(msg)) == 0)
        return 0;
    /* Blame the later of the two keys: the one that made it contradict. */
    k = rank(where_set(ld, key[1])) > rank(where_set(ld, key[0])) ? key[1]
                                                                 : key[0];
    w = where_set(ld, k);
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

/* The core type asked for, against the sections the file has. */
static int check_core_type(struct load *ld)
{
    const struct pmu_model *m = ld->m;

    if (!ld->core && (ld->type_seen[0] || ld->type_seen[1])) {
        snprintf(ld->err, ld->errlen, "%s: a hybrid CPU: choose a core type"
                 " (%s:core or %s:atom)", ld->path, m->name, m->name);
        return -1;
    }
    if (ld->core && (!m->hybrid ||
                     !ld->type_seen[strcmp(ld->core, "core") ? 1 : 0])) {
        snprintf(ld->err, ld->errlen, "%s: no core type '%s' (%s)", ld->path,
                 ld->core, m->hybrid ? "no [pmu.TYPE] section for it" :
                                       "not a hybrid CPU");
        return -1;
    }
    return 0;
}

int pmu_model_load_src(struct pmu_model *m, const struct pmu_model_src *src,
                       const char *const *sets, size_t nsets,
                       char *alias, size_t alias_len, char *err,
                       size_t errlen)
{
    struct load ld = {.path = src->name, .core = src->core,
                      .at_line_start = true, .m = m,
                      .err = err, .errlen = errlen};
    int rc;

    if (src->core && strcmp(src->core, "core") && strcmp(src->core, "atom")) {
        snprintf(err, errlen, "%s: core type '%s': core or atom", src->name,
                 src->core);
        return -1;
    }
    pmu_model_init(m);
    name_from_path(m, src->name);
    ld.f = src->text ? fmemopen((void *)(uintptr_t)src->text, src->text_len,
                                "r")
                     : fopen(src->name, "r");
    if (!ld.f) {
        snprintf(err, errlen, "%s: %s", src->name, strerror(errno));
        return -1;
    }
    if (!src->text) {
        struct stat st;
        if (fstat(fileno(ld.f), &st) == 0 && S_ISDIR(st.st_mode)) {
            fclose(ld.f);
            snprintf(err, errlen, "%s: %s", src->name, strerror(EISDIR));
            return -1;
        }
    }
    rc = ini_parse_stream(reader, &ld, handler, &ld);
    if (ferror(ld.f) && !ld.failed && rc == 0) {
        snprintf(err, errlen, "%s: %s", src->name, strerror(errno));
        fclose(ld.f);
        return -1;
    }
    fclose(ld.f);
    /* inih reports its first syntax error only at the end; it wins over
     * a handler error that comes later (and often follows from it). */
    if (ld.failed && !(rc > 0 && rc < ld.failed_line))
        return -1;
    if (rc != 0) {
        snprintf(err, errlen, "%s:%d: not \"key = value\", \"[section]\" or "
                 "a comment", src->name, rc > 0 ? rc : ld.line);
        return -1;
    }
    if (ld.is_alias) {
        if (!alias || (size_t)snprintf(alias, alias_len, "%s", ld.alias) >=
                          alias_len) {
            snprintf(err, errlen, "%s: an alias of %s, not a model",
                     src->name, ld.alias);
            return -1;
        }
        return 1;
    }
    if (ld.keys == 0) {
        snprintf(err, errlen, "%s: empty: no \"key = value\" line (a model "
                 "must at least say pmu.version)",
                 src->name);
        return -1;
    }
    if (ld.where[pmu_model_key_index("pmu.version")] == 0) {
        snprintf(err, errlen, "%s: pmu.version is missing (a model must "
                 "say its PMU version, 0 for none)", src->name);
        return -1;
    }
    if (check_core_type(&ld))
        return -1;
    if (src->core) {
        size_t n = strlen(m->name);
        snprintf(m->name + n, sizeof(m->name) - n, ":%s", src->core);
    }
    for (size_t i = 0; i < nsets; i++)
        if (apply_set(&ld, (int)i, sets[i]))
            return -1;
    derive_defaults(&ld);
    return validate(&ld);
}

int pmu_model_load(struct pmu_model *m, const char *path,
                   const char *const *sets, size_t nsets,
                   char *err, size_t errlen)
{
    const struct pmu_model_src src = {.name = path};

    return pmu_model_load_src(m, &src, sets, nsets, NULL, 0, err, errlen);
}
