/* stats.h: samples, medians and the TSC frequency for the benchmark driver. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stddef.h>

/* A growable list of measurements of one figure. */
struct samples {
    double *v;
    size_t n, cap;
};

void samples_add(struct samples *s, double x);

/* The median (the mean of the middle two for an even count); NaN when
 * there are no samples. Reorders the samples. */
double samples_median(struct samples *s);

void samples_free(struct samples *s);

/* TSC ticks per second, measured against CLOCK_MONOTONIC_RAW over about
 * 100 ms. The guests' RDTSC runs on the same clock (KVM gives them the
 * host's TSC rate unless told otherwise, and pmvm does not). */
double tsc_hz_measure(void);

#endif
