/* engine_state.h: the vCPU's registers between KVM's structures (kvm_regs, kvm_sregs) and the engine's (struct engine_state). */
#ifndef PMVM_ENGINE_STATE_H
#define PMVM_ENGINE_STATE_H

#include <linux/kvm.h>

#include "engine/engine.h"

/* General, segment, descriptor-table and control registers into (st);
 * the debug registers and the interrupt shadow are the caller's. */
void engine_state_from_kvm(struct engine_state *st, const struct kvm_regs *r,
                           const struct kvm_sregs *s);

/* The general registers, RIP and RFLAGS back into (r). */
void engine_state_to_kvm_regs(const struct engine_state *st,
                              struct kvm_regs *r);

/* The segment registers, CR2 and CR3 back into (s) (what the engine
 * changes while it runs beside KVM); with (all), every system register
 * too. */
void engine_state_to_kvm_sregs(const struct engine_state *st,
                               struct kvm_sregs *s, bool all);

#endif
