/* engine_state.c: the vCPU's registers between KVM's structures (kvm_regs, kvm_sregs) and the engine's (struct engine_state). */
#include "vmm/engine_state.h"

static void seg_in(struct engine_seg *e, const struct kvm_segment *k)
{
    *e = (struct engine_seg){
        .base = k->base, .limit = k->limit, .selector = k->selector,
        .type = k->type, .s = k->s, .dpl = k->dpl,
        .present = k->present && !k->unusable, .db = k->db, .l = k->l,
        .g = k->g};
}

static void seg_out(struct kvm_segment *k, const struct engine_seg *e)
{
    k->base = e->base;
    k->limit = e->limit;
    k->selector = e->selector;
    k->type = e->type;
    k->s = e->s;
    k->dpl = e->dpl;
    k->present = e->present;
    k->unusable = !e->present;
    k->db = e->db;
    k->l = e->l;
    k->g = e->g;
}

/* kvm_regs' order: rax rbx rcx rdx rsi rdi rsp rbp r8-r15. */
static __u64 *kvm_gpr(struct kvm_regs *r, unsigned i)
{
    __u64 *const map[ENGINE_NR_GPRS] = {
        &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi,
        &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13,
        &r->r14, &r->r15};
    return map[i];
}

void engine_state_from_kvm(struct engine_state *st, const struct kvm_regs *r,
                           const struct kvm_sregs *s)
{
    const struct kvm_segment *segs[ENGINE_NR_SREGS] = {
        &s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs};

    struct kvm_regs copy = *r;

    for (unsigned i = 0; i < ENGINE_NR_GPRS; i++)
        st->gpr[i] = *kvm_gpr(&copy, i);
    st->rip = r->rip;
    st->rflags = r->rflags;
    for (unsigned i = 0; i < ENGINE_NR_SREGS; i++)
        seg_in(&st->seg[i], segs[i]);
    seg_in(&st->tr, &s->tr);
    seg_in(&st->ldt, &s->ldt);
    st->gdt_base = s->gdt.base;
    st->gdt_limit = s->gdt.limit;
    st->idt_base = s->idt.base;
    st->idt_limit = s->idt.limit;
    st->cr0 = s->cr0;
    st->cr2 = s->cr2;
    st->cr3 = s->cr3;
    st->cr4 = s->cr4;
    st->cr8 = s->cr8;
    st->efer = s->efer;
}

void engine_state_to_kvm_regs(const struct engine_state *st,
                              struct kvm_regs *r)
{
    for (unsigned i = 0; i < ENGINE_NR_GPRS; i++)
        *kvm_gpr(r, i) = st->gpr[i];
    r->rip = st->rip;
    r->rflags = st->rflags;
}

void engine_state_to_kvm_sregs(const struct engine_state *st,
                               struct kvm_sregs *s, bool all)
{
    struct kvm_segment *segs[ENGINE_NR_SREGS] = {
        &s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs};

    for (unsigned i = 0; i < ENGINE_NR_SREGS; i++)
        seg_out(segs[i], &st->seg[i]);
    s->cr2 = st->cr2;
    s->cr3 = st->cr3; /* the engine's MOV to CR3 (engine_ops.cr3_writes) */
    if (!all)
        return;
    seg_out(&s->tr, &st->tr);
    seg_out(&s->ldt, &st->ldt);
    s->gdt.base = st->gdt_base;
    s->gdt.limit = st->gdt_limit;
    s->idt.base = st->idt_base;
    s->idt.limit = st->idt_limit;
    s->cr0 = st->cr0;
    s->cr4 = st->cr4;
    s->cr8 = st->cr8;
    s->efer = st->efer;
}
