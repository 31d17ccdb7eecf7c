/* console.c: the guest's console on standard output, a line at a time whatever stdout is; a write that fails ends the run, and one a reader leaves blocked ends it at --timeout. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "vmm/console.h"
#include "vmm/watchdog.h"

void console_init(struct console *c, int fd)
{
    memset(c, 0, sizeof(*c));
    c->fd = fd;
}

/*
 * write(2) until all is out. The watchdog's 10 ms tick interrupts a write
 * blocked on a pipe nobody reads (EINTR, its handler has no SA_RESTART),
 * which is tried again until --timeout; a descriptor left non-blocking
 * by whoever opened it waits in poll() the same way.
 */
void console_flush(struct console *c)
{
    size_t done = 0;
    while (done < c->len && console_ok(c)) {
        ssize_t n = write(c->fd, c->buf + done, c->len - done);
        if (n > 0) {
            done += (size_t)n;
        } else if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            if (watchdog_expired())
                c->timed_out = true;
            else if (errno == EAGAIN)
                poll(&(struct pollfd){.fd = c->fd, .events = POLLOUT}, 1,
                     WATCHDOG_TICK_MS);
        } else {
            c->err = n < 0 ? errno : EIO;
        }
    }
    c->len = 0;
}

void console_putc(void *console, uint8_t byte)
{
    struct console *c = console;
    if (!console_ok(c))
        return;
    c->buf[c->len++] = (char)byte;
    if (byte == '\n' || c->len == sizeof(c->buf))
        console_flush(c);
}

bool console_ok(const struct console *c)
{
    return !c->err && !c->timed_out;
}
