/* mmu.c: the guest's 4-level paging in the engine: walks, permissions, accessed and dirty bits, #PF error codes, a small TLB. */
#include <string.h>

#include "engine/engine_internal.h"

static uint64_t *pte_at(struct eng *e, uint64_t gpa)
{
    if (gpa + 8 > e->ram_size || gpa + 8 < gpa)
        eng_handback(e, ENGINE_WHY_MMIO); /* tables outside RAM */
    return (uint64_t *)(void *)(e->ram + gpa);
}

static struct tlb_slot *tlb_slot_of(struct eng *e, uint64_t la)
{
    uint64_t h = (la >> 12) * 0x9E3779B97F4A7C15ull;

    return &e->tlb[h >> 54]; /* the top 10 bits: TLB_SLOTS */
}

_Static_assert(TLB_SLOTS == 1 << 10, "tlb_slot_of() takes 10 bits");

/* O(1), as the decoded-instruction cache's flush. */
void eng_tlb_flush(struct eng *e)
{
    if (++e->tlb_epoch == 0)
        memset(e->tlb, 0, sizeof(e->tlb));
}

void eng_tlb_flush_page(struct eng *e, uint64_t la)
{
    struct tlb_slot *t = tlb_slot_of(e, la);

    if (t->vpn == (la >> 12) + 1)
        t->vpn = 0;
}

/* The error code of a #PF for this access (SDM 4.7). */
static uint32_t pf_err(struct eng *e, enum acc acc, bool user, bool present)
{
    uint32_t err = present ? PFERR_P : 0;

    if (acc == ACC_WRITE)
        err |= PFERR_W;
    if (user)
        err |= PFERR_U;
    if (acc == ACC_FETCH &&
        ((e->st->efer & EFER_NXE) || (e->st->cr4 & CR4_SMEP)))
        err |= PFERR_I;
    return err;
}

/* Reserved bits of a present entry at (level) (4 = PML4E): above the
 * guest's MAXPHYADDR (CPUID.80000008H:EAX[7:0]), XD without EFER.NXE, PS
 * in a PML4E, and in a PDPTE without 1-GiB pages (CPUID.80000001H:
 * EDX[26]), and the low bits of a large page's address (SDM 4.5.4, as
 * KVM's reserved-bit masks for the guest's CPUID). */
static bool reserved(struct eng *e, uint64_t pte, int level)
{
    uint64_t rsvd = ~0ull << eng_maxphyaddr(e) & ~PTE_XD;

    if (!(e->st->efer & EFER_NXE))
        rsvd |= PTE_XD;
    if (level == 4 || (level == 3 && !eng_has(e, FEAT_PDPE1GB)))
        rsvd |= PTE_PS;
    else if (level == 3 && (pte & PTE_PS))
        rsvd |= 0x3FFFE000ull;  /* bits 29:13 of a 1-GiB page */
    else if (level == 2 && (pte & PTE_PS))
        rsvd |= 0x1FE000ull;    /* bits 20:13 of a 2-MiB page */
    return (pte & rsvd) != 0;
}

/*
 * Walks the tables for (la). Permissions combine over the levels: user
 * access needs U/S in every entry, a write needs R/W in every entry (for
 * supervisor writes only with CR0.WP), a fetch no XD in any (with
 * EFER.NXE). Accessed flags are set in every entry of a walk that
 * succeeds, the dirty flag in the last one for a write.
 */
static struct tlb_slot *walk(struct eng *e, uint64_t la, enum acc acc,
                             bool user_access)
{
    const struct engine_state *st = e->st;
    uint64_t table = st->cr3 & PTE_ADDR, *ent[4], pte = 0;
    bool user = true, write = true, exec = true;
    int level, n = 0;

    for (level = 4; level >= 1; level--) {
        unsigned idx = (la >> (12 + 9 * (level - 1))) & 511;
        uint64_t *p = pte_at(e, table + idx * 8);
        pte = *p;
        if (!(pte & PTE_P))
            eng_fault_pf(e, la, pf_err(e, acc, user_access, false));
        if (reserved(e, pte, level))
            eng_fault_pf(e, la, pf_err(e, acc, user_access, true) |
                                PFERR_RSVD);
        user &= (pte & PTE_US) != 0;
        write &= (pte & PTE_RW) != 0;
        exec &= !((e->st->efer & EFER_NXE) && (pte & PTE_XD));
        ent[n++] = p;
        if (level <= 3 && (pte & PTE_PS))
            break;
        table = pte & PTE_ADDR;
    }
    if (level < 1)
        level = 1;
    /* the page frame of (la)'s 4-KiB page */
    uint64_t span = 1ull << (12 + 9 * (level - 1));
    uint64_t frame = (pte & PTE_ADDR & ~(span - 1)) | (la & (span - 1));
    struct tlb_slot *t = tlb_slot_of(e, la);
    *t = (struct tlb_slot){.vpn = (la >> 12) + 1, .epoch = e->tlb_epoch,
                           .pfn = frame >> 12,
                           .user = user, .write = write, .exec = exec,
                           .dirty = (pte & PTE_D) != 0, .nent = (uint8_t)n};
    /* The permission check comes next: A and D are set only for an access
     * that is allowed (eng_translate). */
    (void)acc;
    memcpy(t->ent, ent, sizeof(ent));
    return t;
}

/* Marks the last-level entry of (la) dirty, walking again (it was
 * accessed, so present: the TLB said so). */
static void set_dirty(struct eng *e, uint64_t la)
{
    uint64_t table = e->st->cr3 & PTE_ADDR;

    for (int level = 4; level >= 1; level--) {
        unsigned idx = (la >> (12 + 9 * (level - 1))) & 511;
        uint64_t *p = pte_at(e, table + idx * 8);
        if (!(*p & PTE_P))
            return; /* changed under the TLB: the next walk faults */
        if (level == 1 || (level <= 3 && (*p & PTE_PS))) {
            *p |= PTE_D | PTE_A;
            return;
        }
        table = *p & PTE_ADDR;
    }
}

uint64_t eng_translate(struct eng *e, uint64_t la, enum acc acc,
                       bool supervisor)
{
    const struct engine_state *st = e->st;
    bool user_access = !supervisor && eng_cpl(e) == 3;
    struct tlb_slot *t = tlb_slot_of(e, la);

    if (t->vpn != (la >> 12) + 1 || t->epoch != e->tlb_epoch)
        t = walk(e, la, acc, user_access);
    /* Permissions (SDM 4.6). */
    bool deny;
    if (user_access) {
        deny = !t->user || (acc == ACC_WRITE && !t->write) ||
               (acc == ACC_FETCH && !t->exec);
    } else {
        deny = (acc == ACC_WRITE && !t->write && (st->cr0 & CR0_WP)) ||
               (acc == ACC_FETCH && !t->exec) ||
               (acc == ACC_FETCH && t->user && (st->cr4 & CR4_SMEP)) ||
               (acc != ACC_FETCH && t->user && (st->cr4 & CR4_SMAP) &&
                (supervisor || !(st->rflags & RFLAGS_AC)));
    }
    if (deny) {
        t->vpn = 0; /* a fault does not leave the translation cached */
        eng_fault_pf(e, la, pf_err(e, acc, user_access, true));
    }
    if (!t->accessed) {
        for (unsigned i = 0; i < t->nent; i++)
            *t->ent[i] |= PTE_A;
        t->accessed = true;
    }
    if (acc == ACC_WRITE && !t->dirty) {
        set_dirty(e, la);
        t->dirty = true;
    }
    uint64_t gpa = t->pfn << 12 | (la & 0xFFF);
    if (gpa >= e->ram_size)
        eng_handback(e, ENGINE_WHY_MMIO);
    return gpa;
}
