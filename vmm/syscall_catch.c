/* syscall_catch.c: a Linux guest's SYSCALL that its host's KVM left at CPL3 (nested PVM), caught at the #PF it causes and finished as the SDM's SYSCALL. */
#include <stdio.h>

#include "arch/x86.h"
#include "vmm/host_probe.h"
#include "vmm/paging.h"
#include "vmm/pmvm.h"
#include "vmm/syscall_catch.h"
#include "vmm/vpmu/engine_bridge.h"
#include "vmm/vpmu/guest_debug.h"

#define PF_FETCH 0x10u
#define PF_USER 0x04u

void syscall_catch_setup(struct pmvm *p)
{
    p->syscall_catch.on = p->machine == MACHINE_LINUX && p->bridge.cpl0 &&
                          !p->debug.bp_blind &&
                          !host_syscall_enters_cpl0(p->vm.kvm_fd);
    if (p->trace && p->syscall_catch.on)
        fprintf(stderr, "pmvm: trace: this host's KVM leaves a SYSCALL at "
                "CPL3: pmvm finishes it at the guest's #PF handler\n");
}

void syscall_catch_refresh(struct pmvm *p)
{
    if (!p->syscall_catch.on)
        return;
    uint64_t at = paging_idt_handler(&p->vm, vm_sregs(&p->vm), VEC_PF);
    if (at != p->syscall_catch.handler) {
        p->syscall_catch.handler = at;
        guest_debug_update(p);
    }
}

/* Not while KVM steps an instruction the engine handed it, which may be
 * the handler's first (the breakpoint would stop it for ever); a free
 * hand-back runs CPL3 code, whose SYSCALLs it must still catch. */
void syscall_catch_debug_wish(const struct pmvm *p, struct debug_wish *w)
{
    if (p->syscall_catch.handler &&
        (!p->bridge.handback || p->bridge.handback_free))
        debug_wish_bp(w, p->syscall_catch.handler);
}

static struct kvm_segment flat(uint16_t sel, bool code)
{
    return (struct kvm_segment){
        .selector = sel, .limit = 0xFFFFFFFF, .type = code ? 0xB : 0x3,
        .present = 1, .s = 1, .l = code, .db = !code, .g = 1,
    };
}

bool syscall_catch_hit(struct pmvm *p, uint64_t rip)
{
    struct syscall_catch *c = &p->syscall_catch;
    if (!c->handler || rip != c->handler || !bridge_active(p))
        return false;
    struct kvm_sregs *s = vm_sregs(&p->vm);
    struct kvm_regs *r = vm_regs(&p->vm);
    uint64_t frame[6], star, lstar, fmask; /* error code, RIP, CS, RFLAGS,
                                              RSP, SS */
    uint8_t insn[2]; /* what RCX follows: the SYSCALL (0F 05) */
    if (paging_read(&p->vm, s, r->rsp, frame, sizeof frame) != sizeof frame ||
        (frame[2] & 3) != 3 || !(frame[0] & PF_FETCH) ||
        !(frame[0] & PF_USER) || !vm_msr(&p->vm, false, MSR_LSTAR, &lstar) ||
        frame[1] != lstar || !vm_msr(&p->vm, false, MSR_STAR, &star) ||
        !vm_msr(&p->vm, false, MSR_FMASK, &fmask) ||
        paging_read(&p->vm, s, r->rcx - 2, insn, 2) != 2 ||
        insn[0] != 0x0F || insn[1] != 0x05)
        return true; /* another #PF (a jump to LSTAR too): its handler */
    uint16_t cs = (uint16_t)(star >> 32) & 0xFFFC;
    s->cs = flat(cs, true);
    s->ss = flat((uint16_t)(cs + 8), false);
    vm_sregs_dirty(&p->vm);
    r->rip = lstar;
    r->rsp = frame[4];
    r->rflags = (r->r11 & ~fmask) | 2;
    vm_regs_dirty(&p->vm);
    c->caught++;
    if (p->trace)
        fprintf(stderr, "pmvm: trace: SYSCALL %llu at 0x%llx finished at "
                "CPL0 (LSTAR 0x%llx)\n", (unsigned long long)c->caught,
                (unsigned long long)r->rcx, (unsigned long long)lstar);
    return true;
}
