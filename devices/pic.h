/* pic.h: the PC's two 8259A interrupt controllers as registers only: guests program and mask them, and pmvm never raises their interrupts. */
#ifndef PMVM_PIC_H
#define PMVM_PIC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define PIC_MASTER 0x20u /* command 0x20, data 0x21 */
#define PIC_SLAVE 0xA0u  /* command 0xA0, data 0xA1 */

struct pic_chip {
    uint8_t imr;      /* OCW1: the interrupt mask */
    uint8_t icw_next; /* 0: none; 2..4: the ICW the data port expects */
    bool icw4;        /* ICW1 said an ICW4 follows */
};

struct pic {
    struct pic_chip chip[2]; /* master, slave */
};

/* Registers each chip's command and data port; false if taken. */
bool pic_attach(struct pic *p, struct bus *b);

#endif
