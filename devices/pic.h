/* pic.h: the PC's two cascaded 8259A interrupt controllers: their programming interface, and the interrupts of the lines wired to them (the UART's IRQ 4), delivered to the CPU through INTA. */
#ifndef PMVM_PIC_H
#define PMVM_PIC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define PIC_MASTER 0x20u /* command 0x20, data 0x21 */
#define PIC_SLAVE 0xA0u  /* command 0xA0, data 0xA1 */
#define PIC_CASCADE 2u   /* the master's input the slave drives */

struct pic_chip {
    uint8_t irr;       /* requests waiting */
    uint8_t isr;       /* requests in service */
    uint8_t imr;       /* OCW1: the mask */
    uint8_t lines;     /* each input's level, for edge detection */
    uint8_t base;      /* ICW2: the vector of IR0 (bits 7:3) */
    uint8_t lowest;    /* the input of lowest priority (rotation) */
    uint8_t icw_next;  /* 0: none; 2..4: the ICW the data port expects */
    bool icw4;         /* ICW1 said an ICW4 follows */
    bool single;       /* ICW1: no cascade, so no ICW3 */
    bool level;        /* ICW1.LTIM: level-triggered inputs */
    bool aeoi;         /* ICW4: automatic end of interrupt */
    bool read_isr;     /* OCW3: the command port reads ISR, not IRR */
    bool rotate_aeoi;  /* OCW2: rotate priority on automatic EOI */
    bool special_mask; /* OCW3: special mask mode */
};

struct pic {
    struct pic_chip chip[2]; /* master, slave */
};

/* Both chips as after power-on, before the guest's ICW1. */
void pic_init(struct pic *p);

/* Registers each chip's command and data port; false if taken. */
bool pic_attach(struct pic *p, struct bus *b);

/* Input (irq) 0-15 (8-15 the slave's) at (level): a rising edge requests
 * an interrupt (level-triggered: while high). */
void pic_set_irq(struct pic *p, unsigned irq, bool level);

/* Whether the master's INT output is asserted: an unmasked request of
 * higher priority than any in service. */
bool pic_pending(const struct pic *p);

/* The CPU's interrupt acknowledge: the vector of the highest-priority
 * request, now in service (unless AEOI); the spurious IR7 vector of the
 * chip that has none left (8259A data sheet). */
unsigned pic_ack(struct pic *p);

#endif
