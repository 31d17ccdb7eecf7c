/* console_in.c: standard input into COM1's receive buffer, polled without blocking, the terminal raw while the guest runs. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/console_in.h"

/*
 * Raw mode is what QEMU's -serial stdio and kvmtool's terminal give a
 * guest's shell: no echo and no line editing on the host side (the
 * guest's tty does both), bytes as typed. Signals stay on, so ^C still
 * ends pmvm; the terminal is put back first.
 */
static struct console_in *restore_at_exit;

static void restore(void)
{
    if (restore_at_exit)
        console_in_restore(restore_at_exit);
}

static void on_signal(int sig)
{
    restore();
    _exit(128 + sig);
}

void console_in_init(struct console_in *c, int fd)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->tty = -1;
    if (fd < 0 || tcgetattr(fd, &c->saved) < 0)
        return; /* not a terminal: bytes as they come */
    struct termios raw = c->saved;
    raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
                               IGNCR | ICRNL | IXON);
    raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &raw) < 0)
        return;
    c->tty = fd;
    restore_at_exit = c;
    atexit(restore);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
}

void console_in_poll(struct console_in *c, struct serial *s)
{
    if (c->fd < 0)
        return;
    if (!c->npending) {
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        if (poll(&pfd, 1, 0) <= 0)
            return;
        ssize_t n = read(c->fd, c->pending, sizeof c->pending);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (n <= 0) {
            c->fd = -1; /* end of input, or it failed: no more */
            return;
        }
        c->npending = (unsigned)n;
    }
    size_t took = serial_receive(s, c->pending, c->npending);
    memmove(c->pending, c->pending + took, c->npending - took);
    c->npending -= (unsigned)took;
}

void console_in_restore(struct console_in *c)
{
    if (c->tty >= 0)
        tcsetattr(c->tty, TCSANOW, &c->saved);
    c->tty = -1;
}
