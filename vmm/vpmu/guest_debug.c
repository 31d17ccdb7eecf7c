/* guest_debug.c: the one owner of KVM_SET_GUEST_DEBUG for the guest's vCPU: the trap, counting, engine-bridge and catcher paths each say what they need now, and this programs KVM's single-step and DR0-DR3 from their wishes; it also keeps the guest's own debug registers, and pmvm's DR7.GD out of them. */
#include <err.h>
#include <sys/ioctl.h>

#include "arch/x86.h"
#include "vmm/pmvm.h"
#include "vmm/status.h"
#include "vmm/vpmu/gp_catch.h"
#include "vmm/vpmu/guest_debug.h"

#define DR3_SLOT 3

void debug_wish_bp(struct debug_wish *w, uint64_t addr)
{
    if (w->nbp < sizeof(w->bp) / sizeof(w->bp[0]))
        w->bp[w->nbp++] = addr;
}

static void gather(const struct pmvm *p, struct debug_wish *w)
{
    *w = (struct debug_wish){0};
    bridge_debug_wish(p, w);
    trap_debug_wish(p, w);
    count_debug_wish(p, w);
    gp_catch_debug_wish(p, w);
    syscall_catch_debug_wish(p, w);
    dr_catch_debug_wish(p, w);
}

bool guest_debug_wants_step(const struct pmvm *p)
{
    struct debug_wish w;
    gather(p, &w);
    return w.step && !w.no_step;
}

void guest_debug_update(struct pmvm *p)
{
    struct guest_debug *d = &p->debug;
    struct kvm_guest_debug dbg = {
        .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP,
    };
    struct debug_wish w;
    unsigned slot = 0;

    gather(p, &w);
    d->step_armed = w.step && !w.no_step;
    if (d->step_armed)
        dbg.control |= KVM_GUESTDBG_SINGLESTEP;
    for (unsigned i = 0; i < w.nbp && !d->bp_blind && slot < DEBUG_MAX_BP;
         i++, slot++) {
        dbg.arch.debugreg[slot] = w.bp[i];
        dbg.arch.debugreg[7] |= DR7_L(slot);
    }
    if (w.bp_dr3 && !d->bp_blind && slot <= DR3_SLOT) {
        dbg.arch.debugreg[DR3_SLOT] = w.bp_dr3;
        dbg.arch.debugreg[7] |= DR7_L(DR3_SLOT);
    }
    bool gd = w.gd_catch && !d->bp_blind && !d->step_armed &&
              slot < DEBUG_MAX_BP && !(dbg.arch.debugreg[7] & DR7_L(slot));
    if (gd) {
        dbg.arch.debugreg[slot] = w.gd_catch;
        dbg.arch.debugreg[7] |= DR7_L(slot);
    }
    /* Guest debug replaces the guest's own DR7: on only while pmvm has
     * a breakpoint or a step to take, so that a guest's own breakpoints
     * fire when pmvm needs none; while the guest has some, the engine
     * runs it (docs/guest-abi.md). */
    if (!dbg.arch.debugreg[7] && !d->step_armed)
        dbg.control = 0;
    if (ioctl(p->vm.vcpu_fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
        err(STATUS_OSERR, "KVM_SET_GUEST_DEBUG");
    d->gd_wanted = gd;
    if (d->gd_wanted != d->gd_in_kvm) {
        struct kvm_debugregs r = *guest_debug_regs(p);
        if (d->gd_wanted != d->gd_in_kvm) /* the read may have seen it go */
            guest_debug_set_regs(p, &r);
    }
}

/* (guest) from what KVM holds: pmvm's GD out; if a #DB's delivery
 * cleared it (and the guest's own with it), what the guest had before. */
static void read_guest(struct guest_debug *d, const struct kvm_debugregs *k)
{
    if (d->gd_in_kvm && !(k->dr7 & DR7_GD)) {
        d->before = d->guest;
        d->delivered = true;
        d->gd_in_kvm = false;
        d->guest = *k;
        return;
    }
    uint64_t own_gd = d->gd_in_kvm ? d->guest.dr7 & DR7_GD : k->dr7 & DR7_GD;
    d->guest = *k;
    d->guest.dr7 = (k->dr7 & ~DR7_GD) | own_gd;
}

const struct kvm_debugregs *guest_debug_regs(struct pmvm *p)
{
    struct guest_debug *d = &p->debug;

    if (!d->guest_valid) {
        struct kvm_debugregs k;
        vm_debugregs(&p->vm, false, &k);
        read_guest(d, &k);
        d->guest_valid = true;
    }
    return &d->guest;
}

void guest_debug_set_regs(struct pmvm *p, const struct kvm_debugregs *regs)
{
    struct guest_debug *d = &p->debug;
    struct kvm_debugregs k = *regs;

    d->guest = *regs;
    d->guest_valid = true;
    if (d->gd_wanted)
        k.dr7 |= DR7_GD;
    d->gd_in_kvm = d->gd_wanted;
    vm_debugregs(&p->vm, true, &k);
}

void guest_debug_set_dr6(struct pmvm *p, uint64_t dr6)
{
    struct kvm_debugregs r = *guest_debug_regs(p);

    r.dr6 = dr6;
    guest_debug_set_regs(p, &r);
}

bool guest_debug_guest_armed(struct pmvm *p)
{
    return (guest_debug_regs(p)->dr7 & DR7_ENABLES) != 0;
}
