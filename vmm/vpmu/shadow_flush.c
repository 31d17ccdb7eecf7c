/* shadow_flush.c: before KVM runs a TLB flush the engine handed it, KVM's shadow page tables are dropped, so that the page-table writes the engine made are seen. */
#include "engine/engine.h"
#include "vmm/pmvm.h"
#include "vmm/vpmu/shadow_flush.h"

void shadow_flush_before(struct pmvm *p, const struct engine_exit *x)
{
    if (!p->bridge.cpl0 || !x->flushes_tlb)
        return;
    vm_shadow_flush(&p->vm);
    p->bridge.shadow_flushes++;
}
