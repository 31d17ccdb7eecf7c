/* xstate.h: the guest's x87/SSE/AVX state and XCR0 for the engine (its ops->xstate and ops->xcr), through KVM_GET/SET_XSAVE and KVM_GET/SET_XCRS. */
#ifndef PMVM_VPMU_XSTATE_H
#define PMVM_VPMU_XSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pmvm;

/* Can this vCPU's XSAVE area and XCR0 be moved whole in ENGINE_XSAVE_SIZE
 * bytes (KVM_CAP_XSAVE and KVM_CAP_XCRS, no KVM_CAP_XSAVE2 larger than
 * that, and a first read of each succeeds)? Asked once, before the
 * sandbox. */
bool xstate_usable(struct pmvm *p);

/* engine_ops.xstate and engine_ops.xcr, (ctx) the struct pmvm. */
bool xstate_access(void *ctx, void *area, size_t size, bool write);
bool xstate_xcr(void *ctx, uint32_t index, uint64_t *val, bool write);

/* CPUID.(EAX=0DH,ECX=sub) for sub 0 and 1, whose EBX (the XSAVE area's
 * size) follows XCR0 and IA32_XSS as KVM's does; false if it cannot. */
bool xstate_cpuid(struct pmvm *p, uint64_t cr4, uint32_t sub, uint32_t r[4]);

/* KVM ran the guest: what was read from it is stale. */
void xstate_forget(struct pmvm *p);

#endif
