/* pmu_model_keys.c: the model's keys, their ranges, and its contradictions. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pmu/pmu_internal.h"

enum key_kind { K_U32, K_U64, K_BOOL, K_VENDOR };

struct key {
    const char *name;
    enum key_kind kind;
    size_t off;
    uint64_t max;
    const char *limit; /* "<limit> of <max>" in the out-of-range message */
    bool hex;          /* print values in hex */
};

#define F(f) offsetof(struct pmu_model, f)
#define ARCH "the architectural limit"
#define LIB "the library limit"
#define GLOBAL "the GLOBAL_CTRL limit"

static const struct key keys[] = {
    {"cpu.vendor", K_VENDOR, F(vendor), 0, NULL, false},
    {"cpu.family", K_U32, F(family), 0xFF + 0xF, ARCH, true},
    {"cpu.model", K_U32, F(model), 0xFF, ARCH, true},
    {"cpu.stepping", K_U32, F(stepping), 0xF, ARCH, true},
    {"cpu.hybrid", K_BOOL, F(hybrid), 1, NULL, false},
    {"cpu.max_leaf", K_U32, F(max_leaf), 0xFF, LIB, true},
    {"cpu.core_type", K_U32, F(core_type), 0xFF, ARCH, true},
    {"cpu.native_model_id", K_U32, F(native_model_id), 0xFFFFFF, ARCH,
     true},
    {"pmu.version", K_U32, F(version), PMU_MAX_VERSION, ARCH, false},
    {"pmu.gp_counters", K_U32, F(gp_counters), PMU_MAX_GP, GLOBAL, false},
    {"pmu.gp_width", K_U32, F(gp_width), 64, ARCH, false},
    {"pmu.events_length", K_U32, F(events_length), PMU_NR_ARCH_EVENTS, LIB,
     false},
    {"pmu.events_mask", K_U32, F(events_mask),
     (1u << PMU_NR_ARCH_EVENTS) - 1, LIB, true},
    {"pmu.fixed_bitmap", K_U32, F(fixed_bitmap), (1u << PMU_MAX_FIXED) - 1,
     LIB, true},
    {"pmu.fixed_width", K_U32, F(fixed_width), 64, ARCH, false},
    {"pmu.anythread_deprecated", K_BOOL, F(anythread_deprecated), 1, NULL,
     false},
    {"pmu.pdcm", K_BOOL, F(pdcm), 1, NULL, false},
    {"pmu.perf_capabilities", K_U64, F(perf_capabilities), UINT64_MAX, NULL,
     true},
    {"pmu.metrics_bytes", K_U32, F(metrics_bytes), 8, ARCH, false},
    {"pmu.slots_per_cycle", K_U32, F(slots_per_cycle), 16, LIB, false},
    {"pmu.leaf23", K_BOOL, F(leaf23), 1, NULL, false},
    {"pmu.leaf23_features", K_U32, F(leaf23_features), 7, LIB, true},
    {"pmu.leaf23_slots", K_U32, F(leaf23_slots), 0xFF, LIB, false},
    {"pmu.leaf23_gp_bitmap", K_U32, F(leaf23_gp_bitmap), UINT32_MAX, GLOBAL,
     true},
    {"pmu.leaf23_fixed_bitmap", K_U32, F(leaf23_fixed_bitmap),
     (1u << PMU_MAX_FIXED) - 1, LIB, true},
    {"pmu.leaf23_events", K_U32, F(leaf23_events),
     (1u << PMU_NR_ARCH_EVENTS) - 1, LIB, true},
    {"pmu.acr_gp", K_U32, F(acr_gp), UINT32_MAX, GLOBAL, true},
    {"pmu.acr_fixed", K_U32, F(acr_fixed), (1u << PMU_MAX_FIXED) - 1, LIB,
     true},
    {"pmu.acr_cause_gp", K_U32, F(acr_cause_gp), UINT32_MAX, GLOBAL, true},
    {"pmu.acr_cause_fixed", K_U32, F(acr_cause_fixed),
     (1u << PMU_MAX_FIXED) - 1, LIB, true},
    {"pmu.l1d_kib", K_U32, F(l1d_kib), 1u << 20, LIB, false},
    {"pmu.l1d_ways", K_U32, F(l1d_ways), 64, LIB, false},
    {"pmu.l2_kib", K_U32, F(l2_kib), 1u << 20, LIB, false},
    {"pmu.l2_ways", K_U32, F(l2_ways), 64, LIB, false},
    {"pmu.llc_kib", K_U32, F(llc_kib), 1u << 20, LIB, false},
    {"pmu.llc_ways", K_U32, F(llc_ways), 64, LIB, false},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= PMU_MODEL_MAX_KEYS, "raise PMU_MODEL_MAX_KEYS");

static const uint64_t caps_known =
    PMU_CAP_FW_WRITES | PMU_CAP_PERF_METRICS | PMU_CAP_RDPMC_METRICS_CLEAR;

static uint64_t key_get(const struct pmu_model *m, const struct key *k);
static void fmt_num(char *buf, size_t len, const struct key *k, uint64_t v);

const char *pmu_model_key_name(size_t i)
{
    return i < NKEYS ? keys[i].name : NULL;
}

void pmu_model_key_format(const struct pmu_model *m, size_t i, char *buf,
                          size_t len)
{
    if (i >= NKEYS)
        snprintf(buf, len, "?");
    else if (keys[i].kind == K_VENDOR)
        snprintf(buf, len, "%s", m->vendor);
    else
        fmt_num(buf, len, &keys[i], key_get(m, &keys[i]));
}

int pmu_model_key_index(const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, key) == 0)
            return (int)i;
    return -1;
}

static uint64_t key_get(const struct pmu_model *m, const struct key *k)
{
    const char *p = (const char *)m + k->off;

    switch (k->kind) {
    case K_U32:
        return *(const uint32_t *)(const void *)p;
    case K_U64:
        return *(const uint64_t *)(const void *)p;
    case K_BOOL:
        return *(const bool *)(const void *)p;
    default:
        return 0;
    }
}

static void key_put(struct pmu_model *m, const struct key *k, uint64_t v)
{
    char *p = (char *)m + k->off;

    if (k->kind == K_U32)
        *(uint32_t *)(void *)p = (uint32_t)v;
    else if (k->kind == K_U64)
        *(uint64_t *)(void *)p = v;
    else if (k->kind == K_BOOL)
        *(bool *)(void *)p = v != 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;

    /* strtoull takes "-1" and " 1"; a model value is a plain number. */
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    *out = strtoull(s, &end, 0);
    return errno || *end ? -1 : 0;
}

static int parse_bool(const char *s, uint64_t *out)
{
    if (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes"))
        *out = 1;
    else if (!strcmp(s, "0") || !strcasecmp(s, "false") ||
             !strcasecmp(s, "no"))
        *out = 0;
    else
        return -1;
    return 0;
}

static void fmt_num(char *buf, size_t len, const struct key *k, uint64_t v)
{
    snprintf(buf, len, k->hex ? "0x%" PRIx64 : "%" PRIu64, v);
}

/* Range and bit checks of one value; the message has no key prefix. */
static int key_check_value(const struct key *k, uint64_t v, char *msg,
                           size_t len)
{
    char a[24], b[24];

    if (k->kind == K_U64 && (v & ~caps_known)) {
        unsigned bit = (unsigned)__builtin_ctzll(v & ~caps_known);
        snprintf(msg, len,
                 "bit %u of 0x%" PRIx64 " is not implemented by the library "
                 "(only FW_WRITES[13], PERF_METRICS[15] and "
                 "RDPMC_METRICS_CLEAR[19])", bit, v);
        return -1;
    }
    if (k->kind == K_U32 && v > k->max) {
        fmt_num(a, sizeof(a), k, v);
        fmt_num(b, sizeof(b), k, k->max);
        snprintf(msg, len, "%s is above %s of %s", a, k->limit, b);
        return -1;
    }
    return 0;
}

int pmu_model_set(struct pmu_model *m, const char *key, const char *value,
                  char *err, size_t errlen)
{
    int i = pmu_model_key_index(key);
    const struct key *k;
    char msg[200];
    uint64_t v;

    if (i < 0) {
        snprintf(err, errlen, "%s: unknown key", key);
        return -1;
    }
    k = &keys[i];
    if (k->kind == K_VENDOR) {
        if (strcmp(value, "GenuineIntel") != 0) {
            snprintf(err, errlen, "%s: \"%s\": the library models the "
                     "Intel PMU only (GenuineIntel)", key, value);
            return -1;
        }
        return 0; /* the only accepted value is already the default */
    }
    if ((k->kind == K_BOOL ? parse_bool(value, &v) : parse_u64(value, &v))) {
        snprintf(err, errlen, "%s: \"%s\" is not %s", key, value,
                 k->kind == K_BOOL ? "0 or 1" : "a number");
        return -1;
    }
    if (key_check_value(k, v, msg, sizeof(msg))) {
        snprintf(err, errlen, "%s: %s", key, msg);
        return -1;
    }
    key_put(m, k, v);
    return 0;
}

/* A contradiction between keys a and b (a == b for one key): the loader
 * reports it where the later of the two was set. */
#define BLAME(a, b, ...)                                        \
    do {                                                        \
        key[0] = (size_t)pmu_model_key_index(a);                \
        key[1] = (size_t)pmu_model_key_index(b);                \
        snprintf(msg, len, __VA_ARGS__);                        \
        return -1;                                              \
    } while (0)

/* Leaf 0x23 against leaf 0xA and the library (docs/cpu-models.md). */
static int check_leaf23(const struct pmu_model *m, size_t key[2], char *msg,
                        size_t len)
{
    uint32_t len_mask = (uint32_t)pmu_width_mask(m->events_length);
    uint32_t gp0a = (uint32_t)pmu_width_mask(m->gp_counters);
    uint32_t acr = m->acr_gp | m->acr_fixed | m->acr_cause_gp |
                   m->acr_cause_fixed;

    if (!m->leaf23) {
        static const char *const only[] = {
            "pmu.leaf23_features", "pmu.leaf23_slots", "pmu.leaf23_gp_bitmap",
            "pmu.leaf23_fixed_bitmap", "pmu.leaf23_events", "pmu.acr_gp",
            "pmu.acr_fixed", "pmu.acr_cause_gp", "pmu.acr_cause_fixed"};
        for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
            int k = pmu_model_key_index(only[i]);
            uint64_t v = key_get(m, &keys[k]);
            if (v)
                BLAME(only[i], "pmu.leaf23", "%s = 0x%" PRIx64 " needs "
                      "pmu.leaf23 = 1", only[i], v);
        }
        return 0;
    }
    /* GNR and MTL, version 5, enumerate leaf 0x23 (their dumps). */
    if (m->version < 5)
        BLAME("pmu.leaf23", "pmu.version", "pmu.leaf23 (CPUID leaf 0x23) "
              "needs pmu.version 5 or later");
    if (gp0a & ~m->leaf23_gp_bitmap)
        BLAME("pmu.leaf23_gp_bitmap", "pmu.gp_counters", "pmu.leaf23_gp_"
              "bitmap = 0x%x lacks GP counters that leaf 0xA enumerates "
              "(pmu.gp_counters = %u)", m->leaf23_gp_bitmap, m->gp_counters);
    if (m->version < 6 && (m->leaf23_gp_bitmap >> PMU_LEGACY_GP))
        BLAME("pmu.leaf23_gp_bitmap", "pmu.version", "pmu.leaf23_gp_bitmap "
              "= 0x%x: GP counters 10 and up live only in the version 6 MSR "
              "bank", m->leaf23_gp_bitmap);
    if (m->fixed_bitmap & ~m->leaf23_fixed_bitmap)
        BLAME("pmu.leaf23_fixed_bitmap", "pmu.fixed_bitmap", "pmu.leaf23_"
              "fixed_bitmap = 0x%x lacks fixed counters that leaf 0xA "
              "enumerates (0x%x)", m->leaf23_fixed_bitmap, m->fixed_bitmap);
    if (~m->events_mask & len_mask & ~m->leaf23_events)
        BLAME("pmu.leaf23_events", "pmu.events_mask", "pmu.leaf23_events = "
              "0x%x lacks events that leaf 0xA enumerates available",
              m->leaf23_events);
    if (m->leaf23_events >> 12 & 1)
        BLAME("pmu.leaf23_events", "pmu.leaf23_events", "bit 12 (LBR "
              "inserts) must be clear: pmvm has no LBR, so the event could "
              "never count");
    if (m->leaf23_slots && m->leaf23_slots != m->slots_per_cycle)
        BLAME("pmu.leaf23_slots", "pmu.slots_per_cycle", "pmu.leaf23_slots "
              "= %u is not the model's pmu.slots_per_cycle = %u",
              m->leaf23_slots, m->slots_per_cycle);
    if (acr && m->version < 6)
        BLAME("pmu.acr_gp", "pmu.version", "auto counter reload (pmu.acr_*)"
              " needs the version 6 MSR bank (CFG_B, CFG_C)");
    if ((m->acr_gp | m->acr_cause_gp) & ~m->leaf23_gp_bitmap)
        BLAME("pmu.acr_gp", "pmu.leaf23_gp_bitmap", "pmu.acr_gp and "
              "pmu.acr_cause_gp may name only GP counters that exist");
    if ((m->acr_fixed | m->acr_cause_fixed) & ~m->leaf23_fixed_bitmap)
        BLAME("pmu.acr_fixed", "pmu.leaf23_fixed_bitmap", "pmu.acr_fixed and"
              " pmu.acr_cause_fixed may name only fixed counters that "
              "exist");
    return 0;
}

/* CPUID leaf 0 and 0x1A against what the model enumerates. */
static int check_cpu(const struct pmu_model *m, size_t key[2], char *msg,
                     size_t len)
{
    uint32_t need = m->leaf23 ? 0x23 : m->core_type ? 0x1A :
                    m->version ? 0xA : 0;

    if (m->max_leaf && m->max_leaf < need)
        BLAME("cpu.max_leaf", m->leaf23 ? "pmu.leaf23" : "pmu.version",
              "cpu.max_leaf = 0x%x hides leaf 0x%x, which the model fills",
              m->max_leaf, need);
    if (m->core_type && m->core_type != PMU_CORE_TYPE_ATOM &&
        m->core_type != PMU_CORE_TYPE_CORE)
        BLAME("cpu.core_type", "cpu.core_type", "cpu.core_type = 0x%x: "
              "0x20 (Atom) or 0x40 (Core), or 0 for no leaf 0x1A",
              m->core_type);
    if (m->native_model_id && !m->core_type)
        BLAME("cpu.native_model_id", "cpu.core_type", "cpu.native_model_id "
              "needs cpu.core_type (both are CPUID.1AH:EAX)");
    if (m->hybrid && !m->core_type)
        BLAME("cpu.hybrid", "cpu.core_type", "a hybrid CPU's model is one "
              "core type's view: choose one (NAME:core or NAME:atom)");
    return 0;
}

/* A cache level is whole sets of 64-byte lines in its ways, or absent. */
static int check_cache(const struct pmu_model *m, size_t key[2], char *msg,
                       size_t len)
{
    static const char *const names[3][2] = {
        {"pmu.l1d_kib", "pmu.l1d_ways"}, {"pmu.l2_kib", "pmu.l2_ways"},
        {"pmu.llc_kib", "pmu.llc_ways"}};
    const uint32_t kib[3] = {m->l1d_kib, m->l2_kib, m->llc_kib};
    const uint32_t ways[3] = {m->l1d_ways, m->l2_ways, m->llc_ways};

    for (int i = 0; i < 3; i++)
        if ((kib[i] == 0) != (ways[i] == 0) ||
            (ways[i] && ((uint64_t)kib[i] << 10) % ((uint64_t)ways[i] * 64)))
            BLAME(names[i][0], names[i][1], "%s = %u with %s = %u: a "
                  "cache level needs whole sets of 64-byte lines in its "
                  "ways (0 and 0: no such level)", names[i][0], kib[i],
                  names[i][1], ways[i]);
    return 0;
}

/* Contradictions between keys; docs/cpu-models.md lists them with the
 * reason for each. */
static int check_pmu(const struct pmu_model *m, size_t key[2], char *msg,
                     size_t len)
{
    uint64_t caps = m->perf_capabilities;
    uint32_t fb = m->fixed_bitmap;

    if (m->version == 0 && m->gp_counters)
        BLAME("pmu.gp_counters", "pmu.version", "pmu.gp_counters = %u needs "
              "pmu.version >= 1 (version 0 is no architectural PMU)",
              m->gp_counters);
    if (m->version == 0 && m->events_length)
        BLAME("pmu.events_length", "pmu.version", "pmu.events_length = %u "
              "needs pmu.version >= 1", m->events_length);
    if (m->version < 2 && fb)
        BLAME("pmu.fixed_bitmap", "pmu.version", "fixed counters "
              "(pmu.fixed_bitmap = 0x%x) need pmu.version >= 2 (SDM 18.2.2)",
              fb);
    if (m->version < 5 && (fb & (fb + 1)))
        BLAME("pmu.fixed_bitmap", "pmu.version", "pmu.fixed_bitmap = 0x%x is "
              "not contiguous from 0, which only CPUID.0AH:ECX of "
              "pmu.version 5+ can enumerate", fb);
    if (m->gp_counters && m->gp_width == 0)
        BLAME("pmu.gp_width", "pmu.gp_counters", "pmu.gp_width must be 1..64 "
              "when pmu.gp_counters > 0");
    if (fb && m->fixed_width == 0)
        BLAME("pmu.fixed_width", "pmu.fixed_bitmap", "pmu.fixed_width must be"
              " 1..64 when pmu.fixed_bitmap != 0");
    if (m->events_mask & ~(uint32_t)pmu_width_mask(m->events_length))
        BLAME("pmu.events_mask", "pmu.events_length", "pmu.events_mask = 0x%x"
              " has bits at or above pmu.events_length = %u, which "
              "CPUID.0AH:EBX does not define", m->events_mask,
              m->events_length);
    if (caps && !m->pdcm)
        BLAME("pmu.perf_capabilities", "pmu.pdcm", "pmu.perf_capabilities = "
              "0x%" PRIx64 " needs pmu.pdcm = 1 (the MSR exists only with "
              "CPUID.1:ECX.PDCM)", caps);
    if ((caps & PMU_CAP_PERF_METRICS) && !pmu_model_fixed_exists(m, 3))
        BLAME("pmu.perf_capabilities", "pmu.fixed_bitmap", "PERF_METRICS[15] "
              "in pmu.perf_capabilities needs fixed counter 3 "
              "(TOPDOWN.SLOTS) in pmu.fixed_bitmap");
    if ((caps & PMU_CAP_RDPMC_METRICS_CLEAR) && !(caps & PMU_CAP_PERF_METRICS))
        BLAME("pmu.perf_capabilities", "pmu.perf_capabilities",
              "RDPMC_METRICS_CLEAR[19] in pmu.perf_capabilities needs "
              "PERF_METRICS[15]");
    if ((caps & PMU_CAP_PERF_METRICS) ? m->metrics_bytes != 4 &&
        m->metrics_bytes != 8 : m->metrics_bytes != 0)
        BLAME("pmu.metrics_bytes", "pmu.perf_capabilities", "pmu.metrics_bytes"
              " = %u: must be 4 or 8 with PERF_METRICS[15] in "
              "pmu.perf_capabilities and 0 without", m->metrics_bytes);
    if (m->version && m->slots_per_cycle == 0)
        BLAME("pmu.slots_per_cycle", "pmu.version", "pmu.slots_per_cycle must "
              "be 1..16 with a PMU (pmu.version >= 1)");
    if (m->version < 6 && m->gp_counters > PMU_LEGACY_GP)
        BLAME("pmu.gp_counters", "pmu.version", "pmu.gp_counters = %u: "
              "below pmu.version 6 GP counters have only the legacy MSRs "
              "IA32_PMC0-%u (SDM Table 2-2)", m->gp_counters,
              PMU_LEGACY_GP - 1);
    if (m->events_length > 12 && !(m->events_mask >> 12 & 1))
        BLAME("pmu.events_mask", "pmu.events_length", "CPUID.0AH:EBX bit 12 "
              "(LBR inserts) must be set, unavailable: pmvm has no LBR, so "
              "the event could never count");
    return check_leaf23(m, key, msg, len);
}

int pmu_model_check(const struct pmu_model *m, size_t key[2], char *msg,
                    size_t len)
{
    for (size_t i = 0; i < NKEYS; i++) {
        key[0] = key[1] = i;
        if (keys[i].kind == K_VENDOR) {
            if (strcmp(m->vendor, "GenuineIntel") != 0) {
                snprintf(msg, len, "the library models GenuineIntel only");
                return -1;
            }
        } else if (key_check_value(&keys[i], key_get(m, &keys[i]), msg,
                                   len)) {
            return -1;
        }
    }
    if (m->model > 0xF && m->family != 6 && m->family < 0xF)
        BLAME("cpu.model", "cpu.family", "cpu.model = 0x%x needs cpu.family 6"
              " or 0xF+ (only they have the extended model field)",
              m->model);
    if (check_cpu(m, key, msg, len) || check_cache(m, key, msg, len))
        return -1;
    return check_pmu(m, key, msg, len);
}

int pmu_model_validate(const struct pmu_model *m, char *err, size_t errlen)
{
    char msg[256];
    size_t key[2];

    if (pmu_model_check(m, key, msg, sizeof(msg)) == 0)
        return 0;
    snprintf(err, errlen, "%s: %s", keys[key[0]].name, msg);
    return -1;
}
