/* cpu_dump.h: a CPU's own CPUID answers from a dump file (--cpu-dump); cpu_host.h has the host's. */
#ifndef PMVM_CPU_DUMP_H
#define PMVM_CPU_DUMP_H

#include <stddef.h>

#include "pmu/pmu.h"

/*
 * Reads one logical CPU of a CPUID dump: Debian's `cpuid -r` output
 * (blocks "CPU N:", lines "0x0000000a 0x00: eax=0x... ebx=... ecx=...
 * edx=...") or the InstLatx64/AIDA64 text format (lines "CPUID 0000000A:
 * EAX-EBX-ECX-EDX [SL nn]"), told apart by their lines. core_type is
 * NULL, "core" or "atom": a hybrid dump needs one and gets the first
 * logical CPU of that type; any other dump refuses one. Returns 0, or -1
 * with one line in err (unreadable, neither format, hybrid without a core
 * type, no CPU of that type).
 */
int cpu_dump_read(const char *path, const char *core_type,
                  struct pmu_cpuid_dump *out, char *err, size_t errlen);

#endif
