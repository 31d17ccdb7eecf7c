/* test_machine.c: the engine's machine mode (pmvm --accel=engine) on hand-assembled code from the Multiboot entry: the switch to long mode, 32-bit and PAE paging, MMIO through ops->mmio, events and far transfers in 32-bit code, to CPL3 and back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "tests/engine/machine.h"

/*
 * Expected values come from the SDM (vol. 3: 9.8.5 Initializing IA-32e
 * Mode, 4.3 32-bit paging, 4.4 PAE paging, 4.8 accessed and dirty flags,
 * 7.2.4 and LTR's busy flag, 2.5 CR4's CPUID-gated bits; vol. 2: MOV CRn,
 * WRMSR, LTR), worked out by hand for each snippet; the bytes were
 * checked with objdump.
 */

#define RAM_SIZE (4u << 20)
#define GDT 0x1000u
#define GDTR 0x2000u     /* 6 bytes: limit, 32-bit base */
#define IDTR 0x2010u     /* 10 bytes: limit, 64-bit base */
#define TSS 0x4000u
#define IDT 0x5000u
#define PML4 0x10000u    /* 4-level tables: PML4, PDPT 0x11000, PD 0x12000 */
#define PD32 0x13000u    /* 32-bit paging's page directory */
#define PDPT_PAE 0x14000u /* PAE: PDPTEs, PD 0x15000 */
#define BOOT 0x100000u   /* the Multiboot kernel's entry */

#define EFER_LME_ 0x100ull
#define EFER_LMA_ 0x400ull

struct mmio_log {
    unsigned n;
    uint64_t gpa[4];
    unsigned size[4];
    bool write[4];
    uint64_t val[4];
};

static struct {
    uint8_t *ram;
    struct engine *e;
    struct engine_state st;
    unsigned retired;
    struct mmio_log mmio;
} fx;

static bool on_retire(void *ctx, const struct pmu_insn *r)
{
    (void)ctx;
    (void)r;
    fx.retired++;
    return false;
}

static enum engine_answer not_mine_rdmsr(void *ctx, uint32_t msr,
                                         uint64_t *v)
{
    (void)ctx, (void)msr, (void)v;
    return ENGINE_NOT_MINE;
}

static enum engine_answer not_mine_wrmsr(void *ctx, uint32_t msr,
                                         uint64_t v, bool *stop)
{
    (void)ctx, (void)msr, (void)v, (void)stop;
    return ENGINE_NOT_MINE;
}

static enum engine_answer not_mine_rdpmc(void *ctx, uint32_t ecx,
                                         unsigned cpl, bool pe, bool pce,
                                         uint64_t *v)
{
    (void)ctx, (void)ecx, (void)cpl, (void)pe, (void)pce, (void)v;
    return ENGINE_NOT_MINE;
}

/* The local APIC's ID register reads 0xAB000000; stores are logged. */
static enum engine_answer on_mmio(void *ctx, uint64_t gpa, unsigned size,
                                  bool write, uint64_t *val)
{
    struct mmio_log *l = &fx.mmio;

    (void)ctx;
    if (l->n < 4) {
        l->gpa[l->n] = gpa, l->size[l->n] = size, l->write[l->n] = write;
        l->val[l->n] = write ? *val : 0;
        l->n++;
    }
    if (!write)
        *val = gpa == 0xFEE00020 ? 0xAB000000 : 0;
    return ENGINE_OK;
}

static struct engine_ops ops_of(bool machine, bool mmio)
{
    return (struct engine_ops){
        .ctx = &fx, .retire = on_retire, .rdmsr = not_mine_rdmsr,
        .wrmsr = not_mine_wrmsr, .rdpmc = not_mine_rdpmc,
        .cpuid = machine_cpuid, .machine = machine,
        .mmio = mmio ? on_mmio : NULL};
}

static void put32(uint64_t pa, uint32_t v) { memcpy(fx.ram + pa, &v, 4); }
static void put64(uint64_t pa, uint64_t v) { memcpy(fx.ram + pa, &v, 8); }
static uint32_t get32(uint64_t pa)
{
    uint32_t v;
    memcpy(&v, fx.ram + pa, 4);
    return v;
}
static uint64_t get64(uint64_t pa)
{
    uint64_t v;
    memcpy(&v, fx.ram + pa, 8);
    return v;
}

static struct engine_seg flat32(uint16_t sel, bool code)
{
    return (struct engine_seg){.selector = sel, .limit = 0xFFFFFFFF,
                               .type = code ? 0xB : 0x3, .s = 1,
                               .present = 1, .db = 1, .g = 1};
}

/*
 * The Multiboot machine state (Multiboot spec 3.2): 32-bit protected
 * mode, paging off, CS a flat 32-bit code segment, the data segments
 * flat, EAX the magic 0x2BADB002. The GDT the kernel will load: a flat
 * 32-bit code segment (0x08), flat data (0x10), a 64-bit code segment
 * (0x18, L=1 D=0, SDM 5.2.1), and a 16-byte 64-bit TSS descriptor (0x20,
 * available: type 9, SDM 8.2.3); the 4-level tables identity-map 4 MiB
 * with 2-MiB pages.
 */
static int setup_boot(void **state, bool mmio)
{
    const struct engine_ops ops = ops_of(true, mmio);

    (void)state;
    memset(&fx, 0, sizeof(fx));
    fx.ram = calloc(1, RAM_SIZE);
    assert_non_null(fx.ram);
    put64(GDT + 0x08, 0x00CF9A000000FFFFull);
    put64(GDT + 0x10, 0x00CF92000000FFFFull);
    put64(GDT + 0x18, 0x00AF9A000000FFFFull);
    put64(GDT + 0x20, 0x67 | (uint64_t)TSS << 16 | 0x89ull << 40);
    put64(GDT + 0x28, 0);
    fx.ram[GDTR] = 0x2F;
    put32(GDTR + 2, GDT);
    fx.ram[IDTR] = 0xFF, fx.ram[IDTR + 1] = 0x0F;
    put64(IDTR + 2, IDT);
    put64(PML4, 0x11000 | 3);
    put64(0x11000, 0x12000 | 3);
    put64(0x12000, 0x000000 | 0x83);
    put64(0x12008, 0x200000 | 0x83);
    fx.e = engine_create(fx.ram, RAM_SIZE, &ops);
    assert_non_null(fx.e);
    struct engine_state *st = &fx.st;
    for (unsigned s = 0; s < ENGINE_NR_SREGS; s++)
        st->seg[s] = flat32(0x10, false);
    st->seg[ENGINE_CS] = flat32(0x08, true);
    st->tr = (struct engine_seg){.type = 11, .present = 1, .limit = 0xFFFF};
    st->cr0 = 0x11; /* PE, ET */
    st->rflags = 0x2;
    st->rip = BOOT;
    st->gpr[ENGINE_RAX] = 0x2BADB002;
    st->gpr[ENGINE_RSP] = 0x80000;
    return 0;
}

static int setup(void **state) { return setup_boot(state, false); }
static int setup_mmio(void **state) { return setup_boot(state, true); }

static int teardown(void **state)
{
    (void)state;
    engine_destroy(fx.e);
    free(fx.ram);
    return 0;
}

static void load(uint64_t pa, const char *code, size_t len)
{
    memcpy(fx.ram + pa, code, len);
}

#define LOAD(pa, code) load(pa, code, sizeof(code) - 1)

/* From the Multiboot entry to 64-bit mode (SDM 9.8.5: CR3 with the
 * PML4, CR4.PAE, EFER.LME, then CR0.PG, which sets EFER.LMA; a far jump
 * to a code segment with L=1 enters 64-bit mode). */
static const char boot_code[] =
    "\x0f\x01\x15\x00\x20\x00\x00"  /* lgdt 0x2000 */
    "\xb8\x00\x00\x01\x00"          /* mov $0x10000, %eax */
    "\x0f\x22\xd8"                  /* mov %eax, %cr3 */
    "\x0f\x20\xe0"                  /* mov %cr4, %eax */
    "\x83\xc8\x20"                  /* or $0x20, %eax (PAE) */
    "\x0f\x22\xe0"                  /* mov %eax, %cr4 */
    "\xb9\x80\x00\x00\xc0"          /* mov $0xC0000080, %ecx (EFER) */
    "\x0f\x32"                      /* rdmsr */
    "\x0d\x00\x01\x00\x00"          /* or $0x100, %eax (LME) */
    "\x0f\x30"                      /* wrmsr */
    "\x0f\x20\xc0"                  /* mov %cr0, %eax */
    "\x0d\x00\x00\x00\x80"          /* or $0x80000000, %eax (PG) */
    "\x0f\x22\xc0"                  /* mov %eax, %cr0 */
    "\xea\x40\x00\x10\x00\x18\x00"; /* ljmp $0x18, $0x100040 */
static const char boot64_code[] =
    "\x66\xb8\x10\x00"              /* mov $0x10, %ax */
    "\x8e\xd8"                      /* mov %eax, %ds */
    "\x8e\xd0"                      /* mov %eax, %ss */
    "\x0f\x01\x1c\x25\x10\x20\x00\x00" /* lidt 0x2010 */
    "\x66\xb8\x20\x00"              /* mov $0x20, %ax */
    "\x0f\x00\xd8"                  /* ltr %ax */
    "\xc7\x04\x25\x00\x31\x00\x00\x78\x56\x34\x12" /* movl $0x12345678, 0x3100 */
    "\xf4";                         /* hlt */

static void load_boot(void)
{
    LOAD(BOOT, boot_code);
    LOAD(BOOT + 0x40, boot64_code);
}

/* The state after the boot code's HLT: 64-bit mode, the GDT, IDT and TR
 * loaded, the TSS busy in the GDT (LTR, SDM 7.2.4), the store in RAM. */
static void assert_booted(const struct engine_exit *x)
{
    const struct engine_state *st = &fx.st;

    assert_int_equal(x->stop, ENGINE_STOP_HALT);
    assert_int_equal(st->rip, BOOT + 0x63); /* after the HLT */
    assert_int_equal(st->efer & (EFER_LME_ | EFER_LMA_),
                     EFER_LME_ | EFER_LMA_);
    assert_int_equal(st->cr0, 0x80000011);
    assert_true(st->cr4 & 0x20);
    assert_int_equal(st->cr3, PML4);
    assert_int_equal(st->seg[ENGINE_CS].selector, 0x18);
    assert_true(st->seg[ENGINE_CS].l);
    assert_false(st->seg[ENGINE_CS].db);
    assert_int_equal(st->seg[ENGINE_SS].selector, 0x10);
    assert_int_equal(st->gdt_base, GDT);
    assert_int_equal(st->gdt_limit, 0x2F);
    assert_int_equal(st->idt_base, IDT);
    assert_int_equal(st->idt_limit, 0xFFF);
    assert_int_equal(st->tr.selector, 0x20);
    assert_int_equal(st->tr.base, TSS);
    assert_int_equal(st->tr.type, 0xB);
    assert_int_equal(fx.ram[GDT + 0x20 + 5], 0x8B); /* busy */
    assert_int_equal(get32(0x3100), 0x12345678);
    /* the store went through the first 2-MiB page: accessed and dirty */
    assert_int_equal(get64(0x12000), 0x83 | 0x20 | 0x40);
}

static void test_multiboot_to_long_mode(void **state)
{
    struct engine_exit x;

    (void)state;
    load_boot();
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_booted(&x);
    assert_int_equal(x.retired, 22); /* 14 in 32-bit code, 8 in 64-bit */
    assert_int_equal(fx.retired, 22);
}

/* 32-bit paging first (SDM 4.3: CR4.PSE lets a PDE with PS map 4 MiB;
 * the store sets its A and D), then paging off again (CR0.PG cleared
 * outside IA-32e mode), then the switch to long mode. */
static void test_boot_after_32bit_paging(void **state)
{
    static const char code[] =
        "\xb8\x00\x30\x01\x00"      /* mov $0x13000, %eax */
        "\x0f\x22\xd8"              /* mov %eax, %cr3 */
        "\x0f\x20\xe0"              /* mov %cr4, %eax */
        "\x83\xc8\x10"              /* or $0x10, %eax (PSE) */
        "\x0f\x22\xe0"              /* mov %eax, %cr4 */
        "\x0f\x20\xc0"              /* mov %cr0, %eax */
        "\x0d\x00\x00\x00\x80"      /* or $0x80000000, %eax */
        "\x0f\x22\xc0"              /* mov %eax, %cr0 */
        "\xc7\x05\x00\x32\x00\x00\xfe\xca\x00\x00" /* movl $0xcafe, 0x3200 */
        "\x0f\x20\xc0"              /* mov %cr0, %eax */
        "\x25\xff\xff\xff\x7f"      /* and $0x7fffffff, %eax */
        "\x0f\x22\xc0"              /* mov %eax, %cr0 */
        "\xe9\xca\xfe\xff\xff";     /* jmp 0x100000 */
    struct engine_exit x;

    (void)state;
    load_boot();
    LOAD(BOOT + 0x100, code);
    put32(PD32, 0x00000083); /* 4 MiB at 0: P, RW, PS */
    fx.st.rip = BOOT + 0x100;
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_booted(&x);
    assert_int_equal(fx.st.cr4 & 0x30, 0x30); /* PSE, PAE */
    assert_int_equal(get32(0x3200), 0xCAFE);
    assert_int_equal(get32(PD32), 0x83 | 0x20 | 0x40);
    assert_int_equal(x.retired, 13 + 22);
}

/* PAE paging in 32-bit code (SDM 4.4): CR3 points to the 4 PDPTEs, which
 * have no accessed flag; the 2-MiB PDE gets A and D. HLT stops the
 * engine outside IA-32e mode too. */
static void test_pae_32bit(void **state)
{
    static const char code[] =
        "\xb8\x00\x40\x01\x00"      /* mov $0x14000, %eax */
        "\x0f\x22\xd8"              /* mov %eax, %cr3 */
        "\x0f\x20\xe0"              /* mov %cr4, %eax */
        "\x83\xc8\x20"              /* or $0x20, %eax (PAE) */
        "\x0f\x22\xe0"              /* mov %eax, %cr4 */
        "\x0f\x20\xc0"              /* mov %cr0, %eax */
        "\x0d\x00\x00\x00\x80"      /* or $0x80000000, %eax */
        "\x0f\x22\xc0"              /* mov %eax, %cr0 */
        "\xc7\x05\x00\x33\x00\x00\xef\xbe\x00\x00" /* movl $0xbeef, 0x3300 */
        "\x8b\x1d\x00\x33\x00\x00"  /* mov 0x3300, %ebx */
        "\xf4";                     /* hlt */
    struct engine_exit x;

    (void)state;
    LOAD(BOOT, code);
    put64(PDPT_PAE, 0x15000 | 1);
    put64(0x15000, 0x000000 | 0x83);
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_int_equal(x.stop, ENGINE_STOP_HALT);
    assert_int_equal(x.retired, 11);
    assert_int_equal(fx.st.rip, BOOT + 0x2d);
    assert_int_equal(fx.st.efer, 0);
    assert_int_equal(fx.st.cr0, 0x80000011);
    assert_int_equal(fx.st.gpr[ENGINE_RBX], 0xBEEF);
    assert_int_equal(get64(PDPT_PAE), 0x15001);
    assert_int_equal(get64(0x15000), 0x83 | 0x20 | 0x40);
}

/* 32-bit paging's 4-KiB pages (SDM 4.3, Figure 4-2): linear 0x400010 is
 * PDE 1, PTE 0, offset 0x10; the walk sets A in the PDE, A and D in the
 * PTE (SDM 4.8). The code runs from a 4-MiB page (PSE). */
static void test_32bit_paging_4k(void **state)
{
    static const char code[] =
        "\xb8\x00\x30\x01\x00"      /* mov $0x13000, %eax */
        "\x0f\x22\xd8"              /* mov %eax, %cr3 */
        "\x0f\x20\xe0"              /* mov %cr4, %eax */
        "\x83\xc8\x10"              /* or $0x10, %eax (PSE) */
        "\x0f\x22\xe0"              /* mov %eax, %cr4 */
        "\x0f\x20\xc0"              /* mov %cr0, %eax */
        "\x0d\x00\x00\x00\x80"      /* or $0x80000000, %eax */
        "\x0f\x22\xc0"              /* mov %eax, %cr0 */
        "\xc7\x05\x10\x00\x40\x00\x77\x00\x00\x00" /* movl $0x77, 0x400010 */
        "\xf4";                     /* hlt */
    struct engine_exit x;

    (void)state;
    LOAD(BOOT, code);
    put32(PD32, 0x00000083);         /* 4 MiB at 0 */
    put32(PD32 + 4, 0x16000 | 0x7);  /* PDE 1: a page table */
    put32(0x16000, 0x3000 | 0x3);    /* PTE 0: 0x3000 */
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_int_equal(x.stop, ENGINE_STOP_HALT);
    assert_int_equal(x.retired, 10);
    assert_int_equal(get32(0x3010), 0x77);
    assert_int_equal(get32(PD32 + 4), 0x16000 | 0x7 | 0x20);
    assert_int_equal(get32(0x16000), 0x3000 | 0x3 | 0x20 | 0x40);
}

/* Loads outside RAM go to ops->mmio with their guest-physical address and
 * size; stores with their value. A locked read-modify-write there goes
 * back (ENGINE_WHY_MMIO). */
static void test_mmio(void **state)
{
    static const char code[] =
        "\xa1\x20\x00\xe0\xfe"                  /* mov 0xfee00020, %eax */
        "\xc7\x05\xb0\x00\xe0\xfe\x55\x00\x00\x00" /* movl $0x55, 0xfee000b0 */
        "\xf0\xff\x05\x80\x00\xe0\xfe";          /* lock incl 0xfee00080 */
    struct engine_exit x;

    (void)state;
    LOAD(BOOT, code);
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_int_equal(x.stop, ENGINE_STOP_HANDBACK);
    assert_int_equal(x.why, ENGINE_WHY_MMIO);
    assert_int_equal(fx.st.rip, BOOT + 15);
    assert_int_equal(fx.st.gpr[ENGINE_RAX], 0xAB000000);
    assert_int_equal(fx.mmio.n, 2);
    assert_int_equal(fx.mmio.gpa[0], 0xFEE00020);
    assert_int_equal(fx.mmio.size[0], 4);
    assert_false(fx.mmio.write[0]);
    assert_int_equal(fx.mmio.gpa[1], 0xFEE000B0);
    assert_int_equal(fx.mmio.size[1], 4);
    assert_true(fx.mmio.write[1]);
    assert_int_equal(fx.mmio.val[1], 0x55);
}

/* Without ops->mmio the load goes back, as before machine mode. */
static void test_mmio_without_callback(void **state)
{
    struct engine_exit x;

    (void)state;
    LOAD(BOOT, "\xa1\x20\x00\xe0\xfe");
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_int_equal(x.stop, ENGINE_STOP_HANDBACK);
    assert_int_equal(x.why, ENGINE_WHY_MMIO);
    assert_int_equal(fx.st.rip, BOOT);
}

/* ---- events in legacy protected mode (SDM 6.12.1: same privilege, a
 * 32-bit gate; Figure 6-4's frame: EFLAGS, CS, EIP, error code) ---- */

#define IDTR32 0x2020u   /* 6 bytes: limit, 32-bit base */
#define HANDLER (BOOT + 0x1000)

/* A GDT entry 0x30 (data, base 0, byte-granular limit 0xFFF) and a
 * 32-bit interrupt gate for #GP to HANDLER (SDM 6.11, Figure 6-2). */
static void idt32(void)
{
    fx.ram[GDTR] = 0x37;
    put64(GDT + 0x30, 0x0040920000000FFFull);
    fx.ram[IDTR32] = 0xFF, fx.ram[IDTR32 + 1] = 0x07;
    put32(IDTR32 + 2, IDT);
    put64(IDT + 13 * 8, (HANDLER & 0xFFFF) | 0x08ull << 16 | 0x8E00ull << 32 |
                            (uint64_t)(HANDLER >> 16) << 48);
}

static uint32_t stack32(unsigned slot)
{
    return get32(fx.st.gpr[ENGINE_RSP] + 4 * slot);
}

/* A load beyond DS's limit is #GP(0) (SDM 5.3); the handler drops the
 * error code, steps the frame's EIP past the 5-byte MOV and IRETs
 * (SDM IRET: same privilege pops EIP, CS, EFLAGS). */
static void test_fault_and_iret_32(void **state)
{
    static const char code[] =
        "\x0f\x01\x15\x00\x20\x00\x00"  /* lgdt 0x2000 */
        "\x0f\x01\x1d\x20\x20\x00\x00"  /* lidt 0x2020 */
        "\xb8\x30\x00\x00\x00"          /* mov $0x30, %eax */
        "\x8e\xd8"                      /* mov %eax, %ds */
        "\xa1\x00\x10\x00\x00"          /* mov 0x1000, %eax: #GP(0) */
        "\xf4";                         /* hlt */
    static const char handler[] =
        "\x83\xc4\x04"                  /* add $4, %esp */
        "\x83\x04\x24\x05"              /* addl $5, (%esp) */
        "\xcf";                         /* iret */
    struct engine_exit x;

    (void)state;
    idt32();
    LOAD(BOOT, code);
    LOAD(HANDLER, handler);
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_int_equal(x.stop, ENGINE_STOP_HALT);
    assert_int_equal(fx.st.rip, BOOT + 0x1b);
    assert_int_equal(x.retired, 8);
    assert_int_equal(fx.st.gpr[ENGINE_RSP], 0x80000);
    assert_int_equal(fx.st.gpr[ENGINE_RAX], 0x30); /* the load did not run */
    assert_int_equal(fx.st.seg[ENGINE_DS].selector, 0x30);
    assert_int_equal(fx.st.seg[ENGINE_DS].limit, 0xFFF);
    assert_int_equal(fx.ram[GDT + 0x30 + 5], 0x93); /* accessed */
    /* the frame the #GP pushed, its EIP stepped by the handler; RF set
     * in the pushed EFLAGS of a fault (SDM 17.3.1.1) */
    assert_int_equal(get32(0x80000 - 16), 0);
    assert_int_equal(get32(0x80000 - 12), BOOT + 0x15 + 5);
    assert_int_equal(get32(0x80000 - 8), 0x08);
    assert_int_equal(get32(0x80000 - 4), 0x10002);
    assert_int_equal(fx.st.rflags, 0x2);
}

/* A far CALL to the same privilege pushes CS and EIP, RETF returns (SDM
 * CALL, RET); MOV DS of a TSS descriptor is #GP(selector) (SDM MOV). */
static void test_far_call_and_sreg_gp_32(void **state)
{
    static const char code[] =
        "\x0f\x01\x15\x00\x20\x00\x00"  /* lgdt 0x2000 */
        "\x0f\x01\x1d\x20\x20\x00\x00"  /* lidt 0x2020 */
        "\x9a\x00\x02\x10\x00\x08\x00"  /* lcall $0x8, $0x100200 */
        "\xb8\x20\x00\x00\x00"          /* mov $0x20, %eax */
        "\x8e\xd8";                     /* mov %eax, %ds: #GP(0x20) */
    static const char callee[] =
        "\xbb\x07\x00\x00\x00"          /* mov $7, %ebx */
        "\xcb";                         /* lret */
    struct engine_exit x;

    (void)state;
    idt32();
    LOAD(BOOT, code);
    LOAD(BOOT + 0x200, callee);
    LOAD(HANDLER, "\xf4");
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_int_equal(x.stop, ENGINE_STOP_HALT);
    assert_int_equal(fx.st.rip, HANDLER + 1);
    assert_int_equal(x.retired, 7);
    assert_int_equal(fx.st.gpr[ENGINE_RBX], 7);
    assert_int_equal(stack32(0), 0x20);        /* error code: selector */
    assert_int_equal(stack32(1), BOOT + 0x1a); /* the MOV DS: 7+7+7+5 */
    assert_int_equal(stack32(2), 0x08);
    assert_int_equal(fx.st.gpr[ENGINE_RSP], 0x80000 - 16);
    assert_int_equal(fx.st.seg[ENGINE_DS].selector, 0x10);
}

/* ---- to CPL3 and back (SDM 6.12.1: an inner privilege's stack from
 * the TSS, Figure 6-4; SDM IRET: to an outer privilege) ---- */

#define USER (BOOT + 0x400)
#define H80 (BOOT + 0x800)

/* The GDT and IDT loaded, TR 0x20, and IRETD to USER at CPL3 (GDT 0x3B
 * and 0x43: DPL 3 code and data, ESP 0x60000, EFLAGS 2); INT 0x80's gate
 * a DPL 3 interrupt gate to H80. */
static void to_user(void)
{
    static const char code[] =
        "\x0f\x01\x15\x00\x20\x00\x00"  /* lgdt 0x2000 */
        "\x0f\x01\x1d\x20\x20\x00\x00"  /* lidt 0x2020 */
        "\xb8\x20\x00\x00\x00"          /* mov $0x20, %eax */
        "\x0f\x00\xd8"                  /* ltr %ax */
        "\x6a\x43"                      /* push $0x43: SS */
        "\x68\x00\x00\x06\x00"          /* push $0x60000: ESP */
        "\x6a\x02"                      /* push $2: EFLAGS */
        "\x6a\x3b"                      /* push $0x3b: CS */
        "\x68\x00\x04\x10\x00"          /* push $USER: EIP */
        "\xcf";                         /* iret */

    idt32();
    put64(GDT + 0x38, 0x00CFFA000000FFFFull);
    put64(GDT + 0x40, 0x00CFF2000000FFFFull);
    fx.ram[GDTR] = 0x47;
    put64(IDT + 0x80 * 8, (H80 & 0xFFFF) | 0x08ull << 16 | 0xEE00ull << 32 |
                              (uint64_t)(H80 >> 16) << 48);
    LOAD(BOOT, code);
}

/* The IRETD to CPL3 makes DS, ES, FS and GS null (DPL 0 data); INT 0x80
 * goes to CPL0 on the TSS's SS0:ESP0 (0x10:0x70000); its handler's IRETD
 * back to CPL3 pops ESP and SS too; a CLI at CPL3 with IOPL 0 is #GP(0),
 * on the same stack: SS, ESP, EFLAGS (RF set: a fault), CS, EIP and the
 * error code, the last lowest. */
static void test_user_and_back_32(void **state)
{
    static const char user[] =
        "\xb8\x07\x00\x00\x00"          /* mov $7, %eax */
        "\xcd\x80"                      /* int $0x80 */
        "\xfa";                         /* cli: #GP(0) */
    struct engine_exit x;

    (void)state;
    to_user();
    put32(TSS + 4, 0x70000); /* ESP0 */
    put32(TSS + 8, 0x10);    /* SS0 */
    LOAD(USER, user);
    LOAD(H80, "\x40\xcf");        /* inc %eax; iret */
    LOAD(HANDLER, "\xf4");         /* hlt */
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_int_equal(x.stop, ENGINE_STOP_HALT);
    assert_int_equal(fx.st.rip, HANDLER + 1);
    assert_int_equal(x.retired, 15); /* 10, MOV and INT, INC and IRET, HLT */
    assert_int_equal(fx.st.gpr[ENGINE_RAX], 8);
    assert_int_equal(fx.st.seg[ENGINE_CS].selector, 0x08);
    assert_int_equal(fx.st.seg[ENGINE_SS].selector, 0x10);
    assert_int_equal(fx.st.gpr[ENGINE_RSP], 0x70000 - 24);
    assert_int_equal(stack32(0), 0);          /* error code */
    assert_int_equal(stack32(1), USER + 7);   /* the CLI */
    assert_int_equal(stack32(2), 0x3B);
    assert_int_equal(stack32(3), 0x10002);
    assert_int_equal(stack32(4), 0x60000);
    assert_int_equal(stack32(5), 0x43);
    assert_int_equal(fx.st.seg[ENGINE_DS].selector, 0);
    assert_int_equal(fx.st.seg[ENGINE_ES].selector, 0);
    assert_int_equal(fx.ram[GDT + 0x40 + 5], 0xF3); /* SS3 accessed */
    assert_int_equal(fx.ram[GDT + 0x20 + 5], 0x8B); /* TSS busy */
}

/* A TSS too short for SS0 is #TS(TSS) at the INT (SDM 6.12.1.1), and
 * with no handler for it, #DF, then a triple fault: the run ends so,
 * and no frame lands on the CPL3 stack. */
static void test_user_tss_short_32(void **state)
{
    struct engine_exit x;

    (void)state;
    to_user();
    put64(GDT + 0x20, 0x07 | (uint64_t)TSS << 16 | 0x89ull << 40);
    LOAD(USER, "\xcd\x80");        /* int $0x80 */
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_int_equal(x.stop, ENGINE_STOP_SHUTDOWN);
    assert_int_equal(get32(0x60000 - 4), 0);
}

/* RETF to an outer privilege goes back (KVM runs it), but only after
 * the checks of the code segment it returns to (SDM RET): to the DPL 3
 * code segment it goes back at the RETF, state untouched; to the DPL 3
 * data segment it is #GP(selector) in the engine. */
static void far_ret_outer(uint8_t cs_sel)
{
    char code[] =
        "\x0f\x01\x15\x00\x20\x00\x00"  /* lgdt 0x2000 */
        "\x0f\x01\x1d\x20\x20\x00\x00"  /* lidt 0x2020 */
        "\x6a\x3b"                      /* push $CS (patched) */
        "\x68\x00\x04\x10\x00"          /* push $USER */
        "\xcb";                         /* lret */
    struct engine_exit x;

    to_user();
    code[15] = (char)cs_sel;
    LOAD(BOOT, code);
    LOAD(USER, "\xf4");
    LOAD(HANDLER, "\xf4");
    engine_run(fx.e, &fx.st, 1000, &x);
    if (cs_sel == 0x3B) {
        assert_int_equal(x.stop, ENGINE_STOP_HANDBACK);
        assert_int_equal(x.why, ENGINE_WHY_SYSTEM);
        assert_int_equal(fx.st.rip, BOOT + 21);
        assert_int_equal(fx.st.seg[ENGINE_CS].selector, 0x08);
        assert_int_equal(fx.st.gpr[ENGINE_RSP], 0x80000 - 8);
    } else {
        assert_int_equal(x.stop, ENGINE_STOP_HALT);
        assert_int_equal(fx.st.rip, HANDLER + 1);
        assert_int_equal(stack32(0), cs_sel & ~3u); /* error code */
        assert_int_equal(stack32(1), BOOT + 21);    /* the RETF */
    }
}

static void test_far_ret_outer_32(void **state)
{
    (void)state;
    far_ret_outer(0x3B);
}

static void test_far_ret_outer_data_32(void **state)
{
    (void)state;
    far_ret_outer(0x43);
}

/* MOV to CR4 with OSXSAVE (bit 18): #GP(0) where the guest's CPUID does
 * not offer XSAVE, as KVM's kvm_set_cr4 (SDM 2.5: "CR4.OSXSAVE ... can be
 * set only if CPUID.1:ECX.XSAVE[bit 26] = 1"); set where it does. */
static void cr4_osxsave(bool xsave)
{
    static const char code[] =
        "\x0f\x01\x15\x00\x20\x00\x00"  /* lgdt 0x2000 */
        "\x0f\x01\x1d\x20\x20\x00\x00"  /* lidt 0x2020 */
        "\x0f\x20\xe0"                  /* mov %cr4, %eax */
        "\x0d\x00\x00\x04\x00"          /* or $0x40000, %eax */
        "\x0f\x22\xe0"                  /* mov %eax, %cr4 */
        "\xf4";                          /* hlt */
    struct engine_exit x;

    machine_cpuid_xsave = xsave;
    idt32();
    LOAD(BOOT, code);
    LOAD(HANDLER, "\xf4");
    engine_run(fx.e, &fx.st, 1000, &x);
    machine_cpuid_xsave = false;
    assert_int_equal(x.stop, ENGINE_STOP_HALT);
    if (xsave) {
        assert_int_equal(fx.st.rip, BOOT + 26); /* past the HLT: 7+7+3+5+3+1 */
        assert_int_equal(fx.st.cr4, 0x40000);
    } else {
        assert_int_equal(fx.st.rip, HANDLER + 1);
        assert_int_equal(stack32(0), 0);          /* error code */
        assert_int_equal(stack32(1), BOOT + 22);  /* the MOV to CR4 */
        assert_int_equal(fx.st.cr4, 0);
    }
}

static void test_cr4_osxsave_without_xsave(void **state)
{
    (void)state;
    cr4_osxsave(false);
}

static void test_cr4_osxsave_with_xsave(void **state)
{
    (void)state;
    cr4_osxsave(true);
}

/* #UD with an empty IDT: delivering it is #GP (beyond the limit), whose
 * delivery is #GP again, a #DF (SDM Table 6-5), which cannot be
 * delivered either: a triple fault. */
static void test_triple_fault_32(void **state)
{
    struct engine_exit x;

    (void)state;
    LOAD(BOOT, "\x0f\x0b"); /* ud2 */
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_int_equal(x.stop, ENGINE_STOP_SHUTDOWN);
    assert_int_equal(x.retired, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_multiboot_to_long_mode, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_boot_after_32bit_paging, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pae_32bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_32bit_paging_4k, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mmio, setup_mmio, teardown),
        cmocka_unit_test_setup_teardown(test_mmio_without_callback, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fault_and_iret_32, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_far_call_and_sreg_gp_32, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_user_and_back_32, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_far_ret_outer_32, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_far_ret_outer_data_32, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_user_tss_short_32, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_triple_fault_32, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cr4_osxsave_without_xsave,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_cr4_osxsave_with_xsave, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
