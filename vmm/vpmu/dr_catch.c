/* dr_catch.c: the guest's MOV DR at CPL0 seen as it runs where KVM interprets the guest's CPL0 code itself: a DR7.GD of pmvm's makes it a #DB, a breakpoint on the guest's #DB handler stops that, and pmvm's engine runs the MOV instead. */
#include <stdio.h>

#include "arch/x86.h"
#include "vmm/host_probe.h"
#include "vmm/paging.h"
#include "vmm/pmvm.h"
#include "vmm/vpmu/dr_catch.h"
#include "vmm/vpmu/engine_bridge.h"
#include "vmm/vpmu/guest_debug.h"
#include "vmm/vpmu/insn.h"

void dr_catch_setup(struct pmvm *p)
{
    struct dr_catch *c = &p->dr_catch;

    *c = (struct dr_catch){0};
    c->on = !p->bridge.cpl0 && p->bridge.engine && !p->debug.bp_blind &&
            host_gd_to_handler(p->vm.kvm_fd);
    if (p->trace && c->on)
        fprintf(stderr, "pmvm: trace: KVM runs the guest's CPL0 code: "
                "pmvm's DR7.GD and a breakpoint on its #DB handler catch "
                "each MOV DR there\n");
}

void dr_catch_refresh(struct pmvm *p)
{
    struct dr_catch *c = &p->dr_catch;

    if (!c->on)
        return;
    const struct kvm_sregs *s = vm_sregs(&p->vm);
    uint64_t at = insn_mode_of(s) == INSN_MODE_64
                      ? paging_idt_handler(&p->vm, s, VEC_DB) : 0;
    if (at != c->handler) {
        c->handler = at;
        guest_debug_update(p);
    }
}

void dr_catch_debug_wish(const struct pmvm *p, struct debug_wish *w)
{
    if (p->dr_catch.handler && !p->trap.handler_step && !p->bridge.handback)
        w->gd_catch = p->dr_catch.handler;
}

/* Is the instruction at (rip) a MOV to or from a debug register? */
static bool mov_dr_at(struct pmvm *p, uint64_t rip)
{
    struct insn in;
    return insn_at(&p->vm, vm_sregs(&p->vm), rip, &in) == 0 &&
           in.kind == ENGINE_KIND_MOV_DR;
}

/* The #DB frame's RIP, CS and RFLAGS (then RSP, SS). */
enum { FRAME_RIP, FRAME_CS, FRAME_RFLAGS, FRAME_WORDS };

/*
 * Was the #DB of (frame) pmvm's GD on a MOV DR? The frame at CPL0 and on
 * a MOV DR; DR6.BD set and, if it was set before, no new BS (a
 * single-step trap that stopped on a MOV DR); and the guest's own DR7
 * had no GD.
 */
static bool ours(struct pmvm *p, const struct kvm_debugregs *before,
                 const struct kvm_debugregs *now, const uint64_t *frame)
{
    return !(before->dr7 & DR7_GD) && (now->dr6 & DR6_BD) &&
           !((before->dr6 & DR6_BD) && (now->dr6 & ~before->dr6 & DR6_BS)) &&
           (frame[FRAME_CS] & 3) == 0 && mov_dr_at(p, frame[FRAME_RIP]);
}

bool dr_catch_hit(struct pmvm *p, uint64_t rip, int *status)
{
    struct dr_catch *c = &p->dr_catch;
    struct guest_debug *d = &p->debug;

    if (!c->handler || rip != c->handler || p->trap.handler_step)
        return false;
    *status = RUN_CONTINUE;
    const struct kvm_debugregs now = *guest_debug_regs(p);
    bool delivered = d->delivered;
    d->delivered = false;
    uint64_t rsp = vm_regs(&p->vm)->rsp, frame[FRAME_WORDS];
    bool framed = paging_read(&p->vm, vm_sregs(&p->vm), rsp, frame,
                              sizeof frame) == sizeof frame;
    uint64_t at = framed ? frame[FRAME_RIP] : 0;
    if (framed && delivered && ours(p, &d->before, &now, frame)) {
        if (bridge_event_return(p, at)) {
            guest_debug_set_dr6(p, d->before.dr6);
            int s = bridge_rescue_machine(p);
            if (s != BRIDGE_NOT_RESCUED) {
                c->caught++;
                if (p->trace)
                    fprintf(stderr, "pmvm: trace: MOV DR at 0x%llx caught at "
                            "the guest's #DB handler, run by the engine\n",
                            (unsigned long long)at);
                *status = s;
                return true;
            }
        }
        /* The engine cannot: KVM runs the MOV, and the catch is off. */
        if (p->trace)
            fprintf(stderr, "pmvm: trace: the engine cannot run the MOV DR "
                    "at 0x%llx: the #DB catcher is off\n",
                    (unsigned long long)at);
        c->on = false;
        c->handler = 0;
        guest_debug_update(p);
        return true;
    }
    /* Another #DB: the guest's handler runs, in the engine if the guest
     * steps itself (dr_catch_engine_runs()), else on KVM, its first
     * instruction stepped with the catchers' breakpoints off
     * (trap_after_run()). */
    if (framed && (frame[FRAME_RFLAGS] & RFLAGS_TF)) {
        c->tf_frame = rsp;
        return true;
    }
    p->trap.handler_step = c->handler;
    guest_debug_update(p);
    return true;
}

#define OTHER_STACK (64u << 10)

bool dr_catch_engine_runs(struct pmvm *p)
{
    struct dr_catch *c = &p->dr_catch;

    if (!c->on)
        return false;
    const struct engine_state *st = p->bridge.st; /* the engine runs */
    uint64_t rflags = st ? st->rflags : vm_regs(&p->vm)->rflags;
    uint64_t rsp = st ? st->gpr[ENGINE_RSP] : vm_regs(&p->vm)->rsp;
    if (rflags & RFLAGS_TF)
        return true;
    if (c->tf_frame && rsp <= c->tf_frame && c->tf_frame - rsp < OTHER_STACK)
        return true;
    c->tf_frame = 0;
    return false;
}
