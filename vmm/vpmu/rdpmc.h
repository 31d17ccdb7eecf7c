/* rdpmc.h: emulates one guest RDPMC from the PMU model, exactly as the hardware would retire or fault it. */
#ifndef PMVM_RDPMC_H
#define PMVM_RDPMC_H

#include <stdbool.h>
#include <stdint.h>

struct pmvm;
struct pmu_mode;

/* --trace's RDPMC lines: a sweep (one site, mode, outcome and rule, ECX
 * after ECX in equal steps) is one line, then one for the rest, unless
 * --trace=all. */
struct rdpmc_trace {
    bool open;          /* a line was printed that more may follow */
    uint64_t rip;
    unsigned cpl;
    bool pce, ok;
    char rule[256];
    uint32_t first, last; /* ECX of the printed one and of the last */
    uint32_t step;        /* ECX's step from one to the next */
    unsigned more;        /* how many came after the printed one */
    uint32_t held_ecx[2]; /* the first two of them, printed one a line */
    uint64_t held_val[2]; /* if no more follow */
};

/* Print the line for the RDPMCs folded since the last one printed; before
 * any other trace line, and at the end of the run. */
void rdpmc_trace_flush(struct pmvm *p);

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
