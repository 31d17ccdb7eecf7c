/* engine_cpu.c: the vCPU when pmvm's engine is the CPU (--accel=engine): its set-up, and the run loop that takes interrupts between engine runs and ends the run where the guest or the engine does. */
#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86.h"
#include "vmm/engine_cpu/engine_cpu.h"
#include "vmm/engine_state.h"
#include "vmm/exits.h"
#include "vmm/paging.h"
#include "vmm/pmvm.h"
#include "vmm/status.h"
#include "vmm/vcpu_dump.h"
#include "vmm/vpmu/cpuid.h"
#include "vmm/watchdog.h"

/* Instructions per engine run: the loop looks at the watchdog and the
 * console between runs. */
#define SLICE 1000000
/* The virtual clock's rate as the guest may reckon it, and the local
 * APIC timer's: 1 GHz each, KVM's APIC bus (one timer tick a TSC tick). */
#define TSC_HZ 1000000000ull
#define APIC_TIMER_HZ 1000000000ull

void engine_cpu_setup(struct pmvm *p)
{
    struct engine_ops ops = engine_cpu_ops;
    struct engine_cpu *c = &p->ecpu;

    /* The physical-address width is the CPUID's (leaf 0x80000008,
     * engine/cpuid_base.c), which the MTRRs and the APIC base obey. */
    uint32_t r[4];
    unsigned maxphyaddr = cpuid_lookup(p, 0, 0x80000008u, 0, r) &&
                                  (r[0] & 0xFF) ? r[0] & 0xFF : 36;

    memset(c, 0, sizeof *c);
    ops.ctx = p;
    msr_file_init(&c->msrs, maxphyaddr);
    apic_init(&c->apic, 0, TSC_HZ, APIC_TIMER_HZ);
    c->apic.maxphyaddr = maxphyaddr;
    engine_state_from_kvm(&c->st, vm_regs(&p->vm), vm_sregs(&p->vm));
    c->engine = engine_create(p->vm.mem, p->vm.mem_size, &ops);
    if (!c->engine)
        errx(STATUS_OSERR, "cannot allocate the engine");
}

void engine_cpu_teardown(struct pmvm *p)
{
    if (p->trace && p->ecpu.engine)
        fprintf(stderr, "pmvm: trace: engine: %llu instructions, clock "
                "%llu\n",
                (unsigned long long)engine_retired_total(p->ecpu.engine),
                (unsigned long long)p->ecpu.clock);
    engine_destroy(p->ecpu.engine);
    p->ecpu.engine = NULL;
}

bool engine_cpu_on(const struct pmvm *p)
{
    return p->ecpu.engine != NULL;
}

/* The state into the register cache, for the dump and the end lines. */
static void state_sync(struct pmvm *p)
{
    engine_state_to_kvm_regs(&p->ecpu.st, vm_regs(&p->vm));
    engine_state_to_kvm_sregs(&p->ecpu.st, vm_sregs(&p->vm), true);
}

/* What the engine does not run ends the run, named: never a guess. */
static int end_unrun(struct pmvm *p, const struct engine_exit *x)
{
    const struct engine_state *st = &p->ecpu.st;
    bool long64 = (st->efer & EFER_LMA) && st->seg[ENGINE_CS].l;
    uint64_t la = long64 ? st->rip : st->seg[ENGINE_CS].base + st->rip;
    uint8_t code[15];
    size_t n = paging_read(&p->vm, vm_sregs(&p->vm), la, code, sizeof code);
    char bytes[3 * sizeof code + 1] = "";

    for (size_t i = 0; i < n && i < (x->length ? x->length : 8); i++)
        snprintf(bytes + 3 * i, sizeof bytes - 3 * i, " %02x", code[i]);
    console_flush(&p->console);
    fprintf(stderr, "pmvm: the engine does not run %s at 0x%llx (%s; "
            "bytes%s)\n", x->mnemonic[0] ? x->mnemonic : "the instruction",
            (unsigned long long)la, engine_why_name(x->why),
            n ? bytes : " unreadable");
    dump_vcpu(&p->vm, stderr);
    return STATUS_GUEST_FAILED;
}

/* HLT with interrupts on and no timer armed: nothing will wake the
 * guest, which waits for --timeout, as a halted CPU would for ever. */
static int wait_forever(struct pmvm *p, double timeout_s)
{
    /* poll() with nothing to watch sleeps until the next tick; the
     * sandbox allows it (the console's), not pause(). */
    while (!watchdog_expired() && console_ok(&p->console))
        poll(NULL, 0, -1);
    if (!console_ok(&p->console))
        return end_console_failed(p, timeout_s);
    return end_timeout(p, timeout_s);
}

/* Could not deliver (vector): said in one line, 126. */
static int end_undelivered(struct pmvm *p, unsigned vector)
{
    console_flush(&p->console);
    fprintf(stderr, "pmvm: the engine cannot deliver interrupt vector %u "
            "at 0x%llx (its delivery would fault through a descriptor the "
            "engine does not run)\n", vector,
            (unsigned long long)p->ecpu.st.rip);
    dump_vcpu(&p->vm, stderr);
    return STATUS_GUEST_FAILED;
}

/* Whether the 8259 asks for the CPU through LINT0 (ExtINT). */
static bool extint_due(const struct pmvm *p)
{
    return pic_pending(&p->pic) && apic_extint_open(&p->ecpu.apic);
}

/* Whether an interrupt waits for IF (a HLT wake-up). */
static bool interrupt_waiting(const struct pmvm *p)
{
    return extint_due(p) || apic_has_interrupt(&p->ecpu.apic);
}

/*
 * Between instructions: the clock's timers, the PMI the model raised,
 * then an NMI, the 8259's interrupt (ExtINT, before the APIC's, as KVM's
 * kvm_cpu_get_interrupt() takes it) or the highest the local APIC lets
 * through, which the engine delivers through the IDT. -1, or the status
 * the run ends with.
 */
static int interrupts(struct pmvm *p)
{
    struct engine_cpu *c = &p->ecpu;

    apic_advance(&c->apic, c->clock);
    if (p->pmi_due) {
        p->pmi_due = false;
        apic_pmi(&c->apic);
    }
    if (apic_take_nmi(&c->apic) && !engine_interrupt(c->engine, &c->st, 2))
        return end_undelivered(p, 2);
    if (!(c->st.rflags & RFLAGS_IF) || c->st.interrupt_shadow)
        return -1;
    int v = extint_due(p) ? (int)pic_ack(&p->pic) : apic_accept(&c->apic);
    if (v >= 0 && !engine_interrupt(c->engine, &c->st, (unsigned)v))
        return end_undelivered(p, (unsigned)v);
    return -1;
}

/* Instructions to run before the next timer is due (at least one); one
 * where an interrupt waits only for the shadow of an STI or MOV SS. (With
 * IF clear the engine stops by itself where STI, POPF or IRET set it.) */
static uint64_t budget(const struct pmvm *p)
{
    const struct engine_cpu *c = &p->ecpu;
    uint64_t next = apic_next_event(&c->apic);
    if (next <= c->clock || (c->st.interrupt_shadow &&
                             (c->st.rflags & RFLAGS_IF) &&
                             interrupt_waiting(p)))
        return 1;
    return next - c->clock < SLICE ? next - c->clock : SLICE;
}

/* HLT: the end with interrupts off; else the clock skips to the next
 * timer, or the guest waits for --timeout. -1: it runs on. */
static int halted(struct pmvm *p, double timeout_s)
{
    struct engine_cpu *c = &p->ecpu;

    if (!(c->st.rflags & RFLAGS_IF))
        return STATUS_OK; /* docs/guest-abi.md: the run's end */
    apic_advance(&c->apic, c->clock);
    if (interrupt_waiting(p))
        return -1;
    uint64_t next = apic_next_event(&c->apic);
    if (next == UINT64_MAX)
        return wait_forever(p, timeout_s);
    c->clock = next;
    return -1;
}

int engine_cpu_loop(struct pmvm *p, double timeout_s)
{
    struct engine_cpu *c = &p->ecpu;
    struct engine_exit x;
    int status;
    unsigned tick = watchdog_ticks();

    for (;;) {
        if (tick != watchdog_ticks()) {
            tick = watchdog_ticks();
            console_tick(p);
        }
        if (!console_ok(&p->console))
            return end_console_failed(p, timeout_s);
        if (watchdog_expired()) {
            state_sync(p);
            return end_timeout(p, timeout_s);
        }
        if ((status = interrupts(p)) >= 0)
            return status;
        engine_run(c->engine, &c->st, budget(p), &x);
        state_sync(p);
        if (c->ended)
            return c->status;
        switch (x.stop) {
        case ENGINE_STOP_RETIRE:
        case ENGINE_STOP_BUDGET:
            continue;
        case ENGINE_STOP_HALT:
            if ((status = halted(p, timeout_s)) >= 0)
                return status;
            continue;
        case ENGINE_STOP_SHUTDOWN:
            return end_triple_fault(p, "in pmvm's engine: a fault while "
                                       "delivering #DF");
        case ENGINE_STOP_HANDBACK:
        case ENGINE_STOP_STATE:
            return end_unrun(p, &x);
        }
    }
}
