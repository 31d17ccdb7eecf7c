/* vcpu_run.c: the vCPU run loop, which dispatches each KVM exit through a table of handlers. */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86.h"
#include "vmm/engine_cpu/engine_cpu.h"
#include "vmm/vcpu_dump.h"
#include "vmm/exits.h"
#include "vmm/vpmu/gp_catch.h"
#include "vmm/vpmu/guest_debug.h"
#include "vmm/vpmu/pmi.h"
#include "vmm/vpmu/shadow_flush.h"
#include "vmm/vpmu/step_debug.h"
#include "vmm/status.h"
#include "vmm/watchdog.h"

typedef int (*exit_handler)(struct pmvm *p);

/* KVM returned because the guest can take an interrupt now, as asked
 * (extint_offer()): the next entry injects it. */
static int exit_irq_window(struct pmvm *p)
{
    (void)p;
    return RUN_CONTINUE;
}

static const exit_handler exit_handlers[EXIT_REASON_MAX] = {
    [KVM_EXIT_IRQ_WINDOW_OPEN] = exit_irq_window,
    [KVM_EXIT_IO] = exit_io,
    [KVM_EXIT_X86_RDMSR] = exit_rdmsr,
    [KVM_EXIT_X86_WRMSR] = exit_wrmsr,
    [KVM_EXIT_DEBUG] = exit_debug,
    [KVM_EXIT_SHUTDOWN] = exit_shutdown,
    [KVM_EXIT_INTERNAL_ERROR] = exit_internal_error,
    [KVM_EXIT_FAIL_ENTRY] = exit_fail_entry,
};

/*
 * The 8259's request reaches the guest through LINT0 as ExtINT. With
 * KVM's split irqchip the local APIC is KVM's and the 8259 pmvm's, and
 * KVM takes an ExtINT vector from userspace with KVM_INTERRUPT, when the
 * last exit said the guest can take one (ready_for_interrupt_injection:
 * IF set, no shadow, LINT0 open to ExtINT); otherwise KVM_RUN is asked to
 * return when it can (request_interrupt_window, KVM_EXIT_IRQ_WINDOW_OPEN;
 * KVM's API documentation). A vector KVM refuses for now (EEXIST: one is
 * still queued) is held and offered again.
 */
static void extint_offer(struct pmvm *p)
{
    struct kvm_run *run = p->vm.run;

    run->request_interrupt_window = 0;
    if (!p->extint_held && !pic_pending(&p->pic))
        return;
    if (run->ready_for_interrupt_injection) {
        if (!p->extint_held)
            p->extint_held = pic_ack(&p->pic) + 1;
        struct kvm_interrupt irq = {.irq = p->extint_held - 1};
        if (ioctl(p->vm.vcpu_fd, KVM_INTERRUPT, &irq) == 0)
            p->extint_held = 0;
        else if (errno != EEXIST)
            err(STATUS_OSERR, "KVM_INTERRUPT");
    }
    run->request_interrupt_window = p->extint_held || pic_pending(&p->pic);
}

static bool halted(struct pmvm *p)
{
    struct kvm_mp_state mp;
    if (ioctl(p->vm.vcpu_fd, KVM_GET_MP_STATE, &mp) < 0)
        err(STATUS_OSERR, "KVM_GET_MP_STATE");
    return mp.mp_state == KVM_MP_STATE_HALTED;
}

static int vcpu_run_loop(struct pmvm *p, double timeout_s);

int vcpu_run(struct pmvm *p, double timeout_s)
{
    watchdog_arm(p->vm.run, timeout_s);
    int status = engine_cpu_on(p) ? engine_cpu_loop(p, timeout_s)
                                  : vcpu_run_loop(p, timeout_s);
    /* The last line, while --timeout still holds for a slow reader; a
     * console that lost the guest's output overrides the guest's status. */
    console_flush(&p->console);
    if (!console_ok(&p->console) && status != STATUS_IOERR &&
        status != STATUS_TIMEOUT)
        status = end_console_failed(p, timeout_s);
    watchdog_disarm();
    return status;
}

/*
 * KVM finishes an I/O or MSR exit's instruction (writes RDMSR's and IN's
 * results, moves RIP on) only when it is entered again. With
 * immediate_exit set it does that and returns at once, running nothing
 * (KVM's API documentation, "immediate_exit"): the engine then starts
 * after the instruction.
 */
static void complete_exit(struct pmvm *p)
{
    struct vm *vm = &p->vm;

    vm->run->immediate_exit = 1;
    vm_regs_flush(vm);
    int r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
    vm_regs_invalidate(vm);
    vm->run->immediate_exit = 0;
    if (r < 0 && errno != EINTR && errno != EAGAIN)
        err(STATUS_OSERR, "KVM_RUN");
}

static bool pending_completion(uint32_t reason)
{
    return reason == KVM_EXIT_IO || reason == KVM_EXIT_X86_RDMSR ||
           reason == KVM_EXIT_X86_WRMSR || reason == KVM_EXIT_MMIO;
}

static int vcpu_run_loop(struct pmvm *p, double timeout_s)
{
    struct vm *vm = &p->vm;
    bool incomplete = false; /* the last exit's instruction is unfinished */
    unsigned tick = watchdog_ticks();
    for (;;) {
        if (tick != watchdog_ticks()) {
            tick = watchdog_ticks();
            console_tick(p);
        }
        if (!console_ok(&p->console))
            return end_console_failed(p, timeout_s);
        /* While a counter counts, the engine runs the guest; KVM runs it
         * otherwise, and for single instructions the engine hands back. */
        if (incomplete && bridge_active(p)) {
            complete_exit(p);
            incomplete = false;
        }
        if (bridge_active(p)) {
            int status = bridge_run(p);
            if (status != RUN_CONTINUE)
                return status;
            if (watchdog_expired())
                return end_timeout(p, timeout_s);
            if (bridge_active(p))
                continue;
        }
        if (!p->bridge.handback && trap_before_run(p))
            continue; /* the engine takes the next instruction */
        gp_catch_refresh(p);
        syscall_catch_refresh(p);
        dr_catch_refresh(p);
        if (p->pmi_due) {
            pmi_deliver(p);
            p->pmi_due = false;
        }
        /* Single-step stays armed only at the RIP it was armed at. */
        if (p->debug.step_armed && vm_regs_push(vm))
            guest_debug_update(p);
        if (p->debug.step_armed)
            tf_scrub_arm(p);
        extint_offer(p);
        shadow_flush_due(p);
        vm_regs_flush(vm);
        int r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
        vm_regs_invalidate(vm);
        tf_scrub_after_run(p);
        /* a hand-back's instruction is not the trap path's (MOV DR is
         * one the engine hands back) */
        step_after_kvm_run(p, p->bridge.handback || !p->trap.next_known ||
                                  p->trap.next_kind == ENGINE_KIND_MOV_DR);
        p->bridge.kvm_ran = true;
        p->debug.guest_valid = false;
        incomplete = false;
        p->bridge.state_unsupported = false; /* the engine may take it now */
        if (r < 0) {
            if (errno != EINTR && errno != EAGAIN)
                err(STATUS_OSERR, "KVM_RUN");
            /* With immediate_exit (the watchdog's tick came between runs)
             * KVM returns at once and leaves exit_reason as the last exit
             * had it: a stale KVM_EXIT_DEBUG would pass for a step taken
             * (a hand-back ended, a count) when nothing ran. */
            vm->run->exit_reason = KVM_EXIT_INTR;
            watchdog_resume();
            /* A guest halted with interrupts off: the in-kernel local
             * APIC keeps it inside KVM_RUN for ever, so the tick asks. */
            bool waits = halted(p);
            if (waits && !(vm_regs(vm)->rflags & RFLAGS_IF))
                return STATUS_OK;
            if (watchdog_expired())
                return end_timeout(p, timeout_s);
            bridge_after_exit(p, waits);
            trap_after_run(p, waits);
            continue;
        }
        uint32_t reason = vm->run->exit_reason;
        incomplete = pending_completion(reason);
        p->exits[reason < EXIT_REASON_MAX ? reason : EXIT_REASON_MAX]++;
        exit_handler h = reason < EXIT_REASON_MAX ? exit_handlers[reason]
                                                  : NULL;
        int status = h ? h(p) : exit_unexpected(p);
        if (status != RUN_CONTINUE)
            return status;
        bridge_after_exit(p, false);
        trap_after_run(p, false);
    }
}

void console_tick(struct pmvm *p)
{
    if (p->machine != MACHINE_LINUX)
        return;
    console_in_poll(&p->console_in, &p->serial);
    console_flush(&p->console);
}

void vcpu_print_exit_counts(const struct pmvm *p)
{
    uint64_t total = 0;
    fprintf(stderr, "pmvm: exits:");
    for (unsigned i = 0; i <= EXIT_REASON_MAX; i++) {
        if (!p->exits[i])
            continue;
        total += p->exits[i];
        fprintf(stderr, " %s %llu", i < EXIT_REASON_MAX ? dump_exit_name(i)
                                                         : "OTHER",
                (unsigned long long)p->exits[i]);
    }
    fprintf(stderr, ", total %llu\n", (unsigned long long)total);
}
