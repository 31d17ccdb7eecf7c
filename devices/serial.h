/* serial.h: enough of a 16550 UART at COM1 (0x3F8) for a console: output, polled or driven by its transmitter-empty interrupt, and input with its received-data interrupt, on IRQ 4. */
#ifndef PMVM_SERIAL_H
#define PMVM_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/bus.h"

#define SERIAL_COM1 0x3F8u
#define SERIAL_NPORTS 8u
#define SERIAL_IRQ 4u /* COM1's line on the PC's 8259 */
#define SERIAL_RX_BUF 4096u /* bytes received, not yet read */

struct serial {
    void (*out)(void *ctx, uint8_t byte); /* where transmitted bytes go */
    void *ctx;
    void (*irq)(void *irq_ctx, bool level); /* the interrupt line */
    void *irq_ctx;
    uint8_t ier, lcr, mcr, scr, dll, dlm;
    bool thre;     /* the transmitter-empty interrupt is pending */
    bool line;     /* the level last set on the interrupt line */
    uint8_t rx[SERIAL_RX_BUF]; /* received bytes, oldest at rx_head */
    unsigned rx_head, rx_len;
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

/* Bytes arrive on the line: as many of (len) as the receive buffer has
 * room for are taken; returns how many. */
size_t serial_receive(struct serial *s, const uint8_t *bytes, size_t len);

/* Registers its SERIAL_NPORTS ports at SERIAL_COM1; false if taken. */
bool serial_attach(struct serial *s, struct bus *b);

#endif
