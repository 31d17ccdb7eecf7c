/* test_xstate.c: the engine's FPU state-management instructions (FXSAVE, FXRSTOR, the XSAVE family, FNINIT and the control words, MXCSR, XGETBV, XSETBV) on a fake XSAVE area: layouts, init states and their exceptions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "tests/engine/machine.h"

/*
 * Expected values come from the SDM, worked out by hand: the FXSAVE
 * area's layout (vol. 1, Table 10-2: FCW at byte 0, FSW 2, abridged FTW
 * 4, FOP 6, FIP 8, FDP 16, MXCSR 24, MXCSR_MASK 28, ST0 32, XMM0 160),
 * the XSAVE header at 512 (13.4.2), the compacted format (13.4.3), the
 * initial configurations (13.6), and each instruction's exceptions (vol.
 * 2). The CPUID below offers x87, SSE, AVX, MPX and AVX-512 state with
 * the standard offsets of Intel's Skylake-SP (CPUID.(0DH,i)), but for
 * BNDCSR's size, 16 bytes (its two registers, 13.5.4), and the opmask
 * component's 64-byte alignment in the compacted format, so that one
 * component is aligned. The bytes were checked with objdump.
 */

#define CODE 0x400000ull
#define DATA 0x600000ull   /* two writable pages */
#define PFPAGE 0x610000ull /* writable, then a page not present */

struct fixture {
    struct machine m;
    struct engine *e;
    struct engine_state st;
    uint8_t area[ENGINE_XSAVE_SIZE];
    unsigned reads, writes;     /* of the area */
    uint64_t xcr0;
    unsigned xcr_writes;
    uint32_t leaf_d1_eax;       /* CPUID.(0DH,1):EAX */
};

static struct fixture fx;

static bool on_retire(void *ctx, const struct pmu_insn *r)
{
    (void)ctx, (void)r;
    return false;
}

static enum engine_answer on_cpuid(void *ctx, uint32_t leaf, uint32_t sub,
                                   uint32_t r[4])
{
    /* size (EAX), standard offset (EBX), ECX[1]: 64-byte aligned */
    static const uint32_t comp[8][3] = {
        [2] = {256, 576, 0},  [3] = {64, 960, 0},  [4] = {16, 1024, 0},
        [5] = {64, 1088, 2},  [6] = {512, 1152, 0}, [7] = {1024, 1664, 0},
    };

    (void)ctx;
    memset(r, 0, 4 * sizeof(r[0]));
    if (leaf == 0) {
        r[0] = 0xD;
    } else if (leaf == 1) {
        r[2] = 1u << 26;                 /* XSAVE */
        r[3] = 1u << 24 | 1u << 25;      /* FXSR, SSE */
    } else if (leaf == 0xD && sub == 0) {
        r[0] = 0xFF;                     /* XCR0 may hold bits 0-7 */
    } else if (leaf == 0xD && sub == 1) {
        r[0] = fx.leaf_d1_eax;
    } else if (leaf == 0xD && sub < 8) {
        r[0] = comp[sub][0], r[1] = comp[sub][1], r[2] = comp[sub][2];
    } else if (leaf == 0x80000000u) {
        r[0] = 0x80000001u;
    } else if (leaf == 0x80000001u) {
        r[3] = 1u << 29 | 1u << 20;
    }
    return ENGINE_OK;
}

static bool on_xstate(void *ctx, void *area, size_t size, bool write)
{
    (void)ctx;
    assert_int_equal(size, ENGINE_XSAVE_SIZE);
    if (write) {
        memcpy(fx.area, area, size);
        fx.writes++;
    } else {
        memcpy(area, fx.area, size);
        fx.reads++;
    }
    return true;
}

static bool on_xcr(void *ctx, uint32_t index, uint64_t *val, bool write)
{
    (void)ctx;
    assert_int_equal(index, 0);
    if (write) {
        fx.xcr0 = *val;
        fx.xcr_writes++;
    } else {
        *val = fx.xcr0;
    }
    return true;
}

static int setup_with(bool ops)
{
    struct engine_ops o = {.ctx = &fx, .retire = on_retire,
                           .cpuid = on_cpuid};

    if (ops) {
        o.xstate = on_xstate;
        o.xcr = on_xcr;
    }
    memset(&fx, 0, sizeof(fx));
    machine_init(&fx.m, 4 << 20);
    machine_map(&fx.m, CODE, 0x1000, 0);
    machine_map(&fx.m, DATA, 0x2000, MAP_W | MAP_NX);
    machine_map(&fx.m, PFPAGE, 0x1000, MAP_W | MAP_NX);
    machine_map(&fx.m, PFPAGE + 0x1000, 0x1000, MAP_W | MAP_NX | MAP_NP);
    fx.e = engine_create(fx.m.ram, fx.m.ram_size, &o);
    assert_non_null(fx.e);
    machine_state(&fx.m, &fx.st, 0, CODE, MACHINE_KSTACK_TOP - 0x100);
    fx.st.cr4 |= 1ull << 18;            /* OSXSAVE */
    fx.xcr0 = 0x7;
    fx.leaf_d1_eax = 0x7;               /* XSAVEOPT, XSAVEC, XGETBV 1 */
    memset(machine_ptr(&fx.m, DATA), 0xEE, 0x1000); /* page by page: */
    memset(machine_ptr(&fx.m, DATA + 0x1000), 0xEE, 0x1000); /* apart */
    memset(machine_ptr(&fx.m, PFPAGE), 0xEE, 0x1000);
    return 0;
}

static int setup(void **state) { (void)state; return setup_with(true); }
static int setup_no_ops(void **state)
{
    (void)state;
    return setup_with(false);
}

static int teardown(void **state)
{
    (void)state;
    engine_destroy(fx.e);
    machine_free(&fx.m);
    return 0;
}

/* Runs (code), RDI = (rdi), until the engine stops (the HLT after the
 * code at CPL0, or a handler's). */
static void run(const char *code, size_t len, uint64_t rdi,
                struct engine_exit *x)
{
    memcpy(machine_ptr(&fx.m, CODE), code, len);
    fx.st.rip = CODE;
    fx.st.gpr[ENGINE_RDI] = rdi;
    engine_flush(fx.e);
    engine_run(fx.e, &fx.st, 100, x);
}

#define RUN(code, rdi, x) run(code, sizeof(code) - 1, rdi, x)

/* Stopped at the HLT after (len) bytes of code: no fault. */
static void assert_done(const struct engine_exit *x, unsigned len)
{
    assert_int_equal(x->stop, ENGINE_STOP_HANDBACK);
    assert_int_equal(x->why, ENGINE_WHY_HALT);
    assert_int_equal(fx.st.rip, CODE + len);
}

/* Stopped at vector (vec)'s handler, the frame's RIP at CODE. */
static void assert_fault(const struct engine_exit *x, int vec)
{
    assert_int_equal(x->stop, ENGINE_STOP_HANDBACK);
    assert_int_equal(machine_vector_at(fx.st.rip), vec);
    unsigned slot = (vec == 13 || vec == 14) ? 1 : 0; /* past an error */
    assert_int_equal(machine_stack(&fx.m, &fx.st, slot), CODE);
    if (slot)
        assert_int_equal(machine_stack(&fx.m, &fx.st, 0), vec == 13 ? 0 : 2);
}

static uint16_t mem16(uint64_t la)
{
    uint16_t v;
    memcpy(&v, machine_ptr(&fx.m, la), 2);
    return v;
}

static uint32_t mem32(uint64_t la)
{
    uint32_t v;
    memcpy(&v, machine_ptr(&fx.m, la), 4);
    return v;
}

static uint64_t mem64(uint64_t la)
{
    uint64_t v;
    memcpy(&v, machine_ptr(&fx.m, la), 8);
    return v;
}

static void put_mem16(uint64_t la, uint16_t v) { memcpy(machine_ptr(&fx.m, la), &v, 2); }
static void put_mem32(uint64_t la, uint32_t v) { memcpy(machine_ptr(&fx.m, la), &v, 4); }
static void put_mem64(uint64_t la, uint64_t v) { memcpy(machine_ptr(&fx.m, la), &v, 8); }

static uint64_t area64(unsigned off)
{
    uint64_t v;
    memcpy(&v, fx.area + off, 8);
    return v;
}

static void put_area16(unsigned off, uint16_t v) { memcpy(fx.area + off, &v, 2); }
static void put_area32(unsigned off, uint32_t v) { memcpy(fx.area + off, &v, 4); }
static void put_area64(unsigned off, uint64_t v) { memcpy(fx.area + off, &v, 8); }

/* An x87 and SSE state not in its initial configuration. */
static void area_legacy(void)
{
    put_area16(0, 0x027F);                  /* FCW */
    put_area16(2, 0x3800);                  /* FSW, TOP = 7 */
    fx.area[4] = 0x80;                      /* abridged FTW: ST7 valid */
    put_area16(6, 0x0123);                  /* FOP */
    put_area64(8, 0x1122334455667788ull);   /* FIP */
    put_area64(16, 0x99AABBCCDDEEFF00ull);  /* FDP */
    put_area32(24, 0x9FC0);                 /* MXCSR: FZ, DAZ, masks */
    put_area32(28, 0xFFFF);                 /* MXCSR_MASK */
    memset(fx.area + 32, 0xA1, 10);         /* ST0 */
    memset(fx.area + 160, 0x5A, 16);        /* XMM0 */
    memset(fx.area + 400, 0xC3, 16);        /* XMM15 */
    put_area64(512, 0x3);                   /* XSTATE_BV */
}

/* FXSAVE64 [rdi]: the 64-bit layout, bytes 416-511 untouched. */
static void test_fxsave64_layout(void **state)
{
    struct engine_exit x;

    (void)state;
    area_legacy();
    RUN("\x48\x0f\xae\x07" "\xf4", DATA, &x);
    assert_done(&x, 4);
    assert_int_equal(mem16(DATA + 0), 0x027F);
    assert_int_equal(mem16(DATA + 2), 0x3800);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 4), 0x80);
    assert_int_equal(mem16(DATA + 6), 0x0123);
    assert_int_equal(mem64(DATA + 8), 0x1122334455667788ull);
    assert_int_equal(mem64(DATA + 16), 0x99AABBCCDDEEFF00ull);
    assert_int_equal(mem32(DATA + 24), 0x9FC0);
    assert_int_equal(mem32(DATA + 28), 0xFFFF);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 32), 0xA1);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 41), 0xA1);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 160), 0x5A);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 400), 0xC3);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 416), 0xEE);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 511), 0xEE);
    assert_int_equal(fx.writes, 0);
}

/* FXSAVE [rdi] without REX.W: FIP and FDP as 32-bit offsets, FCS and FDS
 * beside them (0: the area keeps no selectors). */
static void test_fxsave_32bit_pointers(void **state)
{
    struct engine_exit x;

    (void)state;
    area_legacy();
    RUN("\x0f\xae\x07" "\xf4", DATA, &x);
    assert_done(&x, 3);
    assert_int_equal(mem32(DATA + 8), 0x55667788);
    assert_int_equal(mem32(DATA + 12), 0);
    assert_int_equal(mem32(DATA + 16), 0xDDEEFF00);
    assert_int_equal(mem32(DATA + 20), 0);
}

/* FXRSTOR64: the image into the area, x87 and SSE in use. */
static void test_fxrstor64(void **state)
{
    struct engine_exit x;

    (void)state;
    put_area32(28, 0xFFFF);
    memset(machine_ptr(&fx.m, DATA), 0, 512);
    put_mem16(DATA + 0, 0x037F);
    put_mem16(DATA + 2, 0x0001);                 /* IE */
    put_mem64(DATA + 8, 0xFFFFFFFF81000000ull);  /* FIP */
    put_mem32(DATA + 24, 0x1F80);
    memset(machine_ptr(&fx.m, DATA + 160), 0x77, 16);
    RUN("\x48\x0f\xae\x0f" "\xf4", DATA, &x);
    assert_done(&x, 4);
    assert_int_equal(fx.writes, 1);
    assert_int_equal(area64(0) & 0xFFFFFFFF, 0x0001037F);
    assert_int_equal(area64(8), 0xFFFFFFFF81000000ull);
    assert_int_equal(area64(24) & 0xFFFFFFFF, 0x1F80);
    assert_int_equal(area64(28) & 0xFFFFFFFF, 0xFFFF); /* the CPU's */
    assert_int_equal(fx.area[160], 0x77);
    assert_int_equal(area64(512) & 3, 3);
}

/* FXRSTOR: MXCSR bit 16 is reserved (outside MXCSR_MASK FFFFH): #GP(0),
 * the state unchanged. */
static void test_fxrstor_reserved_mxcsr(void **state)
{
    struct engine_exit x;

    (void)state;
    put_area32(28, 0xFFFF);
    memset(machine_ptr(&fx.m, DATA), 0, 512);
    put_mem32(DATA + 24, 0x11F80);
    RUN("\x48\x0f\xae\x0f" "\xf4", DATA, &x);
    assert_fault(&x, 13);
    assert_int_equal(fx.writes, 0);
}

/* FXSAVE: misaligned (16 bytes) #GP(0); CR0.TS #NM; CR0.EM #UD (SDM
 * FXSAVE's exceptions); memory untouched each time. */
static void test_fxsave_faults(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN("\x48\x0f\xae\x07" "\xf4", DATA + 8, &x);
    assert_fault(&x, 13);
    machine_state(&fx.m, &fx.st, 0, CODE, MACHINE_KSTACK_TOP - 0x100);
    fx.st.cr0 |= 1ull << 3; /* TS */
    RUN("\x48\x0f\xae\x07" "\xf4", DATA, &x);
    assert_fault(&x, 7);
    machine_state(&fx.m, &fx.st, 0, CODE, MACHINE_KSTACK_TOP - 0x100);
    fx.st.cr0 |= 1ull << 2; /* EM */
    RUN("\x48\x0f\xae\x07" "\xf4", DATA, &x);
    assert_fault(&x, 6);
    assert_int_equal(mem64(DATA), 0xEEEEEEEEEEEEEEEEull);
    assert_int_equal(mem64(DATA + 8), 0xEEEEEEEEEEEEEEEEull);
    assert_int_equal(fx.reads, 0);
}

/* FXSAVE64 at PFPAGE + F00H: its 512 bytes end in the next page, which
 * is not present: #PF (error 2: a supervisor write, not present), CR2
 * that page, and the first page as it was. */
static void test_fxsave_pf_second_page(void **state)
{
    struct engine_exit x;

    (void)state;
    area_legacy();
    RUN("\x48\x0f\xae\x07" "\xf4", PFPAGE + 0xF00, &x);
    assert_fault(&x, 14);
    assert_int_equal(fx.st.cr2, PFPAGE + 0x1000);
    for (unsigned i = 0xF00; i < 0x1000; i++)
        assert_int_equal(*machine_ptr(&fx.m, PFPAGE + i), 0xEE);
}

/* XSAVE64 with RFBM = EDX:EAX & XCR0 = 3 & 7: x87 and SSE written, the
 * AVX region not; XSTATE_BV's bits 0 and 1 from XINUSE, the others as
 * they were; bytes 520 on untouched. Then RFBM = 4 (AVX alone): the AVX
 * region and MXCSR (RFBM[2]), not the x87 or XMM bytes. */
static void test_xsave_header(void **state)
{
    struct engine_exit x;

    (void)state;
    area_legacy();
    put_area64(512, 0x6);            /* SSE and AVX in use, x87 not */
    memset(fx.area + 576, 0x42, 256);
    put_mem64(DATA + 512, 0xF0F0000000000001ull);
    fx.st.gpr[ENGINE_RAX] = 3;
    RUN("\x48\x0f\xae\x27" "\xf4", DATA, &x);
    assert_done(&x, 4);
    assert_int_equal(mem64(DATA + 512), 0xF0F0000000000002ull);
    assert_int_equal(mem16(DATA + 0), 0x027F);
    assert_int_equal(mem32(DATA + 24), 0x9FC0);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 160), 0x5A);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 576), 0xEE);
    assert_int_equal(mem64(DATA + 520), 0xEEEEEEEEEEEEEEEEull);

    memset(machine_ptr(&fx.m, DATA), 0xEE, 0x1000);
    put_mem64(DATA + 512, 0);
    fx.st.gpr[ENGINE_RAX] = 4;
    RUN("\x48\x0f\xae\x27" "\xf4", DATA, &x);
    assert_done(&x, 4);
    assert_int_equal(mem64(DATA + 512), 0x4);
    assert_int_equal(mem32(DATA + 24), 0x9FC0);
    assert_int_equal(mem16(DATA + 0), 0xEEEE);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 160), 0xEE);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 576), 0x42);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 831), 0x42);
}

/*
 * XSAVEC64 with XCR0 = FFH and EDX:EAX = 3BH: RFBM bits 0, 1, 3, 4, 5;
 * XINUSE (XSTATE_BV) 2BH: BNDCSR (4) not in use. Compacted: BNDREGS
 * (64 bytes) at 576, BNDCSR (16) at 640, opmask (aligned) at 704, not
 * 656. Written: XSTATE_BV = 3BH & 2BH = 2BH, XCOMP_BV = 8000...3BH,
 * BNDREGS and opmask; BNDCSR's bytes not (the init optimization).
 */
static void test_xsavec(void **state)
{
    struct engine_exit x;

    (void)state;
    area_legacy();
    fx.xcr0 = 0xFF;
    put_area32(24, 0x1F80);
    put_area64(512, 0x2B);
    memset(fx.area + 960, 0x31, 64);    /* BNDREGS */
    memset(fx.area + 1024, 0x32, 16);   /* BNDCSR */
    memset(fx.area + 1088, 0x35, 64);   /* opmask */
    fx.st.gpr[ENGINE_RAX] = 0x3B;
    RUN("\x48\x0f\xc7\x27" "\xf4", DATA, &x);
    assert_done(&x, 4);
    assert_int_equal(mem64(DATA + 512), 0x2B);
    assert_int_equal(mem64(DATA + 520), 0x800000000000003Bull);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 576), 0x31);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 639), 0x31);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 640), 0xEE);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 703), 0xEE);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 704), 0x35);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 767), 0x35);
    assert_int_equal(*machine_ptr(&fx.m, DATA + 768), 0xEE);
    assert_int_equal(mem16(DATA + 0), 0x027F);
}

/* An XSAVE image at DATA with header (bv, comp) and the rest 0. */
static void image(uint64_t bv, uint64_t comp)
{
    memset(machine_ptr(&fx.m, DATA), 0, 0x1000);
    put_mem64(DATA + 512, bv);
    put_mem64(DATA + 520, comp);
}

/*
 * XRSTOR64 (standard form), RFBM 7, XSTATE_BV 2: x87 to its initial
 * configuration (FCW 037FH, FSW 0, FTW empty, FOP, FIP, FDP and ST0 0),
 * XMM loaded, AVX to 0; MXCSR loaded all the same (RFBM[1]); XSTATE_BV
 * in the area now 2.
 */
static void test_xrstor_init(void **state)
{
    struct engine_exit x;

    (void)state;
    area_legacy();
    put_area64(512, 0x7);
    memset(fx.area + 576, 0x42, 256);
    image(0x2, 0);
    put_mem32(DATA + 24, 0x1F81);
    memset(machine_ptr(&fx.m, DATA + 160), 0x66, 16);
    memset(machine_ptr(&fx.m, DATA + 400), 0x67, 16);
    fx.st.gpr[ENGINE_RAX] = 7;
    RUN("\x48\x0f\xae\x2f" "\xf4", DATA, &x);
    assert_done(&x, 4);
    assert_int_equal(fx.writes, 1);
    assert_int_equal(area64(0), 0x037F);        /* FCW, FSW, FTW, FOP */
    assert_int_equal(area64(8), 0);
    assert_int_equal(area64(16), 0);
    assert_int_equal(area64(32), 0);            /* ST0 */
    assert_int_equal(area64(24) & 0xFFFFFFFF, 0x1F81);
    assert_int_equal(fx.area[160], 0x66);
    assert_int_equal(fx.area[400], 0x67);
    assert_int_equal(fx.area[576], 0);
    assert_int_equal(fx.area[831], 0);
    assert_int_equal(area64(512), 0x2);
}

/* XRSTOR64, compacted form (XCOMP_BV 8000...03H), RFBM 3, XSTATE_BV 1:
 * x87 loaded, the XMM registers 0, MXCSR its initial 1F80H and not the
 * image's (SDM 13.8.2), even one that would be #GP(0) to load. */
static void test_xrstor_compacted_mxcsr(void **state)
{
    struct engine_exit x;

    (void)state;
    area_legacy();
    image(0x1, 0x8000000000000003ull);
    put_mem16(DATA + 0, 0x0372);
    put_mem32(DATA + 24, 0xFFFFFFFF);
    fx.st.gpr[ENGINE_RAX] = 3;
    RUN("\x48\x0f\xae\x2f" "\xf4", DATA, &x);
    assert_done(&x, 4);
    assert_int_equal(area64(0) & 0xFFFF, 0x0372);
    assert_int_equal(area64(24) & 0xFFFFFFFF, 0x1F80);
    assert_int_equal(fx.area[160], 0);
    assert_int_equal(fx.area[400], 0);
    assert_int_equal(area64(512), 0x1);
}

/* XRSTOR's #GP(0) (SDM 13.8.1, 13.8.2): a misaligned area; XSTATE_BV
 * with a bit XCR0 lacks; XCOMP_BV non-zero without bit 63; byte 16 of
 * the header not 0; the compacted form with XSTATE_BV beyond XCOMP_BV;
 * an MXCSR with a reserved bit. The state never written. */
static void test_xrstor_faults(void **state)
{
    static const struct { uint64_t bv, comp; unsigned byte; } bad[] = {
        {0x8, 0, 0},                         /* XCR0 is 7 */
        {0x1, 0x1, 0},                       /* XCOMP_BV[63] clear */
        {0x1, 0, 528},                       /* bytes 23:8 */
        {0x3, 0x8000000000000001ull, 0},     /* SSE not in XCOMP_BV */
        {0x1, 0x8000000000000001ull, 560},   /* bytes 63:16 */
    };
    struct engine_exit x;

    (void)state;
    put_area32(28, 0xFFFF);
    fx.st.gpr[ENGINE_RAX] = 7;
    image(0x1, 0);
    RUN("\x48\x0f\xae\x2f" "\xf4", DATA + 0x20, &x);
    assert_fault(&x, 13);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        machine_state(&fx.m, &fx.st, 0, CODE, MACHINE_KSTACK_TOP - 0x100);
        fx.st.cr4 |= 1ull << 18;
        fx.st.gpr[ENGINE_RAX] = 7;
        image(bad[i].bv, bad[i].comp);
        if (bad[i].byte)
            *machine_ptr(&fx.m, DATA + bad[i].byte) = 1;
        RUN("\x48\x0f\xae\x2f" "\xf4", DATA, &x);
        assert_fault(&x, 13);
    }
    machine_state(&fx.m, &fx.st, 0, CODE, MACHINE_KSTACK_TOP - 0x100);
    fx.st.cr4 |= 1ull << 18;
    fx.st.gpr[ENGINE_RAX] = 7;
    image(0x2, 0);
    put_mem32(DATA + 24, 0x11F80);
    RUN("\x48\x0f\xae\x2f" "\xf4", DATA, &x);
    assert_fault(&x, 13);
    assert_int_equal(fx.writes, 0);
}

/* XSAVE: CR4.OSXSAVE clear #UD; CR0.TS #NM; misaligned #GP(0). */
static void test_xsave_faults(void **state)
{
    struct engine_exit x;

    (void)state;
    fx.st.cr4 &= ~(1ull << 18);
    fx.st.gpr[ENGINE_RAX] = 7;
    RUN("\x48\x0f\xae\x27" "\xf4", DATA, &x);
    assert_fault(&x, 6);
    fx.st.cr4 |= 1ull << 18;
    fx.st.cr0 |= 1ull << 3;
    RUN("\x48\x0f\xae\x27" "\xf4", DATA, &x);
    assert_fault(&x, 7);
    fx.st.cr0 &= ~(1ull << 3);
    RUN("\x48\x0f\xae\x27" "\xf4", DATA + 0x20, &x);
    assert_fault(&x, 13);
    assert_int_equal(mem64(DATA + 512), 0xEEEEEEEEEEEEEEEEull);
}

/* XSETBV ECX = 0, EDX:EAX = 7 at CPL0: XCR0 7; XGETBV gives it back in
 * EDX:EAX. #GP(0): bit 0 clear, AVX without SSE, ECX 1, AVX-512 without
 * all three of its bits; at CPL3 #GP(0) (SDM XSETBV). */
static void test_xsetbv_xgetbv(void **state)
{
    static const struct { uint32_t eax, ecx; } bad[] = {
        {0x6, 0}, {0x5, 0}, {0x7, 1}, {0x27, 0},
    };
    struct engine_exit x;

    (void)state;
    fx.xcr0 = 1;
    fx.st.gpr[ENGINE_RAX] = 7;
    fx.st.gpr[ENGINE_RDX] = 0;
    fx.st.gpr[ENGINE_RCX] = 0;
    RUN("\x0f\x01\xd1" "\x48\x31\xc0" "\x0f\x01\xd0" "\xf4", DATA, &x);
    assert_done(&x, 9);
    assert_int_equal(fx.xcr0, 7);
    assert_int_equal(fx.st.gpr[ENGINE_RAX], 7);
    assert_int_equal(fx.st.gpr[ENGINE_RDX], 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx.st.rip = CODE;
        fx.st.gpr[ENGINE_RAX] = bad[i].eax;
        fx.st.gpr[ENGINE_RCX] = bad[i].ecx;
        fx.st.gpr[ENGINE_RSP] = MACHINE_KSTACK_TOP - 0x100;
        RUN("\x0f\x01\xd1" "\xf4", DATA, &x);
        assert_fault(&x, 13);
    }
    assert_int_equal(fx.xcr_writes, 1);
}

static void test_xsetbv_cpl3(void **state)
{
    struct engine_exit x;

    (void)state;
    machine_map(&fx.m, 0x500000, 0x1000, MAP_U);
    memcpy(machine_ptr(&fx.m, 0x500000), "\x0f\x01\xd1", 3);
    machine_map(&fx.m, 0x700000, 0x1000, MAP_U | MAP_W | MAP_NX);
    machine_state(&fx.m, &fx.st, 3, 0x500000, 0x700800);
    fx.st.cr4 |= 1ull << 18;
    fx.st.gpr[ENGINE_RAX] = 7;
    engine_flush(fx.e);
    engine_run(fx.e, &fx.st, 100, &x);
    assert_int_equal(x.stop, ENGINE_STOP_HANDBACK);
    assert_int_equal(machine_vector_at(fx.st.rip), 13);
    assert_int_equal(fx.xcr_writes, 0);
}

/* FNINIT; FNSTCW [rdi]; FNSTSW AX: FCW 037FH, FSW 0, abridged FTW 0 (all
 * empty), FIP and FDP 0, ST0 kept; x87 in use in XSTATE_BV. */
static void test_fninit(void **state)
{
    struct engine_exit x;

    (void)state;
    area_legacy();
    put_area16(2, 0x3881);
    put_area64(512, 0);
    fx.st.gpr[ENGINE_RAX] = 0xFFFF;
    RUN("\xdb\xe3" "\xd9\x3f" "\xdf\xe0" "\xf4", DATA, &x);
    assert_done(&x, 6);
    assert_int_equal(area64(0), 0x037F);
    assert_int_equal(area64(8), 0);
    assert_int_equal(area64(16), 0);
    assert_int_equal(fx.area[32], 0xA1);
    assert_int_equal(area64(512), 1);
    assert_int_equal(mem16(DATA), 0x037F);
    assert_int_equal(fx.st.gpr[ENGINE_RAX], 0);
}

/* FLDCW then FNSTCW: the word back. LDMXCSR 1F80H then STMXCSR; LDMXCSR
 * with bit 16 (reserved, MXCSR_MASK FFFFH) #GP(0). FNINIT with CR0.TS
 * #NM. */
static void test_control_words(void **state)
{
    struct engine_exit x;

    (void)state;
    put_area32(28, 0xFFFF);
    put_mem16(DATA, 0x027F);
    put_mem32(DATA + 8, 0x1F80);
    RUN("\xd9\x2f" "\xd9\x7f\x04" "\x0f\xae\x57\x08" "\x0f\xae\x5f\x0c"
        "\xf4", DATA, &x);
    assert_done(&x, 13);
    assert_int_equal(mem16(DATA + 4), 0x027F);
    assert_int_equal(mem32(DATA + 12), 0x1F80);
    put_mem32(DATA + 8, 0x10000);
    fx.st.rip = CODE;
    RUN("\x0f\xae\x57\x08" "\xf4", DATA, &x);
    assert_fault(&x, 13);
    machine_state(&fx.m, &fx.st, 0, CODE, MACHINE_KSTACK_TOP - 0x100);
    fx.st.cr0 |= 1ull << 3;
    RUN("\xdb\xe3" "\xf4", DATA, &x);
    assert_fault(&x, 7);
}

/* FWAIT: with CR0.MP and CR0.TS #NM; with FSW.ES (an unmasked exception
 * pending) and CR0.NE #MF at the FWAIT; otherwise nothing. */
static void test_fwait(void **state)
{
    struct engine_exit x;

    (void)state;
    put_area16(0, 0x037E);                /* IM unmasked */
    put_area16(2, 0x0081);                /* IE, ES */
    RUN("\x9b" "\xf4", DATA, &x);
    assert_fault(&x, 16);
    machine_state(&fx.m, &fx.st, 0, CODE, MACHINE_KSTACK_TOP - 0x100);
    fx.st.cr0 |= 1ull << 3;               /* TS, with MP */
    RUN("\x9b" "\xf4", DATA, &x);
    assert_fault(&x, 7);
    machine_state(&fx.m, &fx.st, 0, CODE, MACHINE_KSTACK_TOP - 0x100);
    put_area16(2, 0);
    RUN("\x9b" "\xf4", DATA, &x);
    assert_done(&x, 1);
}

/* Without ops->xstate and ops->xcr they are KVM's, as before. */
static void test_no_ops_hands_back(void **state)
{
    static const char *const code[] = {
        "\x48\x0f\xae\x07", "\x48\x0f\xae\x2f", "\x0f\x01\xd1",
        "\xdb\xe3", "\x9b", "\x0f\xae\x17",
    };
    struct engine_exit x;

    (void)state;
    for (size_t i = 0; i < sizeof code / sizeof code[0]; i++) {
        fx.st.rip = CODE;
        run(code[i], strlen(code[i]), DATA, &x);
        assert_int_equal(x.stop, ENGINE_STOP_HANDBACK);
        assert_int_equal(x.why, ENGINE_WHY_UNIMPLEMENTED);
        assert_int_equal(fx.st.rip, CODE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fxsave64_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fxsave_32bit_pointers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fxrstor64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fxrstor_reserved_mxcsr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fxsave_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fxsave_pf_second_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xsave_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xsavec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xrstor_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xrstor_compacted_mxcsr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xrstor_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xsave_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xsetbv_xgetbv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xsetbv_cpl3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fninit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fwait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_ops_hands_back, setup_no_ops, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
