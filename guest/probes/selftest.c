/* selftest.c: checks the guest runtime itself: fix-ups at CPL0 and CPL3, run_user, handlers, printf, boot info. */
#include "guest.h"

/* An MSR index no CPU implements: RDMSR/WRMSR of it raise #GP(0) (SDM
 * vol. 2B, RDMSR/WRMSR "Protected Mode Exceptions"). */
#define BOGUS_MSR 0x12345678
#define GP_VECTOR 13
#define UD_VECTOR 6

static unsigned ud_count;

/* QEMU TCG returns 0 for unknown MSRs instead of raising #GP; its CPUID
 * hypervisor leaf says "TCGTCGTCGTCG". */
static bool qemu_tcg(void)
{
    uint32_t r[4];

    cpuid(1, 0, r);
    if (!(r[2] & (1u << 31)))           /* no hypervisor present */
        return false;
    cpuid(0x40000000, 0, r);
    return r[1] == 0x54474354 && r[2] == 0x43544743 && r[3] == 0x47435447;
}

/* Pack what a CPL3 function saw into one return value. */
static uint64_t pack(uint8_t vector, uint32_t err, unsigned cpl)
{
    return (uint64_t)vector | (uint64_t)err << 8 | (uint64_t)cpl << 40;
}

static uint64_t user_xor(uint64_t arg)
{
    return arg ^ 0xA5A5A5A5A5A5A5A5ull;
}

static uint64_t user_cpl(uint64_t arg)
{
    (void)arg;
    return read_cpl();
}

/* The fault is fixed up and execution continues here at CPL3. */
static uint64_t user_rdmsr(uint64_t msr)
{
    uint64_t val;
    uint32_t err = 0xffffffff;
    uint8_t vector = rdmsr_safe((uint32_t)msr, &val, &err);

    return pack(vector, err, read_cpl());
}

static uint64_t user_rdpmc(uint64_t ecx)
{
    uint64_t val;
    uint32_t err = 0xffffffff;
    uint8_t vector = rdpmc_safe((uint32_t)ecx, &val, &err);

    return pack(vector, err, read_cpl());
}

static uint64_t user_print(uint64_t arg)
{
    ktap_diag("printed at CPL%u (arg %llu)", read_cpl(),
              (unsigned long long)arg);
    return read_cpl();
}

/* Leaves DF set (an ABI violation on purpose) to see it not leak. */
static uint64_t user_std(uint64_t arg)
{
    __asm__ volatile("std");
    return arg;
}

static uint64_t user_ud2(uint64_t arg)
{
    __asm__ volatile("ud2");
    return arg + read_cpl();
}

static unsigned pmi_count;
static uint64_t pmi_vector, pmi_error;

static void count_pmi(struct ex_regs *regs)
{
    pmi_count++;
    pmi_vector = regs->vector;
    pmi_error = regs->error_code;
}

/* A #UD handler that skips the 2-byte UD2 and counts. */
static void skip_ud2(struct ex_regs *regs)
{
    ud_count++;
    regs->rip += 2;
}

static void test_msr_cpl0(void)
{
    uint64_t val = 0xdead;
    uint32_t err = 0xffffffff;
    uint8_t vector;

    if (qemu_tcg()) {
        ktap_skip("QEMU TCG ignores unknown MSRs",
                  "rdmsr_safe of a bogus MSR gives #GP(0)");
        ktap_skip("QEMU TCG ignores unknown MSRs",
                  "wrmsr_safe of a bogus MSR gives #GP(0)");
    } else {
        vector = rdmsr_safe(BOGUS_MSR, &val, &err);
        ktap_result(vector == GP_VECTOR && err == 0 && val == 0,
                    "rdmsr_safe of a bogus MSR gives #GP(0) "
                    "(vector %u err %#x)", vector, err);
        err = 0xffffffff;
        vector = wrmsr_safe(BOGUS_MSR, 1, &err);
        ktap_result(vector == GP_VECTOR && err == 0,
                    "wrmsr_safe of a bogus MSR gives #GP(0) "
                    "(vector %u err %#x)", vector, err);
    }

    vector = rdmsr_safe(MSR_EFER, &val, NULL);
    ktap_result(vector == 0 &&
                (val & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
                "rdmsr_safe(EFER) has LME and LMA (vector %u value %#llx)",
                vector, (unsigned long long)val);

    wrmsr(MSR_KERNEL_GS_BASE, 0x000056789abcd000ull);   /* canonical */
    ktap_result(rdmsr(MSR_KERNEL_GS_BASE) == 0x000056789abcd000ull,
                "wrmsr then rdmsr of KERNEL_GS_BASE round-trips");
}

static void test_cpuid_cr4(void)
{
    uint32_t r[4];
    uint64_t cr4 = read_cr4();
    bool set, cleared;

    uint8_t vector = cpuid_safe(0, 0, r, NULL);

    ktap_result(vector == 0 && r[0] >= 1,
                "cpuid_safe(0) at CPL0 (vector %u, max leaf %#x)", vector,
                r[0]);

    write_cr4(cr4 | CR4_PCE);
    set = read_cr4() & CR4_PCE;
    write_cr4(cr4 & ~(uint64_t)CR4_PCE);
    cleared = !(read_cr4() & CR4_PCE);
    ktap_result(set && cleared && (read_cr0() & CR0_PG),
                "CR4.PCE toggles; CR0.PG is set");
}

static void test_user(void)
{
    uint64_t r;

    r = run_user(user_xor, 0x1122334455667788ull);
    ktap_result(r == 0xB48796E1F0C3D22Dull && read_cpl() == 0,
                "run_user returns fn(arg) at CPL0 (%#llx)",
                (unsigned long long)r);

    r = run_user(user_cpl, 0);
    ktap_result(r == 3, "run_user runs fn at CPL3 (CPL %llu)",
                (unsigned long long)r);

    /* SDM: RDMSR at CPL > 0 raises #GP(0). */
    r = run_user(user_rdmsr, MSR_EFER);
    ktap_result(r == pack(GP_VECTOR, 0, 3),
                "rdmsr_safe at CPL3 gives #GP(0) and resumes at CPL3 (%#llx)",
                (unsigned long long)r);

    /* SDM: RDPMC with CR4.PCE = 0 at CPL > 0 raises #GP(0). */
    write_cr4(read_cr4() & ~(uint64_t)CR4_PCE);
    r = run_user(user_rdpmc, 0);
    ktap_result(r == pack(GP_VECTOR, 0, 3),
                "rdpmc_safe at CPL3 with CR4.PCE=0 gives #GP(0) (%#llx)",
                (unsigned long long)r);

    r = run_user(user_std, 5);
    ktap_result(r == 5 && !(read_rflags() & RFLAGS_DF),
                "run_user restores the caller's RFLAGS (DF set at CPL3)");

    r = run_user(user_print, 7);
    ktap_result(r == 3, "printf at CPL3 through the #GP port I/O path");
}

static void test_handlers(void)
{
    uint64_t r;

    set_exception_handler(UD_VECTOR, skip_ud2);
    __asm__ volatile("ud2");
    ktap_result(ud_count == 1, "installed #UD handler runs for UD2 at CPL0");

    r = run_user(user_ud2, 40);
    ktap_result(ud_count == 2 && r == 43,
                "installed #UD handler returns to CPL3 (%llu)",
                (unsigned long long)r);
    set_exception_handler(UD_VECTOR, NULL);

    /* Nothing raises a PMI yet (no LAPIC emulation), and INT n at CPL0 is
     * an emulation failure on the PVM host: only QEMU can try the gate. */
    if (!qemu_tcg()) {
        ktap_skip("INT n cannot run at CPL0 on the PVM host",
                  "handler for the PMI vector runs");
        return;
    }
    set_exception_handler(PMI_VECTOR, count_pmi);
    __asm__ volatile("int %0" : : "i"(PMI_VECTOR));
    set_exception_handler(PMI_VECTOR, NULL);
    ktap_result(pmi_count == 1 && pmi_vector == PMI_VECTOR && pmi_error == 0,
                "handler for the PMI vector runs (int $%u under QEMU)",
                PMI_VECTOR);
}

static void test_printf(void)
{
    char buf[96];
    int n;

    n = snprintf(buf, sizeof buf, "%5d|%-4x|%#x|%08llx|%s|%c|%3s|%-3s|%%|%i",
                 -42, 0xab, 0xbeef, 0x1234abcdull, "str", 'z', "a", "b",
                 0);
    ktap_result(strcmp(buf, "  -42|ab  |0xbeef|1234abcd|str|z|  a|b  |%|0")
                    == 0 && n == 44,
                "snprintf formats (%s)", buf);

    n = snprintf(buf, 8, "%s", "truncated string");
    ktap_result(strcmp(buf, "truncat") == 0 && n == 16,
                "snprintf truncates and returns the full length");

    n = snprintf(buf, sizeof buf, "%llu %lld %u %p", 18446744073709551615ull,
                 -9223372036854775807ll - 1, 4294967295u, (void *)0x1000);
    ktap_result(strcmp(buf, "18446744073709551615 -9223372036854775808 "
                            "4294967295 0x1000") == 0,
                "snprintf 64-bit extremes (%s)", buf);
}

static void test_boot(int argc, char **argv)
{
    const char *a0 = argc > 0 ? argv[0] : "";
    size_t len = strlen(a0);

    /* Both pmvm and QEMU make the image path the first word. */
    ktap_result(len >= 12 && strcmp(a0 + len - 12, "selftest.elf") == 0,
                "argv[0] is the image (%s, argc %d)", a0, argc);
    ktap_result(boot_info && (boot_info->flags & 1) && boot_info->mem_upper,
                "multiboot memory info (%u KiB above 1 MiB)",
                boot_info ? boot_info->mem_upper : 0);
}

int main(int argc, char **argv)
{
    uint64_t val = 0;
    uint32_t err = 0;
    uint8_t vector;

    ktap_plan(20);
    test_boot(argc, argv);
    test_msr_cpl0();
    test_cpuid_cr4();
    test_user();
    test_handlers();
    test_printf();

    /* What RDPMC does at CPL0 depends on the VMM and its PMU model
     * (QEMU TCG: #UD), so it is reported, not checked. */
    vector = rdpmc_safe(0, &val, &err);
    ktap_diag("rdpmc_safe(0) at CPL0: vector %u %s err %#x value %#llx",
              vector, vector ? exception_name(vector) : "(no fault)", err,
              (unsigned long long)val);
    return ktap_finish();
}
