/* step_debug.h: --count=step's engine for the guest's own debug features (step_debug.c). */
#ifndef PMVM_STEP_DEBUG_H
#define PMVM_STEP_DEBUG_H

#include <stdbool.h>

#include "engine/engine.h"

struct pmvm;

/* --count=step: the guest's own TF or breakpoints are on, and the engine
 * runs it. */
bool step_guest_debugs(struct pmvm *p);

/*
 * --count=step, pmvm single-stepping: KVM is to step an instruction of
 * (kind), which loads RFLAGS (POPF, IRET, SYSRET) or stores it (PUSHF,
 * SYSCALL, INT n). KVM's single-step would hide a TF the guest loads (it
 * takes that TF for its own) and leave its own in what the guest
 * stores: true, and the engine runs that one (bridge_active()). Not a
 * return to CPL3 on a host that cannot step CPL3 code, which KVM runs
 * unstepped, the guest's TF with it.
 */
bool step_takes_flags(struct pmvm *p, enum engine_kind kind);

/* KVM ran the guest; (stepped_mov_dr): single-stepped, and the
 * instruction may have been a MOV DR, or unknown. */
void step_after_kvm_run(struct pmvm *p, bool stepped_mov_dr);

#endif
