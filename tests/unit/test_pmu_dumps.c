/* test_pmu_dumps.c: every model of a real CPU gives that CPU's own CPUID lines (tests/data/dumps), leaf for leaf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pmu/pmu.h"
#include "tests/unit/pmu_test.h"

/*
 * The expected values are the dumps' lines, read as they are (leaf 4:
 * the geometry of its data and unified caches, for the cache model). pmvm
 * differs from them on purpose in two places only (docs/cpu-models.md),
 * and the test applies exactly those to the dumped value:
 * - LBR inserts (leaf 0xA EBX bit 12 where EAX[31:24] > 12; leaf 0x23.3
 *   EAX bit 12): pmvm has no LBR, so the event is marked unavailable;
 * - arch-PEBS (leaf 0x23.0 EAX bits 4 and 5, sub-leaves 4 and 5): pmvm has
 *   no PEBS, so they read 0.
 */
#define LBR_INSERTS (1u << 12)
#define PEBS_SUBLEAVES (3u << 4)

struct dump_row {
    const char *cpu;  /* the model, as --cpu takes it */
    const char *file; /* tests/data/dumps/FILE */
    unsigned cpu_nr;  /* its block, "Logical CPU #N" */
};

static const struct dump_row rows[] = {
    {"sapphire-rapids", "sapphire-rapids.txt", 0},
    {"icelake", "icelake.txt", 0},
    {"skylake", "skylake.txt", 0},
    {"granite-rapids", "granite-rapids.txt", 0},
    {"lunar-lake:core", "lunar-lake.txt", 0},
    {"lunar-lake:atom", "lunar-lake.txt", 4},
    {"lunar-lake-p", "lunar-lake.txt", 0},
    {"arrow-lake:core", "arrow-lake.txt", 0},
    {"arrow-lake:atom", "arrow-lake.txt", 2},
    {"meteor-lake:core", "meteor-lake.txt", 0},
    {"meteor-lake:atom", "meteor-lake.txt", 2},
    {"panther-lake:core", "panther-lake.txt", 0},
    {"panther-lake:atom", "panther-lake.txt", 4},
};

/* What pmvm must give for one dumped line, deliberate differences
 * applied. */
static void expected(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    if (leaf == 0xA && (r[0] >> 24) > 12)
        r[1] |= LBR_INSERTS;
    if (leaf == 0x23 && sub == 0)
        r[0] &= ~PEBS_SUBLEAVES;
    if (leaf == 0x23 && sub == 3)
        r[0] &= ~LBR_INSERTS;
    if (leaf == 0x23 && (sub == 4 || sub == 5))
        memset(r, 0, 4 * sizeof(r[0]));
}

/* Leaf 4's data and unified caches as the cache model has them: the
 * dumped line with EBX's ways (one partition, 64-byte lines) and ECX's
 * sets from the model's geometry. Instruction caches are not modelled. */
static int cache_leaf(const struct pmu_model *m, const uint32_t d[4],
                      uint32_t r[4])
{
    unsigned type = d[0] & 0x1F, level = (d[0] >> 5) & 7;
    const uint32_t kib[4] = {0, m->l1d_kib, m->l2_kib, m->llc_kib};
    const uint32_t ways[4] = {0, m->l1d_ways, m->l2_ways, m->llc_ways};

    if (type == 2 || level < 1 || level > 3)
        return 0;
    memcpy(r, d, 4 * sizeof(r[0]));
    r[1] = ways[level] ? (ways[level] - 1) << 22 | 63 : 0;
    r[2] = ways[level] ? (uint32_t)(((uint64_t)kib[level] << 10) /
                                    (ways[level] * 64ull)) - 1
                       : 0;
    return 1;
}

/* pmvm's answer for the leaves the dumps are compared on; false for a
 * leaf it does not decide (the rest of CPUID is KVM's). */
static int actual(const struct pmu_model *m, uint32_t leaf, uint32_t sub,
                  const uint32_t dumped[4], uint32_t r[4])
{
    memset(r, 0, 4 * sizeof(r[0]));
    switch (leaf) {
    case 0:
        r[0] = pmu_model_max_leaf(m);
        memcpy(&r[1], m->vendor, 4);
        memcpy(&r[3], m->vendor + 4, 4);
        memcpy(&r[2], m->vendor + 8, 4);
        return 1;
    case 1: /* the signature and PDCM; the other bits are KVM's */
        memcpy(r, dumped, 4 * sizeof(r[0]));
        r[0] = pmu_model_signature(m);
        r[2] = (r[2] & ~(1u << 15)) | (m->pdcm ? 1u << 15 : 0);
        return 1;
    case 4:
        return cache_leaf(m, dumped, r);
    case 7: /* the hybrid bit, EDX[15]; the other bits are KVM's */
        if (sub != 0)
            return 0;
        memcpy(r, dumped, 4 * sizeof(r[0]));
        r[3] = (r[3] & ~(1u << 15)) | (m->hybrid ? 1u << 15 : 0);
        return 1;
    case 0xA:
    case 0x1A:
    case 0x23:
        pmu_model_cpuid(m, leaf, sub, r);
        return 1;
    default:
        return 0;
    }
}

static void check_row(const struct dump_row *row)
{
    const char *dir = getenv("PMVM_DUMP_DIR");
    char path[512], line[256], err[512];
    struct pmu_model m;
    unsigned compared = 0, sub = 0, cache_levels = 0;
    uint32_t last_leaf = ~0u;

    if (pmu_test_load(row->cpu, NULL, 0, &m, err, sizeof(err)))
        fail_msg("%s: %s", row->cpu, err);
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data/dumps",
             row->file);
    unsigned nr = 0;
    bool seen_leaf0 = false;
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s: cannot open", path);
    while (fgets(line, sizeof(line), f)) {
        uint32_t leaf, d[4], e[4], a[4];
        /* a logical CPU starts at its AIDA64 header, or in older dumps
         * at a second leaf 0 */
        const char *hdr = strstr(line, "Logical CPU #");
        if (strncmp(line, "------[", 7) == 0 && hdr) {
            nr = (unsigned)strtoul(hdr + 13, NULL, 10);
            seen_leaf0 = false;
            last_leaf = ~0u;
            continue;
        }
        if (sscanf(line, "CPUID %x: %x-%x-%x-%x", &leaf, &d[0], &d[1],
                   &d[2], &d[3]) != 5)
            continue;
        if (leaf == 0 && seen_leaf0) {
            nr++;
            last_leaf = ~0u;
        }
        seen_leaf0 |= leaf == 0;
        if (nr != row->cpu_nr)
            continue;
        /* a leaf repeats once per sub-leaf: "[SL nn]" names it, else
         * the lines come in order from 0 */
        const char *sl = strstr(line, "[SL ");
        sub = leaf == last_leaf ? sub + 1 : 0;
        if (sl)
            sub = (unsigned)strtoul(sl + 4, NULL, 16);
        last_leaf = leaf;
        if (leaf == 4)
            cache_levels |= 1u << ((d[0] >> 5) & 7);
        memcpy(e, d, sizeof(e));
        expected(leaf, sub, e);
        if (!actual(&m, leaf, sub, d, a))
            continue;
        if (memcmp(a, e, sizeof(a)) != 0)
            fail_msg("%s, %s: leaf 0x%x.%u: pmvm %08x-%08x-%08x-%08x, the "
                     "dump %08x-%08x-%08x-%08x (expected %08x-%08x-%08x-%08x)",
                     row->cpu, row->file, leaf, sub, a[0], a[1], a[2], a[3],
                     d[0], d[1], d[2], d[3], e[0], e[1], e[2], e[3]);
        compared++;
    }
    fclose(f);
    /* a part whose core type has no level 3 (Lunar Lake's Skymont) */
    if (cache_levels && !(cache_levels & 1u << 3) && m.llc_kib)
        fail_msg("%s: %s lists no level-3 cache, the model has "
                 "pmu.llc_kib = %u", row->cpu, row->file, m.llc_kib);
    /* leaves 0, 1 and 0xA at least: a block that went missing fails */
    if (compared < 3)
        fail_msg("%s: only %u lines of logical CPU #%u in %s", row->cpu,
                 compared, row->cpu_nr, path);
}

static void test_dumps(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        check_row(&rows[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dumps),
    };

    return cmocka_run_group_tests_name("pmu_dumps", tests, NULL, NULL);
}
