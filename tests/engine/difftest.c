/* difftest.c: the engine against the host CPU: seeded random instruction sequences run natively at CPL3 and in the engine, registers, flags, faults and memory compared. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <Zydis/Zydis.h>

#include "engine/engine.h"
#include "tests/engine/gen.h"
#include "tests/engine/machine.h"

/*
 * The reference is the CPU this runs on: each sequence runs natively in
 * this process at CPL3, from the same registers and memory at the same
 * linear addresses, and ends in a fault (UD2 at the latest) whose signal
 * gives the registers, vector, error code and CR2. The engine runs the
 * same bytes on a machine of its own (tests/engine/machine.c) whose IDT
 * stops it at the handler. Only what the architecture defines is
 * compared: flags the sequence left undefined are not (gen.c tracks them).
 */

void native_enter(const uint64_t ctx[18]);


/* The registers both sides end with. */
struct result {
    int vector;
    uint32_t err;
    uint64_t cr2;
    uint64_t gpr[ENGINE_NR_GPRS];
    uint64_t rip, rflags;
};

static sigjmp_buf native_back;
static struct result native_res;

static const int greg_of[ENGINE_NR_GPRS] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
    const ucontext_t *uc = ucv;
    const greg_t *g = uc->uc_mcontext.gregs;

    (void)sig;
    (void)si;
    for (int i = 0; i < ENGINE_NR_GPRS; i++)
        native_res.gpr[i] = (uint64_t)g[greg_of[i]];
    native_res.rip = (uint64_t)g[REG_RIP];
    native_res.rflags = (uint64_t)g[REG_EFL];
    native_res.vector = (int)g[REG_TRAPNO];
    native_res.err = (uint32_t)g[REG_ERR];
    native_res.cr2 = (uint64_t)g[REG_CR2];
    siglongjmp(native_back, 1);
}

static void *map_fixed(uint64_t la, size_t len)
{
    void *p = mmap((void *)la, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)la) {
        fprintf(stderr, "difftest: cannot map 0x%" PRIx64 ": %s\n", la,
                strerror(errno));
        exit(2);
    }
    return p;
}

static void native_setup(void)
{
    static char altstack[1 << 16];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    struct sigaction sa;

    map_fixed(GEN_CODE, GEN_CODE_LEN);
    map_fixed(GEN_DATA, GEN_DATA_LEN);
    map_fixed(GEN_RO, 0x1000);
    map_fixed(GEN_NONE, 0x1000);
    mprotect((void *)GEN_NONE, 0x1000, PROT_NONE);
    if (sigaltstack(&ss, NULL) < 0)
        exit(2);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (int s = 0; s < 3; s++)
        sigaction((int[]){SIGSEGV, SIGILL, SIGFPE}[s], &sa, NULL);
    sigaction(SIGTRAP, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

static void native_run(const struct gen_seq *seq, const uint8_t *data,
                       const uint8_t *ro, const uint64_t ctx[18])
{
    mprotect((void *)GEN_CODE, GEN_CODE_LEN, PROT_READ | PROT_WRITE);
    memcpy((void *)GEN_CODE, seq->code, seq->len);
    mprotect((void *)GEN_CODE, GEN_CODE_LEN, PROT_READ | PROT_EXEC);
    memcpy((void *)GEN_DATA, data, GEN_DATA_LEN);
    mprotect((void *)GEN_RO, 0x1000, PROT_READ | PROT_WRITE);
    memcpy((void *)GEN_RO, ro, 0x1000);
    mprotect((void *)GEN_RO, 0x1000, PROT_READ);
    if (sigsetjmp(native_back, 1) == 0)
        native_enter(ctx);
}

/* ---- the engine side ---- */

struct machine m;
static struct engine *eng;

static bool on_retire(void *ctx, const struct engine_retired *r)
{
    (void)ctx;
    (void)r;
    return false;
}

static enum engine_answer no_msr(void *ctx, uint32_t msr, uint64_t *v)
{
    (void)ctx, (void)msr, (void)v;
    return ENGINE_NOT_MINE;
}

static enum engine_answer no_wrmsr(void *ctx, uint32_t msr, uint64_t v,
                                   bool *stop)
{
    (void)ctx, (void)msr, (void)v, (void)stop;
    return ENGINE_NOT_MINE;
}

/* RDPMC as on the host: #GP at CPL3 without CR4.PCE. */
static enum engine_answer rdpmc_host(void *ctx, uint32_t ecx, unsigned cpl,
                                     bool pe, bool pce, uint64_t *v)
{
    (void)ctx, (void)ecx, (void)pe, (void)v;
    return cpl && !pce ? ENGINE_GP : ENGINE_NOT_MINE;
}

static enum engine_answer cpuid_host(void *ctx, uint32_t leaf, uint32_t sub,
                                     uint32_t r[4])
{
    (void)ctx;
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
    return ENGINE_OK;
}

static void engine_setup(void)
{
    static const struct engine_ops ops = {
        .retire = on_retire, .rdmsr = no_msr, .wrmsr = no_wrmsr,
        .rdpmc = rdpmc_host, .cpuid = cpuid_host,
    };
    machine_init(&m, 16 << 20);
    machine_map(&m, GEN_CODE, GEN_CODE_LEN, MAP_U);
    machine_map(&m, GEN_DATA, GEN_DATA_LEN, MAP_U | MAP_W | MAP_NX);
    machine_map(&m, GEN_RO, 0x1000, MAP_U | MAP_NX);
    machine_map(&m, GEN_NONE, 0x1000, MAP_U | MAP_NX | MAP_NP);
    /* as Linux: INT3 reachable from CPL3 */
    machine_gate(&m, 3, 3, 0, false);
    eng = engine_create(m.ram, m.ram_size, &ops);
    if (!eng)
        exit(2);
}

static bool has_error_code(int vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
}

/* The engine's run; false with a reason if it did not end at a handler. */
static bool engine_side(const struct gen_seq *seq, const uint8_t *data,
                        const uint8_t *ro, const uint64_t ctx[18],
                        struct result *res, char *why, size_t len)
{
    struct engine_state st;
    struct engine_exit x;
    uint64_t f[6];

    for (size_t off = 0; off < GEN_CODE_LEN; off += 0x1000)
        memset(machine_ptr(&m, GEN_CODE + off), 0, 0x1000);
    memcpy(machine_ptr(&m, GEN_CODE), seq->code, seq->len);
    for (size_t off = 0; off < GEN_DATA_LEN; off += 0x1000)
        memcpy(machine_ptr(&m, GEN_DATA + off), data + off, 0x1000);
    memcpy(machine_ptr(&m, GEN_RO), ro, 0x1000);
    machine_state(&m, &st, 3, ctx[16], ctx[ENGINE_RSP]);
    memcpy(st.gpr, ctx, sizeof(st.gpr));
    st.rflags = ctx[17];
    engine_flush(eng);
    engine_run(eng, &st, 200000, &x);
    int vec = machine_vector_at(st.rip);
    if (x.stop != ENGINE_STOP_HANDBACK || vec < 0) {
        snprintf(why, len, "the engine stopped (%d, %s%s%s) at 0x%" PRIx64
                 " after %" PRIu64 " instructions", x.stop,
                 engine_why_name(x.why), x.mnemonic[0] ? ": " : "",
                 x.mnemonic, st.rip, x.retired);
        return false;
    }
    unsigned n = has_error_code(vec) ? 6 : 5;
    for (unsigned i = 0; i < n; i++)
        memcpy(&f[i], machine_ptr(&m, st.gpr[ENGINE_RSP] + 8 * i), 8);
    unsigned k = n - 5;
    res->vector = vec;
    res->err = k ? (uint32_t)f[0] : 0;
    res->cr2 = st.cr2;
    memcpy(res->gpr, st.gpr, sizeof(res->gpr));
    res->rip = f[k];
    res->rflags = f[k + 2];
    res->gpr[ENGINE_RSP] = f[k + 3];
    return true;
}

static void disassemble(const struct gen_seq *seq)
{
    ZydisDecoder dec;
    ZydisFormatter fmt;
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    char text[128];

    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_ATT);
    for (size_t off = 0; off < seq->len;) {
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, seq->code + off,
                                                 seq->len - off, &zi, ops)))
            break;
        ZydisFormatterFormatInstruction(&fmt, &zi, ops,
                                        zi.operand_count_visible, text,
                                        sizeof(text), GEN_CODE + off, NULL);
        fprintf(stderr, "#   %5zx  %s\n", off, text);
        off += zi.length;
    }
}

static const char *const reg_names[ENGINE_NR_GPRS] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};

/* Differences, one line each, into (out); their count. */
static int compare(const struct gen_seq *seq, const struct result *n,
                   const struct result *e, char *out, size_t len)
{
    int diffs = 0;
    size_t used = 0;
#define DIFF(...)                                                          \
    do {                                                                   \
        diffs++;                                                           \
        if (used < len)                                                    \
            used += (size_t)snprintf(out + used, len - used, __VA_ARGS__); \
    } while (0)

    if (n->vector != e->vector)
        DIFF("#   vector: cpu %d, engine %d\n", n->vector, e->vector);
    if (n->rip != e->rip)
        DIFF("#   rip: cpu 0x%" PRIx64 ", engine 0x%" PRIx64 "\n", n->rip,
             e->rip);
    if (diffs)
        return diffs; /* the rest is not comparable */
    if (has_error_code(n->vector) && (n->err & 0x1F) != (e->err & 0x1F))
        DIFF("#   error code: cpu 0x%x, engine 0x%x\n", n->err, e->err);
    if (n->vector == 14 && n->cr2 != e->cr2)
        DIFF("#   cr2: cpu 0x%" PRIx64 ", engine 0x%" PRIx64 "\n", n->cr2,
             e->cr2);
    for (int i = 0; i < ENGINE_NR_GPRS; i++)
        if (n->gpr[i] != e->gpr[i])
            DIFF("#   %s: cpu 0x%" PRIx64 ", engine 0x%" PRIx64 "\n",
                 reg_names[i], n->gpr[i], e->gpr[i]);
    uint64_t off = n->rip - GEN_CODE;
    uint64_t mask = (off < GEN_CODE_LEN ? seq->flags_defined[off] : 0) |
                    RFLAGS_DF | RFLAGS_IF;
    if (n->vector == 3) /* a trap: RIP is past INT3, which changed nothing */
        mask = (off >= 1 ? seq->flags_defined[off - 1] : 0) | RFLAGS_DF | RFLAGS_IF;
    if ((n->rflags ^ e->rflags) & mask)
        DIFF("#   rflags (defined 0x%" PRIx64 "): cpu 0x%" PRIx64
             ", engine 0x%" PRIx64 "\n", mask, n->rflags, e->rflags);
    for (uint64_t a = GEN_DATA; a < GEN_DATA + GEN_DATA_LEN; a += 8) {
        uint64_t x, y;
        memcpy(&x, (void *)a, 8);
        memcpy(&y, machine_ptr(&m, a), 8);
        if (x != y) {
            DIFF("#   memory 0x%" PRIx64 ": cpu 0x%016" PRIx64
                 ", engine 0x%016" PRIx64 "\n", a, x, y);
            break;
        }
    }
    return diffs;
}

int main(int argc, char **argv)
{
    uint64_t first = 1, count = 1000;
    unsigned insns = 24;
    bool verbose = false;

    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--seeds=", 8))
            count = strtoull(argv[i] + 8, NULL, 0);
        else if (!strncmp(argv[i], "--first=", 8))
            first = strtoull(argv[i] + 8, NULL, 0);
        else if (!strncmp(argv[i], "--insns=", 8))
            insns = (unsigned)strtoul(argv[i] + 8, NULL, 0);
        else if (!strcmp(argv[i], "--verbose"))
            verbose = true;
        else {
            fprintf(stderr, "usage: difftest [--seeds=N] [--first=SEED] "
                    "[--insns=N] [--verbose]\n");
            return 2;
        }
    }
    native_setup();
    engine_setup();

    static struct gen_seq seq;
    static uint8_t data[GEN_DATA_LEN], ro[0x1000];
    uint64_t failed = 0, total_insns = 0, by_vector[32] = {0};
    char diff[4096], why[256];

    printf("KTAP version 1\n1..1\n");
    for (uint64_t s = first; s < first + count; s++) {
        uint64_t rng = s * 0x2545F4914F6CDD1Dull;
        uint64_t ctx[18];
        struct result e;

        gen_sequence(s, insns, &seq);
        total_insns += seq.ninsns;
        for (size_t i = 0; i < GEN_DATA_LEN; i += 8) {
            uint64_t v = gen_rand(&rng);
            memcpy(data + i, &v, 8);
        }
        for (size_t i = 0; i < sizeof(ro); i += 8) {
            uint64_t v = gen_rand(&rng);
            memcpy(ro + i, &v, 8);
        }
        for (int i = 0; i < ENGINE_NR_GPRS; i++)
            ctx[i] = gen_rand(&rng);
        ctx[ENGINE_RSP] = GEN_STACK;
        ctx[ENGINE_R13] = GEN_DATA;
        ctx[ENGINE_R15] = GEN_BASE;
        ctx[16] = GEN_CODE;
        ctx[17] = 0x202 | (gen_rand(&rng) & GEN_FLAGS_ALL);

        native_run(&seq, data, ro, ctx);
        if (!engine_side(&seq, data, ro, ctx, &e, why, sizeof(why))) {
            failed++;
            fprintf(stderr, "# seed %" PRIu64 ": %s\n", s, why);
            disassemble(&seq);
            continue;
        }
        if (native_res.vector >= 0 && native_res.vector < 32)
            by_vector[native_res.vector]++;
        if (compare(&seq, &native_res, &e, diff, sizeof(diff))) {
            failed++;
            fprintf(stderr, "# seed %" PRIu64 ": differs\n%s", s, diff);
            disassemble(&seq);
        } else if (verbose) {
            printf("# seed %" PRIu64 ": %u instructions, vector %d\n", s,
                   seq.ninsns, native_res.vector);
        }
    }
    printf("# %" PRIu64 " sequences from seed %" PRIu64 ", %" PRIu64
           " instructions; ended by #DE %" PRIu64 ", #BP %" PRIu64
           ", #UD %" PRIu64 ", #GP %" PRIu64 ", #PF %" PRIu64 "\n", count,
           first, total_insns, by_vector[0], by_vector[3], by_vector[6],
           by_vector[13], by_vector[14]);
    if (failed)
        printf("not ok 1 engine against the CPU: %" PRIu64 " of %" PRIu64
               " sequences differ\n", failed, count);
    else
        printf("ok 1 engine against the CPU: %" PRIu64 " sequences agree\n",
               count);
    return failed ? 1 : 0;
}
