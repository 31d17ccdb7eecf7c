/* apic_timer.h: what devices/apic.c and devices/apic_timer.c (the local APIC's timer) share; callers use devices/apic.h. */
#ifndef PMVM_APIC_TIMER_H
#define PMVM_APIC_TIMER_H

#include "devices/apic.h"

#define LVT_MASKED (1u << 16)
#define TIMER_MODE(v) (((v) >> 17) & 3u) /* SDM Figure 11-8 */
#define TIMER_PERIODIC 1u
#define TIMER_DEADLINE 2u

static inline bool apic_hw_enabled(const struct apic *a)
{
    return a->base & APIC_BASE_EN;
}

static inline unsigned apic_timer_mode(const struct apic *a)
{
    return TIMER_MODE(a->lvt[APIC_LVT_TIMER]);
}

/* The current-count register at (now). */
uint32_t apic_timer_current(const struct apic *a, uint64_t now);

/* An initial-count write at (now). */
void apic_timer_start(struct apic *a, uint32_t count, uint64_t now);

/* In apic.c: LVT entry (i) raises its interrupt unless masked. */
void apic_lvt_fire(struct apic *a, unsigned i);

#endif
