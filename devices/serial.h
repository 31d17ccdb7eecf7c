/* serial.h: enough of a 16550 UART at COM1 (0x3F8) for output, polled or driven by its transmitter-empty interrupt on IRQ 4. */
#ifndef PMVM_SERIAL_H
#define PMVM_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define SERIAL_COM1 0x3F8u
#define SERIAL_NPORTS 8u
#define SERIAL_IRQ 4u /* COM1's line on the PC's 8259 */

struct serial {
    void (*out)(void *ctx, uint8_t byte); /* where transmitted bytes go */
    void *ctx;
    void (*irq)(void *irq_ctx, bool level); /* the interrupt line */
    void *irq_ctx;
    uint8_t ier, lcr, mcr, scr, dll, dlm;
    bool thre;     /* the transmitter-empty interrupt is pending */
    bool line;     /* the level last set on the interrupt line */
};

void serial_init(struct serial *s, void (*out)(void *ctx, uint8_t byte),
                 void *ctx);
/* Wires the UART's interrupt output (through MCR.OUT2, as the PC does)
 * to (irq); without it the UART is polled only. */
void serial_connect_irq(struct serial *s,
                        void (*irq)(void *irq_ctx, bool level),
                        void *irq_ctx);
void serial_write(struct serial *s, unsigned reg, uint8_t val);
uint8_t serial_read(struct serial *s, unsigned reg);

/* Registers its SERIAL_NPORTS ports at SERIAL_COM1; false if taken. */
bool serial_attach(struct serial *s, struct bus *b);

#endif
