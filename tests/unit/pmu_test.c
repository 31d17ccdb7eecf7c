/* pmu_test.c: what the PMU unit tests share: a guest model from configs/ (PMVM_CONFIG_DIR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tests/unit/pmu_test.h"

void pmu_test_guest(const char *cpu, const char *const *sets, size_t nsets,
                    enum pmu_policy policy, struct pmu_model *guest)
{
    const char *dir = getenv("PMVM_CONFIG_DIR");
    char path[512], err[512];
    struct pmu_model host;
    size_t n = 0;

    while (sets && n < nsets && sets[n])
        n++;
    snprintf(path, sizeof(path), "%s/%s.ini", dir ? dir : "configs", cpu);
    if (pmu_model_load(&host, path, sets, n, err, sizeof(err)))
        fail_msg("%s", err);
    if (pmu_policy_apply(&host, policy, guest, err, sizeof(err)))
        fail_msg("%s", err);
}

struct pmu *pmu_test_pmu(const char *cpu, const char *const *sets,
                         size_t nsets, enum pmu_policy policy)
{
    struct pmu_model g;
    pmu_test_guest(cpu, sets, nsets, policy, &g);
    struct pmu *pmu = pmu_create(&g);
    assert_non_null(pmu);
    return pmu;
}
