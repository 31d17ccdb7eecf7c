/* cpuid.c: prints CPUID leaves 0, 1, 0xA and 0x23 (sub-leaves 0-5) as KTAP diagnostics, at CPL0. */
#include "guest.h"

#define LEAF_ARCH_PERFMON 0xA
#define LEAF_PERFMON_EXT 0x23
#define LEAF_23_SUBLEAVES 6

static unsigned faults;

/* CPL0 only: on the PVM host CPL3 CPUID returns the host's values. */
static void show(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
    uint32_t err;
    uint8_t vector = cpuid_safe(leaf, subleaf, r, &err);

    if (vector) {
        faults++;
        ktap_diag("cpuid 0x%08x.%u: vector %u %s error code %#x", leaf,
                  subleaf, vector, exception_name(vector), err);
        return;
    }
    ktap_diag("cpuid 0x%08x.%u: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x",
              leaf, subleaf, r[0], r[1], r[2], r[3]);
}

int main(void)
{
    uint32_t r[4], max_leaf;
    char vendor[13];

    ktap_plan(1);
    show(0, 0, r);
    max_leaf = r[0];
    memcpy(vendor, &r[1], 4);           /* the vendor string is ebx, edx, ecx */
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = '\0';
    ktap_diag("vendor %s, max basic leaf %#x", vendor, max_leaf);
    show(1, 0, r);
    show(LEAF_ARCH_PERFMON, 0, r);
    if (max_leaf >= LEAF_PERFMON_EXT) {
        for (uint32_t sub = 0; sub < LEAF_23_SUBLEAVES; sub++)
            show(LEAF_PERFMON_EXT, sub, r);
    } else {
        ktap_diag("cpuid 0x%08x: above the max basic leaf, not read",
                  LEAF_PERFMON_EXT);
    }
    ktap_result(faults == 0, "cpuid leaves read");
    return ktap_finish();
}
