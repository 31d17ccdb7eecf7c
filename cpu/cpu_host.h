/* cpu_host.h: the host CPU's own CPUID answers and PERF_CAPABILITIES, for --cpu host. */
#ifndef PMVM_CPU_HOST_H
#define PMVM_CPU_HOST_H

#include <stddef.h>

#include "pmu/pmu.h"

/*
 * The leaves cpu_dump_read() reads, from the CPU pmvm runs on: CPUID
 * executed by pmvm on a logical CPU of core_type (NULL: any, refused on a hybrid host), and
 * IA32_PERF_CAPABILITIES from /dev/cpu/N/msr where it can be read (note
 * says where it came from). Returns 0, or -1 with one line in err.
 */
int cpu_host_read(const char *core_type, struct pmu_cpuid_dump *out,
                  char *note, size_t notelen, char *err, size_t errlen);

#endif
