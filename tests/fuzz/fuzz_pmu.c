/* fuzz_pmu.c: libFuzzer harness for the PMU model's guest entry points: RDMSR, WRMSR, RDPMC, CPUID and retirement, on every shipped model and policy. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "pmu/pmu.h"
#include "tests/fuzz/fuzz.h"

#define MAX_MODELS 64

static struct pmu_model models[MAX_MODELS];
static size_t nmodels;
static const struct pmu_msr_range *ranges;
static size_t nranges;

/* Every configs/NAME.ini (or $PMVM_CONFIG_DIR) under every policy it
 * allows: the guests pmvm can really give a guest. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *dir = getenv("PMVM_CONFIG_DIR");
    dir = dir ? dir : "configs";
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort); /* a stable order */
    if (n < 0) {
        fprintf(stderr, "fuzz_pmu: cannot read %s\n", dir);
        return -1;
    }
    for (int k = 0; k < n; k++) {
        const char *name = names[k]->d_name;
        size_t len = strlen(name);
        char path[512], err[256];
        struct pmu_model host;
        if (len > 4 && strcmp(name + len - 4, ".ini") == 0) {
            snprintf(path, sizeof path, "%s/%s", dir, name);
            if (pmu_model_load(&host, path, NULL, 0, err, sizeof err) == 0)
                for (int p = PMU_POLICY_NATIVE; p <= PMU_POLICY_KVM_MEDIATED;
                     p++)
                    if (nmodels < MAX_MODELS &&
                        pmu_policy_apply(&host, (enum pmu_policy)p,
                                         &models[nmodels], err,
                                         sizeof err) == 0)
                        nmodels++;
        }
        free(names[k]);
    }
    free(names);
    nranges = pmu_msr_ranges(&ranges);
    if (nmodels == 0) {
        fprintf(stderr, "fuzz_pmu: no models in %s\n", dir);
        return -1;
    }
    return 0;
}

/* Mostly MSRs the model owns, sometimes any 32-bit index. */
static uint32_t pick_msr(struct fuzz_in *in)
{
    uint8_t how = fuzz_u8(in);
    if (how < 224) {
        const struct pmu_msr_range *r = &ranges[how % nranges];
        return r->first + (uint32_t)fuzz_take(in, 2) % r->count;
    }
    return fuzz_u32(in);
}

static void check(int r, const char *rule)
{
    if ((r != PMU_OK && r != PMU_GP) || !rule)
        abort(); /* pmu.h: PMU_OK or PMU_GP, and always a rule */
}

/* One field at a time: the order of an initializer list's evaluations
 * is unspecified, and a saved input must mean the same to every compiler. */
static void retire(struct pmu *pmu, struct fuzz_in *in)
{
    struct pmu_insn insn = {0};
    uint8_t b = fuzz_u8(in);
    insn.addr = fuzz_u64(in);
    insn.length = 1 + fuzz_u8(in) % 15;
    insn.cls = (enum pmu_insn_class)(fuzz_u8(in) % (PMU_INSN_DIV + 1));
    insn.next = b & 0x20 ? fuzz_u64(in) : insn.addr + insn.length;
    insn.taken = insn.next != insn.addr + insn.length;
    insn.mem_read = b & 1;
    insn.mem_write = b & 2;
    insn.cpl = b & 4 ? 3 : (b >> 3) & 3;
    pmu_retire(pmu, &insn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    struct pmu *pmu = pmu_create(&models[fuzz_u8(&in) % nmodels]);
    if (!pmu)
        return 0;
    for (unsigned ops = 0; in.left && ops < 4096; ops++) {
        const char *rule = NULL;
        uint64_t v;
        int r = PMU_OK;
        uint8_t op = fuzz_u8(&in);
        switch (op % 8) {
        case 0: {
            uint32_t msr = pick_msr(&in);
            r = pmu_rdmsr(pmu, msr, &v, &rule);
            break;
        }
        case 1:
        case 2: {
            uint32_t msr = pick_msr(&in);
            r = pmu_wrmsr(pmu, msr, fuzz_u64(&in), &rule);
            break;
        }
        case 3: {
            uint8_t m = fuzz_u8(&in);
            struct pmu_mode mode = {.cpl = m & 3, .cr0_pe = !(m & 4),
                                    .cr4_pce = m & 8};
            r = pmu_rdpmc(pmu, fuzz_u32(&in), &mode, &v, &rule);
            break;
        }
        case 4: {
            uint32_t regs[4];
            uint8_t l = fuzz_u8(&in);
            uint32_t leaf = l < 96 ? 0xA : l < 224 ? 0x23 : fuzz_u32(&in);
            pmu_cpuid(pmu, leaf, fuzz_u32(&in), regs);
            break;
        }
        case 5:
        case 6:
            retire(pmu, &in);
            break;
        default: {
            uint8_t idx = fuzz_u8(&in) % 48;
            if (op & 0x80)
                pmu_counter_set(pmu, idx, fuzz_u64(&in));
            else if (op & 0x40)
                pmu_reset(pmu);
            pmu_counter_get(pmu, idx);
            pmu_counter_enabled(pmu, idx, fuzz_u8(&in) & 3);
            pmu_counting_rings(pmu);
            break;
        }
        }
        if (op % 8 <= 3)
            check(r, rule);
    }
    pmu_destroy(pmu);
    return 0;
}
