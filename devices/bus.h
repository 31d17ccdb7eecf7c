/* bus.h: the port I/O bus: devices register their port ranges into it at set-up (as kvmtool's kvm__register_pio, Firecracker's io_bus.insert), and an access is dispatched to the device that claims its port. */
#ifndef PMVM_BUS_H
#define PMVM_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_RANGES 16

/* A handler's "keep running": any other value is the status the guest
 * asked the run to end with (the exit port). Equal to vmm's RUN_CONTINUE. */
#define BUS_CONTINUE (-1)

/*
 * One access of (size) bytes (1, 2 or 4) at (offset) from the range's
 * base: IN sets *value (its low size bytes), OUT takes it. Returns
 * BUS_CONTINUE, or a status 0..255 that ends the run.
 */
typedef int bus_handler(void *dev, uint16_t offset, unsigned size, bool in,
                        uint32_t *value);

struct bus_range {
    uint16_t base, length;
    bus_handler *fn;
    void *dev; /* the handler's first argument */
};

struct bus {
    struct bus_range range[BUS_MAX_RANGES];
    unsigned n;
};

void bus_init(struct bus *b);

/* Ports base .. base + length - 1 to (fn) with (dev). False, and nothing
 * registered, if they overlap a registered range or the bus is full. */
bool bus_register(struct bus *b, uint16_t base, uint16_t length,
                  bus_handler *fn, void *dev);

/* The access at (port), to the device whose range holds it: true with
 * *status its handler's answer, or false if no device claims the port. */
bool bus_access(const struct bus *b, uint16_t port, unsigned size, bool in,
                uint32_t *value, int *status);

#endif
