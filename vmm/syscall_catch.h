/* syscall_catch.h: a Linux guest's SYSCALL from user mode on a host whose KVM does not take it into CPL0 (nested PVM): caught at the guest's #PF handler, which it reaches, and finished as the SDM has it. */
#ifndef PMVM_SYSCALL_CATCH_H
#define PMVM_SYSCALL_CATCH_H

#include <stdbool.h>
#include <stdint.h>

struct pmvm;
struct debug_wish;

struct syscall_catch {
    bool on;          /* this host needs it, and the engine runs CPL0 */
    uint64_t handler; /* the guest's #PF handler, breakpointed, or 0 */
    uint64_t caught;  /* SYSCALLs finished so far, for --trace */
};

/*
 * On a host whose KVM runs CPL3 natively and lets a SYSCALL jump to LSTAR
 * without leaving CPL3 (vmm/host_probe.c asks), the guest fetches its
 * kernel's entry at CPL3 and takes a #PF, which KVM does deliver. With the
 * engine running the guest's CPL0 code, pmvm keeps a breakpoint on the
 * #PF handler's entry: a frame from CPL3 whose RIP is LSTAR, for an
 * instruction fetch, is that SYSCALL, and pmvm undoes the #PF and does
 * what the SYSCALL should have (SDM SYSCALL: CS and SS from STAR[47:32],
 * RFLAGS from R11, which the SYSCALL set, masked by FMASK, CPL 0, at
 * LSTAR; RCX and R11 were set). Any other #PF runs its handler.
 */
void syscall_catch_setup(struct pmvm *p);

/* Before each KVM_RUN: the #PF handler's entry now. */
void syscall_catch_refresh(struct pmvm *p);

/* Its breakpoint (guest_debug.h), none during a hand-back. */
void syscall_catch_debug_wish(const struct pmvm *p, struct debug_wish *w);

/* A breakpoint stop at (rip): true if it was a SYSCALL, now finished. */
bool syscall_catch_hit(struct pmvm *p, uint64_t rip);

#endif
