/* serial.h: enough of a 16550 UART at COM1 (0x3F8) for polled output. */
#ifndef PMVM_SERIAL_H
#define PMVM_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define SERIAL_COM1 0x3F8u
#define SERIAL_NPORTS 8u

struct serial {
    void (*out)(void *ctx, uint8_t byte); /* where transmitted bytes go */
    void *ctx;
    uint8_t ier, lcr, mcr, scr, dll, dlm;
};

void serial_init(struct serial *s, void (*out)(void *ctx, uint8_t byte),
                 void *ctx);
void serial_write(struct serial *s, unsigned reg, uint8_t val);
uint8_t serial_read(struct serial *s, unsigned reg);

/* Registers its SERIAL_NPORTS ports at SERIAL_COM1; false if taken. */
bool serial_attach(struct serial *s, struct bus *b);

#endif
