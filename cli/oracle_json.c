/* oracle_json.c: `--format=json` for cpuid and explain, built with json-c. */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/oracle_json.h"
#include "vmm/status.h"

/* v NULL is JSON null in json-c. */
static void put(json_object *o, const char *key, json_object *v)
{
    if (json_object_object_add(o, key, v))
        errx(STATUS_SOFTWARE, "json-c: cannot add '%s'", key);
}

static json_object *new_object(const char *schema,
                               const struct pmu_model *g)
{
    json_object *o = json_object_new_object();

    if (!o)
        errx(STATUS_SOFTWARE, "json-c: out of memory");
    put(o, "schema", json_object_new_string(schema));
    put(o, "model", json_object_new_string(g->name));
    put(o, "policy", json_object_new_string(pmu_policy_name(g->policy)));
    return o;
}

static void print_and_free(json_object *o)
{
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

/* 64-bit values as "0x..." strings: JSON numbers lose bits above 2^53 in
 * most readers. */
static json_object *hex64(uint64_t v)
{
    char s[24];

    snprintf(s, sizeof(s), "0x%llx", (unsigned long long)v);
    return json_object_new_string(s);
}

static json_object *leaf(uint32_t l, uint32_t sub, const uint32_t r[4])
{
    json_object *o = json_object_new_object();

    put(o, "leaf", json_object_new_int64(l));
    put(o, "subleaf", json_object_new_int64(sub));
    put(o, "eax", json_object_new_int64(r[0]));
    put(o, "ebx", json_object_new_int64(r[1]));
    put(o, "ecx", json_object_new_int64(r[2]));
    put(o, "edx", json_object_new_int64(r[3]));
    return o;
}

void oracle_json_cpuid(const struct pmu_model *g)
{
    json_object *o = new_object("pmvm.cpuid/1", g);
    json_object *leaves = json_object_new_array();
    uint32_t r[4] = {pmu_model_max_leaf(g), 0, 0, 0}, valid;

    memcpy(&r[1], g->vendor, 4);
    memcpy(&r[3], g->vendor + 4, 4);
    memcpy(&r[2], g->vendor + 8, 4);
    json_object_array_add(leaves, leaf(0, 0, r));
    r[0] = pmu_model_signature(g), r[1] = r[3] = 0;
    r[2] = g->pdcm ? 1u << 15 : 0; /* the PMU's bits only: PDCM */
    json_object_array_add(leaves, leaf(1, 0, r));
    pmu_model_cpuid(g, 0xA, 0, r);
    json_object_array_add(leaves, leaf(0xA, 0, r));
    if (pmu_model_cpuid(g, 0x1A, 0, r))
        json_object_array_add(leaves, leaf(0x1A, 0, r));
    if (g->leaf23) {
        pmu_model_cpuid(g, 0x23, 0, r);
        valid = r[0];
        for (uint32_t sub = 0; sub < 32; sub++)
            if (valid >> sub & 1) {
                pmu_model_cpuid(g, 0x23, sub, r);
                json_object_array_add(leaves, leaf(0x23, sub, r));
            }
    }
    put(o, "vendor", json_object_new_string(g->vendor));
    put(o, "leaves", leaves);
    put(o, "perf_capabilities",
        g->pdcm ? hex64(pmu_model_caps(g)) : json_object_new_null());
    print_and_free(o);
}

void oracle_json_explain(const struct pmu_model *g,
                         const struct oracle_access *x)
{
    static const char *const kinds[] = {"rdpmc", "rdmsr", "wrmsr"};
    json_object *o = new_object("pmvm.explain/1", g);

    put(o, "access", json_object_new_string(kinds[x->kind]));
    if (x->kind == ORACLE_RDPMC) {
        put(o, "ecx", json_object_new_int64(x->ecx_or_msr));
        put(o, "cpl", json_object_new_int64(x->mode.cpl));
        put(o, "cr0_pe", json_object_new_boolean(x->mode.cr0_pe));
        put(o, "cr4_pce", json_object_new_boolean(x->mode.cr4_pce));
    } else {
        put(o, "msr", json_object_new_int64(x->ecx_or_msr));
    }
    if (x->kind == ORACLE_WRMSR)
        put(o, "written", hex64(x->written));
    put(o, "result", json_object_new_string(x->by_kvm ? "kvm"
                                            : x->rc == PMU_OK ? "ok"
                                                              : "#GP"));
    if (x->by_kvm)
        put(o, x->kind == ORACLE_WRMSR ? "read_back" : "value",
            json_object_new_null());
    else if (x->kind != ORACLE_WRMSR || x->then_read)
        put(o, x->kind == ORACLE_WRMSR ? "read_back" : "value",
            x->rc == PMU_OK ? hex64(x->value) : json_object_new_null());
    put(o, "rule", json_object_new_string(x->rule));
    if (x->then_read)
        put(o, "read_back_rule", json_object_new_string(x->then_rule));
    print_and_free(o);
}
