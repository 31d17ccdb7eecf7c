/* watchdog.c: a periodic tick that interrupts KVM_RUN, for --timeout and to notice a halted guest. */
#include <err.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "vmm/status.h"
#include "vmm/watchdog.h"

static volatile sig_atomic_t ticks_left; /* < 0: no limit */
static volatile sig_atomic_t fired;
static volatile sig_atomic_t ticks_seen; /* since arming, wrapping */

static struct kvm_run *volatile watched;

static void on_tick(int sig)
{
    (void)sig;
    ticks_seen++;
    if (ticks_left > 0 && --ticks_left == 0)
        fired = 1;
    struct kvm_run *run = watched;
    if (run)
        run->immediate_exit = 1;
}

void watchdog_arm(struct kvm_run *run, double seconds)
{
    watched = run;
    /* Round up, so a timeout is never cut short. */
    double ticks = seconds * 1000.0 / WATCHDOG_TICK_MS + 0.999999;
    ticks_left = seconds > 0 ? (sig_atomic_t)(ticks < 1 ? 1 : ticks) : -1;
    /* No SA_RESTART: the tick must end what blocks, KVM_RUN (KVM returns
     * -EINTR for a pending signal whatever the flag) and a console write
     * to a pipe nobody reads (vmm/console.c retries it until --timeout).
     * Every other system call pmvm makes while the tick runs either
     * never sleeps or retries EINTR itself (vmm/host_probe.c). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tick;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) < 0)
        err(STATUS_OSERR, "sigaction");
    struct itimerval t = {
        .it_interval = {0, WATCHDOG_TICK_MS * 1000},
        .it_value = {0, WATCHDOG_TICK_MS * 1000},
    };
    if (setitimer(ITIMER_REAL, &t, NULL) < 0)
        err(STATUS_OSERR, "setitimer");
}

unsigned watchdog_ticks(void)
{
    return (unsigned)ticks_seen;
}

bool watchdog_expired(void)
{
    return fired;
}

void watchdog_resume(void)
{
    watched->immediate_exit = 0;
}

void watchdog_disarm(void)
{
    struct itimerval off = {0};
    if (setitimer(ITIMER_REAL, &off, NULL) < 0)
        err(STATUS_OSERR, "setitimer");
    watched = NULL; /* a tick already on its way touches nothing */
}
