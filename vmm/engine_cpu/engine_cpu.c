/* engine_cpu.c: the vCPU when pmvm's engine is the CPU (--accel=engine): the engine's questions answered from the PMU model, the MSR file, the local APIC and the port bus, and the run loop. */
#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86.h"
#include "pmu/pmu.h"
#include "vmm/engine_cpu/engine_cpu.h"
#include "vmm/engine_state.h"
#include "vmm/exits.h"
#include "vmm/paging.h"
#include "vmm/pmvm.h"
#include "vmm/status.h"
#include "vmm/vcpu_dump.h"
#include "vmm/vpmu/count.h"
#include "vmm/vpmu/cpuid.h"
#include "vmm/vpmu/msr.h"
#include "vmm/vpmu/rdpmc.h"
#include "vmm/watchdog.h"

/* Instructions per engine run: the loop looks at the watchdog and the
 * console between runs. */
#define SLICE 1000000

/* The guest's physical-address width (engine/cpuid_base.c's). */
#define MAXPHYADDR 39
/* The virtual clock's rate as the guest may reckon it, and the local
 * APIC timer's: 1 GHz each, KVM's APIC bus (one timer tick a TSC tick). */
#define TSC_HZ 1000000000ull
#define APIC_TIMER_HZ 1000000000ull

static struct engine_cpu *cpu_of(void *ctx)
{
    return &((struct pmvm *)ctx)->ecpu;
}

static struct pmu_insn pmu_insn_of(const struct engine_retired *r)
{
    return (struct pmu_insn){
        .addr = r->addr, .next = r->next, .length = r->length,
        .cls = (enum pmu_insn_class)r->cls, .taken = r->taken,
        .mem_read = r->mem_read, .mem_write = r->mem_write, .cpl = r->cpl,
        .tx_abort = r->tx_abort,
    };
}

/* Counted instructions advance the clock by the model's cycles, the
 * rest by one tick each. */
static bool on_retire(void *ctx, const struct engine_retired *r)
{
    struct pmvm *p = ctx;

    if (!count_active(p)) {
        p->ecpu.clock++;
        return false;
    }
    uint64_t before = pmu_core_cycles(p->pmu);
    const struct pmu_insn in = pmu_insn_of(r);
    if (pmu_retire(p->pmu, &in))
        p->pmi_due = true;
    p->ecpu.clock += pmu_core_cycles(p->pmu) - before;
    return p->pmi_due;
}

static bool on_retire_repeat(void *ctx, const struct engine_retired *r,
                             uint64_t n, uint64_t *done)
{
    struct pmvm *p = ctx;

    *done = n;
    if (!count_active(p)) {
        p->ecpu.clock += n;
        return false;
    }
    uint64_t before = pmu_core_cycles(p->pmu);
    const struct pmu_insn in = pmu_insn_of(r);
    if (pmu_retire_repeat(p->pmu, &in, n, done))
        p->pmi_due = true;
    p->ecpu.clock += pmu_core_cycles(p->pmu) - before;
    return p->pmi_due;
}

static void on_mem_access(void *ctx, uint64_t gpa, enum engine_mem kind)
{
    struct pmvm *p = ctx;

    if (count_active(p))
        pmu_mem_access(p->pmu, gpa, kind == ENGINE_MEM_FLUSH ? PMU_MEM_FLUSH
                                    : kind == ENGINE_MEM_WRITE
                                        ? PMU_MEM_WRITE : PMU_MEM_READ);
}

static void msr_trace_file(struct pmvm *p, const char *kind, uint32_t msr,
                           uint64_t val, bool ok)
{
    if (!p->trace)
        return;
    rdpmc_trace_flush(p);
    fprintf(stderr, "pmvm: trace: %s 0x%x %s0x%llx (%s)\n", kind, msr,
            ok ? "" : "#GP ", (unsigned long long)val,
            msr_file_owns(msr) ? "the engine's MSR file: KVM's rules"
                               : "an MSR this CPU does not have");
}

/* The local APIC's MSRs: its base, TSC_DEADLINE, the x2APIC range. */
static bool apic_owns(uint32_t msr)
{
    return msr == APIC_BASE_MSR || msr == APIC_TSC_DEADLINE_MSR ||
           (msr >= 0x800 && msr <= 0x8FF);
}

static bool apic_rdmsr(struct engine_cpu *c, uint32_t msr, uint64_t *val)
{
    *val = 0;
    if (msr == APIC_BASE_MSR)
        *val = apic_base(&c->apic);
    else if (msr == APIC_TSC_DEADLINE_MSR)
        *val = apic_tsc_deadline(&c->apic);
    else
        return apic_msr_read(&c->apic, msr, val, c->clock);
    return true;
}

static bool apic_wrmsr(struct engine_cpu *c, uint32_t msr, uint64_t val)
{
    if (msr == APIC_BASE_MSR)
        return apic_base_write(&c->apic, val);
    if (msr == APIC_TSC_DEADLINE_MSR) {
        apic_tsc_deadline_write(&c->apic, val, c->clock);
        return true;
    }
    return apic_msr_write(&c->apic, msr, val, c->clock);
}

static void msr_trace_apic(struct pmvm *p, const char *kind, uint32_t msr,
                           uint64_t val, bool ok)
{
    if (!p->trace)
        return;
    rdpmc_trace_flush(p);
    fprintf(stderr, "pmvm: trace: %s 0x%x %s0x%llx (the local APIC: the "
            "SDM's and KVM's rules)\n", kind, msr, ok ? "" : "#GP ",
            (unsigned long long)val);
}

static enum engine_answer on_rdmsr(void *ctx, uint32_t msr, uint64_t *val)
{
    struct pmvm *p = ctx;
    bool ok;

    if (msr_is_other(msr))
        ok = msr_other_read(p, msr, val);
    else if (pmu_msr_owned(msr))
        ok = msr_pmu_read(p, msr, val);
    else if (apic_owns(msr)) {
        ok = apic_rdmsr(&p->ecpu, msr, val);
        msr_trace_apic(p, "rdmsr", msr, *val, ok);
    } else {
        ok = msr_file_read(&p->ecpu.msrs, msr, p->ecpu.clock, val);
        msr_trace_file(p, "rdmsr", msr, *val, ok);
    }
    return ok ? ENGINE_OK : ENGINE_GP;
}

static enum engine_answer on_wrmsr(void *ctx, uint32_t msr, uint64_t val,
                                   bool *stop)
{
    struct pmvm *p = ctx;
    bool ok;

    *stop = false;
    if (msr_is_other(msr)) {
        ok = msr_other_write(p, msr, val);
    } else if (pmu_msr_owned(msr)) {
        ok = msr_pmu_write(p, msr, val);
        if (ok)
            count_update(p); /* counting may start or stop here */
    } else if (apic_owns(msr)) {
        ok = apic_wrmsr(&p->ecpu, msr, val);
        msr_trace_apic(p, "wrmsr", msr, val, ok);
        *stop = ok; /* an interrupt may be due (a self-IPI, a timer) */
    } else {
        ok = msr_file_write(&p->ecpu.msrs, msr, val, p->ecpu.clock);
        msr_trace_file(p, "wrmsr", msr, val, ok);
    }
    return ok ? ENGINE_OK : ENGINE_GP;
}

static enum engine_answer on_rdpmc(void *ctx, uint32_t ecx, unsigned cpl,
                                   bool cr0_pe, bool cr4_pce, uint64_t *val)
{
    struct pmvm *p = ctx;
    const struct pmu_mode mode = {.cpl = cpl, .cr0_pe = cr0_pe,
                                  .cr4_pce = cr4_pce};

    return rdpmc_answer(p, ecx, &mode, p->ecpu.st.rip, val) ? ENGINE_OK
                                                           : ENGINE_GP;
}

static enum engine_answer on_cpuid(void *ctx, uint32_t leaf, uint32_t sub,
                                   uint32_t r[4])
{
    struct pmvm *p = ctx;

    if (!cpuid_lookup(p, p->ecpu.st.cr4, leaf, sub, r))
        return ENGINE_NOT_MINE;
    if (p->trace)
        fprintf(stderr, "pmvm: trace: engine: cpuid 0x%x.%u -> %08x %08x "
                "%08x %08x\n", leaf, sub, r[0], r[1], r[2], r[3]);
    return ENGINE_OK;
}

static bool on_rdtsc(void *ctx, uint64_t *tsc)
{
    struct engine_cpu *c = cpu_of(ctx);

    return msr_file_read(&c->msrs, 0x10, c->clock, tsc);
}

static bool on_sys_read(void *ctx, uint32_t msr, uint64_t *val)
{
    struct engine_cpu *c = cpu_of(ctx);

    return msr_file_read(&c->msrs, msr, c->clock, val);
}

static bool on_sys_write(void *ctx, uint32_t msr, uint64_t val)
{
    struct engine_cpu *c = cpu_of(ctx);

    return msr_file_write(&c->msrs, msr, val, c->clock);
}

/* Is (gpa) in the xAPIC page (the APIC enabled, not in x2APIC mode)? */
static bool xapic_page(const struct apic *a, uint64_t gpa)
{
    uint64_t base = apic_base(a);
    uint64_t page = base & ~0xFFFull & ((1ull << MAXPHYADDR) - 1);

    return (base & APIC_BASE_EN) && !(base & APIC_BASE_EXTD) &&
           (gpa & ~0xFFFull) == page;
}

/* The xAPIC page; anything else outside RAM is no device's. */
static enum engine_answer on_mmio(void *ctx, uint64_t gpa, unsigned size,
                                  bool write, uint64_t *val)
{
    struct engine_cpu *c = cpu_of(ctx);

    if (!xapic_page(&c->apic, gpa))
        return ENGINE_NOT_MINE;
    unsigned off = (unsigned)(gpa & 0xFFF);
    if (size != 4) { /* undefined by the SDM: read 0, write nothing */
        if (!write)
            *val = 0;
        return ENGINE_OK;
    }
    if (write)
        apic_mmio_write(&c->apic, off, (uint32_t)*val, c->clock);
    else
        *val = apic_mmio_read(&c->apic, off, c->clock);
    return ENGINE_OK;
}

static enum engine_answer on_io(void *ctx, uint16_t port, unsigned size,
                                bool in, uint32_t *val, bool *stop)
{
    struct pmvm *p = ctx;
    int status = exit_io_access(p, port, size, in, val);

    if (status != RUN_CONTINUE) {
        p->ecpu.ended = true;
        p->ecpu.status = status;
        *stop = true;
    }
    return ENGINE_OK;
}

void engine_cpu_setup(struct pmvm *p)
{
    static const struct engine_ops ops_template = {
        .retire = on_retire, .retire_repeat = on_retire_repeat,
        .mem_access = on_mem_access, .rdmsr = on_rdmsr, .wrmsr = on_wrmsr,
        .rdpmc = on_rdpmc, .cpuid = on_cpuid, .rdtsc = on_rdtsc,
        .sys_msr_read = on_sys_read, .sys_msr_write = on_sys_write,
        .io = on_io, .mmio = on_mmio, .machine = true,
    };
    struct engine_ops ops = ops_template;
    struct engine_cpu *c = &p->ecpu;

    memset(c, 0, sizeof *c);
    ops.ctx = p;
    msr_file_init(&c->msrs, MAXPHYADDR);
    apic_init(&c->apic, 0, TSC_HZ, APIC_TIMER_HZ);
    c->apic.maxphyaddr = MAXPHYADDR;
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

/*
 * Between instructions: the clock's timers, the PMI the model raised,
 * then an NMI or the highest interrupt the local APIC lets through, which
 * the engine delivers through the IDT. -1, or the status the run ends
 * with.
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
    int v = apic_accept(&c->apic);
    if (v >= 0 && !engine_interrupt(c->engine, &c->st, (unsigned)v))
        return end_undelivered(p, (unsigned)v);
    return -1;
}

/* Instructions to run before the next timer is due (at least one); one
 * where an interrupt waits only for the shadow of an STI or MOV SS. (With
 * IF clear the engine stops by itself where STI, POPF or IRET set it.) */
static uint64_t budget(const struct engine_cpu *c)
{
    uint64_t next = apic_next_event(&c->apic);
    if (next <= c->clock || (c->st.interrupt_shadow &&
                             (c->st.rflags & RFLAGS_IF) &&
                             apic_has_interrupt(&c->apic)))
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
    if (apic_has_interrupt(&c->apic))
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

    for (;;) {
        if (!console_ok(&p->console))
            return end_console_failed(p, timeout_s);
        if (watchdog_expired()) {
            state_sync(p);
            return end_timeout(p, timeout_s);
        }
        if ((status = interrupts(p)) >= 0)
            return status;
        engine_run(c->engine, &c->st, budget(c), &x);
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
