/* fuzz_model.c: libFuzzer harness for CPU model files and --set: pmu_model_load, then every policy, CPUID and every PMU MSR of the result. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmu/pmu.h"
#include "tests/fuzz/fuzz.h"

#define MAX_SETS 8

/* The input: INI text, then optionally a NUL byte and --set strings, one
 * a line. pmu_model_load reads a path, so the text goes to a memfd. */
static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fd = memfd_create("fuzz_model.ini", 0);
    if (fd < 0)
        return -1;
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return 0;
}

static void one_line(const char *err)
{
    if (err[0] == '\0' || strchr(err, '\n'))
        abort(); /* every refusal is one non-empty line */
}

static void exercise(const struct pmu_model *host)
{
    for (int p = PMU_POLICY_NATIVE; p <= PMU_POLICY_KVM_MEDIATED; p++) {
        struct pmu_model guest;
        char err[256] = "";
        if (pmu_policy_apply(host, (enum pmu_policy)p, &guest, err,
                             sizeof err)) {
            one_line(err);
            continue;
        }
        struct pmu *pmu = pmu_create(&guest);
        if (!pmu)
            continue;
        uint32_t regs[4];
        pmu_cpuid(pmu, 0xA, 0, regs);
        for (uint32_t sub = 0; sub < 8; sub++)
            pmu_cpuid(pmu, 0x23, sub, regs);
        const struct pmu_msr_range *r;
        size_t n = pmu_msr_ranges(&r);
        for (size_t i = 0; i < n; i++)
            for (uint32_t m = r[i].first; m < r[i].first + r[i].count; m++) {
                uint64_t v;
                const char *rule = NULL;
                pmu_rdmsr(pmu, m, &v, &rule);
                if (!rule)
                    abort(); /* pmu.h: every answer names its rule */
            }
        pmu_destroy(pmu);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t ini_len = nul ? (size_t)(nul - data) : size;
    if (ftruncate(fd, 0) < 0 || pwrite(fd, data, ini_len, 0) !=
        (ssize_t)ini_len)
        abort();

    char *setbuf = NULL;
    const char *sets[MAX_SETS];
    size_t nsets = 0;
    if (nul) {
        size_t len = size - ini_len - 1;
        setbuf = malloc(len + 1);
        if (!setbuf)
            return 0;
        memcpy(setbuf, nul + 1, len);
        setbuf[len] = '\0';
        for (char *s = setbuf; s && nsets < MAX_SETS;) {
            char *nl = strchr(s, '\n');
            if (nl)
                *nl++ = '\0';
            sets[nsets++] = s;
            s = nl;
        }
    }

    struct pmu_model m;
    char err[256] = "";
    if (pmu_model_load(&m, path, sets, nsets, err, sizeof err) == 0)
        exercise(&m);
    else
        one_line(err);
    free(setbuf);
    return 0;
}
