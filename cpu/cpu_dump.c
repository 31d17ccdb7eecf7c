/* cpu_dump.c: reads one logical CPU's CPUID from a `cpuid -r` or InstLatx64/AIDA64 dump. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cpu/cpu_dump.h"

enum dump_format { FMT_NONE, FMT_CPUID_R, FMT_AIDA };

/* One logical CPU as it is read, and what the reader has seen so far. */
struct reader {
    const char *path, *want;
    enum dump_format fmt;
    struct pmu_cpuid_dump cur;
    bool in_cpu, picked, hybrid;
    unsigned types_seen; /* bit 0: a Core CPU, bit 1: an Atom CPU */
    uint32_t last_leaf, next_sub;
    struct pmu_cpuid_dump *out;
};

/* The leaves a model is made of (pmu_model_from_cpuid()). */
static bool leaf_kept(uint32_t leaf)
{
    return leaf == 0 || leaf == 1 || leaf == 4 || leaf == 7 || leaf == 0xA ||
           leaf == 0x1A || leaf == 0x23;
}

static void cpu_add(struct reader *r, uint32_t leaf, uint32_t sub,
                    const uint32_t v[4])
{
    struct pmu_cpuid_dump *d = &r->cur;

    if (!leaf_kept(leaf) || pmu_cpuid_dump_find(d, leaf, sub) ||
        d->n == PMU_CPUID_MAX_REGS)
        return;
    d->regs[d->n++] = (struct pmu_cpuid_regs){leaf, sub, v[0], v[1], v[2],
                                              v[3]};
}

static const char *type_of(const struct pmu_cpuid_dump *d)
{
    const struct pmu_cpuid_regs *t = pmu_cpuid_dump_find(d, 0x1A, 0);
    uint32_t type = t ? t->eax >> 24 : 0;

    return type == PMU_CORE_TYPE_CORE ? "core"
           : type == PMU_CORE_TYPE_ATOM ? "atom" : NULL;
}

/* The logical CPU read so far is complete: keep it if it is the one. */
static void cpu_end(struct reader *r)
{
    const struct pmu_cpuid_regs *l7 = pmu_cpuid_dump_find(&r->cur, 7, 0);
    const char *type = type_of(&r->cur);

    if (r->in_cpu && r->cur.n) {
        if (type)
            r->types_seen |= strcmp(type, "core") == 0 ? 1 : 2;
        if (l7 && (l7->edx >> 15 & 1))
            r->hybrid = true;
        if (!r->picked && (!r->want || (type && !strcmp(type, r->want)))) {
            *r->out = r->cur;
            r->picked = true;
        }
    }
    memset(&r->cur, 0, sizeof(r->cur));
    r->in_cpu = true;
    r->last_leaf = ~0u;
}

static void line_cpuid_r(struct reader *r, const char *line)
{
    uint32_t leaf, sub, v[4];
    unsigned nr;

    if (sscanf(line, "CPU %u:", &nr) == 1) {
        cpu_end(r);
        return;
    }
    if (sscanf(line, " 0x%x 0x%x: eax=0x%x ebx=0x%x ecx=0x%x edx=0x%x",
               &leaf, &sub, &v[0], &v[1], &v[2], &v[3]) == 6) {
        r->in_cpu = true;
        cpu_add(r, leaf, sub, v);
    }
}

static void line_aida(struct reader *r, const char *line)
{
    uint32_t leaf, v[4];
    const char *sl;

    /* A logical CPU starts at its block header, or (older dumps, no
     * headers) at a second leaf 0. */
    if (strncmp(line, "------[", 7) == 0) {
        if (strstr(line, "CPUID Registers"))
            cpu_end(r);
        else if (r->in_cpu)
            cpu_end(r), r->in_cpu = false;
        return;
    }
    if (sscanf(line, "CPUID %8x: %8x-%8x-%8x-%8x", &leaf, &v[0], &v[1],
               &v[2], &v[3]) != 5)
        return;
    if (leaf == 0 && pmu_cpuid_dump_find(&r->cur, 0, 0))
        cpu_end(r);
    r->in_cpu = true;
    /* A leaf repeats once per sub-leaf: "[SL nn]" names it, else the
     * lines count up from 0. */
    r->next_sub = leaf == r->last_leaf ? r->next_sub + 1 : 0;
    sl = strstr(line, "[SL ");
    if (sl)
        sscanf(sl + 4, "%x", &r->next_sub);
    r->last_leaf = leaf;
    cpu_add(r, leaf, r->next_sub, v);
}

static enum dump_format format_of(const char *line)
{
    uint32_t a, b, v[4];

    if (sscanf(line, " 0x%x 0x%x: eax=0x%x ebx=0x%x ecx=0x%x edx=0x%x", &a,
               &b, &v[0], &v[1], &v[2], &v[3]) == 6)
        return FMT_CPUID_R;
    if (sscanf(line, "CPUID %8x: %8x-%8x-%8x-%8x", &a, &v[0], &v[1], &v[2],
               &v[3]) == 5)
        return FMT_AIDA;
    return FMT_NONE;
}

static int finish(struct reader *r, char *err, size_t errlen)
{
    cpu_end(r);
    if (r->fmt == FMT_NONE) {
        snprintf(err, errlen, "--cpu-dump %s: not a CPUID dump: neither `cpuid -r` "
                 "output (\"0x0000000a 0x00: eax=0x...\") nor the "
                 "InstLatx64/AIDA64 format (\"CPUID 0000000A: ...-...\")",
                 r->path);
        return -1;
    }
    if (r->types_seen == 3)
        r->hybrid = true;
    if (r->hybrid && !r->want) {
        snprintf(err, errlen, "--cpu-dump %s: a hybrid CPU (Core and Atom logical "
                 "CPUs): choose one with --core-type core or --core-type "
                 "atom", r->path);
        return -1;
    }
    if (!r->hybrid && r->want) {
        snprintf(err, errlen, "--cpu-dump %s: --core-type %s: not a hybrid CPU (one "
                 "core type)", r->path, r->want);
        return -1;
    }
    if (!r->picked) {
        snprintf(err, errlen, "--cpu-dump %s: no logical CPU of core type %s (CPUID "
                 "leaf 0x1A)", r->path, r->want ? r->want : "any");
        return -1;
    }
    return 0;
}

int cpu_dump_read(const char *path, const char *core_type,
                  struct pmu_cpuid_dump *out, char *err, size_t errlen)
{
    static struct reader r; /* large: keep it off the stack */
    char line[512];
    struct stat st;
    FILE *f = fopen(path, "r");

    if (!f || (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))) {
        snprintf(err, errlen, "--cpu-dump %s: %s", path,
                 strerror(f ? EISDIR : errno));
        if (f)
            fclose(f);
        return -1;
    }
    memset(&r, 0, sizeof(r));
    r.path = path, r.want = core_type, r.out = out, r.last_leaf = ~0u;
    memset(out, 0, sizeof(*out));
    while (fgets(line, sizeof(line), f)) {
        if (r.fmt == FMT_NONE)
            r.fmt = format_of(line);
        if (r.fmt == FMT_CPUID_R)
            line_cpuid_r(&r, line);
        else if (r.fmt == FMT_AIDA)
            line_aida(&r, line);
    }
    if (ferror(f)) {
        snprintf(err, errlen, "--cpu-dump %s: %s", path, strerror(errno));
        fclose(f);
        return -1;
    }
    fclose(f);
    return finish(&r, err, errlen);
}
