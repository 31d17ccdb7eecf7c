/* spawn.c: runs one command with its output captured, timed from fork to wait4, with its peak RSS. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/spawn.h"

struct buf {
    char *data;
    size_t len, cap;
};

static void buf_read(struct buf *b, int fd, bool *open_)
{
    if (b->cap - b->len < 4096) {
        b->cap = b->cap ? b->cap * 2 : 8192;
        b->data = realloc(b->data, b->cap);
        if (!b->data)
            err(71, "realloc");
    }
    ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
    if (n < 0 && errno == EINTR)
        return;
    if (n <= 0) {
        *open_ = false;
        return;
    }
    b->len += (size_t)n;
}

static char *buf_string(struct buf *b)
{
    if (!b->data && !(b->data = malloc(1)))
        err(71, "malloc");
    b->data[b->len] = '\0';
    return b->data;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void spawn(const char *const argv[], struct spawn_result *r)
{
    int out[2], errp[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
        err(71, "pipe2");
    double start = now_s();
    pid_t pid = fork();
    if (pid < 0)
        err(71, "fork");
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 ||
            dup2(errp[1], 2) < 0)
            _exit(127);
        size_t n = 0;
        while (argv[n])
            n++;
        char **args = calloc(n + 1, sizeof args[0]);
        for (size_t i = 0; args && i < n; i++)
            args[i] = strdup(argv[i]);
        if (args)
            execvp(args[0], args);
        _exit(127);
    }
    close(out[1]);
    close(errp[1]);
    struct buf bo = {0}, be = {0};
    bool oo = true, eo = true;
    while (oo || eo) {
        struct pollfd p[2] = {{oo ? out[0] : -1, POLLIN, 0},
                              {eo ? errp[0] : -1, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            err(71, "poll");
        }
        if (oo && p[0].revents)
            buf_read(&bo, out[0], &oo);
        if (eo && p[1].revents)
            buf_read(&be, errp[0], &eo);
    }
    close(out[0]);
    close(errp[0]);
    int ws;
    struct rusage ru;
    while (wait4(pid, &ws, 0, &ru) < 0)
        if (errno != EINTR)
            err(71, "wait4");
    r->wall_s = now_s() - start;
    r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 127 && bo.len == 0)
        errx(71, "cannot run %s", argv[0]);
    r->maxrss_kib = ru.ru_maxrss;
    r->out = buf_string(&bo);
    r->err = buf_string(&be);
}

void spawn_free(struct spawn_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
