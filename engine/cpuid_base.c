/* cpuid_base.c: the CPUID of the CPU the engine is (--accel=engine): the features it implements, before a CPU model adds its vendor, signature and PMU leaves. */
#include "engine/engine.h"

/*
 * Only what the engine executes is offered, so that a guest which checks
 * CPUID never reaches an instruction the engine would stop on; the SDM
 * vol. 2A, CPUID, names each bit. Deterministic by design: no host bit
 * shows through (QEMU TCG's "qemu64" is the same idea).
 */
#define B(n) (1u << (n))

static const struct engine_cpuid_leaf base[] = {
    /* The highest basic leaf; a model's PMU leaves raise it. */
    {0x0, 0, {0x7, 0, 0, 0}},
    /* EBX: CLFLUSH line 8 x 8 bytes, one logical processor, APIC ID 0.
     * ECX: CMPXCHG16B (13), x2APIC (21), POPCNT (23), TSC-deadline timer (24),
     * hypervisor (31), as KVM sets it. EDX: PSE (3), TSC (4), MSR (5),
     * PAE (6), CMPXCHG8B (8), APIC (9), PGE (13), CMOV (15), PAT (16), CLFSH (19). The
     * local APIC is the VMM's (devices/apic.c). */
    {0x1, 0, {0, (8u << 8) | (1u << 16),
              B(13) | B(21) | B(23) | B(24) | B(31),
              B(3) | B(4) | B(5) | B(6) | B(8) | B(9) | B(13) | B(15) |
                  B(16) | B(19)}},
    /* EBX: FSGSBASE (0), IA32_TSC_ADJUST (1), SMEP (7), SMAP (20);
     * ECX: RDPID (22). */
    {0x7, 0, {0, B(0) | B(1) | B(7) | B(20), B(22), 0}},
    {0x80000000u, 0, {0x80000008u, 0, 0, 0}},
    /* ECX: LAHF/SAHF in 64-bit mode (0), LZCNT (5). EDX: SYSCALL (11),
     * NX (20), 1-GiB pages (26), RDTSCP (27), long mode (29). */
    {0x80000001u, 0, {0, 0, B(0) | B(5),
                      B(11) | B(20) | B(26) | B(27) | B(29)}},
    /* 39 physical and 48 linear address bits. */
    {0x80000008u, 0, {39u | (48u << 8), 0, 0, 0}},
};

size_t engine_cpuid_base(const struct engine_cpuid_leaf **leaves)
{
    *leaves = base;
    return sizeof base / sizeof base[0];
}
