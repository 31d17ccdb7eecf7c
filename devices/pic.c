/* pic.c: the 8259A pair's programming interface (ICW1-4, OCW1 mask, IRR/ISR reads), with no interrupt ever pending. */
#include "devices/pic.h"

#define ICW1 0x10u      /* a command-port write with bit 4: initialisation */
#define ICW1_IC4 0x01u  /* ICW4 will follow */

/*
 * kvm-unit-tests masks both chips before it uses the local APIC (the PC's
 * legacy interrupts would otherwise arrive through them). pmvm has no
 * devices that interrupt through them, so only the registers a guest
 * writes and reads back are kept (Intel 8259A data sheet: ICW1 on the
 * command port starts ICW2, ICW3 and, if asked, ICW4 on the data port;
 * after that the data port is the mask, OCW1).
 */
static void chip_write(struct pic_chip *c, bool data, uint8_t v)
{
    if (!data) {
        if (v & ICW1) {
            c->imr = 0;
            c->icw_next = 2;
            c->icw4 = v & ICW1_IC4;
        }
        return; /* OCW2/OCW3: end of interrupt, read select: nothing to do */
    }
    switch (c->icw_next) {
    case 2: c->icw_next = 3; return; /* the vector base */
    case 3: c->icw_next = c->icw4 ? 4 : 0; return; /* the cascade */
    case 4: c->icw_next = 0; return; /* the mode */
    default: c->imr = v; return;
    }
}

/* One chip's ports: offset 0 the command port, 1 the data port. */
static int pic_io(void *dev, uint16_t offset, unsigned size, bool in,
                  uint32_t *value)
{
    struct pic_chip *c = dev;
    bool data = offset & 1;
    (void)size;
    if (in)
        *value = data ? c->imr : 0; /* IRR or ISR: nothing pending */
    else
        chip_write(c, data, (uint8_t)*value);
    return BUS_CONTINUE;
}

bool pic_attach(struct pic *p, struct bus *b)
{
    return bus_register(b, PIC_MASTER, 2, pic_io, &p->chip[0]) &&
           bus_register(b, PIC_SLAVE, 2, pic_io, &p->chip[1]);
}
