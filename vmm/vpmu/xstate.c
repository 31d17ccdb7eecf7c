/* xstate.c: the guest's x87/SSE/AVX state and XCR0 for the engine (its ops->xstate and ops->xcr), through KVM_GET/SET_XSAVE and KVM_GET/SET_XCRS, read once after each KVM run. */
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "engine/engine.h"
#include "vmm/pmvm.h"
#include "vmm/vpmu/cpuid.h"
#include "vmm/vpmu/xstate.h"

_Static_assert(sizeof(struct kvm_xsave) == ENGINE_XSAVE_SIZE,
               "the engine's XSAVE area is struct kvm_xsave's region");
_Static_assert(sizeof(((struct bridge *)0)->xsave) == ENGINE_XSAVE_SIZE,
               "the bridge caches one XSAVE area");

/*
 * Every vCPU ioctl costs as much as an exit (docs/architecture.md), and
 * a kernel's context switch reads the state several times (XGETBV, then
 * XSAVE): the area and XCR0 are read from KVM once after KVM ran, and
 * kept; a write goes to KVM at once, and into the copy.
 */
static bool get_xsave(struct pmvm *p)
{
    struct bridge *b = &p->bridge;

    if (!b->xsave_valid) {
        if (ioctl(p->vm.vcpu_fd, KVM_GET_XSAVE, b->xsave) < 0)
            return false;
        b->xsave_valid = true;
    }
    return true;
}

static bool get_xcr0(struct pmvm *p)
{
    struct bridge *b = &p->bridge;
    struct kvm_xcrs x;

    if (b->xcr0_valid)
        return true;
    memset(&x, 0, sizeof x);
    if (ioctl(p->vm.vcpu_fd, KVM_GET_XCRS, &x) < 0)
        return false;
    for (uint32_t i = 0; i < x.nr_xcrs && i < KVM_MAX_XCRS; i++)
        if (x.xcrs[i].xcr == 0) {
            b->xcr0 = x.xcrs[i].value;
            b->xcr0_valid = true;
            return true;
        }
    return false;
}

bool xstate_usable(struct pmvm *p)
{
    int big = ioctl(p->vm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);

    if (ioctl(p->vm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) <= 0 ||
        ioctl(p->vm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) <= 0 ||
        big > ENGINE_XSAVE_SIZE)
        return false;
    xstate_forget(p);
    return get_xsave(p) && get_xcr0(p);
}

bool xstate_access(void *ctx, void *area, size_t size, bool write)
{
    struct pmvm *p = ctx;
    struct bridge *b = &p->bridge;

    if (size != sizeof b->xsave)
        return false;
    if (write) {
        if (ioctl(p->vm.vcpu_fd, KVM_SET_XSAVE, area) < 0) {
            b->xsave_valid = false; /* KVM's is the truth */
            return false;
        }
        memcpy(b->xsave, area, size);
        b->xsave_valid = true;
        return true;
    }
    if (!get_xsave(p))
        return false;
    memcpy(area, b->xsave, size);
    return true;
}

bool xstate_xcr(void *ctx, uint32_t index, uint64_t *val, bool write)
{
    struct pmvm *p = ctx;
    struct bridge *b = &p->bridge;

    if (index != 0)
        return false;
    if (!write) {
        if (!get_xcr0(p))
            return false;
        *val = b->xcr0;
        return true;
    }
    struct kvm_xcrs x;
    memset(&x, 0, sizeof x);
    x.nr_xcrs = 1;
    x.xcrs[0].xcr = 0;
    x.xcrs[0].value = *val;
    b->xcr0_valid = false;
    /* XCR0 decides which components KVM keeps in use: read both again */
    b->xsave_valid = false;
    if (ioctl(p->vm.vcpu_fd, KVM_SET_XCRS, &x) < 0)
        return false;
    b->xcr0 = *val;
    b->xcr0_valid = true;
    return true;
}

void xstate_forget(struct pmvm *p)
{
    p->bridge.xsave_valid = false;
    p->bridge.xcr0_valid = false;
    p->bridge.xss_valid = false;
}

#define MSR_IA32_XSS 0xDA0u

/* The bytes an XSAVE area of the components (mask) takes, standard or
 * (compact) compacted format (SDM vol. 1, 13.4.3), as KVM works out
 * CPUID.(EAX=0DH,ECX=0 or 1):EBX (xstate_required_size()). */
static uint32_t area_size(const struct pmvm *p, uint64_t mask, bool compact)
{
    uint32_t size = 576, r[4];

    for (unsigned i = 2; i < 63; i++) {
        if (!(mask >> i & 1) || !cpuid_lookup_table(p, 0, 0xD, i, r))
            continue;
        uint32_t off = compact ? (r[2] & 2 ? (size + 63) & ~63u : size)
                               : r[1];
        if (off + r[0] > size)
            size = off + r[0];
    }
    return size;
}

bool xstate_cpuid(struct pmvm *p, uint64_t cr4, uint32_t sub, uint32_t r[4])
{
    struct bridge *b = &p->bridge;

    if (sub > 1 || !cpuid_lookup_table(p, cr4, 0xD, sub, r) ||
        !get_xcr0(p))
        return false;
    if (sub == 0) {
        r[1] = area_size(p, b->xcr0, false);
        return true;
    }
    /* with XSAVEC (bit 1) or XSAVES (bit 3): XCR0 | IA32_XSS compacted */
    if (!(r[0] & 0xAu))
        return true;
    if (!b->xss_valid) {
        if (!(r[0] & 8))
            b->xss = 0;
        else if (!vm_msr(&p->vm, false, MSR_IA32_XSS, &b->xss))
            return false;
        b->xss_valid = true;
    }
    r[1] = area_size(p, b->xcr0 | b->xss, true);
    return true;
}
