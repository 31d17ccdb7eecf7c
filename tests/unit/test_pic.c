/* test_pic.c: the 8259A pair (devices/pic.c) and the UART's interrupt line (devices/serial.c) against their data sheets: initialisation, masks, fully nested priority, EOIs, rotation, AEOI, the cascade, spurious IR7, edge and level inputs, the transmitter-empty and received-data interrupts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/pic.h"
#include "devices/serial.h"

/*
 * Expected values from the Intel 8259A data sheet (order 231468: ICW1
 * clears the mask and makes IR7 the lowest priority; the vector is ICW2's
 * T7-T3 with the input's number; OCW2 0x20 ends the highest in service,
 * 0x60|n ends n, 0xA0 ends and rotates, 0xC0|n makes n the lowest; OCW3
 * 0x0A reads IRR, 0x0B ISR; an INTA with nothing requested gives IR7),
 * the PC's wiring (slave on IR2) and the 16550 data sheet (IIR 0x02:
 * transmitter empty; cleared by reading IIR or writing THR).
 */

static struct bus bus;
static struct pic pic;

static void out(uint16_t port, uint8_t v)
{
    uint32_t val = v;
    int status;
    assert_true(bus_access(&bus, port, 1, false, &val, &status));
}

static uint8_t in(uint16_t port)
{
    uint32_t val = 0;
    int status;
    assert_true(bus_access(&bus, port, 1, true, &val, &status));
    return (uint8_t)val;
}

/* The PC BIOS's programming: edge, cascade, ICW4; bases 0x20 and 0x28;
 * the slave on IR2; 8086 mode (AEOI if asked); nothing masked. */
static int setup(void **state)
{
    (void)state;
    bus_init(&bus);
    pic_init(&pic);
    assert_true(pic_attach(&pic, &bus));
    out(0x20, 0x11), out(0xA0, 0x11);
    out(0x21, 0x20), out(0xA1, 0x28);
    out(0x21, 0x04), out(0xA1, 0x02);
    out(0x21, 0x01), out(0xA1, 0x01);
    out(0x21, 0x00), out(0xA1, 0x00);
    return 0;
}

static void pulse(unsigned irq)
{
    pic_set_irq(&pic, irq, true);
    pic_set_irq(&pic, irq, false);
}

static void test_nothing_pending(void **state)
{
    (void)state;
    assert_false(pic_pending(&pic));
    assert_int_equal(pic_ack(&pic), 0x27); /* spurious: IR7 */
    out(0x20, 0x0B);
    assert_int_equal(in(0x20), 0);         /* and not in service */
}

static void test_mask(void **state)
{
    (void)state;
    out(0x21, 0x10);
    assert_int_equal(in(0x21), 0x10);
    pulse(4);
    assert_false(pic_pending(&pic));
    out(0x20, 0x0A);
    assert_int_equal(in(0x20), 0x10);      /* IRR holds it */
    out(0x21, 0x00);
    assert_true(pic_pending(&pic));
    assert_int_equal(pic_ack(&pic), 0x24);
    assert_int_equal(in(0x20), 0x00);      /* IRR: consumed */
    out(0x20, 0x0B);
    assert_int_equal(in(0x20), 0x10);      /* ISR: in service */
}

/* Fully nested: IR1 before IR4; with IR4 in service IR5 waits, IR1 does
 * not; the non-specific EOI ends the highest in service. */
static void test_priority_and_nesting(void **state)
{
    (void)state;
    pulse(4), pulse(1);
    assert_int_equal(pic_ack(&pic), 0x21);
    assert_int_equal(pic_ack(&pic), 0x27); /* IR4 below IR1 in service */
    out(0x20, 0x20);                       /* ends IR1 */
    assert_int_equal(pic_ack(&pic), 0x24);
    pulse(5);
    assert_false(pic_pending(&pic));
    pulse(0);
    assert_true(pic_pending(&pic));
    assert_int_equal(pic_ack(&pic), 0x20);
    out(0x20, 0x64);                       /* specific EOI: IR4 */
    out(0x20, 0x0B);
    assert_int_equal(in(0x20), 0x01);      /* IR0 still in service */
    assert_false(pic_pending(&pic));
    out(0x20, 0x20);
    assert_int_equal(pic_ack(&pic), 0x25);
}

/* Rotation: "set priority" 0xC3 makes IR3 the lowest, so IR4 is the
 * highest; rotate on EOI makes the ended input the lowest. */
static void test_rotation(void **state)
{
    (void)state;
    out(0x20, 0xC3);
    pulse(3), pulse(4);
    assert_int_equal(pic_ack(&pic), 0x24);
    out(0x20, 0xA0);                       /* end IR4 and rotate */
    pulse(4);
    assert_int_equal(pic_ack(&pic), 0x23); /* IR4 now the lowest */
}

/* The slave's IR2 (IRQ 10): the master's IR2 and the slave's vector;
 * both in service until each gets its EOI. */
static void test_cascade(void **state)
{
    (void)state;
    pulse(10);
    assert_true(pic_pending(&pic));
    assert_int_equal(pic_ack(&pic), 0x2A);
    out(0x20, 0x0B);
    assert_int_equal(in(0x20), 0x04);
    out(0xA0, 0x0B);
    assert_int_equal(in(0xA0), 0x04);
    out(0xA1, 0x04);                       /* the slave masks IR2 */
    pulse(10);
    out(0xA0, 0x20), out(0x20, 0x20);
    assert_false(pic_pending(&pic));
    out(0xA1, 0x00);
    assert_int_equal(pic_ack(&pic), 0x2A);
}

/* Edge: a line held high requests once; level (ICW1.LTIM): while high. */
static void test_edge_and_level(void **state)
{
    (void)state;
    pic_set_irq(&pic, 3, true);
    assert_int_equal(pic_ack(&pic), 0x23);
    out(0x20, 0x20);
    assert_false(pic_pending(&pic));       /* no new edge */
    pic_set_irq(&pic, 3, false);
    out(0x20, 0x19), out(0x21, 0x20), out(0x21, 0x04), out(0x21, 0x01);
    out(0x21, 0x00);
    assert_false(pic_pending(&pic));
    pic_set_irq(&pic, 3, true);
    assert_int_equal(pic_ack(&pic), 0x23);
    out(0x20, 0x20);
    assert_true(pic_pending(&pic));        /* still high: again */
    pic_set_irq(&pic, 3, false);
    assert_false(pic_pending(&pic));
}

/* ICW4.AEOI: acknowledged and at once ended. */
static void test_aeoi(void **state)
{
    (void)state;
    out(0x20, 0x11), out(0x21, 0x20), out(0x21, 0x04), out(0x21, 0x03);
    out(0x21, 0x00);
    pulse(6);
    assert_int_equal(pic_ack(&pic), 0x26);
    out(0x20, 0x0B);
    assert_int_equal(in(0x20), 0);
    pulse(7);
    assert_true(pic_pending(&pic));
}

static void no_output(void *ctx, uint8_t byte)
{
    (void)ctx, (void)byte;
}

static void com1_irq(void *ctx, bool level)
{
    pic_set_irq(ctx, SERIAL_IRQ, level);
}

/* The 16550's transmitter-empty interrupt on IRQ 4 through MCR.OUT2:
 * raised when enabled with THR empty, shown in IIR and cleared by that
 * read, raised again when a written byte has gone. */
static void test_uart_thre(void **state)
{
    struct serial s;

    (void)state;
    serial_init(&s, no_output, NULL);
    serial_connect_irq(&s, com1_irq, &pic);
    serial_write(&s, 1, 0x02);              /* IER: ETBEI, OUT2 still 0 */
    assert_false(pic_pending(&pic));
    serial_write(&s, 4, 0x08);              /* MCR: OUT2 */
    assert_int_equal(pic_ack(&pic), 0x24);
    out(0x20, 0x20);
    assert_int_equal(serial_read(&s, 2), 0x02);
    assert_int_equal(serial_read(&s, 2), 0x01); /* cleared */
    assert_false(pic_pending(&pic));
    serial_write(&s, 0, 'x');               /* THR: sent, empty again */
    assert_int_equal(pic_ack(&pic), 0x24);
}

/* Received data (16550 data sheet): LSR bit 0 while a byte waits; IIR
 * 0x04, above transmitter empty, while IER bit 0 enables it; the line
 * stays up until RBR is read empty; FCR bit 1 clears what waits. */
static void test_uart_receive(void **state)
{
    struct serial s;

    (void)state;
    serial_init(&s, no_output, NULL);
    serial_connect_irq(&s, com1_irq, &pic);
    serial_write(&s, 4, 0x08);              /* MCR: OUT2 */
    assert_int_equal(serial_read(&s, 5) & 0x01, 0);
    assert_int_equal(serial_receive(&s, (const uint8_t *)"ab", 2), 2);
    assert_int_equal(serial_read(&s, 5) & 0x01, 1);
    assert_false(pic_pending(&pic));        /* IER: nothing enabled */
    serial_write(&s, 1, 0x03);              /* IER: ERBFI and ETBEI */
    assert_int_equal(pic_ack(&pic), 0x24);
    out(0x20, 0x20);
    assert_int_equal(serial_read(&s, 2), 0x04); /* received data first */
    assert_int_equal(serial_read(&s, 0), 'a');
    assert_int_equal(serial_read(&s, 2), 0x04);
    assert_int_equal(serial_read(&s, 0), 'b');
    assert_int_equal(serial_read(&s, 5) & 0x01, 0);
    assert_int_equal(serial_read(&s, 2), 0x02); /* then THR empty */
    serial_receive(&s, (const uint8_t *)"c", 1);
    serial_write(&s, 2, 0x02);              /* FCR: clear the receiver */
    assert_int_equal(serial_read(&s, 5) & 0x01, 0);
    /* a full buffer takes no more */
    static uint8_t lots[SERIAL_RX_BUF + 10];
    assert_int_equal(serial_receive(&s, lots, sizeof lots), SERIAL_RX_BUF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_nothing_pending, setup),
        cmocka_unit_test_setup(test_mask, setup),
        cmocka_unit_test_setup(test_priority_and_nesting, setup),
        cmocka_unit_test_setup(test_rotation, setup),
        cmocka_unit_test_setup(test_cascade, setup),
        cmocka_unit_test_setup(test_edge_and_level, setup),
        cmocka_unit_test_setup(test_aeoi, setup),
        cmocka_unit_test_setup(test_uart_thre, setup),
        cmocka_unit_test_setup(test_uart_receive, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
