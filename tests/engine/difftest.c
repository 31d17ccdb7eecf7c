/* difftest.c: the engine against the host CPU: seeded random instruction sequences run natively at CPL3 and in the engine, registers, flags, faults and memory compared, in 64-bit and in compatibility mode. */
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
 *
 * Three families, each with its own seeds: 64-bit code; 32-bit code in
 * compatibility mode (CS 0x23, Linux's __USER32_CS, natively; in the
 * engine, which runs it in machine mode, the same selector with L = 0,
 * D = 1 under IA-32e paging); and 32-bit code that switches to 64-bit
 * mode (__USER_CS, 0x33) and back by far JMP, CALL and RET
 * (gen_modes.c), which may end in either mode. The engine's states have
 * Linux's selectors (machine_state_linux()), so the CS of its exception
 * frame is compared with the signal's. In compatibility mode only the low
 * halves of the eight legacy GPRs are compared: the upper ones are
 * undefined there (SDM Vol. 1, 3.4.1.1); the modes family's 64-bit code
 * has defined them (it zero-extends them on each entry), so a sequence
 * that ends there is compared on all 64 bits of the eight (R8-R15 are the
 * native harness's own in the 32-bit families, never compared).
 */

void native_enter(const uint64_t ctx[18]);
void native32_enter(const uint64_t ctx[18]);

/* A family: its generator, pages, native entry and engine. */
struct family {
    const char *name;
    bool m32;   /* starts in compatibility mode */
    bool modes; /* switches to 64-bit mode and back: ends in either */
    uint64_t code, data, ro, none, base, stack;
    void (*gen)(uint64_t seed, unsigned n, struct gen_seq *out);
    void (*enter)(const uint64_t ctx[18]);
    struct engine *eng;
};

static struct family fam64 = {
    "64-bit code", false, false, GEN_CODE, GEN_DATA, GEN_RO, GEN_NONE, GEN_BASE,
    GEN_STACK, gen_sequence, native_enter, NULL};
static struct family fam32 = {
    "32-bit code in compatibility mode", true, false, GEN32_CODE, GEN32_DATA,
    GEN32_RO, GEN32_NONE, GEN32_BASE, GEN32_STACK, gen_sequence32,
    native32_enter, NULL};
/* On the 32-bit family's pages (the two never run at once). */
static struct family fam_modes = {
    "mode switches between compatibility and 64-bit mode", true, true,
    GEN32_CODE, GEN32_DATA, GEN32_RO, GEN32_NONE, GEN32_BASE, GEN32_STACK,
    gen_sequence_modes, native32_enter, NULL};


/* The registers both sides end with. */
struct result {
    int vector;
    uint32_t err;
    uint64_t cr2;
    uint64_t gpr[ENGINE_NR_GPRS];
    uint64_t rip, rflags;
    uint16_t cs;
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
    native_res.cs = (uint16_t)g[REG_CSGSFS];
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

    for (int i = 0; i < 2; i++) {
        const struct family *f = i ? &fam32 : &fam64;
        map_fixed(f->code, GEN_CODE_LEN);
        map_fixed(f->data, GEN_DATA_LEN);
        map_fixed(f->ro, 0x1000);
        map_fixed(f->none, 0x1000);
        mprotect((void *)f->none, 0x1000, PROT_NONE);
    }
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

static void native_run(const struct family *f, const struct gen_seq *seq,
                       const uint8_t *data, const uint8_t *ro,
                       const uint64_t ctx[18])
{
    void *code = (void *)f->code, *rop = (void *)f->ro;

    mprotect(code, GEN_CODE_LEN, PROT_READ | PROT_WRITE);
    memcpy(code, seq->code, seq->len);
    mprotect(code, GEN_CODE_LEN, PROT_READ | PROT_EXEC);
    memcpy((void *)f->data, data, GEN_DATA_LEN);
    mprotect(rop, 0x1000, PROT_READ | PROT_WRITE);
    memcpy(rop, ro, 0x1000);
    mprotect(rop, 0x1000, PROT_READ);
    if (sigsetjmp(native_back, 1) == 0)
        f->enter(ctx);
}

/* ---- the engine side ---- */

struct machine m;

static bool on_retire(void *ctx, const struct pmu_insn *r)
{
    (void)ctx;
    (void)r;
    return false;
}

/* Traces retire in blocks, as the VMM has them, each seed with its own
 * room: none (one at a time), a few instructions (traces cut short), or
 * no limit. */
static uint64_t room_now, blocks, block_insns;

static uint64_t block_room(void *ctx)
{
    (void)ctx;
    return room_now;
}

static bool retire_block(void *ctx, const struct pmu_block *b)
{
    (void)ctx;
    if (b->n != b->plain[0] + b->plain[1] + pmu_block_records(b) ||
        b->n > room_now ||
        b->nrec < 1 || b->nrec > PMU_BLOCK_RECORDS ||
        (b->cycle && (b->cycle < 2 || b->cycle > PMU_BLOCK_CYCLE_MAX ||
                      b->cycle > b->nrec || b->cycle_part >= b->cycle))) {
        fprintf(stderr, "# a block of %" PRIu64 " with room %" PRIu64 "\n",
                b->n, room_now);
        abort();
    }
    blocks++;
    block_insns += b->n;
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

/* One machine with the families' pages; the engines of the families that
 * run compatibility mode are in machine mode, the only one that runs it. */
static void engine_setup(void)
{
    static const struct engine_ops ops = {
        .retire = on_retire, .rdmsr = no_msr, .wrmsr = no_wrmsr,
        .rdpmc = rdpmc_host, .cpuid = cpuid_host,
        .block_room = block_room, .retire_block = retire_block,
    };
    static const struct engine_ops ops32 = {
        .retire = on_retire, .rdmsr = no_msr, .wrmsr = no_wrmsr,
        .rdpmc = rdpmc_host, .cpuid = cpuid_host, .machine = true,
        .block_room = block_room, .retire_block = retire_block,
    };
    machine_init(&m, 16 << 20);
    for (int i = 0; i < 2; i++) {
        const struct family *f = i ? &fam32 : &fam64;
        machine_map(&m, f->code, GEN_CODE_LEN, MAP_U);
        machine_map(&m, f->data, GEN_DATA_LEN, MAP_U | MAP_W | MAP_NX);
        machine_map(&m, f->ro, 0x1000, MAP_U | MAP_NX);
        machine_map(&m, f->none, 0x1000, MAP_U | MAP_NX | MAP_NP);
    }
    /* as Linux: INT3 and INTO reachable from CPL3 */
    machine_gate(&m, 3, 3, 0, false);
    machine_gate(&m, 4, 3, 0, false);
    fam64.eng = engine_create(m.ram, m.ram_size, &ops);
    fam32.eng = engine_create(m.ram, m.ram_size, &ops32);
    fam_modes.eng = engine_create(m.ram, m.ram_size, &ops32);
    if (!fam64.eng || !fam32.eng || !fam_modes.eng)
        exit(2);
}

static bool has_error_code(int vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
}

/* The engine's run; false with a reason if it did not end at a handler. */
static bool engine_side(const struct family *fam, const struct gen_seq *seq,
                        const uint8_t *data, const uint8_t *ro,
                        const uint64_t ctx[18], struct result *res,
                        char *why, size_t len)
{
    struct engine_state st;
    struct engine_exit x;
    uint64_t f[6];

    for (size_t off = 0; off < GEN_CODE_LEN; off += 0x1000)
        memset(machine_ptr(&m, fam->code + off), 0, 0x1000);
    memcpy(machine_ptr(&m, fam->code), seq->code, seq->len);
    for (size_t off = 0; off < GEN_DATA_LEN; off += 0x1000)
        memcpy(machine_ptr(&m, fam->data + off), data + off, 0x1000);
    memcpy(machine_ptr(&m, fam->ro), ro, 0x1000);
    /* Linux's selectors, as the CPU's run has them: CS 0x33, or 0x23
     * (compatibility mode: CS.L = 0, CS.D = 1), data 0x2b */
    machine_state_linux(&m, &st, fam->m32, ctx[16], ctx[ENGINE_RSP]);
    memcpy(st.gpr, ctx, sizeof(st.gpr));
    st.rflags = ctx[17];
    engine_flush(fam->eng);
    engine_run(fam->eng, &st, 200000, &x);
    /* machine mode retires the handler's HLT at CPL0: the stop is after it */
    bool halted = fam->m32 && x.stop == ENGINE_STOP_HALT;
    int vec = machine_vector_at(halted ? st.rip - 1 : st.rip);
    if ((x.stop != ENGINE_STOP_HANDBACK && !halted) || vec < 0) {
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
    res->cs = (uint16_t)f[k + 1];
    res->rflags = f[k + 2];
    res->gpr[ENGINE_RSP] = f[k + 3];
    return true;
}

/* The sequence's code, each stretch in its mode (gen_seq.mode). */
static void disassemble(const struct family *f, const struct gen_seq *seq)
{
    ZydisDecoder d32, d64;
    ZydisFormatter fmt;
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    char text[128];

    ZydisDecoderInit(&d32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    ZydisDecoderInit(&d64, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_ATT);
    for (size_t off = 0; off < seq->len;) {
        uint8_t mode = seq->mode[off];
        if (mode == GEN_MODE_DATA) {
            size_t n = 0;
            while (off + n < seq->len && seq->mode[off + n] == GEN_MODE_DATA)
                n++;
            fprintf(stderr, "#   %5zx  (a far pointer, %zu bytes)\n", off, n);
            off += n;
            continue;
        }
        bool m64 = f->m32 ? mode == GEN_MODE_64 : true;
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(m64 ? &d64 : &d32,
                                                 seq->code + off,
                                                 seq->len - off, &zi, ops)))
            break;
        ZydisFormatterFormatInstruction(&fmt, &zi, ops,
                                        zi.operand_count_visible, text,
                                        sizeof(text), f->code + off, NULL);
        fprintf(stderr, "#   %5zx %s %s\n", off,
                f->modes ? (m64 ? "64" : "32") : "", text);
        off += zi.length;
    }
}

static const char *const reg_names[ENGINE_NR_GPRS] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};

/* Differences, one line each, into (out); their count. */
static int compare(const struct family *f, const struct gen_seq *seq,
                   const struct result *n, const struct result *e,
                   char *out, size_t len)
{
    /* compatibility mode: the legacy GPRs' low halves (see above); the
     * modes family's 64-bit code: the legacy GPRs in full, each entry
     * into 64-bit mode having zero-extended them (gen_modes.c) */
    int ngprs = f->m32 ? 8 : ENGINE_NR_GPRS;
    uint64_t gmask = n->cs == 0x23 ? 0xFFFFFFFFull : ~0ull;
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
    if (n->cs != e->cs)
        DIFF("#   cs: cpu 0x%x, engine 0x%x\n", n->cs, e->cs);
    if (diffs)
        return diffs; /* the rest is not comparable */
    if (has_error_code(n->vector) && (n->err & 0x1F) != (e->err & 0x1F))
        DIFF("#   error code: cpu 0x%x, engine 0x%x\n", n->err, e->err);
    if (n->vector == 14 && n->cr2 != e->cr2)
        DIFF("#   cr2: cpu 0x%" PRIx64 ", engine 0x%" PRIx64 "\n", n->cr2,
             e->cr2);
    for (int i = 0; i < ngprs; i++)
        if ((n->gpr[i] ^ e->gpr[i]) & gmask)
            DIFF("#   %s: cpu 0x%" PRIx64 ", engine 0x%" PRIx64 "\n",
                 reg_names[i], n->gpr[i], e->gpr[i]);
    uint64_t off = n->rip - f->code;
    uint64_t mask = (off < GEN_CODE_LEN ? seq->flags_defined[off] : 0) |
                    RFLAGS_DF | RFLAGS_IF;
    if (n->vector == 3 || n->vector == 4)
        /* a trap: RIP is past INT3 or INTO, which changed nothing */
        mask = (off >= 1 ? seq->flags_defined[off - 1] : 0) | RFLAGS_DF | RFLAGS_IF;
    if ((n->rflags ^ e->rflags) & mask)
        DIFF("#   rflags (defined 0x%" PRIx64 "): cpu 0x%" PRIx64
             ", engine 0x%" PRIx64 "\n", mask, n->rflags, e->rflags);
    for (uint64_t a = f->data; a < f->data + GEN_DATA_LEN; a += 8) {
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

/* One family's seeds [first, first + count): KTAP test (num); true if
 * every sequence agreed. */
static bool run_family(const struct family *f, int num, uint64_t first,
                       uint64_t count, unsigned insns, bool verbose)
{
    static struct gen_seq seq;
    static uint8_t data[GEN_DATA_LEN], ro[0x1000];
    uint64_t failed = 0, total_insns = 0, by_vector[32] = {0}, in64 = 0;
    char diff[4096], why[256];

    for (uint64_t s = first; s < first + count; s++) {
        uint64_t rng = s * 0x2545F4914F6CDD1Dull;
        uint64_t ctx[18];
        struct result e;

        f->gen(s, insns, &seq);
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
        if (f->m32) {
            /* ESP and EBP with upper halves the 32-bit code ignores;
             * R8-R15 are the harness's natively, not compared */
            ctx[ENGINE_RSP] = (ctx[ENGINE_RSP] & ~0xFFFFFFFFull) | f->stack;
            ctx[ENGINE_RBP] = (ctx[ENGINE_RBP] & ~0xFFFFFFFFull) | f->base;
        } else {
            ctx[ENGINE_RSP] = f->stack;
            ctx[ENGINE_R13] = f->data;
            ctx[ENGINE_R15] = f->base;
        }
        ctx[16] = f->code;
        ctx[17] = 0x202 | (gen_rand(&rng) & GEN_FLAGS_ALL);

        room_now = s % 3 == 0 ? 0 : s % 3 == 1 ? 1 + s % 7 : UINT64_MAX;
        native_run(f, &seq, data, ro, ctx);
        if (native_res.cs != (f->m32 ? 0x23 : 0x33) &&
            !(f->modes && native_res.cs == 0x33)) {
            /* the CPU must have run it in the family's modes */
            failed++;
            fprintf(stderr, "# %s, seed %" PRIu64 ": native CS 0x%x\n",
                    f->name, s, native_res.cs);
            continue;
        }
        if (!engine_side(f, &seq, data, ro, ctx, &e, why, sizeof(why))) {
            failed++;
            fprintf(stderr, "# %s, seed %" PRIu64 ": %s\n", f->name, s, why);
            disassemble(f, &seq);
            continue;
        }
        if (native_res.vector >= 0 && native_res.vector < 32)
            by_vector[native_res.vector]++;
        in64 += f->m32 && native_res.cs == 0x33;
        if (compare(f, &seq, &native_res, &e, diff, sizeof(diff))) {
            failed++;
            fprintf(stderr, "# %s, seed %" PRIu64 ": differs\n%s", f->name,
                    s, diff);
            disassemble(f, &seq);
        } else if (verbose) {
            printf("# seed %" PRIu64 ": %u instructions, vector %d\n", s,
                   seq.ninsns, native_res.vector);
        }
    }
    printf("# %s: %" PRIu64 " sequences from seed %" PRIu64 ", %" PRIu64
           " instructions; ended by #DE %" PRIu64 ", #BP %" PRIu64
           ", #OF %" PRIu64 ", #UD %" PRIu64 ", #GP %" PRIu64 ", #PF %"
           PRIu64 "\n", f->name, count, first, total_insns, by_vector[0],
           by_vector[3], by_vector[4], by_vector[6], by_vector[13],
           by_vector[14]);
    if (f->modes)
        printf("# %s: %" PRIu64 " sequences ended in 64-bit mode\n", f->name,
               in64);
    printf("# %s: %" PRIu64 " instructions retired in %" PRIu64
           " blocks (traces)\n", f->name, block_insns, blocks);
    blocks = block_insns = 0;
    if (failed)
        printf("not ok %d engine against the CPU, %s: %" PRIu64 " of %" PRIu64
               " sequences differ\n", num, f->name, failed, count);
    else
        printf("ok %d engine against the CPU, %s: %" PRIu64
               " sequences agree\n", num, f->name, count);
    return failed == 0;
}

int main(int argc, char **argv)
{
    uint64_t first = 1, count = 1000;
    unsigned insns = 24;
    bool verbose = false;
    const char *family = "all";

    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--seeds=", 8))
            count = strtoull(argv[i] + 8, NULL, 0);
        else if (!strncmp(argv[i], "--first=", 8))
            first = strtoull(argv[i] + 8, NULL, 0);
        else if (!strncmp(argv[i], "--insns=", 8))
            insns = (unsigned)strtoul(argv[i] + 8, NULL, 0);
        else if (!strncmp(argv[i], "--family=", 9))
            family = argv[i] + 9;
        else if (!strcmp(argv[i], "--verbose"))
            verbose = true;
        else
            family = NULL;
        if (!family || (strcmp(family, "all") && strcmp(family, "64") &&
                        strcmp(family, "32") && strcmp(family, "modes"))) {
            fprintf(stderr, "usage: difftest [--family=64|32|modes|all] "
                    "[--seeds=N] [--first=SEED] [--insns=N] [--verbose]\n"
                    "  (all: each family runs its own N seeds)\n");
            return 2;
        }
    }
    native_setup();
    engine_setup();

    bool all = !strcmp(family, "all"), ok = true;
    int num = 0;
    printf("KTAP version 1\n1..%d\n", all ? 3 : 1);
    if (all || !strcmp(family, "64"))
        ok &= run_family(&fam64, ++num, first, count, insns, verbose);
    if (all || !strcmp(family, "32"))
        ok &= run_family(&fam32, ++num, first, count, insns, verbose);
    if (all || !strcmp(family, "modes"))
        ok &= run_family(&fam_modes, ++num, first, count, insns, verbose);
    return ok ? 0 : 1;
}
