/* ktap.c: KTAP v1 result lines, counted, ending in an exit status. */
#include "guest.h"

static unsigned planned, done, failed, skipped;

void ktap_plan(unsigned count)
{
    planned = count;
    printf("KTAP version 1\n1..%u\n", count);
}

bool ktap_result(bool ok, const char *fmt, ...)
{
    va_list ap;

    done++;
    if (!ok)
        failed++;
    printf("%sok %u ", ok ? "" : "not ", done);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    serial_putc('\n');
    return ok;
}

void ktap_skip(const char *reason, const char *fmt, ...)
{
    va_list ap;

    done++;
    skipped++;
    printf("ok %u ", done);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(" # SKIP %s\n", reason);
}

void ktap_diag(const char *fmt, ...)
{
    va_list ap;

    serial_write("# ", 2);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    serial_putc('\n');
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
