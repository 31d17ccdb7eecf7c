/* rdpmc.c: emulates one guest RDPMC from the PMU model, exactly as the hardware would retire or fault it. */
#include <stdio.h>
#include <string.h>

#include "arch/x86.h"
#include "pmu/pmu.h"
#include "vmm/vpmu/insn.h"
#include "vmm/pmvm.h"
#include "vmm/vpmu/rdpmc.h"

static void trace_line(const struct rdpmc_trace *t, uint32_t ecx,
                       uint64_t val)
{
    fprintf(stderr, "pmvm: trace: rdpmc 0x%08x cpl%u pce%d at 0x%llx "
            "-> %s0x%llx (%s)\n", ecx, t->cpl, t->pce,
            (unsigned long long)t->rip, t->ok ? "" : "#GP ",
            (unsigned long long)val, t->rule);
}

void rdpmc_trace_flush(struct pmvm *p)
{
    struct rdpmc_trace *t = &p->rdpmc_trace;

    if (t->open && t->more > 2)
        fprintf(stderr, "pmvm: trace: rdpmc and %u more at 0x%llx, ECX "
                "0x%08x to 0x%08x in steps of 0x%x, cpl%u pce%d, each -> "
                "%s(%s) (--trace=all: one line each)\n", t->more,
                (unsigned long long)t->rip, t->first + t->step, t->last,
                t->step, t->cpl, t->pce, t->ok ? "ok " : "#GP ", t->rule);
    else
        for (unsigned i = 0; t->open && i < t->more; i++)
            trace_line(t, t->held_ecx[i], t->held_val[i]);
    t->open = false;
}

/* Does this RDPMC go on the sweep whose first line was printed: the
 * same site, mode, outcome and rule, and ECX one more step on? */
static bool same_sweep(const struct rdpmc_trace *t, uint32_t ecx,
                       uint64_t rip, const struct pmu_mode *mode, bool ok,
                       const char *rule)
{
    return t->open && t->rip == rip && t->cpl == mode->cpl &&
           t->pce == mode->cr4_pce && t->ok == ok &&
           (t->more == 0 ? ecx != t->first : ecx == t->last + t->step) &&
           strcmp(t->rule, rule) == 0;
}

static void trace(struct pmvm *p, uint32_t ecx, const struct pmu_mode *mode,
                  uint64_t rip, bool ok, uint64_t val, const char *rule)
{
    struct rdpmc_trace *t = &p->rdpmc_trace;

    if (!p->trace_all && same_sweep(t, ecx, rip, mode, ok, rule)) {
        if (t->more == 0)
            t->step = ecx - t->first;
        if (t->more < 2) {
            t->held_ecx[t->more] = ecx;
            t->held_val[t->more] = val;
        }
        t->more++;
        t->last = ecx;
        return;
    }
    rdpmc_trace_flush(p);
    *t = (struct rdpmc_trace){.open = true, .rip = rip, .cpl = mode->cpl,
                              .pce = mode->cr4_pce, .ok = ok,
                              .first = ecx, .last = ecx};
    snprintf(t->rule, sizeof(t->rule), "%s", rule);
    trace_line(t, ecx, val);
}

bool rdpmc_answer(struct pmvm *p, uint32_t ecx, const struct pmu_mode *mode,
                  uint64_t rip, uint64_t *val)
{
    const char *rule = NULL;
    int res = pmu_rdpmc(p->pmu, ecx, mode, val, &rule);

    if (p->trace)
        trace(p, ecx, mode, rip, res == PMU_OK, *val, rule ? rule : "");
    return res == PMU_OK;
}

bool rdpmc_emulate(struct pmvm *p, unsigned length)
{
    struct kvm_regs *r = vm_regs(&p->vm);
    const struct kvm_sregs *s = vm_sregs(&p->vm);
    struct pmu_mode mode = {
        .cpl = vm_cpl(&p->vm),
        .cr0_pe = s->cr0 & CR0_PE,
        .cr4_pce = s->cr4 & CR4_PCE,
    };
    uint32_t ecx = (uint32_t)r->rcx; /* RCX[63:32] is ignored */
    uint64_t val = 0;
    if (!rdpmc_answer(p, ecx, &mode, r->rip, &val)) {
        vm_inject_exception(&p->vm, VEC_GP, 0);
        p->trap.gp_answered = r->rip; /* gp_catch.c lets it through */
        return false;
    }
    r->rax = (uint32_t)val;
    r->rdx = (uint32_t)(val >> 32);
    r->rip += length;
    if (insn_mode_of(s) != INSN_MODE_64)
        r->rip &= 0xFFFFFFFF;
    r->rflags &= ~RFLAGS_RF;
    vm_regs_dirty(&p->vm);
    return true;
}
