/* checked.c: rdmsr, wrmsr, rdpmc and cpuid that panic on a fault, built on the *_safe functions. */
#include "guest.h"

static noreturn void fault(const char *what, uint32_t arg, uint8_t vector,
                           uint32_t err)
{
    panic("%s(%#x) raised vector %u %s, error code %#x", what, arg, vector,
          exception_name(vector), err);
}

uint64_t rdmsr(uint32_t msr)
{
    uint64_t val;
    uint32_t err;
    uint8_t vector = rdmsr_safe(msr, &val, &err);

    if (vector)
        fault("rdmsr", msr, vector, err);
    return val;
}

void wrmsr(uint32_t msr, uint64_t val)
{
    uint32_t err;
    uint8_t vector = wrmsr_safe(msr, val, &err);

    if (vector)
        fault("wrmsr", msr, vector, err);
}

uint64_t rdpmc(uint32_t ecx)
{
    uint64_t val;
    uint32_t err;
    uint8_t vector = rdpmc_safe(ecx, &val, &err);

    if (vector)
        fault("rdpmc", ecx, vector, err);
    return val;
}

void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
    uint32_t err;
    uint8_t vector = cpuid_safe(leaf, subleaf, regs, &err);

    if (vector)
        fault("cpuid", leaf, vector, err);
}
