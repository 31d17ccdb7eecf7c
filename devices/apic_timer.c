/* apic_timer.c: the local APIC timer (SDM 11.5.4): one-shot and periodic counts on the timer clock, TSC-deadline on the TSC, all computed from the caller's clock. */
#include "devices/apic_timer.h"

/* Divide configuration bits 3, 1:0 (SDM Figure 11-10): 0..6 divide by
 * 2^(n+1), 7 by 1. */
static uint64_t divisor(uint32_t dcr)
{
    unsigned n = (dcr & 3u) | ((dcr >> 1) & 4u);
    return n == 7 ? 1 : 2ull << n;
}

/* Timer-clock ticks from the count's start to (now). */
static uint64_t bus_elapsed(const struct apic *a, uint64_t now)
{
    if (now <= a->timer_start)
        return 0;
    unsigned __int128 t = (unsigned __int128)(now - a->timer_start) *
                          a->timer_hz / a->tsc_hz;
    return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

/* Whole counts (decrements) since the start. */
static uint64_t counts(const struct apic *a, uint64_t now)
{
    return bus_elapsed(a, now) / a->timer_div;
}

/* The first TSC time at which (k) periods have elapsed: the smallest t
 * with bus_elapsed(t) >= k * period, so the two never disagree. */
static uint64_t period_end(const struct apic *a, uint64_t k)
{
    unsigned __int128 bus = (unsigned __int128)k * a->init_count * a->timer_div;
    unsigned __int128 tsc = (bus * a->tsc_hz + a->timer_hz - 1) / a->timer_hz;
    tsc += a->timer_start;
    return tsc >= UINT64_MAX ? UINT64_MAX : (uint64_t)tsc;
}

static bool counting(const struct apic *a)
{
    return apic_hw_enabled(a) && a->init_count &&
           apic_timer_mode(a) != TIMER_DEADLINE;
}

void apic_advance(struct apic *a, uint64_t now)
{
    if (apic_timer_mode(a) == TIMER_DEADLINE) {
        /* SDM 11.5.4.1: expiry disarms it and clears the MSR. */
        if (apic_hw_enabled(a) && a->tsc_deadline && now >= a->tsc_deadline) {
            a->tsc_deadline = 0;
            apic_lvt_fire(a, APIC_LVT_TIMER);
        }
        return;
    }
    if (!counting(a))
        return;
    uint64_t periods = counts(a, now) / a->init_count;
    if (periods <= a->timer_done)
        return;
    bool fire = apic_timer_mode(a) == TIMER_PERIODIC || a->timer_done == 0;
    a->timer_done = periods;
    if (fire)
        apic_lvt_fire(a, APIC_LVT_TIMER);
}

uint64_t apic_next_event(const struct apic *a)
{
    if (apic_timer_mode(a) == TIMER_DEADLINE)
        return apic_hw_enabled(a) && a->tsc_deadline ? a->tsc_deadline
                                                     : UINT64_MAX;
    if (!counting(a))
        return UINT64_MAX;
    /* An expired one-shot has no event, but apic_advance() still counts
     * its periods, so that a switch to periodic goes on in phase. */
    if (apic_timer_mode(a) != TIMER_PERIODIC && a->timer_done)
        return UINT64_MAX;
    return period_end(a, a->timer_done + 1);
}

uint32_t apic_timer_current(const struct apic *a, uint64_t now)
{
    if (!counting(a))
        return 0; /* also TSC-deadline mode (SDM 11.5.4.1) */
    uint64_t c = counts(a, now);
    if (apic_timer_mode(a) == TIMER_PERIODIC)
        return a->init_count - (uint32_t)(c % a->init_count);
    return c >= a->init_count ? 0 : a->init_count - (uint32_t)c;
}

void apic_timer_start(struct apic *a, uint32_t count, uint64_t now)
{
    if (apic_timer_mode(a) == TIMER_DEADLINE)
        return; /* SDM 11.5.4.1: ignored in TSC-deadline mode */
    a->init_count = count; /* 0 stops it */
    a->timer_start = now;
    /* A divide-register write takes effect at the next start. */
    a->timer_div = divisor(a->dcr);
    a->timer_done = 0;
}

uint64_t apic_tsc_deadline(const struct apic *a)
{
    return apic_timer_mode(a) == TIMER_DEADLINE ? a->tsc_deadline : 0;
}

void apic_tsc_deadline_write(struct apic *a, uint64_t val, uint64_t now)
{
    apic_advance(a, now);
    if (!apic_hw_enabled(a) || apic_timer_mode(a) != TIMER_DEADLINE)
        return;
    a->tsc_deadline = val;
    apic_advance(a, now); /* a deadline already past fires now */
}
