/* model_find.c: where pmvm finds its data by name: CPU models (directories, then built in) and probe images. */
#include <ctype.h>
#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpu/model_find.h"

#ifndef PMVM_DATADIR
#define PMVM_DATADIR "/usr/local/share/pmvm"
#endif

/* scripts/embed_models.sh: every model file in configs/, then a zero entry. */
struct embedded_model {
    const char *name;
    const char *text;
    size_t len;
};
extern const struct embedded_model embedded_models[];

#define MAX_DIRS 5

/* The directory pmvm's binary is in; false if /proc cannot say. */
static bool exe_dir(char *out, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", out, len - 1);
    char *slash = n > 0 ? (out[n] = '\0', strrchr(out, '/')) : NULL;

    if (slash)
        *slash = '\0';
    return slash != NULL;
}

/* The search path, computed once: see model_find(). */
static size_t dirs_get(const char *dirs[MAX_DIRS])
{
    static char buf[MAX_DIRS][PATH_MAX];
    /* build/pmvm -> ../configs; build/san/pmvm -> ../../configs;
     * PREFIX/bin/pmvm -> ../share/pmvm/configs */
    static const char *const up[] = {"/../configs", "/../../configs",
                                     "/../share/pmvm/configs"};
    const char *env = getenv("PMVM_CONFIG_DIR");
    char exe[PATH_MAX];
    size_t n = 0;

    if (env && *env) {
        dirs[n++] = env;
        return n;
    }
    if (exe_dir(exe, sizeof(exe))) {
        for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++)
            if ((size_t)snprintf(buf[n], sizeof(buf[n]), "%s%s", exe, up[i])
                    < sizeof(buf[n]))
                dirs[n] = buf[n], n++;
    }
    dirs[n++] = PMVM_DATADIR "/configs";
    return n;
}

const char *model_dir(size_t i)
{
    const char *dirs[MAX_DIRS];
    size_t n = dirs_get(dirs);

    return i < n ? dirs[i] : NULL;
}

static const struct embedded_model *embedded_find(const char *name)
{
    for (const struct embedded_model *e = embedded_models; e->name; e++)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

int model_find(const char *name, struct model_found *out, char *err,
               size_t errlen)
{
    const char *dirs[MAX_DIRS];
    size_t n = dirs_get(dirs);
    struct stat st;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        if ((size_t)snprintf(out->path, sizeof(out->path), "%s/%s.ini",
                             dirs[i], name) >= sizeof(out->path))
            continue;
        if (stat(out->path, &st) == 0) {
            char real[PATH_MAX];
            if (realpath(out->path, real))
                strcpy(out->path, real);
            return 0; /* opening it reports any other problem */
        }
        if (errno != ENOENT && errno != ENOTDIR) {
            snprintf(err, errlen, "%s: %s", out->path, strerror(errno));
            return -1;
        }
    }
    const struct embedded_model *e = embedded_find(name);
    if (!e) {
        char models[1024], near[64];
        model_list(models, sizeof(models));
        bool guess = model_nearest(name, models, near, sizeof(near));
        snprintf(err, errlen, "unknown CPU model%s%s%s (models: %s)",
                 guess ? "; did you mean " : "", guess ? near : "",
                 guess ? "?" : "", models);
        return -1;
    }
    snprintf(out->path, sizeof(out->path), "(built into pmvm)/%s.ini", name);
    out->text = e->text;
    out->text_len = e->len;
    return 0;
}

#define MAX_NAMES 256

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void name_add(char **names, size_t *n, const char *name, size_t len)
{
    for (size_t i = 0; i < *n; i++)
        if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
            return;
    if (*n < MAX_NAMES && (names[*n] = strndup(name, len)))
        (*n)++;
}

/* Edits (insert, delete, substitute) between a and b, case aside. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la >= 64 || lb >= 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            bool same = tolower((unsigned char)a[i - 1]) ==
                        tolower((unsigned char)b[j - 1]);
            size_t best = diag + !same;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

bool model_nearest(const char *name, const char *models, char *out,
                   size_t len)
{
    size_t best = SIZE_MAX;
    char copy[1024], *save = NULL;

    snprintf(copy, sizeof(copy), "%s", models);
    for (char *m = strtok_r(copy, ", ", &save); m;
         m = strtok_r(NULL, ", ", &save)) {
        size_t d = distance(name, m);
        if (d < best) {
            best = d;
            snprintf(out, len, "%s", m);
        }
    }
    /* A typo, not another name: a few edits for a name this long. */
    return best <= 2 || best <= strlen(name) / 4;
}

void model_list(char *out, size_t len)
{
    const char *dirs[MAX_DIRS];
    size_t ndirs = dirs_get(dirs), n = 0, used = 0;
    char *names[MAX_NAMES];

    for (const struct embedded_model *e = embedded_models; e->name; e++)
        name_add(names, &n, e->name, strlen(e->name));
    for (size_t i = 0; i < ndirs; i++) {
        DIR *d = opendir(dirs[i]);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            size_t l = strlen(de->d_name);
            if (l > 4 && strcmp(de->d_name + l - 4, ".ini") == 0)
                name_add(names, &n, de->d_name, l - 4);
        }
        if (d)
            closedir(d);
    }
    qsort(names, n, sizeof(names[0]), name_cmp);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(out + used, len - used, "%s%s", i ? ", " : "",
                         names[i]);
        if (w > 0 && (size_t)w < len - used)
            used += (size_t)w;
        free(names[i]);
    }
}

int image_find(const char *name, char *out, size_t len)
{
    /* build/pmvm -> build/guest; PREFIX/bin/pmvm -> share/pmvm/guest */
    static const char *const up[] = {"/guest", "/../share/pmvm/guest"};
    const char *dirs[3];
    char exe[PATH_MAX];
    size_t n = 0;
    struct stat st;

    if (strchr(name, '/') || stat(name, &st) == 0)
        return -1;
    char buf[2][PATH_MAX];
    if (exe_dir(exe, sizeof(exe))) {
        for (size_t i = 0; i < 2; i++)
            if ((size_t)snprintf(buf[i], sizeof(buf[i]), "%s%s", exe, up[i])
                    < sizeof(buf[i]))
                dirs[n++] = buf[i];
    }
    dirs[n++] = PMVM_DATADIR "/guest";
    for (size_t i = 0; i < n; i++)
        for (int ext = 0; ext < 2; ext++)
            if ((size_t)snprintf(out, len, "%s/%s%s", dirs[i], name,
                                 ext ? ".elf" : "") < len &&
                stat(out, &st) == 0 && S_ISREG(st.st_mode))
                return 0;
    return -1;
}
