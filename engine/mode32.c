/* mode32.c: machine mode's 32-bit code: the states it runs, legacy segmentation (bases, limits, types), the stack pointer's width, EIP's. */
#include "engine/engine_internal.h"

uint64_t eng_sp(const struct eng *e)
{
    return e->st->gpr[ENGINE_RSP] & eng_mask(eng_stack_width(e));
}

/* ESP zero-extends into RSP as any 32-bit register write; SP keeps the
 * rest of ESP (SDM 6.2.3: the stack-size attribute, SS.B). */
void eng_sp_set(struct eng *e, uint64_t v)
{
    eng_gpr_set(e, ENGINE_RSP, eng_stack_width(e), v);
}

/*
 * Protected-mode segmentation (SDM 5.3 limit checking, 5.4 type checking,
 * 3.4.5.1 expand-down): a segment loaded with a NULL selector (not
 * present here) faults on use; writes need a writable data segment,
 * reads a data or readable code segment; the whole access must lie
 * within the limit. Faults are #SS(0) through SS, #GP(0) otherwise.
 */
uint64_t eng_linear32(struct eng *e, unsigned seg, uint64_t off,
                      unsigned size, bool write)
{
    const struct engine_state *st = e->st;
    const struct engine_seg *s = &st->seg[seg];
    unsigned vec = seg == ENGINE_SS ? VEC_SS : VEC_GP;
    uint64_t last = off + size - 1;
    bool code = (s->type & 8) != 0;

    if (!s->present || !s->s)
        eng_fault(e, vec, true, 0);
    if (code ? (write || !(s->type & 2)) : (write && !(s->type & 2)))
        eng_fault(e, vec, true, 0);
    if (!code && (s->type & 4)) {
        uint64_t upper = s->db ? 0xFFFFFFFFull : 0xFFFFull;
        if (off <= s->limit || last > upper)
            eng_fault(e, vec, true, 0);
    } else if (last > s->limit || last < off) {
        eng_fault(e, vec, true, 0);
    }
    uint64_t la = (s->base + off) & 0xFFFFFFFFull;
    if (eng_align_checked(e) && (la & (size - 1)) && size <= 8)
        eng_fault(e, VEC_AC, true, 0);
    return la;
}

void eng_check_target(struct eng *e, uint64_t target)
{
    if (eng_mode64(e) ? !eng_canonical(target)
                      : target > e->st->seg[ENGINE_CS].limit)
        eng_gp0(e);
}

/* CS's base counts outside 64-bit mode, where linear addresses are 32
 * bits (SDM 3.4.2). */
uint64_t eng_code_la(const struct eng *e, uint64_t rip)
{
    if (eng_mode64(e))
        return rip;
    return (e->st->seg[ENGINE_CS].base + rip) & 0xFFFFFFFFull;
}

/*
 * What machine mode runs (SDM 2.2, 9.8.5): protected mode without
 * virtual-8086, with paging off, 32-bit paging or PAE paging, and IA-32e
 * mode (4-level paging) in 64-bit or compatibility mode, each with a
 * 32-bit code segment (CS.D) outside 64-bit mode. Real mode and 16-bit
 * code are not run (WHY_MODE), nor an inconsistent IA-32e state.
 */
enum engine_why eng_machine_state_check(const struct engine_state *st)
{
    const struct engine_seg *cs = &st->seg[ENGINE_CS];
    bool lma = (st->efer & EFER_LMA) != 0;

    if (!(st->cr0 & CR0_PE))
        return ENGINE_WHY_MODE;
    if (st->rflags & RFLAGS_VM)
        return ENGINE_WHY_FEATURE;
    if (lma && (!(st->cr0 & CR0_PG) || !(st->cr4 & CR4_PAE) ||
                !(st->efer & EFER_LME)))
        return ENGINE_WHY_MODE;
    if (!(lma && cs->l) && !cs->db)
        return ENGINE_WHY_MODE; /* 16-bit code */
    if (st->cr4 & (CR4_LA57 | CR4_PKE | CR4_CET))
        return ENGINE_WHY_FEATURE;
    return ENGINE_WHY_NONE;
}
