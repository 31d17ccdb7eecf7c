/* step_debug.c: --count=step's engine, which runs the guest only while the guest's own TF or breakpoints are on, and each instruction that loads or stores RFLAGS while pmvm single-steps: KVM's single-step would hide the one and replace the other. */
#include "arch/x86.h"
#include "vmm/host_probe.h"
#include "vmm/pmvm.h"
#include "vmm/vpmu/guest_debug.h"
#include "vmm/vpmu/step_debug.h"
#include "vmm/vpmu/trap.h"

/* --count=step: the guest's own TF or breakpoints are on. Its DR7 is
 * read again after each KVM run, but while pmvm single-steps it (a
 * counter counts) only after a MOV DR: a read each step would cost
 * about as much as the step. */
bool step_guest_debugs(struct pmvm *p)
{
    struct bridge *b = &p->bridge;

    if (vm_regs(&p->vm)->rflags & RFLAGS_TF)
        return true;
    if (!b->dr7_known) {
        b->dr7_armed = guest_debug_guest_armed(p);
        b->dr7_known = true;
    }
    return b->dr7_armed;
}

void step_after_kvm_run(struct pmvm *p, bool stepped_mov_dr)
{
    if (!p->debug.step_armed || stepped_mov_dr)
        p->bridge.dr7_known = false;
}

bool step_takes_flags(struct pmvm *p, enum engine_kind kind)
{
    if (!p->bridge.debug_only)
        return false;
    switch (kind) {
    case ENGINE_KIND_POPF: case ENGINE_KIND_IRET: case ENGINE_KIND_SYSRET:
    case ENGINE_KIND_PUSHF: case ENGINE_KIND_SYSCALL:
        break;
    default:
        return false;
    }
    /* a return to CPL3 a host cannot step: KVM runs it, unstepped, with
     * the guest's TF as it loads it (trap.c's unstep_if_due()) */
    if (!host_steps_cpl3(p->vm.kvm_fd) &&
        trap_enters_user(p, vm_regs(&p->vm)->rip))
        return false;
    p->bridge.flags_next = true;
    return true;
}
