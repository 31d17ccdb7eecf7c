/* console_in.h: standard input as the bytes COM1 receives (--machine=linux), read without blocking at each of the watchdog's ticks, with a terminal put in raw mode for the run. */
#ifndef PMVM_CONSOLE_IN_H
#define PMVM_CONSOLE_IN_H

#include <stdbool.h>
#include <termios.h>

#include "devices/serial.h"

struct console_in {
    int fd;          /* -1: no input (none asked for, or it ended) */
    int tty;         /* the terminal put in raw mode, or -1 */
    struct termios saved;
    unsigned char pending[256]; /* read, not yet taken by the UART */
    unsigned npending;
};

/* Input from (fd); a terminal gets raw mode (its signals kept), undone by
 * console_in_restore(), which also runs at exit and on SIGINT, SIGTERM
 * and SIGHUP. */
void console_in_init(struct console_in *c, int fd);

/* What (fd) has now, without waiting, into (s)'s receive buffer; what it
 * has no room for waits for the next call. At end of input, stops. */
void console_in_poll(struct console_in *c, struct serial *s);

void console_in_restore(struct console_in *c);

#endif
