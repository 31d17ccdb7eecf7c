/* pic.c: the master and slave 8259A: initialisation and operation command words, IRR/ISR/IMR, fully nested priority with rotation, edge or level inputs, the cascade on IR2, and INTA. */
#include <string.h>

#include "devices/pic.h"

/*
 * Everything here is from the Intel 8259A data sheet (order 231468):
 * ICW1 on the command port (bit 4 set) starts initialisation, clearing
 * the mask and the edge sense and making IR7 the lowest priority; ICW2
 * (the vector base), ICW3 (the cascade, unless ICW1.SNGL) and ICW4 (if
 * ICW1.IC4; bit 1 AEOI) follow on the data port, which is the mask
 * (OCW1) afterwards. On the command port, OCW2 (bits 4:3 = 00) ends or
 * rotates interrupts, OCW3 (01) selects what the command port reads
 * (IRR or ISR) and the special mask mode. The PC wires the slave's INT to
 * the master's IR2 (PIC_CASCADE). Not modelled: the poll command, the
 * special fully nested mode, buffered mode (none of which a PC guest
 * needs), and the ELCR (level triggering comes from ICW1.LTIM).
 */

#define ICW1 0x10u
#define ICW1_IC4 0x01u
#define ICW1_SNGL 0x02u
#define ICW1_LTIM 0x08u
#define OCW3 0x08u
#define ICW4_AEOI 0x02u

void pic_init(struct pic *p)
{
    memset(p, 0, sizeof *p);
    for (unsigned i = 0; i < 2; i++)
        p->chip[i].lowest = 7;
}

/* The input of highest priority in (bits), or -1: priority runs from
 * the input after the lowest one round to the lowest. */
static int highest(const struct pic_chip *c, uint8_t bits)
{
    for (unsigned k = 1; k <= 8; k++) {
        unsigned i = (c->lowest + k) & 7;
        if (bits & (1u << i))
            return (int)i;
    }
    return -1;
}

/* The request (among (irr)) the chip would raise INT for, or -1: the
 * highest unmasked one, if above every one in service (fully nested
 * mode; in the special mask mode, masked inputs in service do not
 * inhibit). */
static int request(const struct pic_chip *c, uint8_t irr)
{
    uint8_t want = irr & ~c->imr;
    uint8_t busy = c->special_mask ? c->isr & ~c->imr : c->isr;

    for (unsigned k = 1; k <= 8; k++) {
        unsigned i = (c->lowest + k) & 7;
        if (busy & (1u << i))
            return -1;
        if (want & (1u << i))
            return (int)i;
    }
    return -1;
}

/* The master's requests, its IR2 the slave's INT output. */
static uint8_t master_irr(const struct pic *p)
{
    const struct pic_chip *m = &p->chip[0];

    if (m->single)
        return m->irr;
    uint8_t cascade = request(&p->chip[1], p->chip[1].irr) >= 0
                          ? 1u << PIC_CASCADE : 0;
    return (uint8_t)((m->irr & ~(1u << PIC_CASCADE)) | cascade);
}

bool pic_pending(const struct pic *p)
{
    return request(&p->chip[0], master_irr(p)) >= 0;
}

/* Input (i) acknowledged: in service (or at once ended, with AEOI); an
 * edge request is consumed, a level one stays while its line is high. */
static void acknowledge(struct pic_chip *c, unsigned i)
{
    if (!c->level)
        c->irr &= (uint8_t)~(1u << i);
    if (c->aeoi) {
        if (c->rotate_aeoi)
            c->lowest = (uint8_t)i;
    } else {
        c->isr |= (uint8_t)(1u << i);
    }
}

unsigned pic_ack(struct pic *p)
{
    struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
    int i = request(m, master_irr(p));

    if (i < 0)
        return (m->base | 7u) & 0xFFu; /* spurious: no request left */
    acknowledge(m, (unsigned)i);
    if (m->single || i != PIC_CASCADE)
        return (m->base | (unsigned)i) & 0xFFu;
    int j = request(s, s->irr);
    if (j < 0)
        return (s->base | 7u) & 0xFFu;
    acknowledge(s, (unsigned)j);
    return (s->base | (unsigned)j) & 0xFFu;
}

void pic_set_irq(struct pic *p, unsigned irq, bool level)
{
    if (irq > 15)
        return;
    struct pic_chip *c = &p->chip[irq >> 3];
    uint8_t bit = (uint8_t)(1u << (irq & 7));

    if (level && (c->level || !(c->lines & bit)))
        c->irr |= bit;
    else if (!level && c->level)
        c->irr &= (uint8_t)~bit;
    c->lines = level ? c->lines | bit : c->lines & (uint8_t)~bit;
}

/* OCW2: R, SL, EOI in bits 7:5, the input in 2:0. */
static void ocw2(struct pic_chip *c, uint8_t v)
{
    unsigned level = v & 7u;
    int i;

    switch (v >> 5) {
    case 0: c->rotate_aeoi = false; return;
    case 4: c->rotate_aeoi = true; return;
    case 1: /* non-specific EOI */
    case 5: /* and rotate */
        if ((i = highest(c, c->isr)) < 0)
            return;
        c->isr &= (uint8_t)~(1u << i);
        if (v >> 5 == 5)
            c->lowest = (uint8_t)i;
        return;
    case 3: /* specific EOI */
    case 7: /* and rotate */
        c->isr &= (uint8_t)~(1u << level);
        if (v >> 5 == 7)
            c->lowest = (uint8_t)level;
        return;
    case 6: c->lowest = (uint8_t)level; return; /* set priority */
    default: return; /* 2: no operation */
    }
}

static void command_write(struct pic_chip *c, uint8_t v)
{
    if (v & ICW1) {
        c->irr = c->isr = c->imr = 0;
        c->lowest = 7;
        c->read_isr = c->special_mask = c->rotate_aeoi = c->aeoi = false;
        c->level = v & ICW1_LTIM;
        c->single = v & ICW1_SNGL;
        c->icw4 = v & ICW1_IC4;
        c->icw_next = 2;
        if (c->level)
            c->irr = c->lines;
    } else if (v & OCW3) {
        if ((v & 3u) >= 2)
            c->read_isr = v & 1u;
        if ((v & 0x60u) >= 0x40)
            c->special_mask = v & 0x20u;
    } else {
        ocw2(c, v);
    }
}

static void data_write(struct pic_chip *c, uint8_t v)
{
    switch (c->icw_next) {
    case 2:
        c->base = v & 0xF8u;
        c->icw_next = c->single ? (c->icw4 ? 4 : 0) : 3;
        return;
    case 3: c->icw_next = c->icw4 ? 4 : 0; return; /* the cascade */
    case 4:
        c->aeoi = v & ICW4_AEOI;
        c->icw_next = 0;
        return;
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
        *value = data ? c->imr : c->read_isr ? c->isr : c->irr;
    else if (data)
        data_write(c, (uint8_t)*value);
    else
        command_write(c, (uint8_t)*value);
    return BUS_CONTINUE;
}

bool pic_attach(struct pic *p, struct bus *b)
{
    return bus_register(b, PIC_MASTER, 2, pic_io, &p->chip[0]) &&
           bus_register(b, PIC_SLAVE, 2, pic_io, &p->chip[1]);
}
