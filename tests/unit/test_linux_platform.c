/* test_linux_platform.c: --machine=linux's devices against their specifications: the MP table (MultiProcessor Specification 1.4), the CMOS RTC (MC146818A) and the keyboard controller (IBM's PS/2 controller, as Linux's i8042 driver uses it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/i8042.h"
#include "devices/rtc.h"
#include "vmm/mptable.h"

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint16_t get16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

/* The spec's section 4.1 floating pointer and 4.2 header, then each
 * entry of tables 4-3 (processor), 4-7 (bus), 4-8 (I/O APIC), 4-10 (I/O
 * interrupt) and 4-12 (local interrupt). */
static void test_mptable(void **state)
{
    (void)state;
    uint8_t ram[0x400];
    memset(ram, 0xCC, sizeof ram);
    size_t n = mptable_write(ram, sizeof ram, 0x806F8, 0x178BFBFF);
    assert_true(n > 0 && n <= sizeof ram);

    const uint8_t *mpf = ram;
    assert_memory_equal(mpf, "_MP_", 4);
    assert_int_equal(get32(mpf + 4), 0x9FC10); /* 16-byte aligned */
    assert_int_equal(mpf[8], 1);               /* 16 bytes */
    assert_int_equal(mpf[9], 4);               /* version 1.4 */
    assert_int_equal(sum(mpf, 16), 0);
    for (unsigned i = 11; i < 16; i++)
        assert_int_equal(mpf[i], 0); /* feature 1 = 0: a table is there */

    const uint8_t *mpc = ram + 0x10;
    uint16_t len = get16(mpc + 4);
    assert_memory_equal(mpc, "PCMP", 4);
    assert_int_equal(mpc[6], 4);
    assert_int_equal(len + 16u, n);
    assert_int_equal(sum(mpc, len), 0);
    assert_int_equal(get32(mpc + 36), 0xFEE00000u); /* the local APIC */
    uint16_t count = get16(mpc + 34);
    /* one CPU, one bus, one I/O APIC, 16 ISA IRQs, LINT0 and LINT1 */
    assert_int_equal(count, 1 + 1 + 1 + 16 + 2);

    const uint8_t *e = mpc + 44;
    assert_int_equal(e[0], 0);     /* processor */
    assert_int_equal(e[1], 0);     /* APIC ID */
    assert_int_equal(e[3], 0x03);  /* enabled, the bootstrap processor */
    assert_int_equal(get32(e + 4), 0x806F8);
    assert_int_equal(get32(e + 8), 0x178BFBFF);
    e += 20;
    assert_int_equal(e[0], 1);     /* bus */
    assert_int_equal(e[1], 0);
    assert_memory_equal(e + 2, "ISA   ", 6);
    e += 8;
    assert_int_equal(e[0], 2);     /* I/O APIC */
    uint8_t ioapic_id = e[1];
    assert_int_equal(e[3] & 1, 1); /* usable */
    assert_int_equal(get32(e + 4), 0xFEC00000u);
    e += 8;
    for (unsigned irq = 0; irq < 16; irq++, e += 8) {
        assert_int_equal(e[0], 3);  /* I/O interrupt */
        assert_int_equal(e[1], 0);  /* INT: vectored */
        assert_int_equal(get16(e + 2), 0); /* conforms to the bus */
        assert_int_equal(e[4], 0);  /* from the ISA bus */
        assert_int_equal(e[5], irq);
        assert_int_equal(e[6], ioapic_id);
        assert_int_equal(e[7], irq); /* KVM's default GSI routing */
    }
    assert_int_equal(e[0], 4);      /* local interrupt: ExtINT on LINT0 */
    assert_int_equal(e[1], 3);
    assert_int_equal(e[6], 0xFF);
    assert_int_equal(e[7], 0);
    e += 8;
    assert_int_equal(e[0], 4);      /* NMI on LINT1 */
    assert_int_equal(e[1], 1);
    assert_int_equal(e[7], 1);
    assert_int_equal(ram[n], 0xCC); /* nothing past it */

    assert_int_equal(mptable_write(ram, 100, 0, 0), 0); /* too small */
}

/* 2023-11-14 22:13:20 UTC, a Tuesday (Unix time 1700000000). */
static time_t fixed_time(void)
{
    return 1700000000;
}

static uint8_t rtc_get(struct rtc *r, uint8_t reg)
{
    rtc_write(r, 0, reg);
    return rtc_read(r, 1);
}

static void test_rtc(void **state)
{
    (void)state;
    struct rtc r;
    rtc_init(&r, fixed_time);
    /* BCD and 24-hour by default (register B 0x02) */
    assert_int_equal(rtc_get(&r, 0x0B), 0x02);
    assert_int_equal(rtc_get(&r, 0x00), 0x20);
    assert_int_equal(rtc_get(&r, 0x02), 0x13);
    assert_int_equal(rtc_get(&r, 0x04), 0x22);
    assert_int_equal(rtc_get(&r, 0x06), 3); /* Sunday is 1 */
    assert_int_equal(rtc_get(&r, 0x07), 0x14);
    assert_int_equal(rtc_get(&r, 0x08), 0x11);
    assert_int_equal(rtc_get(&r, 0x09), 0x23);
    assert_int_equal(rtc_get(&r, 0x32), 0x20);
    assert_int_equal(rtc_get(&r, 0x0A) & 0x80, 0); /* no update running */
    assert_int_equal(rtc_get(&r, 0x0D), 0x80);     /* the battery is good */
    /* the index port's bit 7 (NMI) is not part of the index */
    rtc_write(&r, 0, 0x80 | 0x09);
    assert_int_equal(rtc_read(&r, 1), 0x23);
    /* binary, 12-hour: 22:13 is 10 PM */
    rtc_write(&r, 0, 0x0B);
    rtc_write(&r, 1, 0x04);
    assert_int_equal(rtc_get(&r, 0x00), 20);
    assert_int_equal(rtc_get(&r, 0x04), 0x80 | 10);
    /* CMOS RAM keeps what is written; register D does not change */
    rtc_write(&r, 0, 0x40);
    rtc_write(&r, 1, 0x5A);
    assert_int_equal(rtc_get(&r, 0x40), 0x5A);
    rtc_write(&r, 0, 0x0D);
    rtc_write(&r, 1, 0x00);
    assert_int_equal(rtc_get(&r, 0x0D), 0x80);
}

static unsigned irq_raised[16];

static void count_irq(void *ctx, unsigned irq, bool level)
{
    (void)ctx;
    if (level)
        irq_raised[irq]++;
}

static int kbc(struct i8042 *k, uint16_t port, bool in, uint8_t *v)
{
    uint32_t val = *v;
    int r = i8042_access(k, port, in, &val);
    *v = (uint8_t)val;
    return r;
}

static uint8_t kbc_in(struct i8042 *k, uint16_t port)
{
    uint8_t v = 0;
    assert_int_equal(kbc(k, port, true, &v), BUS_CONTINUE);
    return v;
}

static int kbc_out(struct i8042 *k, uint16_t port, uint8_t v)
{
    return kbc(k, port, false, &v);
}

static void test_i8042(void **state)
{
    (void)state;
    struct i8042 k;
    memset(irq_raised, 0, sizeof irq_raised);
    i8042_init(&k, 7, count_irq, NULL);

    /* nothing to read, ready for a command (OBF and IBF clear) */
    assert_int_equal(kbc_in(&k, 0x64) & 0x03, 0);
    /* the self-test answers 0x55 with OBF set */
    assert_int_equal(kbc_out(&k, 0x64, 0xAA), BUS_CONTINUE);
    assert_int_equal(kbc_in(&k, 0x64) & 0x01, 1);
    assert_int_equal(kbc_in(&k, 0x60), 0x55);
    assert_int_equal(kbc_in(&k, 0x64) & 0x01, 0);
    /* the command byte, written then read back */
    kbc_out(&k, 0x64, 0x60);
    kbc_out(&k, 0x60, 0x65);
    kbc_out(&k, 0x64, 0x20);
    assert_int_equal(kbc_in(&k, 0x60), 0x65);
    /* disabling the mouse port sets CTR's AUXDIS (0x20) */
    kbc_out(&k, 0x64, 0xA7);
    kbc_out(&k, 0x64, 0x20);
    assert_int_equal(kbc_in(&k, 0x60) & 0x20, 0x20);
    /* a mouse loop-back comes back marked as mouse data (STR 0x20) */
    kbc_out(&k, 0x64, 0xD3);
    kbc_out(&k, 0x60, 0x5A);
    assert_int_equal(kbc_in(&k, 0x64) & 0x21, 0x21);
    assert_int_equal(kbc_in(&k, 0x60), 0x5A);
    /* a byte for the keyboard, which is not there: 0xFE, on IRQ 1 (CTR
     * 0x65 enables it) */
    unsigned before = irq_raised[1];
    kbc_out(&k, 0x60, 0xFF);
    assert_int_equal(irq_raised[1], before + 1);
    assert_int_equal(kbc_in(&k, 0x60), 0xFE);
    /* the reset pulse ends the run with the status given */
    assert_int_equal(kbc_out(&k, 0x64, 0xFE), 7);
    /* and so does the output port's reset line pulled low */
    i8042_init(&k, 9, NULL, NULL);
    kbc_out(&k, 0x64, 0xD1);
    assert_int_equal(kbc_out(&k, 0x60, 0xFE), 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mptable),
        cmocka_unit_test(test_rtc),
        cmocka_unit_test(test_i8042),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
