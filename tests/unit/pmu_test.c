/* pmu_test.c: what the PMU unit tests share: a guest model from configs/ (PMVM_CONFIG_DIR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/pmu_test.h"

int pmu_test_load(const char *cpu, const char *const *sets, size_t nsets,
                  struct pmu_model *host, char *err, size_t errlen)
{
    const char *dir = getenv("PMVM_CONFIG_DIR");
    char name[128], alias[128], path[512];
    int rc;

    snprintf(name, sizeof(name), "%s", cpu);
    do {
        char *colon = strchr(name, ':');
        struct pmu_model_src src = {.name = path,
                                    .core = colon ? colon + 1 : NULL};
        if (colon)
            *colon = '\0';
        snprintf(path, sizeof(path), "%s/%s.ini", dir ? dir : "configs",
                 name);
        rc = pmu_model_load_src(host, &src, sets, nsets, alias,
                                sizeof(alias), err, errlen);
        snprintf(name, sizeof(name), "%s", alias);
    } while (rc == 1);
    return rc;
}

void pmu_test_guest(const char *cpu, const char *const *sets, size_t nsets,
                    enum pmu_policy policy, struct pmu_model *guest)
{
    char err[512];
    struct pmu_model host;
    size_t n = 0;

    while (sets && n < nsets && sets[n])
        n++;
    if (pmu_test_load(cpu, sets, n, &host, err, sizeof(err)))
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
