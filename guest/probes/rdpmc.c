/* rdpmc.c: RDPMC over counter types, indices, CPL and CR4.PCE, and all 65,536 types (docs/probe-format.md). */
#include "guest.h"

/*
 * The access list and the "# obs " line formats are fixed by
 * docs/probe-format.md (issue 4): every model prints the same lines in
 * the same order, only the outcomes differ. The probe first makes every
 * access and keeps the outcomes, then prints them, so that its KTAP plan
 * can count the self-checks the outcomes allow.
 */

#define GP_VECTOR 13
#define TYPE_GP 0x0000u             /* ECX[31:16], pmu-spec 1.1 */
#define TYPE_FIXED 0x4000u
#define TYPE_METRICS 0x2000u
#define TYPES 0x10000u

#define MSR_PMC0 0xc1               /* legacy alias, pmu-spec 0 */
#define MSR_FIXED_CTR0 0x309
#define MSR_PERF_METRICS 0x329
#define SETUP_GP 8                  /* PMCs and fixed counters the set-up */
#define SETUP_FIXED 7               /* writes, probe-format.md */
#define PERF_METRICS_VALUE 0x0102030405060708ull

#define RCX_HI 0xffffffff00000000ull

struct access {
    uint64_t rcx;
    uint8_t vector;
    uint32_t err;
    uint64_t val;
    /* The MSR the same counter reads through, when the type has one. */
    bool has_msr;
    uint32_t msr;
    uint8_t msr_vector;
    uint64_t msr_val;
};

static const uint32_t cpl0_ecx[] = {
    /* GP */
    0x00000000, 0x00000001, 0x00000003, 0x00000004, 0x00000007, 0x00000008,
    0x00000009, 0x0000000a, 0x0000000f, 0x000000ff, 0x00000100, 0x0000ffff,
    /* fixed */
    0x40000000, 0x40000001, 0x40000002, 0x40000003, 0x40000004, 0x40000005,
    0x40000006, 0x40000007, 0x4000001f, 0x40000020, 0x4000ffff,
    /* metrics */
    0x20000000, 0x20000001, 0x2000ffff,
    /* other types */
    0x80000000, 0x80000001, 0xc0000000, 0xc0000001, 0x60000000, 0x10000000,
    0x00010000, 0x00020000, 0x01000000, 0x40010000, 0x20010000, 0xa0000000,
    0xe0000000, 0xffff0000, 0xffffffff,
};
#define N_CPL0 (sizeof cpl0_ecx / sizeof cpl0_ecx[0])

static const uint32_t cpl3_ecx[] = {
    0x00000000, 0x40000000, 0x20000000, 0x60000000,
};
#define N_CPL3 (sizeof cpl3_ecx / sizeof cpl3_ecx[0])

static struct access cpl0[N_CPL0], rcx_hi, cpl3[2][N_CPL3];
static uint16_t sweep_types[TYPES];
static unsigned sweep_count;
static unsigned pmu_version;


static uint32_t type_of(uint64_t rcx)
{
    return (uint32_t)rcx >> 16;
}

/* The MSR that holds the counter RDPMC ECX names (pmu-spec 0, 1.1). */
static bool msr_of(uint32_t ecx, uint32_t *msr)
{
    uint32_t index = ecx & 0xffff;

    switch (type_of(ecx)) {
    case TYPE_GP:
        *msr = MSR_PMC0 + index;
        return true;
    case TYPE_FIXED:
        *msr = MSR_FIXED_CTR0 + index;
        return true;
    case TYPE_METRICS:
        *msr = MSR_PERF_METRICS;
        return true;
    }
    return false;
}

/* What the set-up wrote to the counter ECX names; 0 (reset) if nothing. */
static uint64_t setup_value(uint32_t ecx)
{
    uint32_t index = ecx & 0xffff;

    switch (type_of(ecx)) {
    case TYPE_GP:
        return index < SETUP_GP ? 0x100 + index : 0;
    case TYPE_FIXED:
        return index < SETUP_FIXED ? 0x200 + index : 0;
    default:
        return PERF_METRICS_VALUE;
    }
}

/* At CPL0: the MSR read happens right after the RDPMC it is compared with. */
static void read_msr_of(struct access *a)
{
    if (!a->vector && msr_of((uint32_t)a->rcx, &a->msr)) {
        a->has_msr = true;
        a->msr_vector = rdmsr_safe(a->msr, &a->msr_val, NULL);
    }
}

static void access_cpl0(struct access *a, uint64_t rcx)
{
    a->rcx = rcx;
    a->vector = rdpmc_safe(rcx, &a->val, &a->err);
    read_msr_of(a);
}

/* Runs at CPL3; the runtime's pages are user-accessible. */
static struct access *user_slot;

static uint64_t user_rdpmc(uint64_t rcx)
{
    user_slot->rcx = rcx;
    user_slot->vector = rdpmc_safe(rcx, &user_slot->val, &user_slot->err);
    return 0;
}

static void access_cpl3(struct access *a, uint64_t rcx)
{
    user_slot = a;
    run_user(user_rdpmc, rcx);
    read_msr_of(a);
}

/* Every type with index 0, at CPL0. */
static void sweep(void)
{
    sweep_count = rdpmc_sweep(0, TYPES, sweep_types);
}

static bool in_sweep(uint32_t type)
{
    for (unsigned i = 0; i < sweep_count; i++)
        if (sweep_types[i] == type)
            return true;
    return false;
}

/* Faults are expected here: a write to a counter the model lacks leaves
 * nothing. PERF_METRICS goes after the fixed counters, because writing
 * FIXED_CTR3 clears it (pmu-spec 3.5). */
static void setup(void)
{
    for (uint32_t i = 0; i < SETUP_GP; i++)
        wrmsr_safe(MSR_PMC0 + i, 0x100 + i, NULL);
    for (uint32_t i = 0; i < SETUP_FIXED; i++)
        wrmsr_safe(MSR_FIXED_CTR0 + i, 0x200 + i, NULL);
    wrmsr_safe(MSR_PERF_METRICS, PERF_METRICS_VALUE, NULL);
}

static void measure(void)
{
    uint64_t cr4 = read_cr4() & ~(uint64_t)CR4_PCE;
    uint32_t r[4];

    if (!cpuid_safe(0xa, 0, r, NULL))
        pmu_version = r[0] & 0xff;

    write_cr4(cr4);
    setup();
    for (unsigned i = 0; i < N_CPL0; i++)
        access_cpl0(&cpl0[i], cpl0_ecx[i]);
    access_cpl0(&rcx_hi, RCX_HI);
    for (unsigned pce = 0; pce < 2; pce++) {
        write_cr4(pce ? cr4 | CR4_PCE : cr4);
        for (unsigned i = 0; i < N_CPL3; i++)
            access_cpl3(&cpl3[pce][i], cpl3_ecx[i]);
    }
    write_cr4(cr4);
    sweep();
}

static unsigned count_checks(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < N_CPL0; i++)
        n += cpl0[i].has_msr ? 2 : 0;
    n += rcx_hi.has_msr ? 2 : 0;
    n += 1;                             /* RCX[63:32] ignored */
    n += 1;                             /* undefined types fault */
    n += 1;                             /* CPL3 with PCE=0 faults */
    n += N_CPL3;                        /* CPL3 with PCE=1 is as CPL0 */
    n += 2;                             /* sweep */
    return n;
}

static void print_obs(const struct access *a, const char *hi, unsigned cpl,
                      unsigned pce)
{
    ktap_diag("obs rdpmc 0x%08x%s cpl%u pce%u: %s", (uint32_t)a->rcx, hi,
              cpl, pce, exception_outcome(a->vector, a->err));
}

/* A value RDPMC returned equals the same counter's MSR and what the
 * set-up wrote there. */
static void check_value(const struct access *a)
{
    uint64_t want = setup_value((uint32_t)a->rcx);

    if (!a->has_msr)
        return;
    if (!ktap_result(!a->msr_vector && a->msr_val == a->val,
                     "rdpmc 0x%08x returns the value rdmsr 0x%03x returns",
                     (uint32_t)a->rcx, a->msr))
        ktap_diag("rdpmc 0x%016llx: 0x%016llx; rdmsr 0x%03x: %s 0x%016llx",
                  (unsigned long long)a->rcx, (unsigned long long)a->val,
                  a->msr, exception_outcome(a->msr_vector, 0),
                  (unsigned long long)a->msr_val);
    if (!ktap_result(a->val == want,
                     "rdpmc 0x%08x returns the value the set-up wrote",
                     (uint32_t)a->rcx))
        ktap_diag("got 0x%016llx, wrote 0x%016llx",
                  (unsigned long long)a->val, (unsigned long long)want);
}

static bool defined_type(uint32_t type)
{
    return type == TYPE_GP || type == TYPE_FIXED || type == TYPE_METRICS;
}

static bool same(const struct access *a, const struct access *b)
{
    return a->vector == b->vector && a->err == b->err && a->val == b->val;
}

static const struct access *cpl0_access(uint32_t ecx)
{
    for (unsigned i = 0; i < N_CPL0; i++)
        if (cpl0[i].rcx == ecx)
            return &cpl0[i];
    guest_assert(!"ECX not in the CPL0 list");
    return NULL;
}

static void report(void)
{
    bool undefined_fault = true, user_fault = true, sweep_defined = true;

    for (unsigned i = 0; i < N_CPL0; i++) {
        print_obs(&cpl0[i], "", 0, 0);
        check_value(&cpl0[i]);
        if (!defined_type(type_of(cpl0[i].rcx)) && !cpl0[i].vector)
            undefined_fault = false;
    }

    print_obs(&rcx_hi, " rcx_hi", 0, 0);
    check_value(&rcx_hi);
    ktap_result(same(&rcx_hi, &cpl0[0]),
                "rdpmc ignores RCX[63:32] (0x%016llx reads as 0x00000000)",
                (unsigned long long)RCX_HI);

    for (unsigned pce = 0; pce < 2; pce++)
        for (unsigned i = 0; i < N_CPL3; i++)
            print_obs(&cpl3[pce][i], "", 3, pce);
    for (unsigned i = 0; i < N_CPL3; i++)
        if (cpl3[0][i].vector != GP_VECTOR || cpl3[0][i].err)
            user_fault = false;
    /* SDM RDPMC: CPL > 0 with CR4.PCE = 0 is #GP(0), whatever ECX. */
    ktap_result(user_fault, "rdpmc at cpl3 with pce0 gives #GP(0)");
    for (unsigned i = 0; i < N_CPL3; i++)
        ktap_result(same(&cpl3[1][i], cpl0_access(cpl3_ecx[i])),
                    "rdpmc 0x%08x at cpl3 with pce1 gives what it gives "
                    "at cpl0", cpl3_ecx[i]);

    printf("# obs rdpmc sweep index 0 cpl0: types");
    for (unsigned i = 0; i < sweep_count; i++) {
        printf(" 0x%04x", sweep_types[i]);
        if (!defined_type(sweep_types[i]))
            sweep_defined = false;
    }
    printf("\n");

    /* pmu-spec 1.1: with an architectural PMU (version != 0) any type but
     * GP, fixed and metrics is #GP(0). Version 0 is not architectural. */
    if (pmu_version) {
        ktap_result(undefined_fault,
                    "rdpmc of an undefined type faults (PMU version %u)",
                    pmu_version);
        ktap_result(sweep_defined, "the sweep finds no undefined type "
                    "(PMU version %u)", pmu_version);
    } else {
        ktap_skip("no architectural PMU", "rdpmc of an undefined type faults");
        ktap_skip("no architectural PMU", "the sweep finds no undefined type");
    }
    ktap_result(in_sweep(TYPE_GP) == !cpl0_access(0x00000000)->vector &&
                in_sweep(TYPE_FIXED) == !cpl0_access(0x40000000)->vector &&
                in_sweep(TYPE_METRICS) == !cpl0_access(0x20000000)->vector,
                "the sweep agrees with rdpmc 0x00000000, 0x40000000 and "
                "0x20000000");
}

int main(void)
{
    measure();
    ktap_plan(count_checks());
    report();
    return ktap_finish();
}
