/* spawn.h: runs one command for the benchmark driver, with its output, wall time and peak memory. */
#ifndef BENCH_SPAWN_H
#define BENCH_SPAWN_H

#include <stddef.h>

struct spawn_result {
    int status;        /* exit status, or 128 + signal number */
    double wall_s;     /* fork to reaped, CLOCK_MONOTONIC */
    long maxrss_kib;   /* the child's peak resident set (wait4) */
    char *out;         /* standard output, NUL-terminated */
    char *err;         /* standard error, NUL-terminated */
};

/* Run argv[0] (searched in PATH) with stdin from /dev/null, collecting
 * stdout and stderr; fails fast (err()) only when the command cannot be
 * started at all. */
void spawn(const char *const argv[], struct spawn_result *r);

/* Free what spawn() allocated. */
void spawn_free(struct spawn_result *r);

#endif
