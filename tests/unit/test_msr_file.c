/* test_msr_file.c: the MSRs pmvm keeps when the engine is the CPU: reset values and #GP rules from the SDM and KVM. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vmm/engine_cpu/msr_file.h"

#define NOW 1000000u

static uint64_t rd(const struct msr_file *f, uint32_t msr)
{
    uint64_t v;
    assert_true(msr_file_read(f, msr, NOW, &v));
    return v;
}

/* Power-up values: PAT (SDM vol. 3, Table 13-12); KVM's MTRRCAP (8
 * variable ranges, fixed, WC) and MISC_ENABLE (BTS and PEBS
 * unavailable). */
static void test_reset(void **state)
{
    struct msr_file f;
    (void)state;
    msr_file_init(&f, 39);
    assert_int_equal(rd(&f, 0x277), 0x0007040600070406ull);
    assert_int_equal(rd(&f, 0xFE), 0x508);
    assert_int_equal(rd(&f, 0x1A0), (1u << 11) | (1u << 12));
    assert_int_equal(rd(&f, 0x2FF), 0);
    assert_int_equal(rd(&f, 0x10), NOW); /* TSC: the clock, no offset */
}

/* PAT: encodings 2 and 3 are reserved and #GP (SDM 13.12.2). */
static void test_pat(void **state)
{
    struct msr_file f;
    (void)state;
    msr_file_init(&f, 39);
    assert_true(msr_file_write(&f, 0x277, 0x0706050401000706ull, NOW));
    assert_int_equal(rd(&f, 0x277), 0x0706050401000706ull);
    assert_false(msr_file_write(&f, 0x277, 0x0000000000000002ull, NOW));
    assert_false(msr_file_write(&f, 0x277, 0x0300000000000000ull, NOW));
    assert_false(msr_file_write(&f, 0x277, 0x0000000000000800ull, NOW));
    assert_int_equal(rd(&f, 0x277), 0x0706050401000706ull);
}

/* MTRRs (SDM 12.11.2): MTRRdefType takes a type, FE and E; a variable
 * range's base no bit at or above MAXPHYADDR; MTRRCAP is read-only. */
static void test_mtrr(void **state)
{
    struct msr_file f;
    (void)state;
    msr_file_init(&f, 36);
    assert_true(msr_file_write(&f, 0x2FF, 0xC06, NOW));
    assert_false(msr_file_write(&f, 0x2FF, 0x1006, NOW)); /* bit 12 */
    assert_false(msr_file_write(&f, 0x2FF, 0x2, NOW));    /* type 2 */
    assert_true(msr_file_write(&f, 0x200, 0x80000006ull, NOW));
    assert_false(msr_file_write(&f, 0x200, 1ull << 36, NOW));
    assert_true(msr_file_write(&f, 0x201, 0xFF0000800ull, NOW));
    assert_false(msr_file_write(&f, 0x201, 0x100ull, NOW)); /* reserved */
    assert_true(msr_file_write(&f, 0x250, 0x0606060606060606ull, NOW));
    assert_false(msr_file_write(&f, 0x26F, 0x0700000000000000ull, NOW));
    assert_false(msr_file_write(&f, 0xFE, 0x508, NOW));
}

/* A TSC write moves IA32_TSC_ADJUST by as much, and a TSC_ADJUST write
 * moves the TSC (SDM 17.17.3). */
static void test_tsc_adjust(void **state)
{
    struct msr_file f;
    uint64_t v;
    (void)state;
    msr_file_init(&f, 39);
    assert_true(msr_file_write(&f, 0x10, NOW + 500, NOW));
    assert_int_equal(rd(&f, 0x3B), 500);
    assert_true(msr_file_read(&f, 0x10, NOW + 10, &v));
    assert_int_equal(v, NOW + 510);
    assert_true(msr_file_write(&f, 0x3B, 100, NOW));
    assert_int_equal(rd(&f, 0x10), NOW + 100);
    assert_int_equal(rd(&f, 0x3B), 100);
}

/* Canonical addresses for LSTAR, CSTAR, KERNEL_GS_BASE, SYSENTER_E[SI]P
 * (SDM WRMSR: #GP for a non-canonical value); TSC_AUX has 32 bits. */
static void test_system_msrs(void **state)
{
    struct msr_file f;
    (void)state;
    msr_file_init(&f, 39);
    assert_true(msr_file_write(&f, 0xC0000082u, 0xFFFFFFFF80001000ull, NOW));
    assert_false(msr_file_write(&f, 0xC0000082u, 0x0000800000000000ull, NOW));
    assert_false(msr_file_write(&f, 0xC0000102u, 0x8000000000000000ull, NOW));
    assert_false(msr_file_write(&f, 0x176, 0x0001000000000000ull, NOW));
    assert_true(msr_file_write(&f, 0xC0000103u, 0xFFFFFFFFull, NOW));
    assert_false(msr_file_write(&f, 0xC0000103u, 0x100000000ull, NOW));
    assert_true(msr_file_write(&f, 0xC0000081u, 0x0023001000000000ull, NOW));
    assert_int_equal(rd(&f, 0xC0000081u), 0x0023001000000000ull);
}

/* IA32_FEATURE_CONTROL: once locked, every write is #GP (SDM vol. 4,
 * MSR 3AH); no VMX or SGX bit is offered. */
static void test_feature_control(void **state)
{
    struct msr_file f;
    (void)state;
    msr_file_init(&f, 39);
    assert_false(msr_file_write(&f, 0x3A, 1u << 2, NOW));
    assert_true(msr_file_write(&f, 0x3A, 1, NOW));
    assert_false(msr_file_write(&f, 0x3A, 1, NOW));
    assert_int_equal(rd(&f, 0x3A), 1);
}

/* DEBUGCTL as KVM gives it to a guest without LBRs: LBR and BTF are
 * taken and dropped (reads 0), any other bit is #GP (vmx_set_msr). */
static void test_debugctl(void **state)
{
    struct msr_file f;
    (void)state;
    msr_file_init(&f, 39);
    assert_true(msr_file_write(&f, 0x1D9, 3, NOW));
    assert_int_equal(rd(&f, 0x1D9), 0);
    assert_false(msr_file_write(&f, 0x1D9, 1u << 6, NOW));
}

/* Machine checks as KVM gives them (set_msr_mce, get_msr_mce): 32 banks
 * and no MCG_CTL_P in MCG_CAP, which is read-only; a bank's CTL takes 0
 * or all ones, its STATUS only 0; the MSR past the last bank is none. */
static void test_mce(void **state)
{
    struct msr_file f;
    uint64_t v;
    (void)state;
    msr_file_init(&f, 39);
    assert_int_equal(rd(&f, 0x179), 32);
    assert_false(msr_file_write(&f, 0x179, 0, NOW));
    assert_false(msr_file_read(&f, 0x17B, NOW, &v)); /* MCG_CTL */
    assert_true(msr_file_write(&f, 0x17A, 5, NOW));
    assert_int_equal(rd(&f, 0x17A), 5);
    assert_true(msr_file_write(&f, 0x400, ~0ull, NOW));
    assert_true(msr_file_write(&f, 0x400, 0, NOW));
    assert_false(msr_file_write(&f, 0x400, 0x8000000000000000ull, NOW));
    assert_true(msr_file_write(&f, 0x401, 0, NOW));
    assert_false(msr_file_write(&f, 0x401, 1, NOW));
    assert_true(msr_file_write(&f, 0x47E, 0x8000000000000000ull, NOW));
    assert_int_equal(rd(&f, 0x47E), 0x8000000000000000ull);
    assert_true(msr_file_owns(0x47F));
    assert_false(msr_file_owns(0x480));
}

/* What the file does not keep is no MSR of this CPU. */
static void test_ownership(void **state)
{
    struct msr_file f;
    uint64_t v;
    (void)state;
    msr_file_init(&f, 39);
    assert_true(msr_file_owns(0x277));
    assert_true(msr_file_owns(0x20F));
    assert_false(msr_file_owns(0x210));
    assert_false(msr_file_owns(0x1B)); /* the local APIC's */
    assert_false(msr_file_owns(0x12345));
    assert_false(msr_file_read(&f, 0x12345, NOW, &v));
    assert_false(msr_file_write(&f, 0x12345, 0, NOW));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_pat),
        cmocka_unit_test(test_mtrr),
        cmocka_unit_test(test_tsc_adjust),
        cmocka_unit_test(test_system_msrs),
        cmocka_unit_test(test_feature_control),
        cmocka_unit_test(test_debugctl),
        cmocka_unit_test(test_mce),
        cmocka_unit_test(test_ownership),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
