/* shadow_flush.c: before KVM runs the guest after a TLB flush the engine ran or handed it, KVM's shadow page tables are dropped, so that the page-table writes the engine made are seen. */
#include "engine/engine.h"
#include "vmm/pmvm.h"
#include "vmm/vpmu/shadow_flush.h"

void shadow_flush_note(struct pmvm *p, const struct engine_exit *x,
                       bool handed_back)
{
    if (p->bridge.cpl0 && (handed_back ? x->flushes_tlb : x->flushed_tlb))
        p->bridge.shadow_stale = true;
}

void shadow_flush_due(struct pmvm *p)
{
    if (!p->bridge.shadow_stale)
        return;
    vm_shadow_flush(&p->vm);
    p->bridge.shadow_stale = false;
    p->bridge.shadow_flushes++;
}
