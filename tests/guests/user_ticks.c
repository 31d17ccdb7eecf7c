/* user_ticks.c: CPL3 code running while a counter counts and pmvm's watchdog ticks land in it takes no #DB of pmvm's (--count=step on a host that cannot step CPL3). */
#include "guest.h"
#include "x86.h"

/*
 * Nested PVM cannot single-step CPL3 code, so pmvm runs it unstepped
 * from the return that enters it until the guest is back at CPL0. The
 * watchdog's tick (every 10 ms) ends KVM_RUN wherever the guest is; a
 * tick at CPL3 once made pmvm step again there, and KVM's TF became a
 * #DB the guest took. The spin lasts 2^27 TSC cycles (tens of ms at
 * any TSC rate a host has: several ticks), or 2^22 loops where the TSC
 * is the engine's counted clock, one cycle an instruction (seconds of the
 * engine's time, hundreds of ticks; 2^27 cycles took it 19 s, a minute
 * in the sanitizer build); the guest sets no TF and no breakpoint, so the
 * right count of #DB is 0 (SDM Vol. 3, 18.3).
 */

#define MSR_EVTSEL0 0x186u
#define MSR_GLOBAL_CTRL 0x38Fu
#define SPIN_CYCLES (1ull << 27)
#define SPIN_LOOPS (1ull << 22)
#define SPINS 4

static uint64_t user_spin(uint64_t cycles)
{
    uint64_t start = rdtsc(), loops = 0;
    while (rdtsc() - start < cycles && loops < SPIN_LOOPS)
        loops++;
    return loops;
}

int main(void)
{
    uint32_t err;
    debug_tally_start();
    ktap_plan(SPINS);
    if (wrmsr_safe(MSR_EVTSEL0, 0xC0 | (3ull << 16) | (1ull << 22), &err)) {
        for (unsigned i = 0; i < SPINS; i++)
            ktap_skip("the model has no GP counter", "CPL3 spin");
        ktap_exit();
    }
    wrmsr_safe(MSR_GLOBAL_CTRL, 1, &err);
    for (unsigned i = 0; i < SPINS; i++) {
        uint64_t loops = run_user(user_spin, SPIN_CYCLES);
        bool none = debug_tally_none();
        ktap_result(none, "CPL3 spin %u (%llu loops): no #DB", i,
                    (unsigned long long)loops);
    }
    wrmsr_safe(MSR_GLOBAL_CTRL, 0, &err);
    ktap_exit();
}
