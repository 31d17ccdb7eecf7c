/* vtsc.h: the guest's time-stamp counter while the engine counts: the model's cycles, not the host's time. */
#ifndef PMVM_VTSC_H
#define PMVM_VTSC_H

#include <stdbool.h>
#include <stdint.h>

struct vtsc {
    bool on;          /* a counted region's clock is running */
    uint64_t base;    /* the guest's TSC when it started */
    uint64_t cycles0; /* the model's cycles then */
};

struct pmvm;

/* The region starts: the guest's TSC from KVM, then the model's clock. */
void vtsc_start(struct pmvm *p);

/* The guest's TSC now, in the region. */
uint64_t vtsc_now(const struct pmvm *p);

/* The region ends: KVM's TSC goes on from vtsc_now(). */
void vtsc_stop(struct pmvm *p);

#endif
