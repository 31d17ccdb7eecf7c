/* engine_bridge.c: the engine runs the guest in pmvm's process (engine/) while a counter counts, and CPL0 code on hosts that interpret it; single instructions it leaves alone run on KVM. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86.h"
#include "devices/apic.h"
#include "pmu/pmu.h"
#include "vmm/vpmu/count.h"
#include "vmm/vpmu/cpuid.h"
#include "vmm/vpmu/engine_bridge.h"
#include "vmm/engine_state.h"
#include "vmm/exits.h"
#include "vmm/host_probe.h"
#include "vmm/vpmu/insn.h"
#include "vmm/lapic.h"
#include "vmm/paging.h"
#include "vmm/vpmu/msr.h"
#include "vmm/vpmu/pmi.h"
#include "vmm/pmvm.h"
#include "vmm/vpmu/guest_debug.h"
#include "vmm/vpmu/rdpmc.h"
#include "vmm/vpmu/shadow_flush.h"
#include "vmm/vpmu/step_debug.h"
#include "vmm/status.h"
#include "vmm/vpmu/trap.h"
#include "vmm/vpmu/xstate.h"

/* Instructions per engine run: the run loop looks at the watchdog and at
 * interrupts KVM holds between runs (about 10-20 ms of guest time). */
#define BRIDGE_BUDGET 200000


/* The engine's classes are the PMU model's, in the same order. */
_Static_assert((int)ENGINE_CLASS_OTHER == (int)PMU_INSN_OTHER &&
               (int)ENGINE_CLASS_JCC == (int)PMU_INSN_JCC &&
               (int)ENGINE_CLASS_RET == (int)PMU_INSN_RET &&
               (int)ENGINE_CLASS_FAR == (int)PMU_INSN_FAR &&
               (int)ENGINE_CLASS_DIV == (int)PMU_INSN_DIV,
               "engine and PMU instruction classes differ");

/* ---- state between KVM (run->s) and the engine (vmm/engine_state.c) ---- */

void bridge_state_in(struct pmvm *p, struct engine_state *st)
{
    const struct kvm_vcpu_events *ev = vm_events(&p->vm);

    engine_state_from_kvm(st, vm_regs(&p->vm), vm_sregs(&p->vm));
    st->interrupt_shadow = ev->interrupt.shadow != 0;
    /* Only MOV DR changes them, and the engine leaves that to KVM. */
    const struct kvm_debugregs *g = guest_debug_regs(p);
    for (unsigned i = 0; i < 4; i++)
        st->dr[i] = g->db[i];
    st->dr6 = g->dr6;
    st->dr7 = g->dr7;
}

void bridge_state_out(struct pmvm *p, const struct engine_state *st, bool all)
{
    struct kvm_vcpu_events *ev = vm_events(&p->vm);

    engine_state_to_kvm_regs(st, vm_regs(&p->vm));
    vm_regs_dirty(&p->vm);
    engine_state_to_kvm_sregs(st, vm_sregs(&p->vm), all);
    vm_sregs_dirty(&p->vm);
    ev->interrupt.shadow = st->interrupt_shadow ? KVM_X86_SHADOW_INT_STI : 0;
    ev->flags = KVM_VCPUEVENT_VALID_SHADOW;
    vm_events_dirty(&p->vm);
    /* A #DB the engine raised set DR6, as the processor would; in
     * machine mode the engine runs MOV DR too. */
    struct kvm_debugregs r = *guest_debug_regs(p);
    bool changed = st->dr6 != r.dr6;
    r.dr6 = st->dr6;
    for (unsigned i = 0; all && i < 4; i++) {
        changed |= st->dr[i] != r.db[i];
        r.db[i] = st->dr[i];
    }
    if (all) {
        changed |= st->dr7 != r.dr7;
        r.dr7 = st->dr7;
    }
    if (changed)
        guest_debug_set_regs(p, &r);
}

/* An event KVM still has to inject: KVM goes first. */
static bool kvm_event_pending(struct pmvm *p)
{
    const struct kvm_vcpu_events *ev = vm_events(&p->vm);

    return ev->exception.injected || ev->exception.pending ||
           ev->interrupt.injected || ev->nmi.injected || ev->nmi.pending;
}

/* ---- the engine's callbacks: the PMU model and pmvm's devices ---- */

/*
 * The engine runs every instruction: pmvm must see each (a counter counts,
 * or RDPMC is trapped by looking at each one, --trap=step), where the
 * engine is faster than single-stepping on KVM and runs CPL3 code on
 * every host; or the guest has breakpoints of its own, which the engine
 * honours at any CPL, while pmvm's guest debug replaces them in KVM (and
 * nested PVM fires none at CPL3, nor data breakpoints in code it
 * interprets); or the guest steps itself where KVM would interpret its
 * CPL0 code (dr_catch.h).
 */
static bool extint_waits(struct pmvm *p);

static bool every_insn(struct pmvm *p)
{
    if (p->bridge.debug_only)
        return p->bridge.flags_next || step_guest_debugs(p) ||
               dr_catch_engine_runs(p) || extint_waits(p);
    return count_active(p) || p->trap.mode == TRAP_STEP ||
           guest_debug_guest_armed(p) || dr_catch_engine_runs(p) ||
           extint_waits(p);
}

/* The engine runs only CPL0 code now: at CPL3 the guest goes to KVM. */
static bool cpl0_only(struct pmvm *p)
{
    return p->bridge.cpl0 && !every_insn(p);
}

static bool on_retire(void *ctx, const struct pmu_insn *r)
{
    struct pmvm *p = ctx;
    p->bridge.last_rip = r->addr;
    p->bridge.last_len = r->length;
    /* The model sees what counts, and nothing else: the same counts
     * whichever way RDPMC is trapped. */
    if (!count_active(p))
        return engine_cpl(p->bridge.st) != 0 && cpl0_only(p);
    if (pmu_retire(p->pmu, r))
        p->pmi_due = true;
    return p->pmi_due;
}

/* Outside counting, a run at CPL0 only stops where the CPL is 3, which
 * no block changes. */
static uint64_t on_block_room(void *ctx)
{
    struct pmvm *p = ctx;

    if (!count_active(p))
        return engine_cpl(p->bridge.st) != 0 && cpl0_only(p) ? 0
                                                             : UINT64_MAX;
    return p->pmi_due ? 0 : count_block_room(p);
}

static bool on_retire_block(void *ctx, const struct pmu_block *b)
{
    struct pmvm *p = ctx;

    p->bridge.last_rip = pmu_block_last(b)->addr;
    p->bridge.last_len = pmu_block_last(b)->length;
    if (!count_active(p))
        return b->cpl != 0 && cpl0_only(p);
    if (pmu_retire_block(p->pmu, b))
        p->pmi_due = true;
    return p->pmi_due;
}

static bool on_retire_repeat(void *ctx, const struct pmu_insn *r,
                             uint64_t n, uint64_t *done)
{
    struct pmvm *p = ctx;

    *done = n;
    p->bridge.last_rip = r->addr;
    p->bridge.last_len = r->length;
    if (count_active(p) && pmu_retire_repeat(p->pmu, r, n, done))
        p->pmi_due = true;
    return p->pmi_due;
}

/* What traces retire needs no record while nothing counts, but at CPL3
 * where the engine runs CPL0 code only (on_retire_block() stops there).
 * The instructions that set the interrupt shadow, whose last_rip
 * sti_back_to_kvm() reads, never stand in a trace. */
static bool on_retire_wanted(void *ctx, unsigned cpl)
{
    struct pmvm *p = ctx;

    return count_active(p) || (cpl != 0 && cpl0_only(p));
}

/* The local APIC's MSRs (the x2APIC range, TSC_DEADLINE) are KVM's
 * in-kernel APIC's, which takes them through KVM_GET/SET_MSRS as from the
 * guest (kvm_x2apic_msr_read/write, #GP in xAPIC mode): an ioctl, where a
 * hand-back costs a run of KVM. */
static bool lapic_msr(uint32_t msr)
{
    return (msr >= 0x800 && msr <= 0x8FF) || msr == APIC_TSC_DEADLINE_MSR;
}

static enum engine_answer on_rdmsr(void *ctx, uint32_t msr, uint64_t *val)
{
    if (lapic_msr(msr))
        return vm_msr(&((struct pmvm *)ctx)->vm, false, msr, val)
                   ? ENGINE_OK : ENGINE_GP;
    if (msr_is_other(msr))
        return msr_other_read(ctx, msr, val) ? ENGINE_OK : ENGINE_GP;
    if (!pmu_msr_owned(msr))
        return ENGINE_NOT_MINE;
    return msr_pmu_read(ctx, msr, val) ? ENGINE_OK : ENGINE_GP;
}

static enum engine_answer on_wrmsr(void *ctx, uint32_t msr, uint64_t val,
                                   bool *stop)
{
    struct pmvm *p = ctx;

    if (lapic_msr(msr)) {
        if (!vm_msr(&p->vm, true, msr, &val))
            return ENGINE_GP;
        *stop = true; /* an EOI, a TPR or an IPI may let an interrupt in */
        return ENGINE_OK;
    }
    if (msr_is_other(msr))
        return msr_other_write(p, msr, val) ? ENGINE_OK : ENGINE_GP;
    if (!pmu_msr_owned(msr))
        return ENGINE_NOT_MINE;
    if (!msr_pmu_write(p, msr, val))
        return ENGINE_GP;
    /* Counting may have ended: KVM runs the guest again from here,
     * unless the engine runs CPL0 code anyway (a WRMSR runs at CPL0). */
    if (count_update(p))
        bridge_counting_changed(p);
    *stop = !every_insn(p) && !p->bridge.cpl0;
    return ENGINE_OK;
}

/* The counted region's clock (vtsc.c), else the vCPU's TSC as KVM keeps
 * it: an ioctl, where a hand-back would cost a stepped run (and on a host
 * that cannot step CPL3 code, a stop only at the next exit). */
static bool on_rdtsc(void *ctx, uint64_t *tsc)
{
    struct pmvm *p = ctx;

    if (!p->vtsc.on)
        return vm_msr(&p->vm, false, MSR_IA32_TSC, tsc);
    *tsc = vtsc_now(p);
    return true;
}

static enum engine_answer on_rdpmc(void *ctx, uint32_t ecx, unsigned cpl,
                                   bool cr0_pe, bool cr4_pce, uint64_t *val)
{
    struct pmvm *p = ctx;
    const struct pmu_mode mode = {.cpl = cpl, .cr0_pe = cr0_pe,
                                  .cr4_pce = cr4_pce};

    return rdpmc_answer(p, ecx, &mode, p->bridge.st->rip, val) ? ENGINE_OK
                                                              : ENGINE_GP;
}

static enum engine_answer on_cpuid(void *ctx, uint32_t leaf, uint32_t sub,
                                   uint32_t r[4])
{
    struct pmvm *p = ctx;

    if (!cpuid_lookup(p, p->bridge.st->cr4, leaf, sub, r) &&
        !(leaf == 0xD && p->bridge.xstate &&
          xstate_cpuid(p, p->bridge.st->cr4, sub, r)))
        return ENGINE_NOT_MINE;
    if (p->trace)
        fprintf(stderr, "pmvm: trace: engine: cpuid 0x%x.%u -> %08x %08x "
                "%08x %08x\n", leaf, sub, r[0], r[1], r[2], r[3]);
    return ENGINE_OK;
}

static const uint32_t sys_msrs[BRIDGE_SYS_MSRS] = {
    MSR_STAR, MSR_LSTAR, MSR_FMASK, 0xC0000102u, 0xC0000103u};

static int sys_index(uint32_t msr)
{
    for (int i = 0; i < BRIDGE_SYS_MSRS; i++)
        if (sys_msrs[i] == msr)
            return i;
    return -1;
}

static bool on_sys_read(void *ctx, uint32_t msr, uint64_t *val)
{
    struct pmvm *p = ctx;
    int i = sys_index(msr);

    if (i < 0)
        return false;
    if (!p->bridge.sys_valid[i]) {
        if (!vm_msr(&p->vm, false, msr, &p->bridge.sys_msr[i]))
            return false;
        p->bridge.sys_valid[i] = true;
    }
    *val = p->bridge.sys_msr[i];
    return true;
}

static bool on_sys_write(void *ctx, uint32_t msr, uint64_t val)
{
    struct pmvm *p = ctx;
    int i = sys_index(msr);

    if (i < 0 || !vm_msr(&p->vm, true, msr, &val))
        return false;
    p->bridge.sys_msr[i] = val;
    p->bridge.sys_valid[i] = true;
    return true;
}

/* The ports of the devices in KVM's irqchip (vm.c's pc_irqchip): the
 * 8259s and their ELCR, the PIT and port B. */
static bool kvm_port(uint16_t port)
{
    return (port & ~1u) == 0x20 || (port & ~1u) == 0xA0 ||
           (port & ~1u) == 0x4D0 || (port >= 0x40 && port <= 0x43) ||
           port == 0x61;
}

static enum engine_answer on_io(void *ctx, uint16_t port, unsigned size,
                                bool in, uint32_t *val, bool *stop)
{
    struct pmvm *p = ctx;
    if (p->pc_irqchip && kvm_port(port))
        return ENGINE_NOT_MINE; /* KVM runs the instruction */
    int status = exit_io_access(p, port, size, in, val);

    if (status != RUN_CONTINUE) {
        p->bridge.ended = true;
        p->bridge.status = status;
        *stop = true;
    }
    /* an 8259 request may be due now: interrupts() after this one */
    if (pic_pending(&p->pic))
        *stop = true;
    return ENGINE_OK;
}

static const char *const cpl0_names[] = {"auto", "kvm", "engine"};

/* Does the engine run CPL0 code? Said with --trace. */
static bool cpl0_choose(struct pmvm *p, bool use_engine, enum bridge_cpl0 m)
{
    uint64_t emulated = 0;
    bool on = (m == BRIDGE_CPL0_ENGINE && use_engine) ||
              (m == BRIDGE_CPL0_AUTO && use_engine &&
               host_emulates_cpl0(p->vm.kvm_fd, &emulated));
    if (p->trace && m == BRIDGE_CPL0_AUTO && use_engine)
        fprintf(stderr, "pmvm: trace: this host's KVM emulated %llu of a "
                "probe's %u CPL0 instructions: %s runs the guest's CPL0 "
                "code\n", (unsigned long long)emulated,
                HOST_PROBE_CPL0_INSNS, on ? "the engine" : "KVM");
    else if (p->trace)
        fprintf(stderr, "pmvm: trace: %s runs the guest's CPL0 code "
                "(--cpl0=%s)\n", on ? "the engine" : "KVM", cpl0_names[m]);
    return on;
}

struct engine_ops bridge_engine_ops(struct pmvm *p)
{
    static const struct engine_ops ops_template = {
        .retire = on_retire, .retire_repeat = on_retire_repeat,
        .block_room = on_block_room, .retire_block = on_retire_block,
        .retire_wanted = on_retire_wanted,
        .mem_access = count_mem_access, .mem_access_wanted = count_mem_wanted,
        .rdmsr = on_rdmsr, .wrmsr = on_wrmsr, .rdpmc = on_rdpmc,
        .rdtsc = on_rdtsc, .cpuid = on_cpuid, .sys_msr_read = on_sys_read,
        .sys_msr_write = on_sys_write, .io = on_io, .cr3_writes = true,
    };
    struct engine_ops ops = ops_template;

    ops.ctx = p;
    if (p->bridge.xstate) {
        ops.xstate = xstate_access;
        ops.xcr = xstate_xcr;
    }
    return ops;
}

void bridge_setup(struct pmvm *p, bool count_step, enum bridge_cpl0 cpl0)
{
    memset(&p->bridge, 0, sizeof(p->bridge));
    p->bridge.cpl0 = cpl0_choose(p, !count_step, cpl0);
    p->bridge.kvm_interprets = !p->bridge.cpl0 &&
                               host_emulates_cpl0(p->vm.kvm_fd, NULL);
    p->bridge.debug_only = count_step;
    /* the FPU state instructions a kernel runs at CPL0, which nested
     * PVM's KVM cannot emulate: the engine runs them on KVM's state */
    if (xstate_usable(p))
        p->bridge.xstate = true;
    else if (p->trace)
        fprintf(stderr, "pmvm: trace: engine: the vCPU's XSAVE state "
                "cannot be moved whole: KVM runs the FPU state "
                "instructions\n");
    struct engine_ops ops = bridge_engine_ops(p);
    p->bridge.engine = engine_create(p->vm.mem, p->vm.mem_size, &ops);
    if (!p->bridge.engine)
        errx(STATUS_OSERR, "cannot allocate the counting engine");
    /* Where the engine runs CPL0 code it takes over from KVM thousands
     * of times a second: it keeps the instructions it decoded, but those
     * of the pages KVM's dirty log says were written */
    if (p->bridge.cpl0 && vm_dirty_log_start(&p->vm)) {
        p->bridge.dirty = calloc((p->vm.mem_size / 4096 + 63) / 64,
                                 sizeof(uint64_t));
        if (!p->bridge.dirty)
            errx(STATUS_OSERR, "cannot allocate the dirty-page bitmap");
    }
}

void bridge_teardown(struct pmvm *p)
{
    if (p->trace && p->bridge.engine)
        fprintf(stderr, "pmvm: trace: engine: %llu instructions, %llu "
                "handed to KVM, %llu shadow flushes, %llu SYSCALLs finished\n",
                (unsigned long long)p->bridge.retired,
                (unsigned long long)p->bridge.handbacks,
                (unsigned long long)p->bridge.shadow_flushes,
                (unsigned long long)p->syscall_catch.caught);
    engine_destroy(p->bridge.engine);
    p->bridge.engine = NULL;
    engine_destroy(p->bridge.rescue);
    p->bridge.rescue = NULL;
    free(p->bridge.dirty);
    p->bridge.dirty = NULL;
}

void bridge_counting_changed(struct pmvm *p)
{
    guest_debug_update(p);
    if (!count_active(p))
        vtsc_stop(p);
}

bool bridge_has_engine(const struct pmvm *p)
{
    return p->bridge.engine && !p->bridge.debug_only;
}

/* 64-bit code at CPL0: what --cpl0 gives the engine. (The 32-bit boot
 * code stays on KVM without an engine run that would refuse it.) */
static bool at_cpl0_64(struct pmvm *p)
{
    const struct kvm_sregs *s = vm_sregs(&p->vm);
    return vm_cpl(&p->vm) == 0 && insn_mode_of(s) == INSN_MODE_64;
}

bool bridge_active(struct pmvm *p)
{
    if (!p->bridge.engine || p->bridge.handback || p->bridge.state_unsupported)
        return false;
    return every_insn(p) || (p->bridge.cpl0 && at_cpl0_64(p));
}

/* A hand-back runs one instruction on KVM, stepped, which the engine
 * knows is no RDPMC; its breakpoints come before the RDPMC sites. A free
 * hand-back runs unstepped to the next exit (HLT; CPL3 on a host that
 * cannot step it). */
void bridge_debug_wish(const struct pmvm *p, struct debug_wish *w)
{
    if (!p->bridge.handback)
        return;
    if (p->bridge.handback_free)
        w->no_step = true;
    else
        w->step = true;
    for (unsigned i = 0; i < p->bridge.nbp; i++)
        debug_wish_bp(w, p->bridge.bp[i]);
}

/* While a counter counts, or RDPMC is caught by looking at every
 * instruction, KVM ran code pmvm did not see: say so once, rather than
 * give a wrong count or a host's RDPMC answer silently. */
static void warn_unseen(struct pmvm *p, const struct engine_exit *x,
                        uint64_t rip)
{
    bool counting = count_active(p), trapping = p->trap.mode == TRAP_STEP;
    if ((!counting && !trapping) || p->bridge.warned_unseen)
        return;
    fprintf(stderr, "pmvm: this host's KVM cannot stop after one CPL3 "
            "instruction, so after %s at 0x%llx, which the engine leaves to "
            "KVM, the guest ran on KVM until the next exit: %s "
            "(docs/counting.md)\n",
            x && x->mnemonic[0] ? x->mnemonic : "an event KVM delivers",
            (unsigned long long)rip,
            counting && trapping ? "counters did not count it, and an RDPMC "
                                   "there would go untrapped"
            : counting ? "counters did not count it"
                       : "an RDPMC there would go untrapped");
    p->bridge.warned_unseen = true;
}

/* KVM's paravirtual MSRs: kvm-clock's old (0x11, 0x12) and new ones,
 * and the rest of KVM's range (Documentation/virt/kvm/x86/msr.rst). */
static bool kvm_pv_msr(uint32_t msr)
{
    return msr == 0x11 || msr == 0x12 || (msr >> 8) == 0x4B564Du;
}

/*
 * KVM runs the next instruction, single-stepped, and the counting code
 * (count.c) counts it when the step stops after it. HLT runs free
 * instead: KVM has the vCPU until its next exit. So does an instruction
 * the engine does not implement at CPL3 on a host that cannot step CPL3
 * code (nested PVM, which runs it on the CPU, where KVM's TF is a #DB the
 * guest takes); breakpoints after it (and at a direct branch's target)
 * end it there where they fire. What the engine leaves to KVM at CPL3
 * for other reasons (CPUID leaf 0xD, memory outside RAM) leaves the CPU
 * for the host, where KVM's step stops as its breakpoints fire. (x)
 * NULL: KVM has an event to deliver first.
 */
static void handback_begin(struct pmvm *p, const struct engine_state *st,
                           const struct engine_exit *x)
{
    bool cpl3 = engine_cpl(st) != 0;
    struct bridge *ex = &p->bridge;

    ex->handback = true;
    ex->handbacks++;
    ex->nbp = 0;
    /* an MSR hand-back is RDMSR or WRMSR: a read of kvm-clock's MSRs
     * costs one more step, and never happens */
    ex->clock_due = x && x->why == ENGINE_WHY_MSR &&
                    kvm_pv_msr((uint32_t)st->gpr[ENGINE_RCX]);
    if (x)
        shadow_flush_note(p, x->flushes_tlb);
    ex->halt = x && x->why == ENGINE_WHY_HALT;
    ex->handback_free = ex->halt ||
                        (cpl3 && x && x->why == ENGINE_WHY_UNIMPLEMENTED &&
                         !host_steps_cpl3(p->vm.kvm_fd));
    /* KVM's single-step hides the guest's own TF and drops it when pmvm
     * stops stepping: pmvm gives it back, with the trap it owes. */
    ex->guest_tf = x && x->length && !ex->handback_free &&
                   (st->rflags & RFLAGS_TF);
    ex->tf_next[0] = st->rip + (x ? x->length : 0);
    ex->tf_next[1] = x && x->relative ? ex->tf_next[0] + (uint64_t)x->rel
                                      : ex->tf_next[0];
    if (x && cpl3 && x->length && ex->handback_free) {
        ex->bp[ex->nbp++] = st->rip + x->length;
        if (x->relative)
            ex->bp[ex->nbp++] = st->rip + x->length + (uint64_t)x->rel;
    }
    if (p->trace)
        fprintf(stderr, "pmvm: trace: engine: %s at 0x%llx goes to KVM "
                "(%s)%s\n", x && x->mnemonic[0] ? x->mnemonic
                                                 : "instruction",
                (unsigned long long)st->rip,
                x ? engine_why_name(x->why) : "an event KVM delivers",
                ex->handback_free ? ", until its next exit" : "");
    if (ex->handback_free && !ex->halt)
        warn_unseen(p, x, st->rip);
    count_prepare(p);
    guest_debug_update(p);
}

void bridge_after_exit(struct pmvm *p, bool halted)
{
    struct bridge *ex = &p->bridge;
    bool stopped = p->vm.run->exit_reason == KVM_EXIT_DEBUG;

    if (!ex->handback || (!ex->handback_free && !stopped) ||
        (ex->halt && halted))
        return;
    if (ex->handback_free)
        count_reset(p);
    else
        count_on_step(p);
    ex->handback = ex->handback_free = ex->halt = false;
    ex->nbp = 0;
    guest_debug_update(p);
    /* Where it went on as the instruction does (not into a handler,
     * which runs without TF): TF back, and its trap, which the engine
     * delivers (interrupts()): KVM, stepping the delivery, would push
     * the RFLAGS its single-step shows, without TF. */
    struct kvm_regs *r = vm_regs(&p->vm);
    if (ex->guest_tf && (r->rip == ex->tf_next[0] ||
                         r->rip == ex->tf_next[1])) {
        r->rflags |= RFLAGS_TF;
        vm_regs_dirty(&p->vm);
        ex->db_due = bridge_active(p);
        if (!ex->db_due) { /* KVM runs on, unstepped */
            guest_debug_set_dr6(p, x86_dr6_after_db(guest_debug_regs(p)->dr6,
                                                    0, true));
            vm_inject_exception(&p->vm, VEC_DB, -1);
        }
    }
    ex->guest_tf = false;
    /* KVM fills the paravirtual clock's page a WRMSR registers on its
     * next entry (KVM_REQ_CLOCK_UPDATE, kvm_guest_time_update()), which
     * the stepped WRMSR's run has passed: one more stepped instruction on
     * KVM, so that the guest never reads the page before it is filled. */
    if (ex->clock_due && bridge_active(p)) {
        struct engine_state st;
        ex->clock_due = false;
        bridge_state_in(p, &st);
        handback_begin(p, &st, NULL);
    }
}

/* The guest can take an interrupt now. */
static bool interruptible(const struct engine_state *st)
{
    return (st->rflags & RFLAGS_IF) && !st->interrupt_shadow;
}

/*
 * An 8259 request waits for the guest's STI where KVM interprets its CPL0
 * code: nested PVM's emulator ends no run when IF opens (no
 * KVM_EXIT_IRQ_WINDOW_OPEN until some other exit), so the engine runs
 * the guest until it takes the request, right after the STI's shadow as
 * on the CPU (interrupts()).
 */
static bool extint_waits(struct pmvm *p)
{
    if (!p->bridge.kvm_interprets ||
        (!p->extint_held && !pic_pending(&p->pic)))
        return false;
    if (p->bridge.st)
        return !interruptible(p->bridge.st);
    return !(vm_regs(&p->vm)->rflags & RFLAGS_IF) ||
           vm_events(&p->vm)->interrupt.shadow;
}

/*
 * Interrupts, as the CPU takes them between instructions: the single-step
 * trap a hand-back owes the guest's own TF, the PMI the
 * engine stopped for (LVTPC's), then the 8259's, then any the local APIC requests (pmvm's
 * earlier PMI, KVM's timer). The engine delivers them through the IDT;
 * an NMI or a delivery that would fault goes to KVM. False: KVM must run
 * (a hand-back is under way).
 */
static bool interrupts(struct pmvm *p, struct engine_state *st)
{
    if (p->bridge.db_due) {
        p->bridge.db_due = false;
        st->dr6 = x86_dr6_after_db(st->dr6, 0, true);
        if (!engine_interrupt(p->bridge.engine, st, VEC_DB)) {
            guest_debug_set_dr6(p, st->dr6); /* its delivery faults: */
            vm_inject_exception(&p->vm, VEC_DB, -1); /* KVM's to do */
            return false;
        }
    }
    if (p->pmi_due) {
        p->pmi_due = false;
        int v = pmi_accept(p, interruptible(st));
        if (v == PMI_KVM || (v >= 0 && !engine_interrupt(p->bridge.engine,
                                                         st, (unsigned)v)))
            return false;
    }
    /* the 8259's, through LINT0 (ExtINT), before the APIC's as KVM
     * takes them; one KVM must deliver is held for vcpu_run.c's
     * KVM_INTERRUPT */
    if (interruptible(st) && (p->extint_held || pic_pending(&p->pic)) &&
        lapic_extint_open(p)) {
        unsigned v = p->extint_held ? p->extint_held - 1 : pic_ack(&p->pic);
        p->extint_held = 0;
        if (!engine_interrupt(p->bridge.engine, st, v)) {
            p->extint_held = v + 1;
            return false;
        }
    }
    for (int v; interruptible(st) && (v = lapic_accept(p)) >= 0;)
        if (!engine_interrupt(p->bridge.engine, st, (unsigned)v))
            return false;
    return true;
}

/* Instructions to run: one where the 8259's request waits only for the
 * shadow of an STI or MOV SS, so that it comes right after it, as on the
 * CPU. */
static uint64_t budget(struct pmvm *p, const struct engine_state *st)
{
    if (st->interrupt_shadow && (st->rflags & RFLAGS_IF) &&
        (p->extint_held || pic_pending(&p->pic)))
        return 1;
    /* --count=step: the one step_takes_flags() gives it, then see */
    if (p->bridge.debug_only && !step_guest_debugs(p))
        return 1;
    return BRIDGE_BUDGET;
}

/*
 * A HLT the engine would hand to KVM while the 8259 asks for the CPU and
 * may interrupt it: the CPU does not stay halted, it takes the interrupt
 * with the HLT done (SDM HLT: "an enabled interrupt ... resumes"), which
 * interrupts() then delivers. KVM, given the HLT, would halt and wait for
 * a KVM_INTERRUPT it may not ask for (KVM on SVM does not return for an
 * interrupt window once halted). While a counter counts the HLT stays
 * KVM's, which counts it.
 */
static bool wakes_from_halt(struct pmvm *p, struct engine_state *st,
                            const struct engine_exit *x)
{
    if (x->stop != ENGINE_STOP_HANDBACK || x->why != ENGINE_WHY_HALT ||
        !(st->rflags & RFLAGS_IF) || count_active(p) ||
        !(p->extint_held || pic_pending(&p->pic)) || !lapic_extint_open(p))
        return false;
    st->rip += x->length;
    st->interrupt_shadow = false;
    return true;
}

/*
 * A HLT in the shadow of the STI the engine just ran goes to KVM with the
 * STI: the engine's STI is undone (IF clear again, RIP back on it, RF set
 * so that an execute breakpoint there, already met, does not fire twice)
 * and KVM runs both, holding an interrupt that is due until after the HLT
 * as the CPU does. Handing the HLT alone, with the STI's shadow set by
 * KVM_SET_VCPU_EVENTS, is not enough everywhere: KVM on SVM under QEMU
 * 7.2's TCG sometimes delivered the interrupt before the HLT, which then
 * slept for ever (docs/testing.md). Not while a counter counts, where the
 * STI was counted as the engine retired it.
 */
static void sti_back_to_kvm(struct pmvm *p, struct engine_state *st)
{
    uint8_t insn = 0;

    if (!st->interrupt_shadow || !(st->rflags & RFLAGS_IF) ||
        count_active(p) || p->bridge.last_len != 1 ||
        p->bridge.last_rip != st->rip - 1 ||
        paging_read(&p->vm, vm_sregs(&p->vm), st->rip - 1, &insn, 1) != 1 ||
        insn != 0xFB)
        return;
    st->rip -= 1;
    st->rflags = (st->rflags & ~RFLAGS_IF) | RFLAGS_RF;
    st->interrupt_shadow = false;
    bridge_state_out(p, st, false);
}

/* The engine takes over from KVM: what KVM cached is stale. */
void bridge_takes_over(struct pmvm *p)
{
    trap_engine_takes_over(p);
    if (!p->bridge.kvm_ran)
        return;
    if (p->bridge.dirty) {
        vm_dirty_log(&p->vm, p->bridge.dirty);
        engine_flush_tlb(p->bridge.engine);
        engine_pages_written(p->bridge.engine, p->bridge.dirty);
    } else if (p->bridge.engine) {
        engine_flush(p->bridge.engine);
    }
    memset(p->bridge.sys_valid, 0, sizeof(p->bridge.sys_valid));
    xstate_forget(p);
    p->bridge.kvm_ran = false;
}

bool bridge_event_return(struct pmvm *p, uint64_t rip)
{
    struct engine_state st;

    if (!p->bridge.engine)
        return false;
    bridge_state_in(p, &st);
    bridge_takes_over(p);
    p->bridge.st = &st; /* the callbacks' state */
    bool ok = engine_event_return(p->bridge.engine, &st, rip);
    p->bridge.st = NULL;
    if (ok)
        bridge_state_out(p, &st, false);
    return ok;
}

int bridge_run(struct pmvm *p)
{
    struct engine_state st;
    struct engine_exit x;

    bridge_state_in(p, &st);
    if (kvm_event_pending(p)) {
        handback_begin(p, &st, NULL); /* KVM delivers it first */
        return RUN_CONTINUE;
    }
    /* the engine ran on since KVM last did, which would have fired
     * KVM's timer itself; not in a counted region's own clock (vtsc.c),
     * where the guest's TSC is not KVM's */
    if (!p->bridge.kvm_ran && interruptible(&st) && !p->vtsc.on)
        lapic_timer_poll(p);
    bridge_takes_over(p);
    if (count_active(p))
        vtsc_start(p);
    p->bridge.st = &st;
    bool ok = interrupts(p, &st);
    if (ok) {
        engine_run(p->bridge.engine, &st, budget(p, &st), &x);
        p->bridge.retired += x.retired;
        p->bridge.flags_next = false;
        p->bridge.dr7_known = false;
        shadow_flush_note(p, x.flushed_tlb);
    }
    if (ok && wakes_from_halt(p, &st, &x))
        x.stop = ENGINE_STOP_BUDGET;
    ok = ok && interrupts(p, &st);
    p->bridge.st = NULL;
    bridge_state_out(p, &st, false);
    count_reset(p);
    if (p->bridge.ended)
        return p->bridge.status;
    if (!ok) {
        handback_begin(p, &st, NULL);
        return RUN_CONTINUE;
    }
    if (x.stop == ENGINE_STOP_SHUTDOWN)
        return end_triple_fault(p, "in pmvm's engine: a fault while "
                                   "delivering #DF");
    if (x.stop == ENGINE_STOP_HANDBACK) {
        if (x.why == ENGINE_WHY_HALT)
            sti_back_to_kvm(p, &st);
        handback_begin(p, &st, &x);
    } else if (x.stop == ENGINE_STOP_STATE) {
        /* 32-bit code, TF, ...: KVM runs it until the next exit,
         * single-stepped while a counter counts */
        p->bridge.state_unsupported = true;
        count_prepare(p);
        if (p->trace && p->bridge.refused != x.why)
            fprintf(stderr, "pmvm: trace: engine: the state at 0x%llx is "
                    "not one it runs (%s): %s\n",
                    (unsigned long long)st.rip, engine_why_name(x.why),
                    every_insn(p) ? "single-stepping"
                                  : "KVM runs it until the next exit");
        p->bridge.refused = x.why; /* said once for a stretch of them */
        return RUN_CONTINUE;
    }
    p->bridge.refused = ENGINE_WHY_NONE;
    if (p->bridge.debug_only)
        trap_unstep_user(p); /* if the engine left it at CPL3 */
    return RUN_CONTINUE;
}
