/* cpu_select.h: which PMU model the guest gets, from a model name or file, a CPUID dump or the host, a policy and overrides. */
#ifndef PMVM_CPU_SELECT_H
#define PMVM_CPU_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "pmu/pmu.h"

#define CPU_SELECT_DEFAULT_CPU "sapphire-rapids"
#define CPU_SELECT_MAX_SETS 64

/*
 * What a command was asked for (cli/cpu_options.h reads it from --cpu,
 * --cpu-dump, --core-type, --policy and --set): a model NAME, FILE.ini or
 * host[:TYPE], or a dump; the policy; section.KEY=VALUE overrides (pmu.*
 * or cpu.*), applied in order.
 */
struct cpu_select {
    const char *cpu;
    bool cpu_given;        /* --cpu was on the command line */
    const char *dump;      /* --cpu-dump FILE */
    const char *core_type; /* "core", "atom" or NULL */
    enum pmu_policy policy;
    const char *sets[CPU_SELECT_MAX_SETS];
    size_t nsets;
};

/* Defaults: sapphire-rapids, native, no overrides. */
void cpu_select_init(struct cpu_select *s);

/*
 * The CPU's own model before any policy: from --cpu-dump FILE, --cpu host
 * (the CPU pmvm runs on; host:core, host:atom), or a model file or name
 * as cpu_select_resolve() finds it, with the overrides. *inferred (may be
 * NULL) gets the keys not read from the CPU, as pmu_model_from_cpuid().
 * Exits with one line on any error, as cpu_select_resolve().
 */
void cpu_select_model(const struct cpu_select *s, struct pmu_model *m,
                      uint64_t *inferred);

/*
 * Finds the model (--cpu FILE.ini, or NAME as cpu/model_find.h says; a
 * hybrid CPU's core type after a colon: NAME:core, NAME:atom), follows
 * aliases, loads it with the overrides, validates it and applies the
 * policy. host may be NULL. On any error prints ONE line and exits: 64
 * (EX_USAGE) for a bad option, 65 (EX_DATAERR) for a bad model.
 */
void cpu_select_resolve(const struct cpu_select *s, struct pmu_model *host,
                        struct pmu_model *guest);

#endif
