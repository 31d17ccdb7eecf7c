/* shadow_flush.c: before KVM runs the guest after a TLB flush the engine ran or handed it, KVM's shadow page tables are dropped, so that the page-table writes the engine made are seen. */
#include "vmm/pmvm.h"
#include "vmm/vpmu/shadow_flush.h"

void shadow_flush_note(struct pmvm *p, bool flushed)
{
    if (p->bridge.cpl0 && flushed)
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
