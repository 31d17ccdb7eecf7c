/* pmu_cache.c: a deterministic three-level set-associative cache model (L1D, L2, LLC) of the counted code's memory accesses, for the LLC reference and miss events. */
#include <stdlib.h>
#include <string.h>

#include "pmu/pmu_internal.h"

/*
 * Each level is the CPU's own geometry (the model file's pmu.l1d_kib,
 * ...; from CPUID leaf 4 of the real part, docs/cpu-models.md), with
 * 64-byte lines and true LRU. A load, store or CLFLUSH's line goes to
 * L1D; an L1D miss looks in L2; an L2 miss is an LLC reference
 * (LONGEST_LAT_CACHE.REFERENCE: a demand request that reaches the LLC),
 * and an LLC miss as well (LONGEST_LAT_CACHE.MISS). A missing line is
 * filled into every level it missed. CLFLUSH takes the line out of all
 * three. The events of an instruction's accesses count when it retires
 * (docs/counting.md, "Caches").
 *
 * L2 has a tagged next-line prefetcher, as the L2 streamers of every
 * modelled core (SDM vol. 3 and the optimization manual: "L2 streamer"):
 * a demand miss in L2, or the first demand hit on a line it prefetched,
 * brings the next line into L2 and the LLC, never across a 4 KiB page.
 * Prefetches are not demand requests and count in neither event. A
 * sequential walk therefore misses once per page, as on the hardware,
 * where without a prefetcher it would miss once per line.
 */

#define LINE_SHIFT 6
#define PAGE_LINES (4096 >> LINE_SHIFT)

static void level_free(struct pmu_cache_level *l)
{
    free(l->way);
    memset(l, 0, sizeof(*l));
}

/* (kib) KiB in (ways) ways of 64-byte lines; zero-filled pages cost
 * nothing until a set is used (calloc of a large block maps them). */
static bool level_init(struct pmu_cache_level *l, uint32_t kib, uint32_t ways)
{
    memset(l, 0, sizeof(*l));
    if (!kib || !ways)
        return true;
    l->ways = ways;
    l->sets = (uint32_t)(((uint64_t)kib << 10) >> LINE_SHIFT) / ways;
    if ((l->sets & (l->sets - 1)) == 0)
        l->set_mask = l->sets - 1;
    l->way = calloc((size_t)l->sets * ways, sizeof(*l->way));
    return l->way != NULL;
}

bool pmu_cache_init(struct pmu_cache *c, const struct pmu_model *m)
{
    const uint32_t kib[3] = {m->l1d_kib, m->l2_kib, m->llc_kib};
    const uint32_t ways[3] = {m->l1d_ways, m->l2_ways, m->llc_ways};

    memset(c, 0, sizeof(*c));
    for (int i = 0; i < 3; i++)
        if (!level_init(&c->level[i], kib[i], ways[i])) {
            pmu_cache_free(c);
            return false;
        }
    return true;
}

void pmu_cache_free(struct pmu_cache *c)
{
    for (int i = 0; i < 3; i++)
        level_free(&c->level[i]);
}

/* The first way of (line)'s set (a mask, not a division, where the
 * sets are a power of two: L1D and L2 of every model). */
static struct pmu_cache_way *set_of(const struct pmu_cache_level *l,
                                    uint64_t line)
{
    uint64_t set = l->set_mask ? (line & l->set_mask) : line % l->sets;

    return &l->way[set * l->ways];
}

/* The way holding (line) in its set, or NULL. */
static struct pmu_cache_way *find(struct pmu_cache_level *l, uint64_t line)
{
    struct pmu_cache_way *set = set_of(l, line);

    for (uint32_t w = 0; w < l->ways; w++)
        if (set[w].tag == line + 1)
            return &set[w];
    return NULL;
}

/* Looks (line) up; on a miss fills it over the least recently used way
 * (an empty one first). True: it was there. *way: where it is now. */
static bool lookup_way(struct pmu_cache *c, struct pmu_cache_level *l,
                       uint64_t line, struct pmu_cache_way **way)
{
    *way = NULL;
    if (!l->sets)
        return false;
    struct pmu_cache_way *hit = find(l, line);
    if (hit) {
        hit->used = ++c->clock;
        *way = hit;
        return true;
    }
    struct pmu_cache_way *set = set_of(l, line);
    struct pmu_cache_way *victim = &set[0];
    /* the first of the least recently used: an empty way (used 0, as
     * nothing else is) ends the search, as the rest cannot be less */
    for (uint32_t w = 1; w < l->ways && victim->used; w++)
        if (set[w].used < victim->used)
            victim = &set[w];
    victim->tag = line + 1;
    victim->prefetched = false;
    victim->used = ++c->clock;
    *way = victim;
    return false;
}

static bool lookup(struct pmu_cache *c, struct pmu_cache_level *l,
                   uint64_t line)
{
    struct pmu_cache_way *way;

    return lookup_way(c, l, line, &way);
}

/* The L2 prefetcher's fill of (line): into L2, marked, and the LLC. */
static void prefetch(struct pmu_cache *c, uint64_t line)
{
    struct pmu_cache_level *l2 = &c->level[1];

    if (line % PAGE_LINES == 0 || !l2->sets || find(l2, line))
        return;
    lookup(c, l2, line);
    find(l2, line)->prefetched = true;
    lookup(c, &c->level[2], line);
}

/* A load or store (or, with flush, CLFLUSH) of the byte at (gpa). */
static void cache_access(struct pmu_cache *c, uint64_t gpa, bool flush)
{
    struct pmu_cache_way *hit;

    uint64_t line = gpa >> LINE_SHIFT;

    if (flush) {
        for (int i = 0; i < 3; i++) {
            struct pmu_cache_way *w = c->level[i].sets
                                          ? find(&c->level[i], line) : NULL;
            if (w)
                *w = (struct pmu_cache_way){0};
        }
        return;
    }
    /* the line the last access used, still in L1D: a hit, as below */
    if (c->l1_last && c->l1_last->tag == line + 1) {
        c->l1_last->used = ++c->clock;
        return;
    }
    if (lookup_way(c, &c->level[0], line, &c->l1_last))
        return;
    hit = c->level[1].sets ? find(&c->level[1], line) : NULL;
    if (hit) {
        hit->used = ++c->clock;
        if (hit->prefetched) {
            hit->prefetched = false;
            prefetch(c, line + 1);
        }
        return;
    }
    lookup(c, &c->level[1], line);
    c->llc_refs++;
    if (!lookup(c, &c->level[2], line))
        c->llc_misses++;
    prefetch(c, line + 1);
}

/* Here, beside the cache model, so that an access is one call. */
void pmu_mem_access(struct pmu *pmu, uint64_t gpa, enum pmu_mem kind)
{
    cache_access(&pmu->cache, gpa, kind == PMU_MEM_FLUSH);
}
