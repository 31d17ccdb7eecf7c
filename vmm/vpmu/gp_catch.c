/* gp_catch.c: every RDPMC that faults is trapped: a breakpoint on the guest's #GP handler turns the #GP KVM delivers for an RDPMC no other trap saw into the retired RDPMC pmvm's model answers. */
#include <stdio.h>
#include <string.h>

#include "arch/x86.h"
#include "vmm/vpmu/count.h"
#include "vmm/vpmu/engine_bridge.h"
#include "vmm/vpmu/gp_catch.h"
#include "vmm/vpmu/guest_debug.h"
#include "vmm/vpmu/insn.h"
#include "vmm/paging.h"
#include "vmm/pmvm.h"
#include "vmm/vpmu/rdpmc.h"

/* The #GP handler's linear address from IDT gate 13, or 0 (not 64-bit
 * mode, or no present interrupt or trap gate there). */
static uint64_t handler_now(struct pmvm *p)
{
    const struct kvm_sregs *s = vm_sregs(&p->vm);
    return insn_mode_of(s) == INSN_MODE_64
               ? paging_idt_handler(&p->vm, s, VEC_GP) : 0;
}

void gp_catch_refresh(struct pmvm *p)
{
    uint64_t at = p->trap.gp_catchable ? handler_now(p) : 0;
    if (at != p->trap.gp_handler) {
        p->trap.gp_handler = at;
        guest_debug_update(p);
    }
}

uint64_t gp_catch_addr(const struct pmvm *p)
{
    return p->trap.handler_step ? 0 : p->trap.gp_handler;
}

void gp_catch_debug_wish(const struct pmvm *p, struct debug_wish *w)
{
    if (gp_catch_addr(p))
        debug_wish_bp(w, gp_catch_addr(p));
}

/* The handler runs after all: in the engine where it runs CPL0 code, else
 * on KVM with its first instruction single-stepped and the breakpoint
 * off (RF would suppress it once on VMX, but nested PVM's emulator does
 * not look at RF), the breakpoint back after it (trap_after_run()). */
static bool handler_runs(struct pmvm *p)
{
    p->trap.handler_step = p->trap.gp_handler; /* or the engine runs it */
    guest_debug_update(p);
    return true;
}

bool gp_catch_hit(struct pmvm *p, uint64_t rip)
{
    if (!p->trap.gp_handler || rip != p->trap.gp_handler ||
        p->trap.handler_step)
        return false;
    const struct kvm_sregs *s = vm_sregs(&p->vm);
    struct kvm_regs *r = vm_regs(&p->vm);
    /* The frame: error code, RIP, CS, RFLAGS, RSP, SS. */
    uint64_t frame[6];
    uint8_t code[2];
    if (paging_read(&p->vm, s, r->rsp, frame, sizeof frame) !=
            sizeof frame || frame[0] != 0 ||
        paging_read(&p->vm, s, frame[1], code, 2) != 2 ||
        code[0] != 0x0F || code[1] != 0x33)
        return handler_runs(p); /* a #GP of another instruction */
    if (frame[1] == p->trap.gp_answered) {
        p->trap.gp_answered = 0;
        return handler_runs(p); /* the model's #GP, injected by pmvm */
    }
    struct pmu_mode mode = {
        .cpl = frame[2] & 3, .cr0_pe = s->cr0 & CR0_PE,
        .cr4_pce = s->cr4 & CR4_PCE,
    };
    uint64_t val;
    if (!rdpmc_answer(p, (uint32_t)r->rcx, &mode, frame[1], &val))
        return handler_runs(p); /* the model's #GP too */
    uint64_t rax = r->rax, rdx = r->rdx;
    r->rax = (uint32_t)val;
    r->rdx = (uint32_t)(val >> 32);
    r->rsp += 8; /* to the frame's RIP, as IRETQ pops it */
    vm_regs_dirty(&p->vm);
    if (!bridge_event_return(p, frame[1] + 2)) {
        r = vm_regs(&p->vm);
        r->rax = rax, r->rdx = rdx, r->rsp -= 8;
        return handler_runs(p);
    }
    if (p->trace)
        fprintf(stderr, "pmvm: trace: rdpmc at 0x%llx caught at the "
                "guest's #GP handler 0x%llx\n",
                (unsigned long long)frame[1], (unsigned long long)rip);
    struct insn in = {.kind = ENGINE_KIND_RDPMC, .length = 2,
                      .cls = PMU_INSN_SERIALIZING};
    count_on_emulated(p, &in, frame[1], true);
    return true;
}
