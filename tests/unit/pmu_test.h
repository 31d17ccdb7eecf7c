/* pmu_test.h: what the PMU unit tests share: a guest model from configs/ (PMVM_CONFIG_DIR). */
#ifndef PMVM_PMU_TEST_H
#define PMVM_PMU_TEST_H

#include <stddef.h>

#include "pmu/pmu.h"

/*
 * Load the host model (cpu): configs/NAME.ini, NAME:TYPE for a hybrid
 * CPU's core type, following aliases. Returns pmu_model_load_src()'s 0 or
 * -1 (with err), never 1.
 */
int pmu_test_load(const char *cpu, const char *const *sets, size_t nsets,
                  struct pmu_model *host, char *err, size_t errlen);

/*
 * Load configs/(cpu).ini with the (sets) overrides (a NULL entry ends them
 * early) and apply (policy) into (guest); any error fails the test.
 */
void pmu_test_guest(const char *cpu, const char *const *sets, size_t nsets,
                    enum pmu_policy policy, struct pmu_model *guest);

/* The same, then a PMU of that guest model in its reset state. */
struct pmu *pmu_test_pmu(const char *cpu, const char *const *sets,
                         size_t nsets, enum pmu_policy policy);

#endif
