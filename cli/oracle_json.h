/* oracle_json.h: `--format=json` for cpuid and explain: the answers as JSON (json-c), schema in docs/cli.md. */
#ifndef PMVM_ORACLE_JSON_H
#define PMVM_ORACLE_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "pmu/pmu.h"

/* One access `pmvm explain` makes from the reset state, and its outcome. */
struct oracle_access {
    enum { ORACLE_RDPMC, ORACLE_RDMSR, ORACLE_WRMSR } kind;
    uint32_t ecx_or_msr;
    uint64_t written;         /* wrmsr's value */
    struct pmu_mode mode;     /* rdpmc's CPL, CR0.PE, CR4.PCE */
    int rc;                   /* PMU_OK or PMU_GP */
    uint64_t value;           /* read, or read back after a write */
    const char *rule;
    bool then_read;           /* a write was read back */
    const char *then_rule;
    bool by_kvm;              /* not the model's: KVM answers it */
};

/* Prints the guest's CPUID leaves and PERF_CAPABILITIES as one object. */
void oracle_json_cpuid(const struct pmu_model *guest);

/* Prints one explained access as one object. */
void oracle_json_explain(const struct pmu_model *guest,
                         const struct oracle_access *x);

#endif
