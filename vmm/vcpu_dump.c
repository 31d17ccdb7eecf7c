/* vcpu_dump.c: a readable report of the vCPU's state, for exits pmvm does not expect. */
#include <stdio.h>

#include "vmm/vcpu_dump.h"
#include "vmm/paging.h"

#define EXIT_NAME(x) [KVM_EXIT_##x] = #x
static const char *const exit_names[] = {
    EXIT_NAME(UNKNOWN), EXIT_NAME(EXCEPTION), EXIT_NAME(IO),
    EXIT_NAME(HYPERCALL), EXIT_NAME(DEBUG), EXIT_NAME(HLT),
    EXIT_NAME(MMIO), EXIT_NAME(IRQ_WINDOW_OPEN), EXIT_NAME(SHUTDOWN),
    EXIT_NAME(FAIL_ENTRY), EXIT_NAME(INTR), EXIT_NAME(SET_TPR),
    EXIT_NAME(TPR_ACCESS), EXIT_NAME(NMI), EXIT_NAME(INTERNAL_ERROR),
    EXIT_NAME(OSI), EXIT_NAME(PAPR_HCALL), EXIT_NAME(WATCHDOG),
    EXIT_NAME(EPR), EXIT_NAME(SYSTEM_EVENT), EXIT_NAME(IOAPIC_EOI),
    EXIT_NAME(HYPERV), EXIT_NAME(X86_RDMSR), EXIT_NAME(X86_WRMSR),
    EXIT_NAME(DIRTY_RING_FULL), EXIT_NAME(AP_RESET_HOLD),
    EXIT_NAME(X86_BUS_LOCK), EXIT_NAME(XEN), EXIT_NAME(RISCV_SBI),
    EXIT_NAME(RISCV_CSR), EXIT_NAME(NOTIFY),
};

const char *dump_exit_name(uint32_t reason)
{
    if (reason < sizeof exit_names / sizeof exit_names[0] &&
        exit_names[reason])
        return exit_names[reason];
    return "UNKNOWN";
}

static void dump_segment(FILE *f, const char *name,
                         const struct kvm_segment *s)
{
    fprintf(f, "  %-3s sel=0x%04x base=0x%llx limit=0x%x type=%u dpl=%u "
            "p=%u db=%u l=%u\n", name, s->selector,
            (unsigned long long)s->base, s->limit, s->type, s->dpl,
            s->present, s->db, s->l);
}

static uint64_t code_address(const struct kvm_sregs *s, uint64_t rip)
{
    /* Outside 64-bit mode, the code segment's base applies. */
    return s->cs.l ? rip : (s->cs.base + rip) & 0xFFFFFFFF;
}

void dump_vcpu(struct vm *vm, FILE *f)
{
    const struct kvm_regs *r = vm_regs(vm);
    const struct kvm_sregs *s = vm_sregs(vm);
    fprintf(f, "  rax=0x%016llx rbx=0x%016llx rcx=0x%016llx rdx=0x%016llx\n"
            "  rsi=0x%016llx rdi=0x%016llx rbp=0x%016llx rsp=0x%016llx\n"
            "  r8 =0x%016llx r9 =0x%016llx r10=0x%016llx r11=0x%016llx\n"
            "  r12=0x%016llx r13=0x%016llx r14=0x%016llx r15=0x%016llx\n"
            "  rip=0x%016llx rflags=0x%08llx\n",
            r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->rsp,
            r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
            r->rip, r->rflags);
    fprintf(f, "  cr0=0x%llx cr2=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx "
            "cpl=%u\n", s->cr0, s->cr2, s->cr3, s->cr4, s->efer, vm_cpl(vm));
    dump_segment(f, "cs", &s->cs);
    dump_segment(f, "ss", &s->ss);
    dump_segment(f, "ds", &s->ds);
    dump_segment(f, "tr", &s->tr);
    fprintf(f, "  gdt base=0x%llx limit=0x%x  idt base=0x%llx limit=0x%x\n",
            s->gdt.base, s->gdt.limit, s->idt.base, s->idt.limit);

    uint8_t code[16];
    uint64_t at = code_address(s, r->rip);
    size_t n = paging_read(vm, s, at, code, sizeof code);
    fprintf(f, "  code at 0x%llx:", (unsigned long long)at);
    if (n == 0)
        fprintf(f, " (not mapped)");
    for (size_t i = 0; i < n; i++)
        fprintf(f, " %02x", code[i]);
    fprintf(f, "\n");
}
