/* stats.c: medians of repeated measurements, and the TSC rate against the monotonic clock. */
#include <err.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

#include "bench/stats.h"

void samples_add(struct samples *s, double x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = realloc(s->v, s->cap * sizeof s->v[0]);
        if (!s->v)
            err(71, "realloc");
    }
    s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double samples_median(struct samples *s)
{
    if (!s->n)
        return NAN;
    qsort(s->v, s->n, sizeof s->v[0], cmp_double);
    size_t m = s->n / 2;
    return s->n % 2 ? s->v[m] : (s->v[m - 1] + s->v[m]) / 2;
}

void samples_free(struct samples *s)
{
    free(s->v);
    *s = (struct samples){0};
}

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_RAW, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double tsc_hz_measure(void)
{
    struct timespec nap = {0, 100 * 1000 * 1000};
    double t0 = mono_s();
    unsigned long long c0 = __rdtsc();
    while (nanosleep(&nap, &nap) < 0)
        ;
    unsigned long long c1 = __rdtsc();
    double t1 = mono_s();
    return (double)(c1 - c0) / (t1 - t0);
}
