/* reason.h: the one-line reason a loader gives for refusing an input, written into the caller's buffer. */
#ifndef PMVM_REASON_H
#define PMVM_REASON_H

#include <stddef.h>

/* Formats the reason into (why) (at most whylen bytes); returns -1, the
 * refusing function's result. */
int reason(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
