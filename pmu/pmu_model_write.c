/* pmu_model_write.c: a model as the INI file pmu_model_load() reads back to the same model. */
#include <string.h>

#include "pmu/pmu_internal.h"

/* What each key becomes, for the comment beside it (docs/cpu-models.md). */
static const struct {
    const char *key, *what;
} key_what[] = {
    {"cpu.vendor", "CPUID.0:EBX,EDX,ECX"},
    {"cpu.family", "CPUID.1:EAX family (+ extended family)"},
    {"cpu.model", "CPUID.1:EAX model (+ extended model)"},
    {"cpu.stepping", "CPUID.1:EAX[3:0]"},
    {"cpu.hybrid", "CPUID.7.0:EDX[15], more than one core type"},
    {"cpu.max_leaf", "CPUID.0:EAX, the highest basic leaf"},
    {"cpu.core_type", "CPUID.1AH:EAX[31:24]: 0x40 Core, 0x20 Atom"},
    {"cpu.native_model_id", "CPUID.1AH:EAX[23:0]"},
    {"pmu.version", "CPUID.0AH:EAX[7:0]"},
    {"pmu.gp_counters", "CPUID.0AH:EAX[15:8]"},
    {"pmu.gp_width", "CPUID.0AH:EAX[23:16]"},
    {"pmu.events_length", "CPUID.0AH:EAX[31:24]"},
    {"pmu.events_mask", "CPUID.0AH:EBX, set = unavailable"},
    {"pmu.fixed_bitmap", "CPUID.0AH:ECX (version 5+), else EDX[4:0]"},
    {"pmu.fixed_width", "CPUID.0AH:EDX[12:5]"},
    {"pmu.anythread_deprecated", "CPUID.0AH:EDX[15]"},
    {"pmu.pdcm", "CPUID.1:ECX[15], IA32_PERF_CAPABILITIES exists"},
    {"pmu.perf_capabilities", "IA32_PERF_CAPABILITIES (0x345)"},
    {"pmu.metrics_bytes", "IA32_PERF_METRICS byte fields"},
    {"pmu.slots_per_cycle", "TOPDOWN.SLOTS per core cycle"},
    {"pmu.leaf23", "CPUID leaf 0x23 is enumerated"},
    {"pmu.leaf23_features", "CPUID.23H.0:EBX"},
    {"pmu.leaf23_slots", "CPUID.23H.0:ECX"},
    {"pmu.leaf23_gp_bitmap", "CPUID.23H.1:EAX"},
    {"pmu.leaf23_fixed_bitmap", "CPUID.23H.1:EBX"},
    {"pmu.leaf23_events", "CPUID.23H.3:EAX"},
    {"pmu.acr_gp", "CPUID.23H.2:EAX"},
    {"pmu.acr_fixed", "CPUID.23H.2:EBX"},
    {"pmu.acr_cause_gp", "CPUID.23H.2:ECX"},
    {"pmu.acr_cause_fixed", "CPUID.23H.2:EDX"},
    {"pmu.l1d_kib", "CPUID.4: L1 data cache, KiB"},
    {"pmu.l1d_ways", "CPUID.4: L1 data cache ways"},
    {"pmu.l2_kib", "CPUID.4: L2 cache, KiB"},
    {"pmu.l2_ways", "CPUID.4: L2 cache ways"},
    {"pmu.llc_kib", "CPUID.4: last-level cache, KiB (0: none)"},
    {"pmu.llc_ways", "CPUID.4: last-level cache ways"},
};

static const char *what_of(const char *key)
{
    for (size_t i = 0; i < sizeof(key_what) / sizeof(key_what[0]); i++)
        if (strcmp(key_what[i].key, key) == 0)
            return key_what[i].what;
    return "";
}

void pmu_model_write_ini(const struct pmu_model *m, uint64_t inferred,
                         FILE *f)
{
    const char *name, *prev = NULL;
    char line[64], value[32];

    for (size_t i = 0; (name = pmu_model_key_name(i)); i++) {
        size_t slen = (size_t)(strchr(name, '.') - name);

        if (!prev || strncmp(prev, name, slen + 1) != 0)
            fprintf(f, "%s[%.*s]\n", prev ? "\n" : "", (int)slen, name);
        prev = name;
        pmu_model_key_format(m, i, value, sizeof(value));
        snprintf(line, sizeof(line), "%s = %s", name + slen + 1, value);
        fprintf(f, "%-32s ; %s%s\n", line, what_of(name),
                inferred >> i & 1 ? " [I]" : "");
    }
}
