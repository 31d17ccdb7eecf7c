/* ktap.c: KTAP v1 result lines, counted, ending in an exit status. */
#include "guest.h"

/* Longer lines are cut: a KTAP line is built whole, then sent with one
 * console_write (each call costs emulated instructions on the PVM host). */
#define KTAP_LINE_MAX 512

struct line {
    char buf[KTAP_LINE_MAX];
    size_t len;
};

static unsigned planned, done, failed, skipped;

static void line_vadd(struct line *l, const char *fmt, va_list ap)
{
    size_t space = sizeof l->buf - 1 - l->len;  /* keep one for '\n' */
    int n = vsnprintf(l->buf + l->len, space, fmt, ap);

    if (n > 0)
        l->len += (size_t)n < space ? (size_t)n : space - 1;
}

static void line_add(struct line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void line_add(struct line *l, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    line_vadd(l, fmt, ap);
    va_end(ap);
}

static void line_send(struct line *l)
{
    l->buf[l->len++] = '\n';
    console_write(l->buf, l->len);
}

void ktap_plan(unsigned count)
{
    planned = count;
    printf("KTAP version 1\n1..%u\n", count);
}

bool ktap_result(bool ok, const char *fmt, ...)
{
    struct line l = {.len = 0};
    va_list ap;

    done++;
    if (!ok)
        failed++;
    line_add(&l, "%sok %u ", ok ? "" : "not ", done);
    va_start(ap, fmt);
    line_vadd(&l, fmt, ap);
    va_end(ap);
    line_send(&l);
    return ok;
}

void ktap_skip(const char *reason, const char *fmt, ...)
{
    struct line l = {.len = 0};
    va_list ap;

    done++;
    skipped++;
    line_add(&l, "ok %u ", done);
    va_start(ap, fmt);
    line_vadd(&l, fmt, ap);
    va_end(ap);
    line_add(&l, " # SKIP %s", reason);
    line_send(&l);
}

void ktap_diag(const char *fmt, ...)
{
    struct line l = {.len = 0};
    va_list ap;

    line_add(&l, "# ");
    va_start(ap, fmt);
    line_vadd(&l, fmt, ap);
    va_end(ap);
    line_send(&l);
}

/* Quiet when everything passed, so a passing run is exactly its plan and
 * results; otherwise say why the status is a failure. */
int ktap_finish(void)
{
    if (done == planned && !failed)
        return GUEST_EXIT_PASS;
    ktap_diag("totals: pass:%u fail:%u skip:%u", done - failed - skipped,
              failed, skipped);
    if (done != planned)
        ktap_diag("planned %u tests but ran %u", planned, done);
    return GUEST_EXIT_FAIL;
}

noreturn void ktap_exit(void)
{
    exit(ktap_finish());
}
