/* pmu_metrics.c: IA32_PERF_METRICS as fractions of 0xFF of the slots counted since it was zeroed. */
#include "pmu/pmu_internal.h"

/* part/whole in 0xFF units, rounded down, with the remainder in *rem
 * (whole != 0). 128 bits: a 64-bit counter times 0xFF. */
static uint64_t share(uint64_t part, uint64_t whole, uint64_t *rem)
{
    unsigned __int128 n = (unsigned __int128)part * 0xFF;

    *rem = (uint64_t)(n % whole);
    return (uint64_t)(n / whole);
}

/*
 * The level-1 bytes by largest remainder, so that they sum to exactly 0xFF
 * (pmu-spec 3.5: "about 0xFF"); ties go to the lower byte. Each level-2
 * byte is rounded to nearest and never exceeds its parent's byte.
 */
static uint64_t compute(const struct pmu_topdown *acc, uint32_t nbytes)
{
    uint64_t b[TD_COUNT] = {0}, rem[TD_COUNT], val = 0, left = 0xFF;

    if (acc->slots == 0)
        return 0;
    for (unsigned k = 0; k < 4; k++) {
        b[k] = share(acc->td[k], acc->slots, &rem[k]);
        left -= b[k] <= left ? b[k] : left;
    }
    while (left > 0) {
        unsigned best = 4;
        for (unsigned k = 0; k < 4; k++)
            if (rem[k] && (best == 4 || rem[k] > rem[best]))
                best = k;
        if (best == 4)
            break;
        b[best]++;
        rem[best] = 0;
        left--;
    }
    for (unsigned k = 4; k < TD_COUNT && k < nbytes; k++) {
        b[k] = share(acc->td[k], acc->slots, &rem[k]);
        if (2 * rem[k] >= acc->slots)
            b[k]++;
        if (b[k] > b[k - 4])
            b[k] = b[k - 4];
    }
    for (unsigned k = 0; k < TD_COUNT && k < nbytes; k++)
        val |= (b[k] & 0xFF) << (8 * k);
    return val;
}

void pmu_metrics_zero(struct pmu *pmu)
{
    pmu->acc = (struct pmu_topdown){0};
}

bool pmu_metrics_add(struct pmu *pmu, const struct pmu_cost *cost)
{
    uint64_t mask = pmu_width_mask(pmu->m.fixed_width);
    bool wrapped = false;

    /* The accumulators are as wide as FIXED_CTR3, their denominator. When
     * the slots would carry past that width, GLOBAL_STATUS bit 48 says so
     * and the fractions restart with this instruction (pmu-spec 3.3 marks
     * the hardware trigger [?]; this is the model's). */
    if (cost->slots > mask - pmu->acc.slots) {
        pmu->global_status |= GLOBAL_PERF_METRICS;
        pmu_metrics_zero(pmu);
        wrapped = true;
    }
    pmu->acc.slots += cost->slots & mask;
    for (unsigned k = 0; k < TD_COUNT; k++)
        pmu->acc.td[k] += cost->td[k];
    pmu->perf_metrics = compute(&pmu->acc, pmu->m.metrics_bytes);
    return wrapped;
}

void pmu_metrics_add_many(struct pmu *pmu, const struct pmu_cost *cost,
                          uint64_t m)
{
    pmu->acc.slots += m * cost->slots;
    for (unsigned k = 0; k < TD_COUNT; k++)
        pmu->acc.td[k] += m * cost->td[k];
    pmu->perf_metrics = compute(&pmu->acc, pmu->m.metrics_bytes);
}

void pmu_metrics_write(struct pmu *pmu, uint64_t val)
{
    uint64_t base = pmu->fixed[3];

    pmu_metrics_zero(pmu);
    if (val == 0)
        return;
    /* Restoring: byte k was acc.td[k] / acc.slots in 0xFF units, and the
     * restorer wrote FIXED_CTR3 (the slots) just before (pmu-spec 3.5). */
    pmu->acc.slots = base;
    for (unsigned k = 0; k < TD_COUNT && k < pmu->m.metrics_bytes; k++)
        pmu->acc.td[k] = (uint64_t)((unsigned __int128)base *
                                    (val >> (8 * k) & 0xFF) / 0xFF);
}
