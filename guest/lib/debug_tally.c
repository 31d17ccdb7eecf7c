/* debug_tally.c: counts the #DBs a guest takes and where the last one was, each taken once (its TF cleared): for probes that check that pmvm leaks none and delivers the guest's own. */
#include "guest.h"

struct debug_tally debug_tally;

static void on_debug(struct ex_regs *r)
{
    debug_tally.traps++;
    debug_tally.rip = r->rip;
    r->rflags &= ~RFLAGS_TF; /* take it once, report it */
}

void debug_tally_start(void)
{
    debug_tally.traps = 0;
    set_exception_handler(1, on_debug);
}

bool debug_tally_none(void)
{
    unsigned n = debug_tally.traps;

    if (n)
        ktap_diag("%u #DB, the last at rip 0x%llx", n,
                  (unsigned long long)debug_tally.rip);
    debug_tally.traps = 0;
    return n == 0;
}
