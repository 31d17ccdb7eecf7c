/* test_engine.c: the counting engine on hand-written guest code: arithmetic and flags, faults and their frames, paging's accessed and dirty bits, privilege changes, strings, self-modifying and remapped code, and what it hands back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "tests/engine/machine.h"

/*
 * Expected values come from the SDM's definitions, worked out by hand for
 * each snippet; the bytes were checked with objdump.
 */

#define CODE 0x400000ull
#define DATA 0x600000ull
#define RO 0x601000ull
#define NP 0x602000ull
#define USTACK 0x700000ull
#define KCODE (MACHINE_KERNEL + 0x8000)

#define RFL_CF 0x1ull
#define RFL_PF 0x4ull
#define RFL_AF 0x10ull
#define RFL_ZF 0x40ull
#define RFL_SF 0x80ull
#define RFL_IF 0x200ull
#define RFL_OF 0x800ull
#define RFL_RF 0x10000ull

struct fixture {
    struct machine m;
    struct engine *e;
    struct engine_state st;
    unsigned retired;     /* one by one, and in batches */
    unsigned batches;
    uint64_t batched;
    uint64_t msr[4];      /* STAR, LSTAR, FMASK, KERNEL_GS_BASE */
    bool stop_on_wrmsr;
    char out[16];         /* bytes written to port 0x3F8 */
    unsigned nout, nstop; /* and writes to port 0xF4, which stop */
    unsigned io_size;     /* the last write to port 0x80 */
    uint32_t io_val;
    uint32_t max_leaf, leaf7_ebx; /* what CPUID leaves 0 and 7 say */
    uint32_t leaf7_ecx, max_ext, ext1_edx; /* 7, 0x80000000, 0x80000001 */
    uint64_t tsc_aux;
    unsigned tx_aborts;   /* retired XBEGINs whose transaction aborted */
};

static struct fixture fx;

static bool on_retire(void *ctx, const struct pmu_insn *r)
{
    ((struct fixture *)ctx)->retired++;
    ((struct fixture *)ctx)->tx_aborts += r->tx_abort;
    return false;
}

static bool on_retire_repeat(void *ctx, const struct pmu_insn *r,
                             uint64_t n, uint64_t *done)
{
    struct fixture *f = ctx;

    assert_int_equal(r->addr, r->next); /* a jump to itself */
    assert_true(r->taken);
    *done = n;
    f->batches++;
    f->batched += n;
    f->retired += (unsigned)n;
    return false;
}

static enum engine_answer on_rdmsr(void *ctx, uint32_t msr, uint64_t *v)
{
    (void)ctx;
    if (msr != 0xC1)
        return ENGINE_NOT_MINE;
    *v = 0x1122334455667788ull;
    return ENGINE_OK;
}

static enum engine_answer on_wrmsr(void *ctx, uint32_t msr, uint64_t v,
                                   bool *stop)
{
    (void)v;
    *stop = ((struct fixture *)ctx)->stop_on_wrmsr;
    return msr == 0x38F ? ENGINE_OK : msr == 0x38E ? ENGINE_GP
                                                   : ENGINE_NOT_MINE;
}

static enum engine_answer on_rdpmc(void *ctx, uint32_t ecx, unsigned cpl,
                                   bool pe, bool pce, uint64_t *v)
{
    (void)ctx;
    (void)pe;
    if (ecx != 0 || (cpl && !pce))
        return ENGINE_GP;
    *v = 0xAABBCCDD00112233ull;
    return ENGINE_OK;
}

static enum engine_answer on_cpuid(void *ctx, uint32_t leaf, uint32_t sub,
                                   uint32_t r[4])
{
    const struct fixture *f = ctx;
    r[0] = leaf, r[1] = sub, r[2] = 0x6C65746E, r[3] = 0x49656E69;
    if (leaf == 0)
        r[0] = f->max_leaf;
    if (leaf == 7)
        r[1] = f->leaf7_ebx, r[2] = f->leaf7_ecx;
    if (leaf == 0x80000000u)
        r[0] = f->max_ext;
    if (leaf == 0x80000001u)
        r[3] = f->ext1_edx;
    if (leaf == 0x80000008u)
        r[0] = 46; /* MAXPHYADDR */
    return ENGINE_OK;
}

static const uint32_t sys_msrs[4] = {0xC0000081, 0xC0000082, 0xC0000084,
                                     0xC0000102};

static bool on_rdtsc(void *ctx, uint64_t *tsc)
{
    (void)ctx;
    *tsc = 0x0000001122334455ull;
    return true;
}

static bool on_sys_read(void *ctx, uint32_t msr, uint64_t *v)
{
    if (msr == 0xC0000103) { /* TSC_AUX */
        *v = ((struct fixture *)ctx)->tsc_aux;
        return true;
    }
    for (int i = 0; i < 4; i++)
        if (sys_msrs[i] == msr) {
            *v = ((struct fixture *)ctx)->msr[i];
            return true;
        }
    return false;
}

static bool on_sys_write(void *ctx, uint32_t msr, uint64_t v)
{
    for (int i = 0; i < 4; i++)
        if (sys_msrs[i] == msr) {
            ((struct fixture *)ctx)->msr[i] = v;
            return true;
        }
    return false;
}

/* Port 0x3F8 collects bytes; a write to 0xF4 asks the engine to stop. */
static enum engine_answer on_io(void *ctx, uint16_t port, unsigned size,
                                bool in, uint32_t *val, bool *stop)
{
    struct fixture *f = ctx;

    assert_false(in);
    if (port == 0x80) {
        f->io_size = size;
        f->io_val = *val;
        return ENGINE_OK;
    }
    assert_int_equal(size, 1);
    if (port == 0xF4) {
        f->nstop++;
        *stop = true;
    } else if (port == 0x3F8 && f->nout < sizeof(f->out)) {
        f->out[f->nout++] = (char)*val;
    } else {
        return ENGINE_NOT_MINE;
    }
    return ENGINE_OK;
}

static const struct engine_ops fx_ops = {
    .ctx = &fx, .retire = on_retire, .retire_repeat = on_retire_repeat,
    .rdmsr = on_rdmsr,
    .wrmsr = on_wrmsr, .rdpmc = on_rdpmc, .cpuid = on_cpuid,
    .rdtsc = on_rdtsc,
    .sys_msr_read = on_sys_read, .sys_msr_write = on_sys_write,
    .io = on_io,
};

static int setup(void **state)
{
    const struct engine_ops ops = fx_ops;
    (void)state;
    memset(&fx, 0, sizeof(fx));
    machine_init(&fx.m, 4 << 20);
    machine_map(&fx.m, CODE, 0x2000, MAP_U | MAP_W);
    machine_map(&fx.m, DATA, 0x1000, MAP_U | MAP_W | MAP_NX);
    machine_map(&fx.m, RO, 0x1000, MAP_U | MAP_NX);
    machine_map(&fx.m, NP, 0x1000, MAP_U | MAP_W | MAP_NP);
    machine_map(&fx.m, USTACK - 0x2000, 0x2000, MAP_U | MAP_W | MAP_NX);
    machine_map(&fx.m, KCODE, 0x1000, 0);
    fx.e = engine_create(fx.m.ram, fx.m.ram_size, &ops);
    assert_non_null(fx.e);
    machine_state(&fx.m, &fx.st, 3, CODE, USTACK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    engine_destroy(fx.e);
    machine_free(&fx.m);
    return 0;
}

/* Puts (code) at (la) and runs from there until the engine stops. */
static void run_at(uint64_t la, const char *code, size_t len,
                   struct engine_exit *x)
{
    memcpy(machine_ptr(&fx.m, la), code, len);
    fx.st.rip = la;
    engine_flush(fx.e);
    engine_run(fx.e, &fx.st, 1000, x);
}

#define RUN(code, x) run_at(CODE, code, sizeof(code) - 1, x)

/* Stopped at the HLT of vector (vec)'s handler at CPL 0. */
static void assert_at_vector(const struct engine_exit *x, int vec)
{
    assert_int_equal(x->stop, ENGINE_STOP_HANDBACK);
    assert_int_equal(machine_vector_at(fx.st.rip), vec);
    assert_int_equal(fx.st.seg[ENGINE_CS].selector, SEL_KCODE);
}

static uint64_t frame(unsigned slot)
{
    return machine_stack(&fx.m, &fx.st, slot);
}

/* 0x7fffffff + 1 = 0x80000000: OF, SF, AF (carry out of bit 3), PF (low
 * byte 0 has even parity); not ZF, CF. Two retired, then UD2's #UD. */
static void test_add_flags(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN("\xb8\xff\xff\xff\x7f" "\x83\xc0\x01" "\x0f\x0b", &x);
    assert_at_vector(&x, 6);
    assert_int_equal(fx.st.gpr[ENGINE_RAX], 0x80000000);
    assert_int_equal(frame(2) & (RFL_CF | RFL_PF | RFL_AF | RFL_ZF | RFL_SF |
                                 RFL_OF),
                     RFL_OF | RFL_SF | RFL_AF | RFL_PF);
    assert_int_equal(fx.retired, 2);
    assert_int_equal(frame(0), CODE + 8); /* #UD: RIP at UD2, no error */
}

/* A CPL3 write to a read-only page: #PF, error P|W|U = 7, CR2 the
 * address; the frame on RSP0 (16-aligned): error, RIP of the faulting
 * MOV, CS, RFLAGS with RF, the user RSP, SS (SDM 6.14.2, 4.7). */
static void test_pf_write_ro(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN("\x48\xbb\x10\x10\x60\x00\x00\x00\x00\x00" /* movabs $RO+0x10, %rbx */
        "\xc7\x03\x01\x00\x00\x00" "\x0f\x0b", &x);
    assert_at_vector(&x, 14);
    assert_int_equal(fx.st.cr2, RO + 0x10);
    assert_int_equal(fx.st.gpr[ENGINE_RSP], MACHINE_KSTACK_TOP - 48);
    assert_int_equal(frame(0), 7);
    assert_int_equal(frame(1), CODE + 10);
    assert_int_equal(frame(2), SEL_UCODE);
    assert_int_equal(frame(3), 0x202 | RFL_RF);
    assert_int_equal(frame(4), USTACK);
    assert_int_equal(frame(5), SEL_UDATA);
    assert_int_equal(fx.st.rflags & RFL_IF, 0); /* an interrupt gate */
    assert_int_equal(fx.retired, 1);
}

/*
 * Alignment check (SDM 6.15): at CPL3 with CR0.AM (the machine's) and
 * RFLAGS.AC, a misaligned 8-byte load is #AC(0), even right after an
 * aligned load from the same page (whose translation the engine keeps);
 * with AC clear, or at CPL0, it loads. The frame's RIP is the misaligned MOV's.
 */
static void test_alignment_check(void **state)
{
    static const char code[] =
        "\x48\x8b\x04\x25\x00\x00\x60\x00" /* mov DATA, %rax */
        "\x48\x8b\x1c\x25\x01\x00\x60\x00" /* mov DATA+1, %rbx */
        "\x0f\x0b";
    struct engine_exit x;

    (void)state;
    fx.st.rflags |= 1ull << 18; /* AC */
    RUN(code, &x);
    assert_at_vector(&x, 17);
    assert_int_equal(frame(0), 0);
    assert_int_equal(frame(1), CODE + 8);
    assert_int_equal(fx.retired, 1);

    machine_state(&fx.m, &fx.st, 3, CODE, USTACK);
    fx.retired = 0;
    RUN(code, &x);
    assert_at_vector(&x, 6);
    assert_int_equal(fx.retired, 2);

    /* AC set at CPL0: no alignment checking there */
    machine_state(&fx.m, &fx.st, 0, CODE, USTACK);
    fx.st.rflags |= 1ull << 18;
    fx.retired = 0;
    RUN(code, &x);
    assert_at_vector(&x, 6);
    assert_int_equal(fx.retired, 2);
}

/* A read of a not-present page: error U = 4; nothing of the MOV is done. */
static void test_pf_not_present(void **state)
{
    struct engine_exit x;

    (void)state;
    fx.st.gpr[ENGINE_RAX] = 0x55;
    RUN("\x48\xbb\x00\x20\x60\x00\x00\x00\x00\x00" /* movabs $NP, %rbx */
        "\x48\x8b\x03" "\x0f\x0b", &x);
    assert_at_vector(&x, 14);
    assert_int_equal(frame(0), 4);
    assert_int_equal(fx.st.cr2, NP);
}

/* Accessed on a read, dirty only on a write (SDM 4.8). */
static void test_accessed_dirty(void **state)
{
    struct engine_exit x;
    uint64_t *pte = machine_pte(&fx.m, DATA);

    (void)state;
    *pte &= ~(PTE_A | PTE_D);
    RUN("\x48\xbb\x00\x00\x60\x00\x00\x00\x00\x00" /* movabs $DATA, %rbx */
        "\x48\x8b\x03" "\x0f\x0b", &x);
    assert_int_equal(*pte & (PTE_A | PTE_D), PTE_A);

    machine_state(&fx.m, &fx.st, 3, CODE, USTACK);
    RUN("\x48\xbb\x00\x00\x60\x00\x00\x00\x00\x00"
        "\x48\x89\x03" "\x0f\x0b", &x);                /* mov %rax, (%rbx) */
    assert_int_equal(*pte & (PTE_A | PTE_D), PTE_A | PTE_D);
}

/* SYSCALL enters KCODE at CPL0, with FMASK 0x200 clearing IF; SYSRET
 * returns through STAR's selectors. */
static void syscall_to_kcode(void)
{
    fx.msr[0] = 0x10ull << 48 | 0x08ull << 32; /* STAR */
    fx.msr[1] = KCODE;                         /* LSTAR */
    fx.msr[2] = 0x200;                         /* FMASK */
}

/* SYSCALL to LSTAR at CPL0 and SYSRETQ back (SDM SYSCALL, SYSRET): RCX
 * gets the next RIP, R11 RFLAGS (0x202); FMASK 0x200 clears IF in the
 * kernel; CS/SS are STAR[47:32] and +8 going in, STAR[63:48] + 16 and
 * + 8 with RPL 3 coming back. The kernel copies RCX and R11 to RBX and
 * RBP; the UD2 after the SYSCALL faults at CPL3 with the user's frame. */
static void test_syscall_sysret(void **state)
{
    struct engine_exit x;

    (void)state;
    syscall_to_kcode();
    memcpy(machine_ptr(&fx.m, KCODE),
           "\x48\x89\xcb" "\x4c\x89\xdd" "\x48\x0f\x07", 9);
    RUN("\x0f\x05" "\x0f\x0b", &x);
    assert_at_vector(&x, 6);
    assert_int_equal(fx.st.gpr[ENGINE_RBX], CODE + 2);
    assert_int_equal(fx.st.gpr[ENGINE_RBP], 0x202);
    assert_int_equal(fx.retired, 4);
    assert_int_equal(frame(0), CODE + 2);
    assert_int_equal(frame(1), SEL_UCODE);
    assert_int_equal(frame(2), 0x202 | RFL_RF);
    assert_int_equal(frame(3), USTACK);
    assert_int_equal(frame(4), SEL_UDATA);
}

/* SYSRET to CPL3 code on the kernel's own page (supervisor only), code
 * the kernel has just run there: the fetch is now a user access, #PF with
 * P and U, CR2 the target (SDM 4.6: a user-mode fetch needs U/S set at
 * every level), whatever the engine kept of the page's translation and
 * of the instruction's decoding at CPL0. */
static void test_sysret_to_supervisor_page(void **state)
{
    struct engine_exit x;

    (void)state;
    syscall_to_kcode();
    memcpy(machine_ptr(&fx.m, KCODE),
           "\x90"                             /* nop */
           "\x48\x8d\x0d\xf8\xff\xff\xff" /* lea -8(%rip), %rcx */
           "\x48\x0f\x07", 11);             /* sysretq to the nop */
    RUN("\x0f\x05" "\x0f\x0b", &x);
    assert_at_vector(&x, 14);
    assert_int_equal(frame(0) & 7, 5); /* P, U, a read */
    assert_int_equal(fx.st.cr2, KCODE);
    assert_int_equal(frame(1), KCODE);
    assert_int_equal(frame(2), SEL_UCODE);
    assert_int_equal(fx.retired, 4); /* SYSCALL, NOP, LEA, SYSRET */
}

/* Code whose mapping changes under it: between two instructions on one
 * page, its PTE is pointed at another frame and the TLB flushed by
 * (flush) (what the VMM does once KVM has run a MOV to CR3 or an
 * INVLPG: SDM 4.10.4); the next fetch on that page reads the new frame:
 * INT3 (vector 3), not the old frame's UD2. */
static void remap_under_code(void (*flush)(struct engine *))
{
    const uint64_t page = MACHINE_KERNEL + 0x20000, other = page + 0x1000;
    struct engine_exit x;

    machine_map(&fx.m, page, 0x2000, 0);
    memcpy(machine_ptr(&fx.m, page), "\x90\x0f\x0b", 3);  /* nop; ud2 */
    memcpy(machine_ptr(&fx.m, other), "\x90\xcc", 2);      /* nop; int3 */
    machine_state(&fx.m, &fx.st, 0, page, MACHINE_KSTACK_TOP);
    engine_flush(fx.e);
    engine_run(fx.e, &fx.st, 1, &x);                        /* the nop */
    assert_int_equal(x.stop, ENGINE_STOP_BUDGET);
    *machine_pte(&fx.m, page) = *machine_pte(&fx.m, other);
    flush(fx.e);
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_at_vector(&x, 3);
    assert_int_equal(frame(0), page + 2); /* INT3 traps past itself */
}

static void test_remap_under_code(void **state)
{
    (void)state;
    remap_under_code(engine_flush);
}

/* engine_flush_tlb(), the part of engine_flush() a remap needs, is
 * enough: translations are forgotten where decoded instructions are kept
 * (where the VMM knows from KVM's dirty log which pages were written). */
static void test_remap_tlb_flush_only(void **state)
{
    (void)state;
    remap_under_code(engine_flush_tlb);
}

/* The TLB's tags hold its epoch mod 2048 (engine/engine_internal.h's
 * TLB_EPOCHS): when the epochs come round, a remap before them must
 * still be seen (the slots are cleared then). The engine flushes on its
 * own too (a run's start), so the remap is tried with flushes around
 * 2048, one count of which brings the epoch round to the old one's. */
static unsigned flushes;

static void flush_many(struct engine *e)
{
    for (unsigned i = 0; i < flushes; i++)
        engine_flush_tlb(e);
}

static void test_remap_epochs_round(void **state)
{
    (void)state;
    for (flushes = 2048 - 8; flushes <= 2048 + 8; flushes++)
        remap_under_code(flush_many);
}

/* Code written outside the engine (by KVM's vCPU, as its dirty log tells
 * the VMM): the engine ran "nop; ud2" whole, the UD2 is overwritten with
 * INT3 and the page's bit given to engine_pages_written(); run again from
 * the NOP, the engine executes the new byte (vector 3), not the UD2 it
 * decoded before. */
static void test_pages_written_outside(void **state)
{
    const uint64_t page = MACHINE_KERNEL + 0x20000;
    struct engine_exit x;
    uint64_t bitmap[64] = {0};

    (void)state;
    machine_map(&fx.m, page, 0x1000, 0);
    uint8_t *code = machine_ptr(&fx.m, page);
    memcpy(code, "\x90\x0f\x0b", 3);                      /* nop; ud2 */
    machine_state(&fx.m, &fx.st, 0, page, MACHINE_KSTACK_TOP);
    engine_flush(fx.e);
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_at_vector(&x, 6);
    code[1] = 0xcc;                                         /* int3 */
    uint64_t pfn = (uint64_t)(code - fx.m.ram) >> 12;
    assert_true(pfn < 64 * 64);
    bitmap[pfn / 64] |= 1ull << (pfn % 64);
    machine_state(&fx.m, &fx.st, 0, page, MACHINE_KSTACK_TOP);
    engine_flush_tlb(fx.e);
    engine_pages_written(fx.e, bitmap);
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_at_vector(&x, 3);
    assert_int_equal(frame(0), page + 2);
}

/* MOV %rax, %cr3 at KCODE (CPL0, as the state says) with RAX = (v), then
 * UD2: the engine with ops.cr3_writes or without. */
static void mov_to_cr3(bool cr3_writes, uint64_t v, struct engine_exit *x)
{
    struct engine_ops ops = fx_ops;

    ops.cr3_writes = cr3_writes;
    engine_destroy(fx.e);
    fx.e = engine_create(fx.m.ram, fx.m.ram_size, &ops);
    assert_non_null(fx.e);
    memcpy(machine_ptr(&fx.m, KCODE), "\x0f\x22\xd8\x0f\x0b", 5);
    fx.st.gpr[ENGINE_RAX] = v;
    fx.st.rip = KCODE;
    engine_flush(fx.e);
    engine_run(fx.e, &fx.st, 1000, x);
}

/* ops.cr3_writes: the engine runs MOV to CR3 itself (SDM MOV, 4.10.4.1):
 * the state's CR3 is the source, the run says it flushed the TLB, and
 * paging goes on through the new tables (the same ones here: the UD2
 * after it is fetched and raises #UD). With CR4.PCIDE, bit 63 says "no
 * flush" and is not part of CR3. Without the option it is handed back. */
static void test_cr3_write_in_engine(void **state)
{
    struct engine_exit x;
    uint64_t cr3 = fx.m.cr3;

    (void)state;
    machine_state(&fx.m, &fx.st, 0, KCODE, MACHINE_KSTACK_TOP);
    mov_to_cr3(true, cr3, &x);
    assert_at_vector(&x, 6);
    assert_int_equal(fx.st.cr3, cr3);
    assert_true(x.flushed_tlb);

    machine_state(&fx.m, &fx.st, 0, KCODE, MACHINE_KSTACK_TOP);
    fx.st.cr4 |= CR4_PCIDE;
    mov_to_cr3(true, cr3 | 1ull << 63, &x);
    assert_at_vector(&x, 6);
    assert_int_equal(fx.st.cr3, cr3);
    assert_false(x.flushed_tlb);

    machine_state(&fx.m, &fx.st, 0, KCODE, MACHINE_KSTACK_TOP);
    mov_to_cr3(false, cr3, &x);
    assert_int_equal(x.stop, ENGINE_STOP_HANDBACK);
    assert_int_equal(x.why, ENGINE_WHY_SYSTEM);
    assert_int_equal(fx.st.rip, KCODE);
    assert_false(x.flushed_tlb);
}

/* Its #GP(0): a CR3 beyond MAXPHYADDR (46 here) in IA-32e mode; CPL 3.
 * CR3 is left as it was. */
static void test_cr3_write_faults(void **state)
{
    struct engine_exit x;
    uint64_t cr3 = fx.m.cr3;

    (void)state;
    machine_state(&fx.m, &fx.st, 0, KCODE, MACHINE_KSTACK_TOP);
    mov_to_cr3(true, cr3 | 1ull << 46, &x);
    assert_at_vector(&x, 13);
    assert_int_equal(frame(0), 0);
    assert_int_equal(fx.st.cr3, cr3);
    assert_false(x.flushed_tlb);

    machine_state(&fx.m, &fx.st, 3, CODE, USTACK);
    memcpy(machine_ptr(&fx.m, CODE), "\x0f\x22\xd8\x0f\x0b", 5);
    fx.st.gpr[ENGINE_RAX] = cr3;
    struct engine_ops ops = fx_ops;
    ops.cr3_writes = true;
    engine_destroy(fx.e);
    fx.e = engine_create(fx.m.ram, fx.m.ram_size, &ops);
    engine_flush(fx.e);
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_at_vector(&x, 13);
    assert_int_equal(frame(0), 0);
    assert_int_equal(frame(1), CODE);
}

/* An external interrupt at CPL3 through a DPL0 interrupt gate: the stack
 * switches to RSP0, five slots (no error code): RIP, CS, RFLAGS, RSP, SS;
 * IF is cleared (SDM 6.14.2). */
static void test_interrupt(void **state)
{
    (void)state;
    memcpy(machine_ptr(&fx.m, CODE), "\x0f\x0b", 2);
    assert_true(engine_interrupt(fx.e, &fx.st, 0x20));
    assert_int_equal(machine_vector_at(fx.st.rip), 0x20);
    assert_int_equal(fx.st.seg[ENGINE_CS].selector, SEL_KCODE);
    assert_int_equal(fx.st.gpr[ENGINE_RSP], MACHINE_KSTACK_TOP - 40);
    assert_int_equal(frame(0), CODE);
    assert_int_equal(frame(1), SEL_UCODE);
    assert_int_equal(frame(2), 0x202);
    assert_int_equal(frame(3), USTACK);
    assert_int_equal(frame(4), SEL_UDATA);
    assert_int_equal(fx.st.rflags & RFL_IF, 0);
}

/* RDPMC at CPL3: #GP(0) unless CR4.PCE (SDM RDPMC); with it, EDX:EAX is
 * the callback's value. */
static void test_rdpmc_cpl3(void **state)
{
    struct engine_exit x;

    (void)state;
    fx.st.gpr[ENGINE_RCX] = 0;
    RUN("\x0f\x33" "\x0f\x0b", &x);
    assert_at_vector(&x, 13);
    assert_int_equal(frame(0), 0);
    assert_int_equal(frame(1), CODE);

    machine_state(&fx.m, &fx.st, 3, CODE, USTACK);
    fx.st.cr4 |= 0x100; /* PCE */
    fx.st.gpr[ENGINE_RCX] = 0;
    RUN("\x0f\x33" "\x0f\x0b", &x);
    assert_at_vector(&x, 6);
    assert_int_equal(fx.st.gpr[ENGINE_RAX], 0x00112233);
    assert_int_equal(fx.st.gpr[ENGINE_RDX], 0xAABBCCDD);
}

/* MOV $500, %ecx; LOOP to itself: 500 LOOPs, 499 of them taken. All but
 * the last taken one (498) retire in a batch; the 499th and the
 * fall-through one by one; RCX ends 0. */
static void test_loop_batch(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN("\xb9\xf4\x01\x00\x00" "\xe2\xfe" "\x0f\x0b", &x);
    assert_at_vector(&x, 6);
    assert_int_equal(fx.st.gpr[ENGINE_RCX], 0);
    assert_int_equal(fx.batched, 498);
    assert_int_equal(fx.retired, 501);
    assert_int_equal(frame(0), CODE + 7);
}

/* REP STOSB of 32 bytes from 16 bytes below a read-only page: the
 * iterations on the writable page store, the first on the read-only one
 * faults (#PF, P | W | U), and the registers are that iteration's (SDM
 * 7.3.9.3, "a fault ... leaves the registers set to restart"): RCX 16
 * left, RDI at the page, RIP on the STOSB. */
static void test_rep_stos_faults_mid(void **state)
{
    struct engine_exit x;
    uint8_t *data = machine_ptr(&fx.m, DATA);

    (void)state;
    RUN("\xb9\x20\x00\x00\x00"  /* mov $0x20, %ecx */
        "\xbf\xf0\x0f\x60\x00"  /* mov $0x600ff0, %edi */
        "\xb0\xab"              /* mov $0xab, %al */
        "\xf3\xaa"              /* rep stosb */
        "\x0f\x0b", &x);
    assert_at_vector(&x, 14);
    assert_int_equal(frame(0), 7);
    assert_int_equal(frame(1), CODE + 12);
    assert_int_equal(fx.st.cr2, RO);
    assert_int_equal(fx.st.gpr[ENGINE_RCX], 0x10);
    assert_int_equal(fx.st.gpr[ENGINE_RDI], RO);
    assert_int_equal(data[0xFEF], 0);
    for (unsigned i = 0xFF0; i < 0x1000; i++)
        assert_int_equal(data[i], 0xab);
}

/* REP MOVSQ onto itself one element up: each element reads the one the
 * iteration before wrote, so the first quadword fills all four (a
 * memmove would shift them instead); the fifth is untouched. */
static void test_rep_movs_overlap(void **state)
{
    struct engine_exit x;
    uint64_t q[6] = {0x1111111111111111, 2, 3, 4, 5, 6};

    (void)state;
    memcpy(machine_ptr(&fx.m, DATA), q, sizeof(q));
    RUN("\xb9\x04\x00\x00\x00"  /* mov $4, %ecx */
        "\xbe\x00\x00\x60\x00"  /* mov $0x600000, %esi */
        "\xbf\x08\x00\x60\x00"  /* mov $0x600008, %edi */
        "\xf3\x48\xa5"          /* rep movsq */
        "\x0f\x0b", &x);
    assert_at_vector(&x, 6);
    memcpy(q, machine_ptr(&fx.m, DATA), sizeof(q));
    for (unsigned i = 1; i <= 4; i++)
        assert_int_equal(q[i], 0x1111111111111111);
    assert_int_equal(q[5], 6);
    assert_int_equal(fx.st.gpr[ENGINE_RCX], 0);
    assert_int_equal(fx.st.gpr[ENGINE_RDI], DATA + 40);
}

/* REP OUTSB (F3 6E): at CPL3 with IOPL 0 and no I/O bitmap in the TSS,
 * #GP(0) before any byte (SDM 19.5); at CPL0, RCX bytes from DS:RSI to
 * port DX in order, RSI += RCX, RCX = 0, one retired instruction. */
static void test_rep_outsb(void **state)
{
    struct engine_exit x;

    (void)state;
    memcpy(machine_ptr(&fx.m, DATA), "hello", 5);
    fx.st.gpr[ENGINE_RSI] = DATA, fx.st.gpr[ENGINE_RCX] = 5;
    fx.st.gpr[ENGINE_RDX] = 0x3F8;
    RUN("\xf3\x6e" "\x0f\x0b", &x);
    assert_at_vector(&x, 13);
    assert_int_equal(fx.nout, 0);

    machine_state(&fx.m, &fx.st, 0, KCODE, MACHINE_KSTACK_TOP);
    fx.st.gpr[ENGINE_RSI] = DATA, fx.st.gpr[ENGINE_RCX] = 5;
    fx.st.gpr[ENGINE_RDX] = 0x3F8;
    fx.retired = 0;
    run_at(KCODE, "\xf3\x6e" "\x0f\x0b", 4, &x);
    assert_at_vector(&x, 6);
    assert_int_equal(fx.nout, 5);
    assert_memory_equal(fx.out, "hello", 5);
    assert_int_equal(fx.st.gpr[ENGINE_RSI], DATA + 5);
    assert_int_equal(fx.st.gpr[ENGINE_RCX], 0);
    assert_int_equal(fx.retired, 1);
}

/* A REP OUTSB whose first byte ends the guest (the caller's stop): the
 * engine stops between iterations, RIP still on the instruction, RCX and
 * RSI past the one byte written, as an interrupt would leave them. */
static void test_rep_outsb_stop(void **state)
{
    struct engine_exit x;

    (void)state;
    machine_state(&fx.m, &fx.st, 0, KCODE, MACHINE_KSTACK_TOP);
    fx.st.gpr[ENGINE_RSI] = DATA, fx.st.gpr[ENGINE_RCX] = 3;
    fx.st.gpr[ENGINE_RDX] = 0xF4;
    run_at(KCODE, "\xf3\x6e" "\x0f\x0b", 4, &x);
    assert_int_equal(fx.nstop, 1);
    assert_int_equal(fx.st.rip, KCODE);
    assert_int_equal(fx.st.gpr[ENGINE_RCX], 2);
    assert_int_equal(fx.st.gpr[ENGINE_RSI], DATA + 1);
    assert_int_not_equal(x.stop, ENGINE_STOP_HANDBACK);
}

/* REX.W OUTSD: OUTS has byte, word and doubleword forms only, so REX.W
 * leaves a doubleword (SDM OUTS operation; Zydis sizes the memory operand
 * 32 bits though its operand width says 64): one 4-byte write to port DX
 * of the doubleword at DS:RSI, and RSI += 4. */
static void test_outsd_rex_w(void **state)
{
    struct engine_exit x;

    (void)state;
    memcpy(machine_ptr(&fx.m, DATA), "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    machine_state(&fx.m, &fx.st, 0, KCODE, MACHINE_KSTACK_TOP);
    fx.st.gpr[ENGINE_RSI] = DATA, fx.st.gpr[ENGINE_RDX] = 0x80;
    run_at(KCODE, "\x48\x6f" "\x0f\x0b", 4, &x);
    assert_at_vector(&x, 6);
    assert_int_equal(fx.io_size, 4);
    assert_int_equal(fx.io_val, 0x44332211);
    assert_int_equal(fx.st.gpr[ENGINE_RSI], DATA + 4);
}

#define CPUID7_EBX_RTM (1u << 11)

/* Without RTM in CPUID.7.0:EBX, XBEGIN is #UD (SDM XBEGIN). */
static void test_xbegin_no_rtm(void **state)
{
    struct engine_exit x;

    (void)state;
    fx.max_leaf = 7;
    RUN("\xc7\xf8\x00\x00\x00\x00", &x);
    assert_at_vector(&x, 6);
    assert_int_equal(frame(0), CODE);
    assert_int_equal(fx.retired, 0);
}

/* With RTM, pmvm's transactions abort at once (docs/counting.md,
 * "Transactions"): XBEGIN sets EAX to the abort status 0 and goes to its
 * fallback (past a UD2 here); outside a transaction XTEST sets ZF and
 * clears CF, and XABORT does nothing (SDM XTEST, XABORT). Four retire,
 * one of them an aborted transaction, before the second UD2's #UD. */
static void test_xbegin_aborts(void **state)
{
    struct engine_exit x;

    (void)state;
    fx.max_leaf = 7, fx.leaf7_ebx = CPUID7_EBX_RTM;
    fx.st.rflags |= RFL_CF;
    RUN("\xb8\x78\x56\x34\x12"         /* mov $0x12345678, %eax */
        "\xc7\xf8\x02\x00\x00\x00"     /* xbegin .+8 */
        "\x0f\x0b"                     /* ud2, skipped */
        "\x0f\x01\xd6"                 /* xtest */
        "\xc6\xf8\x05"                 /* xabort $5 */
        "\x0f\x0b", &x);
    assert_at_vector(&x, 6);
    assert_int_equal(frame(0), CODE + 19);
    assert_int_equal(fx.st.gpr[ENGINE_RAX], 0);
    assert_int_equal(frame(2) & (RFL_ZF | RFL_CF), RFL_ZF);
    assert_int_equal(fx.retired, 4);
    assert_int_equal(fx.tx_aborts, 1);
}

/* XEND outside a transaction: #GP(0) (SDM XEND). */
static void test_xend_outside(void **state)
{
    struct engine_exit x;

    (void)state;
    fx.max_leaf = 7, fx.leaf7_ebx = CPUID7_EBX_RTM;
    RUN("\x0f\x01\xd5", &x);
    assert_at_vector(&x, 13);
    assert_int_equal(frame(0), 0);
    assert_int_equal(frame(1), CODE);
}

/* RDTSCP and RDPID without their CPUID bits (80000001H:EDX[27],
 * 7.0:ECX[22]): #UD (SDM RDTSCP, RDPID). */
static void test_rdtscp_rdpid_absent(void **state)
{
    struct engine_exit x;

    (void)state;
    fx.max_leaf = 7, fx.max_ext = 0x80000008u;
    RUN("\x0f\x01\xf9", &x);
    assert_at_vector(&x, 6);
    assert_int_equal(frame(0), CODE);
    RUN("\xf3\x0f\xc7\xf8", &x);
    assert_at_vector(&x, 6);
    assert_int_equal(frame(0), CODE);
}

/* With them: RDTSCP gives EDX:EAX = the TSC and ECX = TSC_AUX; RDPID
 * RAX = TSC_AUX, zero-extended. */
static void test_rdtscp_rdpid(void **state)
{
    struct engine_exit x;

    (void)state;
    fx.max_leaf = 7, fx.max_ext = 0x80000008u;
    fx.ext1_edx = 1u << 27, fx.leaf7_ecx = 1u << 22;
    fx.tsc_aux = 0x12345;
    fx.st.gpr[ENGINE_RAX] = ~0ull;
    RUN("\x0f\x01\xf9" "\xf3\x48\x0f\xc7\xfb" "\x0f\x0b", &x);
    assert_at_vector(&x, 6);
    assert_int_equal(fx.st.gpr[ENGINE_RDX], 0x11);
    assert_int_equal(fx.st.gpr[ENGINE_RAX], 0x22334455);
    assert_int_equal(fx.st.gpr[ENGINE_RCX], 0x12345);
    assert_int_equal(fx.st.gpr[ENGINE_RBX], 0x12345);
    assert_int_equal(fx.retired, 2);
}

/* DAA is no instruction in 64-bit mode: #UD at it, nothing retired
 * (SDM DAA: "Invalid" in 64-bit mode). */
static void test_undefined_opcode(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN("\x27", &x);
    assert_at_vector(&x, 6);
    assert_int_equal(frame(0), CODE);
    assert_int_equal(fx.retired, 0);
}

/* Fifteen operand-size prefixes and a NOP: 16 bytes, #GP(0) (SDM 2.3.11:
 * an instruction longer than 15 bytes). */
static void test_too_long(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"
        "\x90", &x);
    assert_at_vector(&x, 13);
    assert_int_equal(frame(0), 0);
    assert_int_equal(frame(1), CODE);
}

/* Clears the P bit of IDT gate (vec). */
static void gate_absent(unsigned vec)
{
    machine_ptr(&fx.m, MACHINE_IDT + 16 * vec)[5] &= 0x7F;
}

/* INT 0x80 at CPL0 beyond the IDT's limit: #GP with the IDT entry as its
 * error code, 0x80 * 8 + 2 (IDT bit; EXT clear for INT n), and the
 * frame's RIP at the INT (SDM 6.12.1, 6.13). */
static void test_int_beyond_idt(void **state)
{
    struct engine_exit x;

    (void)state;
    machine_state(&fx.m, &fx.st, 0, KCODE, MACHINE_KSTACK_TOP);
    fx.st.idt_limit = 0x80 * 16 - 1;
    run_at(KCODE, "\xcd\x80", 2, &x);
    assert_at_vector(&x, 13);
    assert_int_equal(frame(0), 0x402);
    assert_int_equal(frame(1), KCODE);
}

/* The same with #GP's own gate absent: #NP(13 * 8 + 2 + EXT) while
 * delivering #GP, both contributory, so a #DF with error 0 (SDM 6.15,
 * Table 6-5); with #DF's gate absent too, a triple fault. */
static void test_double_and_triple_fault(void **state)
{
    struct engine_exit x;

    (void)state;
    machine_state(&fx.m, &fx.st, 0, KCODE, MACHINE_KSTACK_TOP);
    fx.st.idt_limit = 0x80 * 16 - 1;
    gate_absent(13);
    run_at(KCODE, "\xcd\x80", 2, &x);
    assert_at_vector(&x, 8);
    assert_int_equal(frame(0), 0);
    assert_int_equal(frame(1), KCODE);
    gate_absent(8);
    machine_state(&fx.m, &fx.st, 0, KCODE, MACHINE_KSTACK_TOP);
    fx.st.idt_limit = 0x80 * 16 - 1;
    run_at(KCODE, "\xcd\x80", 2, &x);
    assert_int_equal(x.stop, ENGINE_STOP_SHUTDOWN);
    assert_int_equal(fx.st.rip, KCODE);
}

/* The PDPTE that maps (la), for a 1-GiB page. */
static uint64_t *pdpte(uint64_t la)
{
    uint64_t pml4e = ((uint64_t *)(void *)(fx.m.ram + fx.m.cr3))
                         [(la >> 39) & 511];
    return (uint64_t *)(void *)(fx.m.ram + (pml4e & 0x000FFFFFFFFFF000ull)) +
           ((la >> 30) & 511);
}

/* A PDPTE with PS maps 1 GiB only where CPUID.80000001H:EDX[26] says so;
 * else PS is reserved there: #PF with P, RSVD and U (0xd), CR2 the address
 * (SDM 4.5.4, 4.7), as KVM gives a guest whose CPUID lacks it. */
static void test_1g_page(void **state)
{
    const uint64_t big = 0x40000000ull; /* phys 0 .. 1 GiB */
    struct engine_exit x;

    (void)state;
    machine_map(&fx.m, big, 0x1000, MAP_U | MAP_W);
    *pdpte(big) = 0x87; /* P RW US PS, address 0 */
    memcpy(fx.m.ram + 0x10, "\x78\x56\x34\x12", 4);
    fx.max_ext = 0x80000008u;
    RUN("\x8b\x04\x25\x10\x00\x00\x40" "\x0f\x0b", &x); /* mov big+0x10 */
    assert_at_vector(&x, 14);
    assert_int_equal(frame(0), 0xd);
    assert_int_equal(fx.st.cr2, big + 0x10);
}

static void test_1g_page_offered(void **state)
{
    const uint64_t big = 0x40000000ull;
    struct engine_exit x;

    (void)state;
    machine_map(&fx.m, big, 0x1000, MAP_U | MAP_W);
    *pdpte(big) = 0x87;
    memcpy(fx.m.ram + 0x10, "\x78\x56\x34\x12", 4);
    fx.max_ext = 0x80000008u, fx.ext1_edx = 1u << 26;
    RUN("\x8b\x04\x25\x10\x00\x00\x40" "\x0f\x0b", &x);
    assert_at_vector(&x, 6);
    assert_int_equal(fx.st.gpr[ENGINE_RAX], 0x12345678);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pf_write_ro, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pf_not_present, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accessed_dirty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syscall_sysret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sysret_to_supervisor_page,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_remap_under_code, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_remap_tlb_flush_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_remap_epochs_round, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pages_written_outside, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cr3_write_in_engine, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cr3_write_faults, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rdpmc_cpl3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rep_stos_faults_mid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rep_movs_overlap, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rep_outsb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rep_outsb_stop, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_outsd_rex_w, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xbegin_no_rtm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xbegin_aborts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xend_outside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rdtscp_rdpid_absent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rdtscp_rdpid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undefined_opcode, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_1g_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alignment_check, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_1g_page_offered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_int_beyond_idt, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_double_and_triple_fault, setup,
                                        teardown),
    };

    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
