/* reason.c: the one-line reason a loader gives for refusing an input, written into the caller's buffer. */
#include <stdarg.h>
#include <stdio.h>

#include "vmm/reason.h"

int reason(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}
