/* exit_port.c: QEMU's isa-debug-exit at port 0xF4: a write ends the run with the value written, or (v << 1) | 1 as QEMU makes it. */
#include <stdio.h>

#include "devices/exit_port.h"

static int exit_port_io(void *dev, uint16_t offset, unsigned size, bool in,
                        uint32_t *value)
{
    struct exit_port *e = dev;
    (void)offset, (void)size;
    if (in) {
        *value = 0;
        return BUS_CONTINUE;
    }
    uint8_t v = *value & 0xFF;
    if (e->trace)
        fprintf(stderr, "pmvm: trace: exit port: guest wrote %u\n", v);
    return e->qemu ? ((v << 1) | 1) & 0xFF : v;
}

bool exit_port_attach(struct exit_port *e, struct bus *b, bool qemu,
                      bool trace, unsigned nports)
{
    *e = (struct exit_port){.qemu = qemu, .trace = trace};
    return bus_register(b, EXIT_PORT, (uint16_t)nports, exit_port_io, e);
}
