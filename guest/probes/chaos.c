/* chaos.c: a hostile guest: from seed=N, a bounded random stream of RDPMC, RDMSR/WRMSR, CPUID, port I/O, exceptions, CR4.PCE and CPL3 runs; checks each outcome is a value or the expected exception. */
#include "guest.h"

/*
 * usage: pmvm run build/guest/chaos.elf [-- seed=N] [ops=N]
 *
 * Every operation's outcome must be guest-visible: a value, or an
 * exception of a vector the architecture allows for that instruction
 * (RDMSR/WRMSR/RDPMC: none or #GP; CPUID, port I/O: none; a deliberate
 * UD2, divide by zero, non-canonical load or unmapped load: exactly #UD,
 * #DE, #GP, #PF). pmvm must not crash, hang or print an error; the
 * integration test (tests/integration/chaos.sh) checks that side.
 *
 * MSRs never written, because a write would legitimately wreck the guest
 * itself rather than test pmvm (reads of every MSR are allowed):
 *   0x10-0x12      TSC, kvmclock (KVM writes guest memory at the address)
 *   0x1B           APIC base (moves or disables the local APIC)
 *   0x140          MISC_FEATURES_ENABLES (CPUID faulting)
 *   0x174-0x176    SYSENTER
 *   0x1A0          MISC_ENABLE
 *   0x1D9          DEBUGCTL (BTF and LBR: #DB storms)
 *   0x200-0x2FF    MTRRs, PAT
 *   0x6A0-0x6A8    CET (shadow stacks, ENDBR tracking)
 *   0xC0000080-0xC0000084, 0xC0000100-0xC0000102
 *                  EFER, STAR, LSTAR, CSTAR, SFMASK, FS/GS/KERNEL_GS base
 *   0x40000000-0x400000FF, 0x4B564D00-0x4B564DFF
 *                  Hyper-V and KVM paravirtual MSRs (hypercall page,
 *                  async PF, steal time: KVM writes guest memory)
 * Ports never touched: the exit port 0xF4 and COM1 (0x3F8-0x3FF), the
 * runtime's console.
 *
 * A #DB is always a wrong outcome: the probe never sets TF. (The probe
 * found one: while pmvm single-stepped the guest to count, a CPL3 WRMSR's
 * #GP came back to CPL3 with pmvm's TF set on nested PVM; fixed in
 * vmm/vpmu/trap.c, and chaos.sh's seeds 4, 7 and 0xdeadbeef hit that path.)
 */

#define DEFAULT_OPS 2000
#define MAX_OPS 100000
#define USER_BATCH 8 /* operations per run_user() */

enum op {
    OP_RDPMC, OP_RDMSR_PMU, OP_WRMSR_PMU, OP_RDMSR_ANY, OP_WRMSR_ANY,
    OP_CPUID, OP_PIO, OP_EXCEPTION, OP_PCE, OP_USER, OP_PMU_QUIET, NOPS
};
static const char *const op_names[NOPS] = {
    "rdpmc", "rdmsr pmu", "wrmsr pmu", "rdmsr any", "wrmsr any", "cpuid",
    "port i/o", "exception", "cr4.pce", "run_user", "pmu quiet",
};

/* Outcome counts by operation and vector (0: no exception). 32 vectors
 * plus "wrong vector" in the last column. */
#define WRONG 32
static unsigned counts[2][NOPS][WRONG + 1]; /* [cpl3?][op][vector] */
static unsigned wrong_total;

static uint64_t rng;

/* xorshift64* (Vigna): small, fast, good enough to pick operations. */
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

static void outcome(unsigned cpl, enum op op, uint8_t vector, uint32_t err,
                    bool allowed)
{
    if (!allowed) {
        wrong_total++;
        counts[cpl != 0][op][WRONG]++;
        /* One line each: rare, and the details are what matter. */
        ktap_diag("unexpected outcome: %s at CPL%u gave %s", op_names[op],
                  cpl, vector == 0xFF ? "no exception"
                                      : exception_outcome(vector, err));
        return;
    }
    counts[cpl != 0][op][vector < WRONG ? vector : WRONG]++;
}

/* ---- MSRs ---- */

static const struct { uint32_t first, count; } pmu_msrs[] = {
    {0xC1, 8}, {0x186, 8}, {0x309, 7}, {0x329, 1}, {0x345, 1},
    {0x38D, 6}, {0x4C1, 8}, {0x3F1, 1}, {0x1A6, 2},
};

static uint32_t pick_pmu_msr(void)
{
    unsigned i = below(sizeof pmu_msrs / sizeof pmu_msrs[0]);
    /* Now and then one past the end of a range. */
    return pmu_msrs[i].first + below(pmu_msrs[i].count + 1);
}

static bool write_forbidden(uint32_t m)
{
    return (m >= 0x10 && m <= 0x12) || m == 0x1B || m == 0x140 ||
           (m >= 0x174 && m <= 0x176) || m == 0x1A0 || m == 0x1D9 ||
           (m >= 0x200 && m <= 0x2FF) || (m >= 0x6A0 && m <= 0x6A8) ||
           (m >= 0xC0000080 && m <= 0xC0000084) ||
           (m >= 0xC0000100 && m <= 0xC0000102) ||
           (m >= 0x40000000 && m <= 0x400000FF) ||
           (m >= 0x4B564D00 && m <= 0x4B564DFF);
}

/* Any MSR: mostly the architectural and Intel/AMD low ranges, where the
 * implemented ones are, sometimes any 32-bit index. */
static uint32_t pick_any_msr(void)
{
    switch (below(4)) {
    case 0: return below(0x1000);
    case 1: return 0xC0000000 + below(0x200);
    case 2: return 0xC0010000 + below(0x300);
    default: return (uint32_t)rnd();
    }
}

/* Values: random, small, single bits, all ones. */
static uint64_t pick_value(void)
{
    switch (below(5)) {
    case 0: return 0;
    case 1: return ~0ull;
    case 2: return 1ull << below(64);
    case 3: return below(0x10000);
    default: return rnd();
    }
}

/* Half the time a value that makes counters count (so pmvm steps the
 * guest and counts, overflows and raises PMIs): an enabled event select,
 * enabled fixed counters, a counter close to overflow. */
static uint64_t pick_pmu_value(uint32_t msr)
{
    if (below(2))
        return pick_value();
    if (msr >= 0x186 && msr < 0x18E)   /* EVTSEL: event, umask, USR OS
                                          EDGE INT EN INV, CMASK */
        return (rnd() & 0xFFFF) | (rnd() & 0xDF0000) | (1ull << 22) |
               (below(4) ? 0 : (uint64_t)below(4) << 24);
    if (msr == 0x38D)                  /* FIXED_CTR_CTRL: OS/USR/PMI */
        return rnd() & 0xBBBB;
    if (msr == 0x38F)                  /* GLOBAL_CTRL */
        return rnd() & 0x10007000000FFull;
    return 0xFFFFFFFFFFFFull - below(64); /* near overflow */
}

/* ECX for RDPMC: the architectural types with small indices, or noise. */
static uint64_t pick_ecx(void)
{
    static const uint32_t types[] = {0, 0x20000000, 0x40000000, 0x80000000,
                                     0x60000000};
    if (below(4) == 0)
        return rnd();
    return types[below(5)] | below(10);
}

/* ---- Deliberate exceptions ---- */

static volatile uint64_t resume_rip;
static volatile uint8_t taken_vector;

static void chaos_handler(struct ex_regs *regs)
{
    if (!resume_rip)
        panic("chaos: exception %u at rip 0x%llx that nothing raised on "
              "purpose", (unsigned)regs->vector,
              (unsigned long long)regs->rip);
    taken_vector = (uint8_t)regs->vector;
    regs->rip = resume_rip;
    resume_rip = 0;
}

#define RFLAGS_TF_BIT (1ull << 8)

/* #DB: nothing here asks for one (see the top of this file). Clear TF so
 * the guest goes on to report it. */
static void db_handler(struct ex_regs *regs)
{
    wrong_total++;
    counts[(regs->cs & 3) != 0][OP_EXCEPTION][WRONG]++;
    ktap_diag("unexpected #DB at rip 0x%llx cs 0x%llx rflags 0x%llx",
              (unsigned long long)regs->rip, (unsigned long long)regs->cs,
              (unsigned long long)regs->rflags);
    regs->rflags &= ~RFLAGS_TF_BIT;
}

/* Each raises its exception at the instruction after the LEA that saved
 * where to resume; the handler goes there. */
static void raise_ud(void)
{
    __asm__ volatile("lea 1f(%%rip), %%rax\n\t"
                     "mov %%rax, %0\n\t"
                     "ud2\n"
                     "1:"
                     : "=m"(resume_rip) : : "rax", "memory");
}

static void raise_de(void)
{
    __asm__ volatile("lea 1f(%%rip), %%rax\n\t"
                     "mov %%rax, %0\n\t"
                     "xor %%edx, %%edx\n\t"
                     "xor %%ecx, %%ecx\n\t"
                     "mov $1, %%eax\n\t"
                     "div %%ecx\n"
                     "1:"
                     : "=m"(resume_rip) : : "rax", "rcx", "rdx", "memory");
}

static void raise_load(uint64_t addr)
{
    __asm__ volatile("lea 1f(%%rip), %%rax\n\t"
                     "mov %%rax, %0\n\t"
                     "mov (%1), %%rax\n"
                     "1:"
                     : "=m"(resume_rip) : "r"(addr) : "rax", "memory");
}

static void do_exception(unsigned cpl)
{
    uint8_t want;
    taken_vector = 0xFF;
    switch (below(4)) {
    case 0:
        want = 6;  /* #UD */
        raise_ud();
        break;
    case 1:
        want = 0;  /* #DE */
        raise_de();
        break;
    case 2:
        want = 13; /* #GP(0): a non-canonical address */
        raise_load(0x8000000000000000ull | rnd());
        break;
    default:
        want = 14; /* #PF: canonical, above the 4 GiB identity map */
        raise_load(0x0000100000000000ull + (rnd() & 0xFFFFFFFF000ull));
        break;
    }
    outcome(cpl, OP_EXCEPTION, taken_vector, 0, taken_vector == want);
}

/* ---- One operation ---- */

/* RDMSR, WRMSR and RDPMC either complete or raise #GP(0) (SDM vol. 2B:
 * their "Protected Mode Exceptions" list #GP(0) only). */
static bool gp0_or_none(uint8_t vec, uint32_t err)
{
    return vec == 0 || (vec == 13 && err == 0);
}

static bool mode_cpl3;

static void do_op(enum op op)
{
    unsigned cpl = mode_cpl3 ? 3 : 0;
    uint64_t v = 0;
    uint32_t regs[4], err = 0;
    uint8_t vec;

    switch (op) {
    case OP_RDPMC:
        vec = rdpmc_safe(pick_ecx(), &v, &err);
        outcome(cpl, op, vec, err, gp0_or_none(vec, err));
        break;
    case OP_RDMSR_PMU:
        vec = rdmsr_safe(pick_pmu_msr(), &v, &err);
        outcome(cpl, op, vec, err, gp0_or_none(vec, err));
        break;
    case OP_WRMSR_PMU: {
        uint32_t m = pick_pmu_msr();
        vec = wrmsr_safe(m, pick_pmu_value(m), &err);
        outcome(cpl, op, vec, err, gp0_or_none(vec, err));
        break;
    }
    case OP_RDMSR_ANY:
        vec = rdmsr_safe(pick_any_msr(), &v, &err);
        outcome(cpl, op, vec, err, gp0_or_none(vec, err));
        break;
    case OP_WRMSR_ANY: {
        uint32_t m = pick_any_msr();
        if (write_forbidden(m))
            m = 0x12345678; /* no CPU has it: #GP */
        vec = wrmsr_safe(m, pick_value(), &err);
        outcome(cpl, op, vec, err, gp0_or_none(vec, err));
        break;
    }
    case OP_CPUID: {
        static const uint32_t leaves[] = {0, 1, 7, 0xA, 0xB, 0xD, 0x23,
                                          0x40000000, 0x80000000,
                                          0x80000001, 0x80000008};
        uint32_t leaf = below(4) ? leaves[below(11)] : (uint32_t)rnd();
        vec = cpuid_safe(leaf, below(4) ? below(4) : (uint32_t)rnd(), regs,
                         &err);
        outcome(cpl, op, vec, err, vec == 0);
        break;
    }
    case OP_PIO: {
        uint16_t port;
        do
            port = (uint16_t)rnd();
        while (port == EXIT_PORT || (port >= COM1 && port <= COM1 + 7));
        if (below(2))
            outb((uint8_t)rnd(), port);
        else
            (void)inb(port);
        outcome(cpl, op, 0, 0, true); /* no exception is the outcome */
        break;
    }
    case OP_EXCEPTION:
        do_exception(cpl);
        break;
    default:
        break;
    }
}

/* CPL3 can do the instruction operations and exceptions, not CR4 or
 * run_user itself. */
static enum op pick_op(bool user)
{
    unsigned r = below(100);
    if (r < 14) return OP_RDPMC;
    if (r < 30) return OP_RDMSR_PMU;
    if (r < 46) return OP_WRMSR_PMU;
    if (r < 54) return OP_RDMSR_ANY;
    if (r < 62) return OP_WRMSR_ANY;
    if (r < 72) return OP_CPUID;
    if (r < 80) return OP_PIO;
    if (r < 88 || user) return OP_EXCEPTION;
    if (r < 93) return OP_PCE;
    if (r < 98) return OP_USER;
    return OP_PMU_QUIET;
}

static uint64_t user_batch(uint64_t n)
{
    mode_cpl3 = true;
    for (uint64_t i = 0; i < n; i++)
        do_op(pick_op(true));
    mode_cpl3 = false;
    return read_cpl();
}

/* Counters that count make pmvm single-step the guest; a stream with
 * counting left on runs far slower. Now and then switch everything off,
 * so the stream stays bounded in time whatever the seed. */
static void pmu_quiet(void)
{
    wrmsr_safe(0x38F, 0, NULL); /* GLOBAL_CTRL */
    for (uint32_t i = 0; i < 8; i++)
        wrmsr_safe(0x186 + i, 0, NULL);
    wrmsr_safe(0x38D, 0, NULL); /* FIXED_CTR_CTRL */
}

/* "seed=N" / "ops=N", decimal or 0x hex. */
static bool arg_number(const char *arg, const char *name, uint64_t *out)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0 || arg[n] != '=')
        return false;
    const char *s = arg + n + 1;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2;
    uint64_t v = 0;
    if (!*s)
        panic("chaos: %s has no number", arg);
    for (; *s; s++) {
        unsigned d = *s >= '0' && *s <= '9' ? (unsigned)(*s - '0')
                   : *s >= 'a' && *s <= 'f' ? (unsigned)(*s - 'a' + 10)
                   : *s >= 'A' && *s <= 'F' ? (unsigned)(*s - 'A' + 10)
                                            : 99;
        if (d >= base)
            panic("chaos: %s is not a number", arg);
        v = v * base + d;
    }
    *out = v;
    return true;
}

static unsigned total(unsigned cpl3, enum op op)
{
    unsigned t = 0;
    for (unsigned v = 0; v <= WRONG; v++)
        t += counts[cpl3][op][v];
    return t;
}

/* "rdpmc at CPL0: 120 (ok 80, #GP 40)"; for deliberate exceptions vector
 * 0 is #DE, not "ok". */
static void report(enum op op)
{
    for (unsigned c = 0; c < 2; c++) {
        unsigned t = total(c, op);
        if (!t)
            continue;
        char line[200];
        int n = snprintf(line, sizeof line, "%s at CPL%u: %u (", op_names[op],
                         c ? 3 : 0, t);
        bool first = true;
        for (unsigned v = 0; v <= WRONG && n < (int)sizeof line; v++) {
            if (!counts[c][op][v])
                continue;
            const char *name = v == WRONG ? "WRONG"
                             : v == 0 && op != OP_EXCEPTION ? "ok"
                             : exception_name(v);
            n += snprintf(line + n, sizeof line - (size_t)n, "%s%s %u",
                          first ? "" : ", ", name, counts[c][op][v]);
            first = false;
        }
        ktap_diag("%s)", line);
    }
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, ops = DEFAULT_OPS;
    for (int i = 1; i < argc; i++)
        if (!arg_number(argv[i], "seed", &seed) &&
            !arg_number(argv[i], "ops", &ops))
            panic("chaos: unknown argument '%s' (seed=N, ops=N)", argv[i]);
    if (ops > MAX_OPS)
        panic("chaos: ops=%llu is above %u", (unsigned long long)ops,
              MAX_OPS);
    rng = seed ? seed : 0x9E3779B97F4A7C15ull; /* xorshift needs non-zero */

    ktap_plan(3);
    ktap_diag("chaos seed=%llu ops=%llu", (unsigned long long)seed,
              (unsigned long long)ops);
    set_exception_handler(0, chaos_handler);
    set_exception_handler(1, db_handler);
    set_exception_handler(6, chaos_handler);
    set_exception_handler(13, chaos_handler);
    set_exception_handler(14, chaos_handler);

    unsigned done = 0, pce_toggles = 0, user_runs = 0, quiets = 0;
    bool left_cpl3 = true;
    while (done < ops) {
        enum op op = pick_op(false);
        if (op == OP_PCE) {
            write_cr4(read_cr4() ^ CR4_PCE);
            pce_toggles++;
            done++;
        } else if (op == OP_USER) {
            uint64_t n = 1 + below(USER_BATCH);
            if (n > ops - done)
                n = ops - done;
            left_cpl3 &= run_user(user_batch, n) == 3 && read_cpl() == 0;
            user_runs++;
            done += (unsigned)n;
        } else if (op == OP_PMU_QUIET || done % 64 == 63) {
            pmu_quiet();
            quiets++;
            done++;
        } else {
            do_op(op);
            done++;
        }
    }
    pmu_quiet();

    for (unsigned op = 0; op < NOPS; op++)
        report((enum op)op);
    ktap_diag("cr4.pce toggles %u, run_user %u, pmu quiet %u", pce_toggles,
              user_runs, quiets);
    ktap_result(done == ops, "%u operations done, the guest still running",
                done);
    ktap_result(wrong_total == 0,
                "every outcome is a value or the exception its instruction "
                "allows (%u not)", wrong_total);
    ktap_result(left_cpl3 && read_cpl() == 0,
                "every run_user ran at CPL3 and came back to CPL0");
    return ktap_finish();
}
