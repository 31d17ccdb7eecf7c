/* exit_end.c: exits that end the run: triple fault, timeout, a console nobody reads, KVM errors and anything unexpected. */
#include <stdio.h>
#include <string.h>

#include "vmm/vcpu_dump.h"
#include "vmm/exits.h"
#include "vmm/paging.h"
#include "vmm/status.h"

/* The vCPU as RESET leaves it (SDM 9.1.1: CS.base 0xFFFF0000, RIP
 * 0xFFF0): KVM on SVM resets it when it intercepts the shutdown, so the
 * registers no longer show the faulting instruction. */
static bool in_reset_state(struct pmvm *p)
{
    return vm_regs(&p->vm)->rip == 0xFFF0 &&
           vm_sregs(&p->vm)->cs.base == 0xFFFF0000;
}

int end_triple_fault(struct pmvm *p, const char *how)
{
    console_flush(&p->console);
    /* A PC resets on a triple fault; Linux reboots that way when nothing
     * else worked (reboot=t). The run ends there, as QEMU's -no-reboot. */
    if (p->machine == MACHINE_LINUX) {
        if (p->trace)
            fprintf(stderr, "pmvm: trace: the guest reset the machine (a "
                    "triple fault, %s): the run ends\n", how);
        return STATUS_OK;
    }
    fprintf(stderr, "pmvm: guest triple-faulted (%s)%s\n", how,
            in_reset_state(p) ? "; this host's KVM reset the vCPU, so the "
            "registers below are the reset state, not the fault's" : "");
    dump_vcpu(&p->vm, stderr);
    return STATUS_TRIPLE_FAULT;
}

int end_timeout(struct pmvm *p, double timeout_s)
{
    console_flush(&p->console);
    fprintf(stderr, "pmvm: guest still running after the %g s timeout "
            "(--timeout)\n", timeout_s);
    dump_vcpu(&p->vm, stderr);
    return STATUS_TIMEOUT;
}

int end_console_failed(struct pmvm *p, double timeout_s)
{
    if (p->console.timed_out)
        return end_timeout(p, timeout_s);
    fprintf(stderr, "pmvm: cannot write the guest's console to standard "
            "output: %s\n", strerror(p->console.err));
    return STATUS_IOERR;
}

int exit_shutdown(struct pmvm *p)
{
    return end_triple_fault(p, "KVM_EXIT_SHUTDOWN");
}

int exit_fail_entry(struct pmvm *p)
{
    console_flush(&p->console);
    fprintf(stderr, "pmvm: KVM could not enter the guest (hardware entry "
            "failure reason 0x%llx)\n", (unsigned long long)
            p->vm.run->fail_entry.hardware_entry_failure_reason);
    dump_vcpu(&p->vm, stderr);
    return STATUS_GUEST_FAILED;
}

/* Name instructions nested PVM hosts are known not to emulate, so the user
 * learns it is the host, not pmvm or the guest, that cannot run them. */
static const char *known_host_limit(const struct kvm_sregs *s,
                                    const uint8_t *code, size_t n)
{
    if (n < 1)
        return NULL;
    if (code[0] == 0xCF && !s->cs.l)
        return "this host cannot emulate a 32-bit IRET; run the code in "
               "64-bit mode";
    if (code[0] == 0xCC || code[0] == 0xCD || code[0] == 0xF1)
        return "this host cannot emulate INT3, ICEBP or INT n at CPL0";
    if (n >= 3 && code[0] == 0x0F && code[1] == 0x01 &&
        (code[2] == 0xC1 || code[2] == 0xD9))
        return "this host cannot run VMCALL or VMMCALL";
    return NULL;
}

int exit_internal_error(struct pmvm *p)
{
    struct kvm_run *run = p->vm.run;
    if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
        int status = bridge_rescue(p);
        if (status != BRIDGE_NOT_RESCUED)
            return status;
    }
    console_flush(&p->console);
    if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
        const struct kvm_sregs *s = vm_sregs(&p->vm);
        uint64_t rip = vm_regs(&p->vm)->rip;
        uint8_t code[16];
        size_t n = paging_read(&p->vm, s, s->cs.l ? rip : s->cs.base + rip,
                               code, sizeof code);
        const char *limit = known_host_limit(s, code, n);
        fprintf(stderr, "pmvm: host KVM failed to emulate the instruction "
                "at rip 0x%llx%s%s\n", (unsigned long long)rip,
                limit ? ": " : "", limit ? limit : "");
    } else {
        fprintf(stderr, "pmvm: KVM internal error, suberror %u\n",
                run->internal.suberror);
    }
    dump_vcpu(&p->vm, stderr);
    return STATUS_GUEST_FAILED;
}

int exit_unexpected(struct pmvm *p)
{
    console_flush(&p->console);
    uint32_t reason = p->vm.run->exit_reason;
    fprintf(stderr, "pmvm: unexpected exit %s (%u)", dump_exit_name(reason),
            reason);
    if (reason == KVM_EXIT_MMIO)
        fprintf(stderr, ": %s of %u bytes at guest-physical 0x%llx, outside "
                "RAM", p->vm.run->mmio.is_write ? "write" : "read",
                p->vm.run->mmio.len,
                (unsigned long long)p->vm.run->mmio.phys_addr);
    fprintf(stderr, "\n");
    dump_vcpu(&p->vm, stderr);
    return STATUS_GUEST_FAILED;
}
