/* watchdog.c: stops a guest that runs too long, even one spinning inside KVM_RUN. */
#include <err.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "vmm/status.h"
#include "vmm/watchdog.h"

static volatile sig_atomic_t fired;
static struct kvm_run *watched;

static void on_alarm(int sig)
{
    (void)sig;
    fired = 1;
    /* KVM_RUN returns EINTR now, and at once if pmvm was between runs. */
    watched->immediate_exit = 1;
}

void watchdog_arm(struct kvm_run *run, double seconds)
{
    if (seconds <= 0)
        return;
    watched = run;
    /* No SA_RESTART: the signal must interrupt KVM_RUN, since some hosts
     * spin inside it forever (a guest VMCALL on nested PVM). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) < 0)
        err(STATUS_OSERR, "sigaction");
    struct itimerval t = {0};
    t.it_value.tv_sec = (time_t)seconds;
    t.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) *
                                       1e6);
    if (t.it_value.tv_sec == 0 && t.it_value.tv_usec == 0)
        t.it_value.tv_usec = 1;
    if (setitimer(ITIMER_REAL, &t, NULL) < 0)
        err(STATUS_OSERR, "setitimer");
}

bool watchdog_expired(void)
{
    return fired;
}
