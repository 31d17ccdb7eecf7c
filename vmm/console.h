/* console.h: the guest's console on standard output, a line at a time whatever stdout is; a write that fails ends the run, and one a reader leaves blocked ends it at --timeout. */
#ifndef PMVM_CONSOLE_H
#define PMVM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_BUF 4096

struct console {
    int fd;
    size_t len;
    int err;          /* errno of the write that failed, else 0 */
    bool timed_out;   /* a write was still blocked when --timeout came */
    char buf[CONSOLE_BUF];
};

void console_init(struct console *c, int fd);

/* One byte from the guest (the serial device's sink): written out with
 * the line it ends, or when the buffer is full. */
void console_putc(void *console, uint8_t byte);

/* Write out what is buffered (before pmvm's own lines on stderr, and at
 * the end of the run). Waits for a slow reader until --timeout. */
void console_flush(struct console *c);

/* No write failed or timed out. */
bool console_ok(const struct console *c);

#endif
