/* rdpmc.h: emulates one guest RDPMC from the PMU model, exactly as the hardware would retire or fault it. */
#ifndef PMVM_RDPMC_H
#define PMVM_RDPMC_H

#include <stdbool.h>
#include <stdint.h>

struct pmvm;
struct pmu_mode;

/* RDPMC (ecx) in (mode) at (rip) answered by the model, traced with
 * --trace: true with *val, false for #GP(0). */
bool rdpmc_answer(struct pmvm *p, uint32_t ecx, const struct pmu_mode *mode,
                  uint64_t rip, uint64_t *val);

/*
 * Emulate the RDPMC of (length) bytes at the vCPU's RIP: on success EDX:EAX
 * get the value (upper halves cleared), RIP moves past it and RF clears;
 * otherwise #GP(0) is raised at it. Returns true if it retired.
 */
bool rdpmc_emulate(struct pmvm *p, unsigned length);

#endif
