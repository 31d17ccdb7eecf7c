/* tf_scrub.c: takes the TF that pmvm's single-step leaves in what the guest keeps (an exception frame, SYSCALL's R11, PUSHF's image) back out. */
#include <string.h>

#include "arch/x86.h"
#include "engine/engine.h"
#include "vmm/vpmu/insn.h"
#include "vmm/paging.h"
#include "vmm/pmvm.h"
#include "vmm/vpmu/tf_scrub.h"

#define TSS64_RSP0 4
#define TSS64_IST1 0x24
#define TSS64_NR_IST 7

/* (n) bytes at linear address (la), no page crossing: a host pointer into
 * guest RAM, or NULL. */
static uint8_t *linear(struct pmvm *p, uint64_t la, unsigned n)
{
    uint64_t gpa;
    if ((la & 0xFFF) + n > 0x1000 ||
        paging_translate(&p->vm, vm_sregs(&p->vm), la, &gpa) < 0)
        return NULL;
    return vm_gpa(&p->vm, gpa, n);
}

static bool read_slot(struct pmvm *p, uint64_t la, unsigned n, uint64_t *v)
{
    const uint8_t *h = linear(p, la, n);
    *v = 0;
    if (h)
        memcpy(v, h, n);
    return h != NULL;
}

static void clear_tf(struct pmvm *p, uint64_t la)
{
    uint8_t *h = linear(p, la + 1, 1); /* TF is bit 0 of the second byte */
    if (h) {
        *h &= (uint8_t)~1u;
        /* KVM's dirty log does not see this write (engine_bridge.c) */
        if (p->bridge.engine)
            engine_page_written(p->bridge.engine,
                                (uint64_t)(h - p->vm.mem));
    }
}

/* Same flags as before the run but for TF, which is set, and RF, which a
 * fault's frame may carry. */
static bool flags_with_our_tf(const struct tf_scrub *t, uint64_t f)
{
    return (f & RFLAGS_TF) &&
           ((f ^ t->rflags) & ~(RFLAGS_TF | RFLAGS_RF)) == 0;
}

/*
 * An event's frame whose top is (top): RIP, CS, RFLAGS, and in 64-bit mode
 * RSP and SS above them (the error code, if any, is below). It is the one
 * the stepped run delivered if RIP is the instruction's (a fault, or an
 * event injected before it ran) or the next one's (INT n), CS and RSP are
 * the vCPU's before the run, and RFLAGS is too, plus TF.
 */
static bool frame_scrub(struct pmvm *p, const struct tf_scrub *t,
                        uint64_t top)
{
    unsigned w = t->wide ? 8 : 4;
    uint64_t rip, cs, flags, rsp = t->rsp;
    uint64_t base = top - (t->wide ? 5 : 3) * w;
    if (!read_slot(p, base, w, &rip) || !read_slot(p, base + w, w, &cs) ||
        !read_slot(p, base + 2 * w, w, &flags) ||
        (t->wide && !read_slot(p, base + 3 * w, w, &rsp)))
        return false;
    if ((rip != t->rip && rip != t->next) || (uint16_t)cs != t->cs ||
        rsp != t->rsp || !flags_with_our_tf(t, flags))
        return false;
    clear_tf(p, base + 2 * w);
    return true;
}

/* The frame's top: the stack the vCPU was on (64-bit mode aligns it to
 * 16 bytes), or in 64-bit mode TSS.RSP0 (from CPL3) or an IST stack. A
 * 32-bit event that changes privilege (onto TSS.SS0:ESP0) is not looked
 * for: pmvm steps 32-bit code only at CPL0. */
static void frames_scrub(struct pmvm *p, const struct tf_scrub *t)
{
    const struct kvm_sregs *s = vm_sregs(&p->vm);
    if (!t->wide) {
        frame_scrub(p, t, (s->ss.base + t->rsp) & 0xFFFFFFFF);
        return;
    }
    if (frame_scrub(p, t, t->rsp & ~0xFull))
        return;
    uint64_t tss = s->tr.base, top;
    if (read_slot(p, tss + TSS64_RSP0, 8, &top) &&
        frame_scrub(p, t, top & ~0xFull))
        return;
    for (unsigned i = 0; i < TSS64_NR_IST; i++)
        if (read_slot(p, tss + TSS64_IST1 + 8 * i, 8, &top) &&
            frame_scrub(p, t, top & ~0xFull))
            return;
}

void tf_scrub_arm(struct pmvm *p)
{
    struct tf_scrub *t = &p->tf_scrub;
    const struct kvm_regs *r = vm_regs(&p->vm);
    const struct kvm_sregs *s = vm_sregs(&p->vm);
    enum insn_mode mode = insn_mode_of(s);
    uint8_t code[INSN_MAX_LEN];
    struct insn in;

    /* A TF the guest set is the guest's: its frames keep it. */
    t->armed = !(r->rflags & RFLAGS_TF) && mode != INSN_MODE_16;
    if (!t->armed)
        return;
    t->wide = mode == INSN_MODE_64;
    t->rip = r->rip;
    t->rsp = r->rsp;
    t->rflags = r->rflags;
    t->cs = s->cs.selector;
    uint64_t la = t->wide ? r->rip : (s->cs.base + r->rip) & 0xFFFFFFFF;
    size_t n = paging_read(&p->vm, s, la, code, sizeof code);
    bool decoded = n && insn_decode(code, n, mode, &in) == 0;
    t->kind = decoded ? (uint8_t)in.kind : ENGINE_KIND_OTHER;
    t->next = t->rip + (decoded ? in.length : 0);
}

void tf_scrub_after_run(struct pmvm *p)
{
    struct tf_scrub *t = &p->tf_scrub;
    if (!t->armed)
        return;
    t->armed = false;
    struct kvm_regs *r = vm_regs(&p->vm);
    /* SYSCALL: RCX is the next instruction, R11 the RFLAGS it saved. */
    if (t->kind == ENGINE_KIND_SYSCALL && t->wide && r->rcx == t->next &&
        flags_with_our_tf(t, r->r11)) {
        r->r11 &= ~RFLAGS_TF;
        vm_regs_dirty(&p->vm);
        return;
    }
    /* PUSHF: its image is at the new stack top, 2, 4 or 8 bytes down. */
    uint64_t pushed = t->rsp - r->rsp, image;
    if (t->kind == ENGINE_KIND_PUSHF && r->rip == t->next &&
        (pushed == 2 || pushed == 4 || pushed == 8)) {
        const struct kvm_sregs *s = vm_sregs(&p->vm);
        uint64_t la = t->wide ? r->rsp : (s->ss.base + r->rsp) & 0xFFFFFFFF;
        uint64_t width = pushed == 8 ? ~0ull : (1ull << (8 * pushed)) - 1;
        if (read_slot(p, la, (unsigned)pushed, &image) &&
            (image & RFLAGS_TF) &&
            ((image ^ t->rflags) & ~(RFLAGS_TF | RFLAGS_RF) & width) == 0)
            clear_tf(p, la);
        return;
    }
    frames_scrub(p, t);
}
