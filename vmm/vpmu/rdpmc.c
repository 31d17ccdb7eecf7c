/* rdpmc.c: emulates one guest RDPMC from the PMU model, exactly as the hardware would retire or fault it. */
#include <stdio.h>

#include "arch/x86.h"
#include "pmu/pmu.h"
#include "vmm/vpmu/insn.h"
#include "vmm/pmvm.h"
#include "vmm/vpmu/rdpmc.h"

bool rdpmc_answer(struct pmvm *p, uint32_t ecx, const struct pmu_mode *mode,
                  uint64_t rip, uint64_t *val)
{
    const char *rule = NULL;
    int res = pmu_rdpmc(p->pmu, ecx, mode, val, &rule);

    if (p->trace)
        fprintf(stderr, "pmvm: trace: rdpmc 0x%08x cpl%u pce%d at 0x%llx "
                "-> %s0x%llx (%s)\n", ecx, mode->cpl, mode->cr4_pce,
                (unsigned long long)rip, res == PMU_OK ? "" : "#GP ",
                (unsigned long long)*val, rule ? rule : "");
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
