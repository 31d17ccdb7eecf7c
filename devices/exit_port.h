/* exit_port.h: QEMU's isa-debug-exit at port 0xF4: a write ends the run with a status made of the value written. */
#ifndef PMVM_EXIT_PORT_H
#define PMVM_EXIT_PORT_H

#include <stdbool.h>

#include "devices/bus.h"

#define EXIT_PORT 0xF4u

struct exit_port {
    bool qemu;  /* status (v << 1) | 1, as QEMU's; else v itself */
    bool trace; /* a line on stderr for each write */
};

/*
 * Registers the port at EXIT_PORT: (nports) of them (kvm-unit-tests'
 * runner gives isa-debug-exit four, iosize=4; pmvm's guest ABI has one).
 * A read is 0, as isa-debug-exit's. False if the ports are taken.
 */
bool exit_port_attach(struct exit_port *e, struct bus *b, bool qemu,
                      bool trace, unsigned nports);

#endif
