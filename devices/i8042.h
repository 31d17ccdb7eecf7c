/* i8042.h: the PC's keyboard controller at ports 0x60/0x64, enough for Linux's i8042 driver to find it quickly and for the guest to reset the machine through it; no keyboard or mouse is plugged in. */
#ifndef PMVM_I8042_H
#define PMVM_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define I8042_DATA_PORT 0x60u
#define I8042_CMD_PORT 0x64u
#define I8042_KBD_IRQ 1u
#define I8042_AUX_IRQ 12u
#define I8042_QUEUE 16u

struct i8042 {
    uint8_t ctr;          /* the controller's command byte */
    uint8_t outp;         /* its output port (bit 0: reset line, high) */
    uint8_t pending;      /* a command waiting for its data byte, or 0 */
    uint8_t out[I8042_QUEUE];
    bool out_aux[I8042_QUEUE];
    unsigned head, n;     /* the output buffer: bytes for the guest */
    bool line[2];         /* IRQ 1 and IRQ 12 as last set */
    void (*irq)(void *ctx, unsigned irq, bool level);
    void *irq_ctx;
    int reset_status;     /* what a reset ends the run with */
};

/* A controller whose reset (command 0xFE, or the output port's reset
 * line pulled low) ends the run with (reset_status), and whose interrupt
 * lines go to (irq), which may be NULL. */
void i8042_init(struct i8042 *k, int reset_status,
                void (*irq)(void *ctx, unsigned irq, bool level), void *ctx);
/* One access; BUS_CONTINUE, or the status a reset ends the run with. */
int i8042_access(struct i8042 *k, uint16_t port, bool in, uint32_t *value);
/* Registers its two ports; false if taken. */
bool i8042_attach(struct i8042 *k, struct bus *b);

#endif
