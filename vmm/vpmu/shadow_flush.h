/* shadow_flush.h: KVM's shadow page tables kept true to the guest's when the engine, not KVM, wrote the guest's page tables (hosts that interpret CPL0 code: nested PVM). */
#ifndef PMVM_SHADOW_FLUSH_H
#define PMVM_SHADOW_FLUSH_H

#include <stdbool.h>

struct pmvm;

/*
 * Where KVM shadows the guest's page tables (nested PVM, which has no
 * two-dimensional paging), it learns of a change to a page-table entry by
 * trapping the guest's write to it. The engine writes guest memory from
 * pmvm's process, which KVM never sees, so KVM would go on using the
 * entry as it was. A guest changes a present entry only with a TLB flush
 * after it (SDM 4.10.4.1; Linux always does): one the engine ran (a MOV
 * to CR3, engine_exit.flushed_tlb) or one it hands KVM (the hand-back's
 * flushes_tlb, which the engine decoded). Either makes the shadow pages
 * stale, and before KVM next runs the guest pmvm drops them all (a
 * memory slot made and deleted: vm_shadow_flush()). A new mapping (not
 * present before) needs nothing: KVM reads the guest's entry when the
 * access faults in its shadow.
 */
/* (flushed): the engine ran one (engine_exit.flushed_tlb), or hands KVM
 * one (engine_exit.flushes_tlb). */
void shadow_flush_note(struct pmvm *p, bool flushed);

/* Before KVM_RUN: drop the shadow pages if a flush made them stale. */
void shadow_flush_due(struct pmvm *p);

#endif
