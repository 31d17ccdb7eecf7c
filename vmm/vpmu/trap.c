/* trap.c: catches every guest RDPMC, with hardware breakpoints or by single-stepping, and answers it from the PMU model. */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86.h"
#include "vmm/vpmu/count.h"
#include "vmm/exits.h"
#include "vmm/vpmu/gp_catch.h"
#include "vmm/vpmu/guest_debug.h"
#include "vmm/host_probe.h"
#include "vmm/vpmu/insn.h"
#include "vmm/paging.h"
#include "vmm/pmvm.h"
#include "vmm/vpmu/rdpmc.h"
#include "vmm/vpmu/step_debug.h"
#include "vmm/status.h"
#include "vmm/vpmu/trap.h"

#define OPCODE_ICEBP 0xF1

static const char *const mode_names[] = {"auto", "bp", "step"};

const char *trap_mode_name(enum trap_mode m)
{
    return mode_names[m];
}

/* The trap's part of guest debug: single-step in step mode and for the
 * #GP handler's first instruction; never for a HLT, which a step turns
 * into a NOP on nested PVM, nor for CPL3 code on a host that cannot step
 * it (from the return that enters it to the next exit); a breakpoint on
 * each RDPMC site, and after an exit the temporary one in DR3. */
void trap_debug_wish(const struct pmvm *p, struct debug_wish *w)
{
    const struct trap *t = &p->trap;

    if (t->unstepped)
        w->no_step = true;
    if (t->mode == TRAP_STEP || t->handler_step)
        w->step = true;
    for (size_t i = 0; i < t->nsites; i++)
        debug_wish_bp(w, t->sites[i]);
    w->bp_dr3 = t->bp_temp;
}

/* Every RDPMC in the executable segments, at the addresses the image's
 * own page tables give them. */
static size_t sites_find(struct pmvm *p, const uint8_t *image,
                         uint64_t *sites, size_t max, bool *writable_code)
{
    size_t found = 0;
    *writable_code = false;
    for (unsigned i = 0; i < p->image.nsegs; i++) {
        const struct load_segment *s = &p->image.segs[i];
        if (!s->exec)
            continue;
        *writable_code |= s->writable;
        size_t n = engine_find_rdpmc(image + s->offset, s->filesz, s->vaddr,
                                   found < max ? sites + found : NULL,
                                   found < max ? max - found : 0);
        found += n;
    }
    return found;
}

void trap_setup(struct pmvm *p, enum trap_mode requested,
                const uint8_t *image)
{
    struct trap *t = &p->trap;
    uint64_t sites[TRAP_MAX_BP];
    bool writable_code;
    size_t found = sites_find(p, image, sites, TRAP_MAX_BP, &writable_code);
    bool fits = found <= TRAP_MAX_BP && !writable_code;

    if (requested == TRAP_BP && !fits)
        errx(STATUS_USAGE, "--trap=bp: the image has %s; hardware "
             "breakpoints cannot cover it (use --trap=step or auto)",
             writable_code ? "writable code, which may make RDPMCs at run "
             "time" : "more than 4 RDPMC instructions");
    /* Asked only when breakpoints would be used: it costs a VM. */
    bool no_bp = requested != TRAP_STEP && fits && found &&
                 !host_breakpoints_fire(p->vm.kvm_fd);
    if (requested == TRAP_BP && no_bp)
        errx(STATUS_UNAVAILABLE, "--trap=bp: this host's KVM does not fire "
             "hardware breakpoints (KVM_GUESTDBG_USE_HW_BP), so no RDPMC "
             "would be trapped (use --trap=step or auto)");
    /* Where KVM answers an RDPMC itself (its own vPMU on: no #GP), or
     * no breakpoint fires, gp_catch.c sees nothing: only the engine,
     * seeing every instruction, finds the RDPMCs outside the image's
     * code. Where breakpoints never fire, pmvm sets none: guest debug
     * would only take the guest's own #DB from it (and KVM on SVM then
     * runs a guest's ICEBP badly). */
    bool kvm_answers = !host_rdpmc_faults(p->vm.kvm_fd);
    p->debug.bp_blind = !host_breakpoints_fire(p->vm.kvm_fd);
    t->gp_catchable = !kvm_answers && !p->debug.bp_blind;
    t->mode = requested == TRAP_AUTO
                  ? (fits && !no_bp && (t->gp_catchable || !bridge_has_engine(p))
                         ? TRAP_BP : TRAP_STEP)
                  : requested;
    if (!t->gp_catchable && !(t->mode == TRAP_STEP && bridge_has_engine(p)))
        fprintf(stderr, "pmvm: %s, so an RDPMC outside the image's code "
                "gives %s, not the model's%s\n",
                kvm_answers ? "this host's KVM answers RDPMC itself (its "
                              "own vPMU is on)"
                            : "this host's KVM fires no hardware breakpoints",
                kvm_answers ? "KVM's answer" : "the guest a #GP",
                bridge_has_engine(p) ? " (--trap=auto would have the engine see "
                "every instruction)" : " (with --count=step no engine sees "
                "every instruction)");
    if (t->mode == TRAP_BP) {
        t->nsites = found;
        memcpy(t->sites, sites, found * sizeof sites[0]);
    } else if (!bridge_has_engine(p) && !host_steps_cpl3(p->vm.kvm_fd)) {
        /* Say what pmvm chose and why, in the user's terms. (The engine,
         * when there is one, runs CPL3 code itself.) */
        if (requested == TRAP_STEP)
            fprintf(stderr, "pmvm: --trap=step: this host's KVM does not "
                    "single-step CPL3 code, so an RDPMC at CPL3 is not "
                    "trapped (the host answers it)\n");
        else if (fits)
            fprintf(stderr, "pmvm: this host's KVM neither fires hardware "
                    "breakpoints nor single-steps CPL3 code, so an RDPMC at "
                    "CPL3 is not trapped (the host answers it)\n");
        else
            fprintf(stderr, "pmvm: the image has %s, more than the 4 "
                    "hardware breakpoints can cover, so pmvm catches RDPMC "
                    "by single-stepping; this host's KVM does not "
                    "single-step CPL3 code, so an RDPMC at CPL3 is not "
                    "trapped (the host answers it)\n",
                    writable_code ? "writable code (which may make RDPMCs "
                    "at run time)" : "more than 4 RDPMC instructions");
    }
    if (p->trace) {
        fprintf(stderr, "pmvm: trace: %zu RDPMC site%s found", found,
                found == 1 ? "" : "s");
        for (size_t i = 0; i < found && i < TRAP_MAX_BP; i++)
            fprintf(stderr, " 0x%llx", (unsigned long long)sites[i]);
        fprintf(stderr, "%s; trapping RDPMC with %s%s\n",
                writable_code ? ", code is writable" : "",
                t->mode == TRAP_BP ? "hardware breakpoints"
                : bridge_has_engine(p) ? "the engine, which sees every instruction"
                                 : "single-step and decoding",
                no_bp ? " (this host's KVM does not fire hardware "
                        "breakpoints)"
                : kvm_answers && t->mode == TRAP_STEP
                    ? " (this host's KVM answers RDPMC itself)" : "");
    }
    guest_debug_update(p);
}

/* Decode the instruction at the vCPU's RIP. */
static int insn_at_rip(struct pmvm *p, uint64_t offset, struct insn *in)
{
    return insn_at(&p->vm, vm_sregs(&p->vm), vm_regs(&p->vm)->rip + offset,
                   in);
}

static bool bp_site_hit(const struct trap *t, uint64_t rip)
{
    for (size_t i = 0; i < t->nsites; i++)
        if (t->sites[i] == rip)
            return true;
    return false;
}

/* Emulate the RDPMC (in) at RIP, and count it if it retired. */
static void rdpmc_at_rip(struct pmvm *p, const struct insn *in)
{
    uint64_t addr = vm_regs(&p->vm)->rip;
    count_on_emulated(p, in, addr, rdpmc_emulate(p, in->length));
}

/* The instruction (offset) bytes past RIP returns to CPL3: SYSRET, or an
 * IRET whose frame, at RSP, holds a CPL3 CS. */
static bool enters_user(struct pmvm *p, uint64_t offset)
{
    struct insn in;
    if (insn_at_rip(p, offset, &in) < 0 ||
        (in.kind != ENGINE_KIND_IRET && in.kind != ENGINE_KIND_SYSRET))
        return false;
    if (in.kind == ENGINE_KIND_SYSRET)
        return true;
    uint64_t cs = 0; /* the frame's CS, above RIP */
    const struct kvm_sregs *s = vm_sregs(&p->vm);
    uint64_t wide = insn_mode_of(s) == INSN_MODE_64 ? 8 : 4;
    uint64_t la = vm_regs(&p->vm)->rsp + wide;
    if (wide == 4)
        la = (s->ss.base + la) & 0xFFFFFFFF;
    paging_read(&p->vm, s, la, &cs, 2);
    return (cs & 3) == 3;
}

bool trap_enters_user(struct pmvm *p, uint64_t rip)
{
    return rip == vm_regs(&p->vm)->rip && enters_user(p, 0);
}

void trap_unstep_user(struct pmvm *p)
{
    if (p->trap.unstepped || vm_cpl(&p->vm) != 3 ||
        host_steps_cpl3(p->vm.kvm_fd))
        return;
    p->trap.unstepped = true;
    guest_debug_update(p);
}

/*
 * HLT runs unstepped, to the next exit: a step turns it into a no-op on
 * nested PVM. So does CPL3 code on a host that cannot step it (nested
 * PVM, where KVM's TF at CPL3 is a #DB the guest takes), from the return
 * that enters it (count.c says what goes uncounted). (offset): the
 * instruction's distance from RIP (past an exit KVM still completes).
 * Either retires, and is counted, as it runs. True if so.
 */
static bool unstep_if_due(struct pmvm *p, uint64_t offset)
{
    struct insn in;
    if (insn_at_rip(p, offset, &in) < 0)
        return false;
    if (in.kind != ENGINE_KIND_HLT &&
        (host_steps_cpl3(p->vm.kvm_fd) || !enters_user(p, offset)))
        return false;
    count_prepare(p);
    count_on_emulated(p, &in, vm_regs(&p->vm)->rip + offset, true);
    p->trap.unstepped = true;
    guest_debug_update(p);
    return true;
}

/* Instructions that load RFLAGS or enter a handler: KVM's TF may be gone
 * after them, so single-step is armed again at the next instruction. */
static bool tf_may_change(enum engine_kind k)
{
    return k == ENGINE_KIND_IRET || k == ENGINE_KIND_SYSRET || k == ENGINE_KIND_POPF ||
           k == ENGINE_KIND_SYSCALL;
}

/*
 * ICEBP (INT1) under single-step: pmvm delivers its #DB, a trap past it,
 * as the SDM has it, for KVM's is no good while it steps: SVM leaves RIP
 * at the ICEBP with DR6.BS set, a step pmvm would take for its own and
 * run again for ever (at CPL0; at CPL3 the guest got #UD), and nested
 * PVM cannot run it at CPL0. Counted as retired, as the engine does.
 */
static void icebp_at_rip(struct pmvm *p)
{
    struct kvm_regs *r = vm_regs(&p->vm);
    const struct kvm_sregs *s = vm_sregs(&p->vm);
    uint64_t la = insn_mode_of(s) == INSN_MODE_64 ? r->rip
                                                  : s->cs.base + r->rip;
    struct insn in;
    uint8_t byte = 0;
    if (paging_read(&p->vm, s, la, &byte, 1) != 1 || byte != OPCODE_ICEBP ||
        insn_at_rip(p, 0, &in) < 0)
        return;
    uint64_t at = r->rip;
    count_on_emulated(p, &in, at, true);
    r->rip += 1;
    vm_regs_dirty(&p->vm);
    vm_inject_exception(&p->vm, VEC_DB, -1);
    if (p->trace)
        fprintf(stderr, "pmvm: trace: ICEBP at 0x%llx: its #DB goes to the "
                "guest\n", (unsigned long long)at);
}

/*
 * While single-stepping (step mode, or counting), a step exit stops before
 * the next instruction, so an RDPMC there is emulated now. After an exit
 * pmvm completes (I/O, MSR), nested PVM reports no step for the
 * instruction that follows, so an RDPMC right after one gets a breakpoint
 * (DR3) unless the image's own breakpoints cover it.
 *
 * KVM steps with a TF it sets in the guest's RFLAGS once, when guest debug
 * is set; whatever rewrites RFLAGS (IRET, POPF, SYSCALL's mask, an exit
 * pmvm completes) can end the stepping, so pmvm sets guest debug again
 * after those.
 */
bool trap_before_run(struct pmvm *p)
{
    struct trap *t = &p->trap;
    t->next_known = false;
    if (!guest_debug_wants_step(p))
        return false;
    uint32_t last = p->vm.run->exit_reason;
    bool after_step = !t->started || last == KVM_EXIT_DEBUG;
    t->started = true;
    struct insn in;
    if (t->step_rearm || !after_step) {
        t->step_rearm = false;
        guest_debug_update(p);
    }
    if (after_step) {
        count_on_step(p);
        while (insn_at_rip(p, 0, &in) == 0 && in.kind == ENGINE_KIND_RDPMC) {
            uint64_t before = vm_regs(&p->vm)->rip;
            rdpmc_at_rip(p, &in);
            if (vm_regs(&p->vm)->rip == before)
                break; /* #GP injected: the handler runs next */
        }
        icebp_at_rip(p);
        t->next_known = insn_at_rip(p, 0, &in) == 0;
        t->next_kind = t->next_known ? in.kind : ENGINE_KIND_OTHER;
        t->step_rearm = t->next_known && tf_may_change(in.kind);
        if (t->next_known && step_takes_flags(p, in.kind))
            return true;
        if (unstep_if_due(p, 0))
            return false;
        if (t->bp_temp && vm_regs(&p->vm)->rip != t->bp_temp) {
            t->bp_temp = 0;
            guest_debug_update(p);
        }
        count_prepare(p);
        return false;
    }
    /* The run was not a step (an exit, or the watchdog's tick): RIP is
     * at the next instruction, or with an exit KVM completes on the next
     * run, at that one, and nested PVM then runs the one after it with
     * no stop. */
    uint64_t next = 0;
    if ((last == KVM_EXIT_IO || last == KVM_EXIT_X86_RDMSR ||
         last == KVM_EXIT_X86_WRMSR) && insn_at_rip(p, 0, &in) == 0 &&
        (in.kind == ENGINE_KIND_IO || in.kind == ENGINE_KIND_RDMSR ||
         in.kind == ENGINE_KIND_WRMSR))
        next = in.length;
    else if (p->bridge.debug_only && insn_at_rip(p, 0, &in) == 0 &&
             step_takes_flags(p, in.kind))
        return true;
    if (unstep_if_due(p, next))
        return false;
    if (last != KVM_EXIT_IO && last != KVM_EXIT_X86_RDMSR &&
        last != KVM_EXIT_X86_WRMSR)
        return false;
    uint64_t at = vm_regs(&p->vm)->rip + next;
    if (insn_at_rip(p, next, &in) == 0 && in.kind == ENGINE_KIND_RDPMC &&
        !bp_site_hit(t, at) && t->bp_temp != at) {
        t->bp_temp = at;
        guest_debug_update(p);
    }
    return false;
}

void trap_engine_takes_over(struct pmvm *p)
{
    if (p->trap.handler_step) {
        p->trap.handler_step = 0;
        guest_debug_update(p);
    }
}

void trap_after_run(struct pmvm *p, bool halted)
{
    struct trap *t = &p->trap;
    /* Until the step has left the handler's first instruction (nested
     * PVM may stop once more where the step was armed). */
    if (t->handler_step && vm_regs(&p->vm)->rip != t->handler_step) {
        t->handler_step = 0;
        guest_debug_update(p);
    }
    if (!t->unstepped || halted)
        return;
    /* CPL3 code a host cannot step runs unstepped until it is back at
     * CPL0: an exit at CPL3 (the watchdog's tick, a port) leaves it so,
     * or KVM's TF would be a #DB the guest takes. */
    if (vm_cpl(&p->vm) == 3 && !host_steps_cpl3(p->vm.kvm_fd))
        return;
    t->unstepped = false;
    count_reset(p);
    t->started = false; /* stepping starts afresh where the vCPU is */
    guest_debug_update(p);
}

/*
 * A #DB of the guest's own that guest debug brought to pmvm: back to the
 * guest. ICEBP is a trap: the engine delivers it where it can, else KVM,
 * past the ICEBP. The guest's DR6 is left as it was: without
 * KVM_CAP_EXCEPTION_PAYLOAD an injected #DB does not carry one.
 */
static int guest_debug_trap(struct pmvm *p)
{
    struct kvm_regs *r = vm_regs(&p->vm);
    uint8_t byte = 0;
    if (paging_read(&p->vm, vm_sregs(&p->vm), r->rip, &byte, 1) == 1 &&
        byte == OPCODE_ICEBP) {
        int status = bridge_rescue(p);
        if (status != BRIDGE_NOT_RESCUED)
            return status;
        r->rip += 1;
        vm_regs_dirty(&p->vm);
    }
    vm_inject_exception(&p->vm, VEC_DB, -1);
    if (p->trace)
        fprintf(stderr, "pmvm: trace: the guest's own #DB at 0x%llx goes "
                "back to it\n", (unsigned long long)r->rip);
    return RUN_CONTINUE;
}

int exit_debug(struct pmvm *p)
{
    struct trap *t = &p->trap;
    const struct kvm_debug_exit_arch *d = &p->vm.run->debug.arch;
    uint64_t rip = vm_regs(&p->vm)->rip;
    struct insn in;
    bool ours = bp_site_hit(t, rip) || (t->bp_temp && rip == t->bp_temp);
    bool breakpoint = d->exception == 1 && ours;
    int status;
    if (d->exception == 1 && (gp_catch_hit(p, rip) ||
                              syscall_catch_hit(p, rip)))
        return RUN_CONTINUE;
    if (d->exception == 1 && dr_catch_hit(p, rip, &status))
        return status;
    if (breakpoint && insn_at_rip(p, 0, &in) == 0 &&
        in.kind == ENGINE_KIND_RDPMC) {
        rdpmc_at_rip(p, &in);
        return RUN_CONTINUE;
    }
    /* DR6: BS for pmvm's single-step, B0-B3 for its breakpoints (every
     * enabled slot is pmvm's). Neither: the guest's own #DB (ICEBP; its
     * own TF or breakpoint, which guest debug takes from it). */
    bool guests = d->exception == 1 && !(d->dr6 & (DR6_BS | DR6_B0_3));
    if (guests)
        return guest_debug_trap(p);
    if (guest_debug_wants_step(p) && d->exception == 1)
        return RUN_CONTINUE; /* trap_before_run() takes it from here */
    return exit_unexpected(p);
}
