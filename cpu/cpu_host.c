/* cpu_host.c: the host CPU's own CPUID and PERF_CAPABILITIES, for --cpu host. */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu_host.h"

static void host_leaf(struct pmu_cpuid_dump *d, uint32_t leaf, uint32_t sub)
{
    struct pmu_cpuid_regs *r;

    if (d->n == PMU_CPUID_MAX_REGS)
        return;
    r = &d->regs[d->n++];
    r->leaf = leaf, r->subleaf = sub;
    __cpuid_count(leaf, sub, r->eax, r->ebx, r->ecx, r->edx);
}

/* The leaves pmu_model_from_cpuid() reads, on the CPU this thread is on. */
static void host_leaves(struct pmu_cpuid_dump *d)
{
    uint32_t max, a, b, c, e;

    memset(d, 0, sizeof(*d));
    __cpuid(0, max, b, c, e);
    host_leaf(d, 0, 0);
    host_leaf(d, 1, 0);
    for (uint32_t sub = 0; max >= 4 && sub < 16; sub++) {
        __cpuid_count(4, sub, a, b, c, e);
        if ((a & 0x1F) == 0)
            break;
        host_leaf(d, 4, sub);
    }
    if (max >= 7)
        host_leaf(d, 7, 0);
    if (max >= 0xA)
        host_leaf(d, 0xA, 0);
    if (max >= 0x1A)
        host_leaf(d, 0x1A, 0);
    for (uint32_t sub = 0; max >= 0x23 && sub < 6; sub++)
        host_leaf(d, 0x23, sub);
}

static uint32_t core_type_here(void)
{
    uint32_t a = 0, b, c, d, max;

    __cpuid(0, max, b, c, d);
    if (max >= 0x1A)
        __cpuid_count(0x1A, 0, a, b, c, d);
    return a >> 24;
}

/* Pins this thread to the first CPU of the wanted type (any: the first
 * allowed CPU) and returns its number; -1 if none. */
static int pin_to_type(uint32_t want, const cpu_set_t *allowed)
{
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        cpu_set_t one;

        if (!CPU_ISSET(cpu, allowed))
            continue;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (sched_setaffinity(0, sizeof(one), &one))
            continue;
        if (!want || core_type_here() == want)
            return cpu;
    }
    return -1;
}

/* IA32_PERF_CAPABILITIES (0x345) through the msr driver: root, or
 * CAP_SYS_RAWIO, and the module loaded. */
static void host_perf_caps(int cpu, struct pmu_cpuid_dump *d, char *note,
                           size_t notelen)
{
    char path[64];
    uint64_t v;
    int fd;

    snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && pread(fd, &v, sizeof(v), 0x345) == (ssize_t)sizeof(v)) {
        d->have_perf_caps = true;
        d->perf_caps = v;
        snprintf(note, notelen, "IA32_PERF_CAPABILITIES read from %s",
                 path);
    } else {
        snprintf(note, notelen, "IA32_PERF_CAPABILITIES inferred from CPUID:"
                 " %s: %s (perf's sysfs caps/ do not carry it)", path,
                 strerror(errno));
    }
    if (fd >= 0)
        close(fd);
}

int cpu_host_read(const char *core_type, struct pmu_cpuid_dump *out,
                  char *note, size_t notelen, char *err, size_t errlen)
{
    uint32_t want = !core_type ? 0
                    : strcmp(core_type, "core") == 0 ? PMU_CORE_TYPE_CORE
                                                     : PMU_CORE_TYPE_ATOM;
    const struct pmu_cpuid_regs *l7;
    cpu_set_t allowed;
    int cpu;

    uint32_t max, b, c, d;

    /* Another vendor's CPU: read its leaves as they are, and let the
     * model say in one line why it cannot be one. */
    __cpuid(0, max, b, c, d);
    /* "Genu" "ineI" "ntel" in EBX, EDX, ECX */
    if (b != 0x756E6547 || d != 0x49656E69 || c != 0x6C65746E) {
        host_leaves(out);
        return 0;
    }
    if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
        snprintf(err, errlen, "--cpu host: sched_getaffinity: %s",
                 strerror(errno));
        return -1;
    }
    cpu = pin_to_type(want, &allowed);
    if (cpu >= 0)
        host_leaves(out);
    sched_setaffinity(0, sizeof(allowed), &allowed);
    if (cpu < 0) {
        snprintf(err, errlen, "--cpu host:%s: no CPU of that core type here "
                 "(CPUID leaf 0x1A)", core_type);
        return -1;
    }
    l7 = pmu_cpuid_dump_find(out, 7, 0);
    if (!want && l7 && (l7->edx >> 15 & 1)) {
        snprintf(err, errlen, "--cpu host: a hybrid CPU: choose a core type "
                 "(--cpu host:core or --cpu host:atom)");
        return -1;
    }
    if (want && !(l7 && (l7->edx >> 15 & 1))) {
        snprintf(err, errlen, "--cpu host:%s: not a hybrid CPU (one core "
                 "type)", core_type);
        return -1;
    }
    host_perf_caps(cpu, out, note, notelen);
    return 0;
}
