/* cpu_ops.c: the engine's questions when it is the CPU (--accel=engine), answered from the PMU model, the MSR file, the local APIC and the port bus; the virtual clock advances as it retires. */
#include <stdio.h>

#include "arch/x86.h"
#include "pmu/pmu.h"
#include "vmm/engine_cpu/engine_cpu.h"
#include "vmm/exits.h"
#include "vmm/pmvm.h"
#include "vmm/vpmu/count.h"
#include "vmm/vpmu/cpuid.h"
#include "vmm/vpmu/msr.h"
#include "vmm/vpmu/rdpmc.h"


static struct engine_cpu *cpu_of(void *ctx)
{
    return &((struct pmvm *)ctx)->ecpu;
}

/* Counted instructions advance the clock by the model's cycles, the
 * rest by one tick each. */
static bool on_retire(void *ctx, const struct pmu_insn *r)
{
    struct pmvm *p = ctx;

    if (!count_active(p)) {
        p->ecpu.clock++;
        return false;
    }
    uint64_t before = pmu_core_cycles(p->pmu);
    if (pmu_retire(p->pmu, r))
        p->pmi_due = true;
    p->ecpu.clock += pmu_core_cycles(p->pmu) - before;
    return p->pmi_due;
}

static bool on_retire_repeat(void *ctx, const struct pmu_insn *r,
                             uint64_t n, uint64_t *done)
{
    struct pmvm *p = ctx;

    *done = n;
    if (!count_active(p)) {
        p->ecpu.clock += n;
        return false;
    }
    uint64_t before = pmu_core_cycles(p->pmu);
    if (pmu_retire_repeat(p->pmu, r, n, done))
        p->pmi_due = true;
    p->ecpu.clock += pmu_core_cycles(p->pmu) - before;
    return p->pmi_due;
}

/* Nothing counts: traces need no record, only the clock's ticks. */
static bool on_retire_wanted(void *ctx, unsigned cpl)
{
    (void)cpl;
    return count_active(ctx);
}

static void on_retired_plain(void *ctx, uint64_t n)
{
    cpu_of(ctx)->clock += n;
}

static uint64_t on_block_room(void *ctx)
{
    struct pmvm *p = ctx;

    if (p->pmi_due) /* each retirement asks to stop */
        return 0;
    return count_active(p) ? count_block_room(p) : UINT64_MAX;
}

static bool on_retire_block(void *ctx, const struct pmu_block *b)
{
    struct pmvm *p = ctx;

    if (!count_active(p)) {
        p->ecpu.clock += b->n;
        return false;
    }
    uint64_t before = pmu_core_cycles(p->pmu);
    if (pmu_retire_block(p->pmu, b))
        p->pmi_due = true;
    p->ecpu.clock += pmu_core_cycles(p->pmu) - before;
    return p->pmi_due;
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

    return msr_file_read(&c->msrs, MSR_IA32_TSC, c->clock, tsc);
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
    uint64_t page = base & ~0xFFFull & ((1ull << a->maxphyaddr) - 1);

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
    /* an 8259 request may be due now (unmasked, or a device's line
     * raised): the run loop delivers it after this instruction */
    if (pic_pending(&p->pic))
        *stop = true;
    return ENGINE_OK;
}

const struct engine_ops engine_cpu_ops = {
    .retire = on_retire, .retire_repeat = on_retire_repeat,
    .block_room = on_block_room, .retire_block = on_retire_block,
    .retire_wanted = on_retire_wanted, .retired_plain = on_retired_plain,
    .mem_access = count_mem_access, .mem_access_wanted = count_mem_wanted,
    .rdmsr = on_rdmsr, .wrmsr = on_wrmsr,
    .rdpmc = on_rdpmc, .cpuid = on_cpuid, .rdtsc = on_rdtsc,
    .sys_msr_read = on_sys_read, .sys_msr_write = on_sys_write,
    .io = on_io, .mmio = on_mmio, .machine = true,
};
