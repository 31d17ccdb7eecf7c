/* test_machine64.c: the engine's machine mode in 64-bit mode on tests/engine/machine.c's machine: the #GP(0) rules of CR0, CR4, EFER and DR7 writes, LTR's #GP(selector), DR4's #UD, a code page remapped under the code, and machine == false unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "tests/engine/machine.h"

/*
 * Expected values come from the SDM (vol. 2: MOV CRn, MOV DRn, WRMSR,
 * LTR; vol. 3: 9.8.5 for EFER.LME), worked out by hand for each snippet;
 * the bytes were checked with objdump. Faults go through the machine's
 * IDT to a handler whose HLT stops the engine (ENGINE_STOP_HALT).
 */

static struct {
    uint8_t *ram;
    struct machine m;
    struct engine *e;
    struct engine_state st;
    unsigned retired;
} fx;

static bool on_retire(void *ctx, const struct pmu_insn *r)
{
    (void)ctx;
    (void)r;
    fx.retired++;
    return false;
}

static enum engine_answer not_mine_rdmsr(void *ctx, uint32_t msr,
                                         uint64_t *v)
{
    (void)ctx, (void)msr, (void)v;
    return ENGINE_NOT_MINE;
}

static enum engine_answer not_mine_wrmsr(void *ctx, uint32_t msr,
                                         uint64_t v, bool *stop)
{
    (void)ctx, (void)msr, (void)v, (void)stop;
    return ENGINE_NOT_MINE;
}

static enum engine_answer not_mine_rdpmc(void *ctx, uint32_t ecx,
                                         unsigned cpl, bool pe, bool pce,
                                         uint64_t *v)
{
    (void)ctx, (void)ecx, (void)cpl, (void)pe, (void)pce, (void)v;
    return ENGINE_NOT_MINE;
}

static struct engine_ops ops_of(bool machine)
{
    return (struct engine_ops){
        .ctx = &fx, .retire = on_retire, .rdmsr = not_mine_rdmsr,
        .wrmsr = not_mine_wrmsr, .rdpmc = not_mine_rdpmc,
        .cpuid = machine_cpuid, .machine = machine};
}


#define CODE64 0x400000ull

static int setup64_with(bool machine)
{
    const struct engine_ops ops = ops_of(machine);

    memset(&fx, 0, sizeof(fx));
    machine_init(&fx.m, 4 << 20);
    fx.ram = fx.m.ram;
    machine_map(&fx.m, CODE64, 0x1000, 0);
    fx.e = engine_create(fx.m.ram, fx.m.ram_size, &ops);
    assert_non_null(fx.e);
    machine_state(&fx.m, &fx.st, 0, CODE64, MACHINE_KSTACK_TOP - 0x100);
    return 0;
}

static int setup64(void **state) { (void)state; return setup64_with(true); }
static int setup64_kvm(void **state)
{
    (void)state;
    return setup64_with(false);
}

static int teardown64(void **state)
{
    (void)state;
    engine_destroy(fx.e);
    machine_free(&fx.m);
    return 0;
}

static void run64(const char *code, size_t len, struct engine_exit *x)
{
    memcpy(machine_ptr(&fx.m, CODE64), code, len);
    engine_flush(fx.e);
    engine_run(fx.e, &fx.st, 1000, x);
}

#define RUN64(code, x) run64(code, sizeof(code) - 1, x)

/* Stopped at the HLT of vector (vec)'s handler (it retired: RIP after
 * it), the frame's error code (err) and RIP (the faulting instruction). */
static void assert_fault(const struct engine_exit *x, int vec, uint64_t err,
                         uint64_t rip)
{
    assert_int_equal(x->stop, ENGINE_STOP_HALT);
    assert_int_equal(machine_vector_at(fx.st.rip - 1), vec);
    assert_int_equal(machine_stack(&fx.m, &fx.st, 0), err);
    assert_int_equal(machine_stack(&fx.m, &fx.st, 1), rip);
}

/* SDM MOV CRn: setting CR0.PG with CR0.PE clear is #GP(0). */
static void test_gp_cr0_pg_without_pe(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN64("\xb8\x00\x00\x00\x80"   /* mov $0x80000000, %eax */
          "\x0f\x22\xc0", &x);     /* mov %rax, %cr0 */
    assert_fault(&x, 13, 0, CODE64 + 5);
    assert_int_equal(fx.st.cr0, 0x80050033);
}

/* SDM MOV CRn (64-bit mode): clearing CR4.PAE while IA-32e mode is
 * active is #GP(0). */
static void test_gp_cr4_clear_pae_in_long_mode(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN64("\x0f\x20\xe0"           /* mov %cr4, %rax */
          "\x83\xe0\xdf"           /* and $~0x20, %eax */
          "\x0f\x22\xe0", &x);     /* mov %rax, %cr4 */
    assert_fault(&x, 13, 0, CODE64 + 6);
    assert_int_equal(fx.st.cr4, 0x6A0);
}

/* SDM WRMSR: a reserved bit of IA32_EFER (bit 9) is #GP(0). */
static void test_gp_efer_reserved(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN64("\xb9\x80\x00\x00\xc0"   /* mov $0xC0000080, %ecx */
          "\xb8\x01\x0f\x00\x00"   /* mov $0xF01, %eax */
          "\x31\xd2"               /* xor %edx, %edx */
          "\x0f\x30", &x);         /* wrmsr */
    assert_fault(&x, 13, 0, CODE64 + 12);
    assert_int_equal(fx.st.efer, 0xD01);
}

/* Clearing EFER.LME while paging is on is #GP(0) (SDM 9.8.5.4; KVM's
 * set_efer); with LME kept, the write goes through (here NXE). */
static void test_gp_efer_lme_with_paging(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN64("\xb9\x80\x00\x00\xc0"   /* mov $0xC0000080, %ecx */
          "\x31\xd2"               /* xor %edx, %edx */
          "\xb8\x01\x05\x00\x00"   /* mov $0x501, %eax (NXE off) */
          "\x0f\x30"               /* wrmsr */
          "\xb8\x01\x0c\x00\x00"   /* mov $0xC01, %eax (LME off) */
          "\x0f\x30", &x);         /* wrmsr */
    assert_fault(&x, 13, 0, CODE64 + 19);
    assert_int_equal(fx.st.efer, 0x501);
}

/* EFER.NXE on a CPU whose CPUID.80000001H:EDX.NX (bit 20) is clear: a
 * reserved bit, #GP(0) (KVM's __kvm_valid_efer()); the write that only
 * clears NXE, which stays allowed, retires first. */
static enum engine_answer cpuid_lm_only(void *ctx, uint32_t leaf,
                                        uint32_t sub, uint32_t r[4])
{
    (void)ctx, (void)sub;
    memset(r, 0, 4 * sizeof(r[0]));
    if (leaf == 0x80000000u)
        r[0] = 0x80000001u;
    else if (leaf == 0x80000001u)
        r[3] = 1u << 29; /* LM */
    return ENGINE_OK;
}

static void test_gp_efer_nxe_without_nx(void **state)
{
    struct engine_ops ops = ops_of(true);
    struct engine_exit x;

    (void)state;
    engine_destroy(fx.e);
    ops.cpuid = cpuid_lm_only;
    fx.e = engine_create(fx.m.ram, fx.m.ram_size, &ops);
    assert_non_null(fx.e);
    RUN64("\xb9\x80\x00\x00\xc0"   /* mov $0xC0000080, %ecx */
          "\x31\xd2"               /* xor %edx, %edx */
          "\xb8\x01\x05\x00\x00"   /* mov $0x501, %eax (NXE off) */
          "\x0f\x30"               /* wrmsr */
          "\xb8\x01\x0d\x00\x00"   /* mov $0xD01, %eax (NXE on) */
          "\x0f\x30", &x);         /* wrmsr */
    assert_fault(&x, 13, 0, CODE64 + 19);
    assert_int_equal(fx.st.efer, 0x501);
}

/* SDM LTR: a selector whose descriptor is not an available TSS is
 * #GP(selector): a data segment (0x10), and the machine's TSS, which is
 * busy (0x28). */
static void test_gp_ltr_not_tss(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN64("\x66\xb8\x10\x00"       /* mov $0x10, %ax */
          "\x0f\x00\xd8", &x);     /* ltr %ax */
    assert_fault(&x, 13, 0x10, CODE64 + 4);
    assert_int_equal(fx.st.tr.selector, SEL_TSS);
}

static void test_gp_ltr_busy_tss(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN64("\x66\xb8\x28\x00"       /* mov $0x28, %ax */
          "\x0f\x00\xd8", &x);     /* ltr %ax */
    assert_fault(&x, 13, 0x28, CODE64 + 4);
}

/* SDM VERR/VERW, LAR, LSL at CPL0 on the machine's GDT: kernel data
 * (0x10) is writable; kernel code (0x08, execute/read) is readable but
 * not writable; RPL 3 on a DPL-0 segment (0x13) fails; the busy 64-bit
 * TSS (0x28: type 0xB, limit 0x67, byte granular) is a type LSL and LAR
 * take, LAR giving its descriptor's bits 23:8 (P, DPL 0, S = 0, type B:
 * 0x8B00); a null selector and one past the GDT's limit fail, leaving
 * the destination alone. Each result is SETZ'd into a register. */
static void test_segment_checks(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN64("\x66\xb8\x10\x00\x0f\x00\xe8\x0f\x94\xc3" /* verw 0x10; setz bl */
          "\x66\xb8\x08\x00\x0f\x00\xe8\x0f\x94\xc7" /* verw 0x08; setz bh */
          "\x0f\x00\xe0\x0f\x94\xc1"                     /* verr 0x08; setz cl */
          "\x66\xb8\x13\x00\x0f\x00\xe8\x0f\x94\xc5" /* verw 0x13; setz ch */
          "\x66\xb8\x28\x00\xba\xff\xff\xff\xff"      /* ax 0x28, edx -1 */
          "\x0f\x03\xd0\x0f\x02\xf0\x41\x0f\x94\xc0" /* lsl, lar; setz r8b */
          "\x31\xc0\xbf\xff\xff\xff\xff"                /* eax 0, edi -1 */
          "\x0f\x02\xf8\x41\x0f\x94\xc1"                /* lar null; setz r9b */
          "\x66\xb8\xf8\x7f\x0f\x03\xf8\x41\x0f\x94\xc2" /* lsl far */
          "\xf4", &x);                                      /* hlt */
    assert_int_equal(x.stop, ENGINE_STOP_HALT);
    assert_int_equal(fx.st.gpr[ENGINE_RBX] & 0xFFFF, 0x0001); /* bh 0, bl 1 */
    assert_int_equal(fx.st.gpr[ENGINE_RCX] & 0xFFFF, 0x0001); /* ch 0, cl 1 */
    assert_int_equal(fx.st.gpr[ENGINE_RDX], 0x67);
    assert_int_equal(fx.st.gpr[ENGINE_RSI], 0x8B00);
    assert_int_equal(fx.st.gpr[ENGINE_R8] & 0xFF, 1);
    assert_int_equal(fx.st.gpr[ENGINE_RDI], 0xFFFFFFFF);
    assert_int_equal(fx.st.gpr[ENGINE_R9] & 0xFF, 0);
    assert_int_equal(fx.st.gpr[ENGINE_R10] & 0xFF, 0);
}

/* SDM MOV DRn (64-bit mode): a DR7 write with bits 63:32 set is #GP(0). */
static void test_gp_dr7_upper_bits(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN64("\xb8\x01\x00\x00\x00"   /* mov $1, %eax */
          "\x48\xc1\xe0\x20"       /* shl $32, %rax */
          "\x0f\x23\xf8", &x);      /* mov %rax, %dr7 */
    assert_fault(&x, 13, 0, CODE64 + 9);
    assert_int_equal(fx.st.dr7, 0);
}

/* SDM MOV DRn: DR4 with CR4.DE is #UD (no error code: the frame starts
 * with RIP). */
static void test_ud_dr4_with_de(void **state)
{
    struct engine_exit x;

    (void)state;
    fx.st.cr4 |= 0x8; /* DE */
    RUN64("\x0f\x21\xe0", &x);      /* mov %dr4, %rax */
    assert_int_equal(x.stop, ENGINE_STOP_HALT);
    assert_int_equal(machine_vector_at(fx.st.rip - 1), 6);
    assert_int_equal(machine_stack(&fx.m, &fx.st, 0), CODE64);
}

/* DR0 holds what was written (SDM 18.2.1), at CPL0. */
static void test_dr0_write_read(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN64("\xb8\x34\x12\x00\x00"   /* mov $0x1234, %eax */
          "\x0f\x23\xc0"            /* mov %rax, %dr0 */
          "\x0f\x21\xc3"            /* mov %dr0, %rbx */
          "\xf4", &x);                /* hlt */
    assert_int_equal(x.stop, ENGINE_STOP_HALT);
    assert_int_equal(x.retired, 4);
    assert_int_equal(fx.st.dr[0], 0x1234);
    assert_int_equal(fx.st.gpr[ENGINE_RBX], 0x1234);
}

/* machine == false: MOV to CR3 is still KVM's (a read still runs). */
static void test_not_machine_cr3_hands_back(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN64("\x0f\x20\xd8"           /* mov %cr3, %rax */
          "\x0f\x22\xd8", &x);     /* mov %rax, %cr3 */
    assert_int_equal(x.stop, ENGINE_STOP_HANDBACK);
    assert_int_equal(x.why, ENGINE_WHY_SYSTEM);
    assert_int_equal(x.retired, 1);
    assert_int_equal(fx.st.rip, CODE64 + 3);
    assert_int_equal(fx.st.gpr[ENGINE_RAX], fx.m.cr3);
    assert_true(x.flushes_tlb); /* SDM 4.10.4.1: without PCIDE, always */
}

/* The hand-back says which instructions flush TLB entries (SDM
 * 4.10.4.1), for a caller whose hypervisor must then hear of the
 * page-table writes the engine made: MOV to CR3 with CR4.PCIDE and bit
 * 63 set keeps the PCID's entries; INVLPG and MOV to CR4 flush; MOV
 * from CR3 and WBINVD do not. */
static void test_not_machine_tlb_flush_told(void **state)
{
    struct engine_exit x;

    (void)state;
    fx.st.cr4 |= CR4_PCIDE;
    fx.st.gpr[ENGINE_RAX] = fx.m.cr3 | 1ull << 63;
    RUN64("\x0f\x22\xd8", &x);    /* mov %rax, %cr3 */
    assert_int_equal(x.stop, ENGINE_STOP_HANDBACK);
    assert_false(x.flushes_tlb);
    fx.st.gpr[ENGINE_RAX] = fx.m.cr3;
    RUN64("\x0f\x22\xd8", &x);
    assert_true(x.flushes_tlb);
    RUN64("\x0f\x01\x38", &x);    /* invlpg (%rax) */
    assert_int_equal(x.stop, ENGINE_STOP_HANDBACK);
    assert_true(x.flushes_tlb);
    RUN64("\x0f\x22\xe0", &x);    /* mov %rax, %cr4 */
    assert_true(x.flushes_tlb);
    RUN64("\x0f\x09", &x);         /* wbinvd */
    assert_int_equal(x.stop, ENGINE_STOP_HANDBACK);
    assert_false(x.flushes_tlb);
}

/* machine == false: HLT still goes back as ENGINE_WHY_HALT, and a
 * 32-bit state is still not run. */
static void test_not_machine_hlt_and_mode(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN64("\xf4", &x);
    assert_int_equal(x.stop, ENGINE_STOP_HANDBACK);
    assert_int_equal(x.why, ENGINE_WHY_HALT);
    assert_int_equal(fx.st.rip, CODE64);
    fx.st.seg[ENGINE_CS].l = 0;
    fx.st.seg[ENGINE_CS].db = 1;
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_int_equal(x.stop, ENGINE_STOP_STATE);
    assert_int_equal(x.why, ENGINE_WHY_MODE);
}
/* The engine's CPU has no VMX, SVM or RDPRU (engine/cpuid_base.c): VMCALL
 * outside VMX operation is #UD (SDM VMCALL), RDPRU where CPUID lacks it
 * too (AMD APM, RDPRU); no error code, RIP at the instruction. */
static void test_absent_features_ud(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN64("\x0f\x01\xc1", &x);          /* vmcall */
    assert_int_equal(x.stop, ENGINE_STOP_HALT);
    assert_int_equal(machine_vector_at(fx.st.rip - 1), 6);
    assert_int_equal(machine_stack(&fx.m, &fx.st, 0), CODE64);
    machine_state(&fx.m, &fx.st, 0, CODE64, MACHINE_KSTACK_TOP - 0x100);
    RUN64("\x0f\x01\xfd", &x);          /* rdpru */
    assert_int_equal(x.stop, ENGINE_STOP_HALT);
    assert_int_equal(machine_vector_at(fx.st.rip - 1), 6);
    assert_int_equal(machine_stack(&fx.m, &fx.st, 0), CODE64);
}

/* machine == false: KVM has them, so they go back to it. */
static void test_not_machine_vmcall_hands_back(void **state)
{
    struct engine_exit x;

    (void)state;
    RUN64("\x0f\x01\xc1", &x);
    assert_int_equal(x.stop, ENGINE_STOP_HANDBACK);
    assert_int_equal(x.why, ENGINE_WHY_UNIMPLEMENTED);
    assert_int_equal(fx.st.rip, CODE64);
}

/*
 * Code whose mapping changes under it (SDM 4.10.4): the host points the
 * code page's PTE at another frame between two runs, without a flush, so
 * the engine may still use the old translation, as a TLB may; the page's
 * own MOV to CR3 then flushes it, and the instruction after it comes from
 * the new frame, though the old frame's instruction there was decoded in
 * the first run: EBX 2, not 1.
 */
static void test_remap_then_cr3(void **state)
{
    static const char code[] = "\x0f\x20\xd8"          /* mov %cr3, %rax */
                               "\x0f\x22\xd8"          /* mov %rax, %cr3 */
                               "\xbb\x01\x00\x00\x00" /* mov $1, %ebx */
                               "\xf4";                   /* hlt */
    const uint64_t other = CODE64 + 0x10000;
    struct engine_exit x;

    (void)state;
    machine_map(&fx.m, other, 0x1000, 0);
    memcpy(machine_ptr(&fx.m, other), code, sizeof(code) - 1);
    machine_ptr(&fx.m, other)[7] = 2;                  /* mov $2, %ebx */
    RUN64(code, &x);
    assert_int_equal(x.stop, ENGINE_STOP_HALT);
    assert_int_equal(fx.st.gpr[ENGINE_RBX], 1);
    *machine_pte(&fx.m, CODE64) = *machine_pte(&fx.m, other);
    fx.st.rip = CODE64;
    engine_run(fx.e, &fx.st, 1000, &x);
    assert_int_equal(x.stop, ENGINE_STOP_HALT);
    assert_int_equal(fx.st.gpr[ENGINE_RBX], 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gp_cr0_pg_without_pe, setup64,
                                        teardown64),
        cmocka_unit_test_setup_teardown(test_gp_cr4_clear_pae_in_long_mode,
                                        setup64, teardown64),
        cmocka_unit_test_setup_teardown(test_gp_efer_reserved, setup64,
                                        teardown64),
        cmocka_unit_test_setup_teardown(test_gp_efer_lme_with_paging,
                                        setup64, teardown64),
        cmocka_unit_test_setup_teardown(test_gp_efer_nxe_without_nx,
                                        setup64, teardown64),
        cmocka_unit_test_setup_teardown(test_gp_ltr_not_tss, setup64,
                                        teardown64),
        cmocka_unit_test_setup_teardown(test_gp_ltr_busy_tss, setup64,
                                        teardown64),
        cmocka_unit_test_setup_teardown(test_segment_checks, setup64,
                                        teardown64),
        cmocka_unit_test_setup_teardown(test_not_machine_tlb_flush_told,
                                        setup64_kvm, teardown64),
        cmocka_unit_test_setup_teardown(test_gp_dr7_upper_bits, setup64,
                                        teardown64),
        cmocka_unit_test_setup_teardown(test_ud_dr4_with_de, setup64,
                                        teardown64),
        cmocka_unit_test_setup_teardown(test_dr0_write_read, setup64,
                                        teardown64),
        cmocka_unit_test_setup_teardown(test_not_machine_cr3_hands_back,
                                        setup64_kvm, teardown64),
        cmocka_unit_test_setup_teardown(test_remap_then_cr3, setup64,
                                        teardown64),
        cmocka_unit_test_setup_teardown(test_absent_features_ud, setup64,
                                        teardown64),
        cmocka_unit_test_setup_teardown(test_not_machine_vmcall_hands_back,
                                        setup64_kvm, teardown64),
        cmocka_unit_test_setup_teardown(test_not_machine_hlt_and_mode,
                                        setup64_kvm, teardown64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
