/* test_apic.c: the userspace local APIC (devices/apic.c) against the Intel SDM vol. 3 chapter 11: reset state, software enable, self-IPIs, priorities, the three timer modes, PMIs, LINT pins, x2APIC #GPs, IA32_APIC_BASE transitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/apic.h"

/* A 2 GHz TSC and KVM's 1 GHz APIC timer clock: a timer tick is 2 TSC
 * ticks before the divider. */
#define TSC_HZ 2000000000ull
#define TIMER_HZ 1000000000ull

/* xAPIC offsets and x2APIC MSRs (SDM Tables 11-1, 11-6). */
#define ID 0x020
#define VER 0x030
#define TPR 0x080
#define PPR 0x0A0
#define EOI 0x0B0
#define LDR 0x0D0
#define DFR 0x0E0
#define SVR 0x0F0
#define ISR 0x100
#define IRR 0x200
#define ICR_LO 0x300
#define ICR_HI 0x310
#define LVT_TIMER 0x320
#define LVT_PMC 0x340
#define LVT_LINT0 0x350
#define LVT_LINT1 0x360
#define TIMER_INIT 0x380
#define TIMER_CUR 0x390
#define TIMER_DCR 0x3E0

#define MASKED 0x10000u           /* SDM Figure 11-8: bit 16 */
#define DM_NMI (4u << 8)          /* delivery mode 100 */
#define DM_EXTINT (7u << 8)       /* delivery mode 111 */
#define TIMER_PERIODIC (1u << 17) /* timer mode 01 */
#define TIMER_DEADLINE (2u << 17) /* timer mode 10 */
#define SH_SELF (1u << 18)        /* SDM 11.6.1: shorthand 01 */
#define SH_ALL (2u << 18)         /* shorthand 10: all including self */

/* The clock rd() and wr() pass: time never goes backward. */
static uint64_t now;

static uint32_t rd(struct apic *a, unsigned off)
{
    return apic_mmio_read(a, off, now);
}

static void wr(struct apic *a, unsigned off, uint32_t v)
{
    apic_mmio_write(a, off, v, now);
}

/* One bit of a 256-bit register: 8 32-bit registers 16 bytes apart. */
static bool bit(struct apic *a, unsigned reg, unsigned v)
{
    return (rd(a, reg + v / 32 * 0x10) >> (v % 32)) & 1;
}

/* An APIC after reset, software-enabled (SVR bit 8, SDM 11.4.7.2). */
static void enabled(struct apic *a, uint32_t id)
{
    now = 0;
    apic_init(a, id, TSC_HZ, TIMER_HZ);
    wr(a, SVR, 0x1FF);
}

static void to_x2apic(struct apic *a)
{
    assert_true(apic_base_write(a, 0xFEE00000u | APIC_BASE_BSP |
                                       APIC_BASE_EN | APIC_BASE_EXTD));
}

static void test_reset(void **state)
{
    (void)state;
    struct apic a;
    apic_init(&a, 3, TSC_HZ, TIMER_HZ);
    /* SDM 11.4.4: base FEE00000H, BSP (8) and enable (11) set. */
    assert_int_equal(apic_base(&a), 0xFEE00900u);
    /* SDM 11.4.6, 11.4.7.1: the ID in bits 31:24; SVR FFH; DFR all 1s;
     * the LVTs masked; the rest zero. */
    assert_int_equal(rd(&a, ID), 0x03000000u);
    assert_int_equal(rd(&a, VER), 0x50014u);
    assert_int_equal(rd(&a, TPR), 0);
    assert_int_equal(rd(&a, PPR), 0);
    assert_int_equal(rd(&a, LDR), 0);
    assert_int_equal(rd(&a, DFR), 0xFFFFFFFFu);
    assert_int_equal(rd(&a, SVR), 0xFF);
    for (unsigned off = LVT_TIMER; off <= 0x370; off += 0x10)
        if (off != LVT_LINT0)
            assert_int_equal(rd(&a, off), MASKED);
    /* but LINT0 ExtINT, as KVM resets the BSP's (api.rst,
     * KVM_X86_QUIRK_LINT0_REENABLED: "the reset value for the LVT LINT0
     * register is 0x700 (APIC_MODE_EXTINT)") */
    assert_int_equal(rd(&a, LVT_LINT0), 0x700);
    assert_true(apic_extint_open(&a));
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(rd(&a, ISR + i * 0x10), 0);
        assert_int_equal(rd(&a, IRR + i * 0x10), 0);
    }
    assert_int_equal(rd(&a, ICR_LO), 0);
    assert_int_equal(rd(&a, TIMER_INIT), 0);
    assert_int_equal(rd(&a, TIMER_CUR), 0);
    assert_int_equal(rd(&a, TIMER_DCR), 0);
    assert_int_equal(apic_tsc_deadline(&a), 0);
    assert_true(apic_next_event(&a) == UINT64_MAX);
    assert_int_equal(apic_accept(&a), -1);
    assert_false(apic_take_nmi(&a));
    /* Reads off a 16-byte boundary are not registers. */
    assert_int_equal(rd(&a, VER + 4), 0);
}

static void test_svr_masks_lvts(void **state)
{
    (void)state;
    struct apic a;
    enabled(&a, 0);
    wr(&a, LVT_TIMER, 0x20);
    wr(&a, LVT_PMC, 0x21);
    assert_int_equal(rd(&a, LVT_TIMER), 0x20);
    /* SDM 11.4.7.2: clearing bit 8 masks every LVT entry, and unmasking
     * is refused while it stays clear... */
    wr(&a, SVR, 0xFF);
    assert_int_equal(rd(&a, LVT_TIMER), MASKED | 0x20);
    assert_int_equal(rd(&a, LVT_PMC), MASKED | 0x21);
    wr(&a, LVT_TIMER, 0x30);
    assert_int_equal(rd(&a, LVT_TIMER), MASKED | 0x30);
    /* ...and setting it again unmasks nothing. */
    wr(&a, SVR, 0x1FF);
    assert_int_equal(rd(&a, LVT_TIMER), MASKED | 0x30);
    wr(&a, LVT_TIMER, 0x30);
    assert_int_equal(rd(&a, LVT_TIMER), 0x30);
}

static void test_xapic_self_ipi(void **state)
{
    (void)state;
    struct apic a;
    enabled(&a, 5);
    wr(&a, ICR_LO, SH_SELF | 0x40);
    assert_true(bit(&a, IRR, 0x40));
    assert_true(apic_has_interrupt(&a));
    assert_int_equal(apic_accept(&a), 0x40);
    /* SDM 11.8.4: accepted, IRR to ISR; the in-service class is the PPR
     * (11.8.3.1). */
    assert_false(bit(&a, IRR, 0x40));
    assert_true(bit(&a, ISR, 0x40));
    assert_int_equal(rd(&a, PPR), 0x40);
    wr(&a, EOI, 0);
    assert_false(bit(&a, ISR, 0x40));
    assert_int_equal(rd(&a, PPR), 0);
    /* A physical destination of its own ID (ICR bits 63:56) reaches it;
     * another ID does not. */
    wr(&a, ICR_HI, 5u << 24);
    wr(&a, ICR_LO, 0x41);
    assert_true(bit(&a, IRR, 0x41));
    wr(&a, ICR_HI, 6u << 24);
    wr(&a, ICR_LO, 0x42);
    assert_false(bit(&a, IRR, 0x42));
    /* Delivery status (bit 12) reads idle: the IPI went at once. */
    assert_int_equal(rd(&a, ICR_LO) & (1u << 12), 0);
}

static void test_x2apic_self_ipi(void **state)
{
    (void)state;
    struct apic a;
    enabled(&a, 0);
    to_x2apic(&a);
    /* SDM 11.12.11: SELF IPI (83FH) takes a vector in bits 7:0. */
    assert_true(apic_msr_write(&a, 0x83F, 0x50, 0));
    assert_int_equal(apic_accept(&a), 0x50);
    uint64_t v;
    assert_true(apic_msr_read(&a, 0x812, &v, 0)); /* ISR bits 95:64 */
    assert_int_equal(v, 1u << (0x50 - 64));
    assert_true(apic_msr_write(&a, 0x80B, 0, 0)); /* EOI */
    assert_true(apic_msr_read(&a, 0x812, &v, 0));
    assert_int_equal(v, 0);
    /* The 64-bit ICR (830H) to its own ID, the destination in 63:32. */
    assert_true(apic_msr_write(&a, 0x830, 0x51, 0));
    assert_int_equal(apic_accept(&a), 0x51);
}

static void test_tpr_and_ppr(void **state)
{
    (void)state;
    struct apic a;
    enabled(&a, 0);
    /* SDM 11.8.3.1: only a class above PPR[7:4] is accepted. */
    wr(&a, TPR, 0x50);
    assert_int_equal(rd(&a, PPR), 0x50);
    wr(&a, ICR_LO, SH_SELF | 0x45);
    wr(&a, ICR_LO, SH_SELF | 0x5F);
    assert_false(apic_has_interrupt(&a));
    assert_int_equal(apic_accept(&a), -1);
    wr(&a, ICR_LO, SH_SELF | 0x61);
    assert_int_equal(apic_accept(&a), 0x61);
    /* PPR from ISR: TPR's class is below the in-service one. */
    wr(&a, TPR, 0x12);
    assert_int_equal(rd(&a, PPR), 0x60);
    wr(&a, ICR_LO, SH_SELF | 0x62);
    assert_int_equal(apic_accept(&a), -1);
    /* ...and TPR when its class is at least ISRV's. */
    wr(&a, TPR, 0x6A);
    assert_int_equal(rd(&a, PPR), 0x6A);
    /* After EOI, TPR 0x6A still holds 0x62 off; lowering it lets it in
     * before the lower class 0x5F, then 0x45 after 0x5F. */
    wr(&a, EOI, 0);
    assert_int_equal(apic_accept(&a), -1);
    wr(&a, TPR, 0);
    assert_int_equal(apic_accept(&a), 0x62);
    wr(&a, EOI, 0);
    assert_int_equal(apic_accept(&a), 0x5F);
    wr(&a, EOI, 0);
    assert_int_equal(apic_accept(&a), 0x45);
}

static void test_highest_first(void **state)
{
    (void)state;
    struct apic a;
    enabled(&a, 0);
    wr(&a, ICR_LO, SH_ALL | 0x30);
    wr(&a, ICR_LO, SH_SELF | 0x80);
    assert_int_equal(apic_accept(&a), 0x80);
    /* 0x30 waits for the EOI of the higher class in service. */
    assert_int_equal(apic_accept(&a), -1);
    assert_true(bit(&a, IRR, 0x30));
    wr(&a, EOI, 0);
    assert_int_equal(apic_accept(&a), 0x30);
    assert_int_equal(apic_accept(&a), -1);
}

static void test_one_shot(void **state)
{
    (void)state;
    struct apic a;
    enabled(&a, 0);
    const uint64_t t0 = 1000;
    /* SDM 11.5.4, Figure 11-10: divide value 0011b is divide by 16. */
    wr(&a, TIMER_DCR, 0x3);
    wr(&a, LVT_TIMER, 0x20);
    apic_mmio_write(&a, TIMER_INIT, 1000, t0);
    /* 1000 counts x 16 timer ticks x 2 TSC ticks = 32000 TSC ticks. */
    const uint64_t fire = t0 + 1000 * 16 * 2;
    assert_true(apic_next_event(&a) == fire);
    assert_int_equal(apic_mmio_read(&a, TIMER_CUR, t0), 1000);
    assert_int_equal(apic_mmio_read(&a, TIMER_CUR, t0 + 16000), 500);
    apic_advance(&a, fire - 1);
    assert_false(apic_has_interrupt(&a));
    assert_int_equal(apic_mmio_read(&a, TIMER_CUR, fire - 1), 1);
    apic_advance(&a, fire);
    assert_true(apic_has_interrupt(&a));
    assert_int_equal(apic_mmio_read(&a, TIMER_CUR, fire), 0);
    assert_true(apic_next_event(&a) == UINT64_MAX);
    assert_int_equal(apic_accept(&a), 0x20);
    now = fire;
    wr(&a, EOI, 0);
    /* One-shot: it does not fire again. */
    apic_advance(&a, fire * 10);
    assert_false(apic_has_interrupt(&a));
    /* Initial count 0 stops a running timer (SDM 11.5.4). */
    apic_mmio_write(&a, TIMER_INIT, 10, fire * 10);
    assert_true(apic_next_event(&a) != UINT64_MAX);
    apic_mmio_write(&a, TIMER_INIT, 0, fire * 10 + 1);
    assert_true(apic_next_event(&a) == UINT64_MAX);
}

static void periodic(struct apic *a, uint64_t t0)
{
    enabled(a, 0);
    wr(a, TIMER_DCR, 0xB); /* 1011b: divide by 1 */
    wr(a, LVT_TIMER, TIMER_PERIODIC | 0x20);
    apic_mmio_write(a, TIMER_INIT, 100, t0); /* 100 ticks: 200 TSC ticks */
}

static void test_periodic(void **state)
{
    (void)state;
    struct apic a, b;
    const uint64_t t0 = 7;
    periodic(&a, t0);
    assert_true(apic_next_event(&a) == t0 + 200);
    apic_advance(&a, now = t0 + 200);
    assert_int_equal(apic_accept(&a), 0x20);
    wr(&a, EOI, 0);
    /* SDM 11.5.4: the count reloads and counts down again. */
    assert_true(apic_next_event(&a) == t0 + 400);
    assert_int_equal(apic_mmio_read(&a, TIMER_CUR, t0 + 200), 100);
    apic_advance(&a, t0 + 399);
    assert_false(apic_has_interrupt(&a));
    apic_advance(&a, now = t0 + 400);
    assert_int_equal(apic_accept(&a), 0x20);
    wr(&a, EOI, 0);
    /* Eight periods missed: one IRR bit, one interrupt; the next
     * expiry stays in phase with the start. */
    apic_advance(&a, now = t0 + 2050);
    assert_int_equal(apic_accept(&a), 0x20);
    assert_int_equal(apic_accept(&a), -1);
    assert_true(apic_next_event(&a) == t0 + 2200);
    /* 1025 ticks in: 25 into the eleventh period. */
    assert_int_equal(apic_mmio_read(&a, TIMER_CUR, t0 + 2050), 75);
    /* The same inputs in one step give the same state. */
    periodic(&b, t0);
    apic_advance(&b, now = t0 + 2050);
    assert_true(apic_next_event(&b) == apic_next_event(&a));
    assert_true(bit(&b, IRR, 0x20));
}

static void test_tsc_deadline(void **state)
{
    (void)state;
    struct apic a;
    enabled(&a, 0);
    /* SDM 11.5.4.1: outside TSC-deadline mode the MSR is ignored. */
    apic_tsc_deadline_write(&a, 5000, 0);
    assert_int_equal(apic_tsc_deadline(&a), 0);
    wr(&a, LVT_TIMER, TIMER_DEADLINE | 0x22);
    apic_tsc_deadline_write(&a, 5000, 1000);
    assert_int_equal(apic_tsc_deadline(&a), 5000);
    assert_true(apic_next_event(&a) == 5000);
    /* The initial count is ignored and the current count reads 0. */
    apic_mmio_write(&a, TIMER_INIT, 10, 1000);
    assert_int_equal(rd(&a, TIMER_INIT), 0);
    assert_int_equal(apic_mmio_read(&a, TIMER_CUR, 1000), 0);
    apic_advance(&a, 4999);
    assert_false(apic_has_interrupt(&a));
    apic_advance(&a, now = 5000);
    assert_int_equal(apic_accept(&a), 0x22);
    /* Expiry disarms it and clears the MSR. */
    assert_int_equal(apic_tsc_deadline(&a), 0);
    assert_true(apic_next_event(&a) == UINT64_MAX);
    wr(&a, EOI, 0);
    /* 0 disarms. */
    apic_tsc_deadline_write(&a, 8000, 6000);
    apic_tsc_deadline_write(&a, 0, 6001);
    assert_true(apic_next_event(&a) == UINT64_MAX);
    apic_advance(&a, now = 9000);
    assert_false(apic_has_interrupt(&a));
    /* A deadline already past fires at once. */
    apic_tsc_deadline_write(&a, 100, 9000);
    assert_true(apic_has_interrupt(&a));
    /* Leaving TSC-deadline mode disarms. */
    apic_tsc_deadline_write(&a, 20000, 9000);
    wr(&a, LVT_TIMER, 0x22);
    assert_true(apic_next_event(&a) == UINT64_MAX);
    wr(&a, LVT_TIMER, TIMER_DEADLINE | 0x22);
    assert_int_equal(apic_tsc_deadline(&a), 0);
}

static void test_pmi(void **state)
{
    (void)state;
    struct apic a;
    enabled(&a, 0);
    wr(&a, LVT_PMC, 0x60);
    apic_pmi(&a);
    /* The mask bit is set as the PMI is delivered. */
    assert_int_equal(rd(&a, LVT_PMC), MASKED | 0x60);
    assert_int_equal(apic_accept(&a), 0x60);
    wr(&a, EOI, 0);
    apic_pmi(&a); /* masked now: nothing */
    assert_false(apic_has_interrupt(&a));
    wr(&a, LVT_PMC, DM_NMI);
    apic_pmi(&a);
    assert_int_equal(rd(&a, LVT_PMC), MASKED | DM_NMI);
    assert_false(apic_has_interrupt(&a));
    assert_true(apic_take_nmi(&a));
    assert_false(apic_take_nmi(&a));
}

static void test_nmi_ipi(void **state)
{
    (void)state;
    struct apic a;
    enabled(&a, 2);
    /* SDM 11.6.1: NMI delivery mode (100b) ignores the vector. */
    wr(&a, ICR_HI, 2u << 24);
    wr(&a, ICR_LO, DM_NMI);
    assert_true(apic_take_nmi(&a));
    assert_false(apic_take_nmi(&a));
    assert_false(apic_has_interrupt(&a));
    wr(&a, ICR_LO, SH_ALL | DM_NMI);
    assert_true(apic_take_nmi(&a));
    /* An NMI needs no software enable (SDM 11.4.7.2). */
    wr(&a, SVR, 0xFF);
    wr(&a, ICR_LO, DM_NMI);
    assert_true(apic_take_nmi(&a));
}

static void test_lint(void **state)
{
    (void)state;
    struct apic a;
    unsigned v = 0;
    enabled(&a, 0);
    wr(&a, LVT_LINT0, MASKED | DM_EXTINT);
    assert_int_equal(apic_lint(&a, 0, &v), APIC_LINT_MASKED);
    assert_false(apic_extint_open(&a));
    wr(&a, LVT_LINT0, DM_EXTINT);
    assert_int_equal(apic_lint(&a, 0, &v), APIC_LINT_EXTINT);
    assert_true(apic_extint_open(&a));
    wr(&a, LVT_LINT1, DM_NMI);
    assert_int_equal(apic_lint(&a, 1, &v), APIC_LINT_NMI);
    assert_true(apic_take_nmi(&a));
    wr(&a, LVT_LINT0, 0x31);
    assert_int_equal(apic_lint(&a, 0, &v), APIC_LINT_FIXED);
    assert_int_equal(v, 0x31);
    assert_int_equal(apic_accept(&a), 0x31);
    assert_false(apic_extint_open(&a)); /* fixed mode: not the 8259's */
    /* SDM 11.4.3: disabled in IA32_APIC_BASE, LINT0 is INTR. */
    assert_true(apic_base_write(&a, 0xFEE00100u));
    assert_int_equal(apic_lint(&a, 0, &v), APIC_LINT_EXTINT);
    assert_true(apic_extint_open(&a));
}

static void test_x2apic_gp(void **state)
{
    (void)state;
    struct apic a;
    uint64_t v;
    enabled(&a, 0x25);
    /* Not in x2APIC mode: every x2APIC MSR faults. */
    assert_false(apic_msr_read(&a, 0x802, &v, 0));
    assert_false(apic_msr_write(&a, 0x808, 0, 0));
    to_x2apic(&a);
    assert_true(apic_msr_read(&a, 0x802, &v, 0));
    assert_int_equal(v, 0x25);
    /* SDM 11.12.10.2: logical ID = ID[19:4] << 16 | 1 << ID[3:0]. */
    assert_true(apic_msr_read(&a, 0x80D, &v, 0));
    assert_int_equal(v, 0x20020);
    /* Table 11-6: registers x2APIC lacks. */
    assert_false(apic_msr_read(&a, 0x809, &v, 0)); /* APR */
    assert_false(apic_msr_read(&a, 0x80E, &v, 0)); /* DFR */
    assert_false(apic_msr_read(&a, 0x831, &v, 0)); /* ICR high */
    assert_false(apic_msr_read(&a, 0x800, &v, 0));
    assert_false(apic_msr_read(&a, 0x840, &v, 0));
    assert_false(apic_msr_write(&a, 0x8FF, 0, 0));
    /* Read-only and write-only registers. */
    assert_false(apic_msr_write(&a, 0x802, 0, 0)); /* ID */
    assert_false(apic_msr_write(&a, 0x803, 0, 0)); /* version */
    assert_false(apic_msr_write(&a, 0x80A, 0, 0)); /* PPR */
    assert_false(apic_msr_write(&a, 0x80D, 0, 0)); /* LDR */
    assert_false(apic_msr_write(&a, 0x820, 0, 0)); /* IRR */
    assert_false(apic_msr_write(&a, 0x839, 0, 0)); /* current count */
    assert_false(apic_msr_read(&a, 0x80B, &v, 0)); /* EOI */
    assert_false(apic_msr_read(&a, 0x83F, &v, 0)); /* SELF IPI */
    /* Reserved bits Table 11-6 names. */
    assert_false(apic_msr_write(&a, 0x80B, 1, 0));     /* EOI non-zero */
    assert_false(apic_msr_write(&a, 0x828, 1, 0));     /* ESR non-zero */
    assert_true(apic_msr_write(&a, 0x828, 0, 0));
    assert_false(apic_msr_write(&a, 0x83F, 0x100, 0)); /* SELF IPI 31:8 */
    assert_false(apic_msr_write(&a, 0x808, 1ull << 32, 0));
    assert_true(apic_msr_write(&a, 0x808, 0x20, 0));
    assert_true(apic_msr_read(&a, 0x808, &v, 0));
    assert_int_equal(v, 0x20);
    /* The xAPIC page is gone in x2APIC mode (SDM 11.12.2). */
    assert_int_equal(rd(&a, TPR), 0);
}

static void test_base_transitions(void **state)
{
    (void)state;
    struct apic a;
    enabled(&a, 0);
    const uint64_t x2 = 0xFEE00000u | APIC_BASE_BSP | APIC_BASE_EN |
                        APIC_BASE_EXTD;
    /* Reserved bits (SDM 11.4.4): 7:0, 9, MAXPHYADDR and up. */
    assert_false(apic_base_write(&a, 0xFEE00901u));
    assert_false(apic_base_write(&a, 0xFEE00B00u));
    assert_false(apic_base_write(&a, (1ull << 46) | 0xFEE00900u));
    /* SDM 11.12.5.1: EXTD without EN is the invalid state. */
    assert_false(apic_base_write(&a, 0xFEE00000u | APIC_BASE_EXTD));
    to_x2apic(&a);
    /* x2APIC to xAPIC: only through disabled. */
    assert_false(apic_base_write(&a, 0xFEE00900u));
    assert_int_equal(apic_base(&a), x2);
    assert_true(apic_base_write(&a, 0xFEE00100u));
    /* Disabled to x2APIC: only through xAPIC. */
    assert_false(apic_base_write(&a, x2));
    assert_true(apic_base_write(&a, 0xFEE00900u));
    /* Only the ID survives the disabled state: SVR is FFH again. */
    assert_int_equal(rd(&a, SVR), 0xFF);
    to_x2apic(&a);
    /* A relocated base is kept. */
    assert_true(apic_base_write(&a, 0xFEE00000u | APIC_BASE_BSP));
    assert_true(apic_base_write(&a, 0xFEC00000u | APIC_BASE_EN));
    assert_int_equal(apic_base(&a), 0xFEC00800u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_svr_masks_lvts),
        cmocka_unit_test(test_xapic_self_ipi),
        cmocka_unit_test(test_x2apic_self_ipi),
        cmocka_unit_test(test_tpr_and_ppr),
        cmocka_unit_test(test_highest_first),
        cmocka_unit_test(test_one_shot),
        cmocka_unit_test(test_periodic),
        cmocka_unit_test(test_tsc_deadline),
        cmocka_unit_test(test_pmi),
        cmocka_unit_test(test_nmi_ipi),
        cmocka_unit_test(test_lint),
        cmocka_unit_test(test_x2apic_gp),
        cmocka_unit_test(test_base_transitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
