/* mmu.c: the guest's paging in the engine (4-level; 32-bit and PAE in machine mode): walks, permissions, accessed and dirty bits, #PF error codes, a small TLB. */
#include <string.h>

#include "engine/engine_internal.h"

static void *pte_at(struct eng *e, uint64_t gpa, unsigned size)
{
    if (gpa + size > e->ram_size || gpa + size < gpa)
        eng_handback(e, ENGINE_WHY_MMIO); /* tables outside RAM */
    return e->ram + gpa;
}

/* The paging structures in use (SDM 4.1.1, Table 4-1): 64-bit mode's
 * 4-level paging, and machine mode's others. */
enum paging { PAGING_NONE, PAGING_32, PAGING_PAE, PAGING_4LEVEL };

static enum paging paging_of(const struct engine_state *st)
{
    if (!(st->cr0 & CR0_PG))
        return PAGING_NONE;
    if (!(st->cr4 & CR4_PAE))
        return PAGING_32;
    return (st->efer & EFER_LMA) ? PAGING_4LEVEL : PAGING_PAE;
}

/* One format's geometry: 32-bit paging has 4-byte entries, 10 bits a
 * level (SDM 4.3); PAE's top level is the 4 PDPTEs at CR3[31:5] (4.4.1). */
struct fmt {
    enum paging pg;
    unsigned esize;
    int top;
};

static struct fmt fmt_of(const struct engine_state *st)
{
    enum paging pg = paging_of(st);

    return (struct fmt){pg, pg == PAGING_32 ? 4 : 8,
                        pg == PAGING_4LEVEL ? 4 : pg == PAGING_PAE ? 3 : 2};
}

static uint64_t root_of(const struct engine_state *st, struct fmt f)
{
    if (f.pg == PAGING_PAE)
        return st->cr3 & 0xFFFFFFE0ull;
    if (f.pg == PAGING_32)
        return st->cr3 & 0xFFFFF000ull;
    return st->cr3 & PTE_ADDR;
}

static unsigned shift_of(struct fmt f, int level)
{
    return f.pg == PAGING_32 ? 12 + 10 * (level - 1) : 12 + 9 * (level - 1);
}

static unsigned index_of(struct fmt f, uint64_t la, int level)
{
    unsigned mask = f.pg == PAGING_32 ? 1023
                    : f.pg == PAGING_PAE && level == 3 ? 3 : 511;
    return (unsigned)(la >> shift_of(f, level)) & mask;
}

static uint64_t entry_read(const void *p, struct fmt f)
{
    if (f.esize == 4)
        return *(const uint32_t *)p;
    return *(const uint64_t *)p;
}

/* Does (pte) at (level) map a page (rather than point to a table)? A PDE
 * with PS (4 MiB in 32-bit paging only with CR4.PSE), a PDPTE with PS in
 * 4-level paging (1 GiB). */
static bool is_leaf(const struct engine_state *st, struct fmt f,
                    uint64_t pte, int level)
{
    if (level == 1)
        return true;
    if (!(pte & PTE_PS))
        return false;
    if (level == 2)
        return f.pg != PAGING_32 || (st->cr4 & CR4_PSE);
    return level == 3 && f.pg == PAGING_4LEVEL;
}

/* O(1) but once in TLB_EPOCHS, as the decoded-instruction cache's
 * flush. */
void eng_tlb_flush(struct eng *e)
{
    if (++e->tlb_epoch % TLB_EPOCHS == 0)
        memset(e->tlb_tags, 0, TLB_SLOTS * sizeof(*e->tlb_tags));
}

/* The host address of RAM frame (pfn), or 0 outside RAM. */
static uintptr_t host_of(const struct eng *e, uint64_t pfn)
{
    return (pfn + 1) << 12 <= e->ram_size ? (uintptr_t)(e->ram + (pfn << 12))
                                          : 0;
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
        (((e->st->efer & EFER_NXE) && (e->st->cr4 & CR4_PAE)) ||
         (e->st->cr4 & CR4_SMEP)))
        err |= PFERR_I;
    return err;
}

/* Reserved bits of a present entry at (level) (4 = PML4E): above the
 * guest's MAXPHYADDR (CPUID.80000008H:EAX[7:0]), XD without EFER.NXE, PS
 * in a PML4E, and in a PDPTE without 1-GiB pages (CPUID.80000001H:
 * EDX[26]), and the low bits of a large page's address (SDM 4.5.4, as
 * KVM's reserved-bit masks for the guest's CPUID). */
static bool reserved(struct eng *e, struct fmt f, uint64_t pte, int level)
{
    if (f.pg == PAGING_32) {
        /* Only a 4-MiB page has reserved bits: 21, and those of bits
         * 20:13 (PA 39:32) above MAXPHYADDR (SDM 4.3, Table 4-4). */
        if (level != 2 || !is_leaf(e->st, f, pte, level))
            return false;
        unsigned m = eng_maxphyaddr(e);
        uint64_t rsvd = 1ull << 21;
        if (m < 40)
            rsvd |= (0xFFull << (13 + m - 32)) & 0x1FE000ull;
        return (pte & rsvd) != 0;
    }
    uint64_t rsvd = ~0ull << eng_maxphyaddr(e) & ~PTE_XD;

    if (f.pg == PAGING_PAE && level == 3) /* a PDPTE (SDM 4.4.1, Table 4-8) */
        return (pte & (~0ull << eng_maxphyaddr(e) | 0x1E6ull)) != 0;

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
static void walk(struct eng *e, uint64_t la, enum acc acc, bool user_access)
{
    const struct engine_state *st = e->st;
    struct fmt f = fmt_of(st);
    uint64_t table = root_of(st, f), pte = 0;
    uint32_t *ent[4];
    bool user = true, write = true, exec = true;
    bool nx = (st->efer & EFER_NXE) && f.pg != PAGING_32;
    int level, n = 0;

    for (level = f.top; level >= 1; level--) {
        void *p = pte_at(e, table + index_of(f, la, level) * f.esize, f.esize);
        pte = entry_read(p, f);
        if (!(pte & PTE_P))
            eng_fault_pf(e, la, pf_err(e, acc, user_access, false));
        if (reserved(e, f, pte, level))
            eng_fault_pf(e, la, pf_err(e, acc, user_access, true) |
                                PFERR_RSVD);
        table = pte & PTE_ADDR;
        /* PAE's PDPTEs have no permissions and no accessed flag. */
        if (f.pg == PAGING_PAE && level == 3)
            continue;
        user &= (pte & PTE_US) != 0;
        write &= (pte & PTE_RW) != 0;
        exec &= !(nx && (pte & PTE_XD));
        ent[n++] = p;
        if (is_leaf(st, f, pte, level))
            break;
    }
    if (level < 1)
        level = 1;
    /* the page frame of (la)'s 4-KiB page */
    uint64_t span = 1ull << shift_of(f, level);
    uint64_t frame = (pte & PTE_ADDR & ~(span - 1)) | (la & (span - 1));
    if (f.pg == PAGING_32 && level == 2) /* PSE-36: PA 39:32 in 20:13 */
        frame = (pte & 0xFFC00000ull) | ((pte >> 13) & 0xFF) << 32 |
                (la & (span - 1));
    unsigned i = eng_tlb_index(la);
    uint64_t pfn = frame >> 12;
    e->tlb_tags[i] = (struct tlb_tag){.tag = eng_tlb_tag(la, e->tlb_epoch),
                                      .host_fast = host_of(e, pfn)};
    e->tlb[i] = (struct tlb_slot){.pfn = pfn, .user = user, .write = write,
                                  .exec = exec, .dirty = (pte & PTE_D) != 0,
                                  .nent = (uint8_t)n};
    /* The permission check comes next: A and D are set only for an access
     * that is allowed (eng_translate). */
    (void)acc;
    memcpy(e->tlb_walk[i].ent, ent, sizeof(ent));
}

/* Marks the last-level entry of (la) dirty, walking again (it was
 * accessed, so present: the TLB said so). */
static void set_dirty(struct eng *e, uint64_t la)
{
    struct fmt f = fmt_of(e->st);
    uint64_t table = root_of(e->st, f);

    for (int level = f.top; level >= 1; level--) {
        uint32_t *p = pte_at(e, table + index_of(f, la, level) * f.esize,
                             f.esize);
        uint64_t pte = entry_read(p, f);
        if (!(pte & PTE_P))
            return; /* changed under the TLB: the next walk faults */
        if (!(f.pg == PAGING_PAE && level == 3) &&
            is_leaf(e->st, f, pte, level)) {
            *p |= (uint32_t)(PTE_D | PTE_A);
            return;
        }
        table = pte & PTE_ADDR;
    }
}

/*
 * The data accesses a slot now allows with nothing to check or set, for
 * mem_fast.h's tlb_hit(): within RAM, with A set (and D, for a write, into a
 * frame that holds no decoded instructions), and allowed whatever
 * RFLAGS.AC holds. CR0.WP and CR4.SMAP, which the rest depends on, flush
 * the TLB when they change (exec_cr.c), and so does a frame's first
 * decoded instruction (decode.c).
 */
static uint8_t fast_of(const struct eng *e, const struct tlb_slot *t,
                       uintptr_t host)
{
    const struct engine_state *st = e->st;
    bool smap = (st->cr4 & CR4_SMAP) != 0;
    bool sup_ok = !t->user || !smap; /* SMAP: a user page needs AC */
    bool sup_write = t->write || !(st->cr0 & CR0_WP);
    uint8_t f = 0;

    if (!host || !t->accessed)
        return 0;
    if (sup_ok)
        f |= TLB_FAST_READ_SUP;
    if (t->user)
        f |= TLB_FAST_READ_USER;
    if (t->dirty && !e->code_page[t->pfn]) {
        if (sup_ok && sup_write)
            f |= TLB_FAST_WRITE_SUP;
        if (t->user && t->write)
            f |= TLB_FAST_WRITE_USER;
    }
    return f;
}

uint64_t eng_translate_any(struct eng *e, uint64_t la, enum acc acc,
                           bool supervisor)
{
    const struct engine_state *st = e->st;
    bool user_access = !supervisor && eng_cpl(e) == 3;

    if (!(st->cr0 & CR0_PG))
        return la; /* machine mode without paging: linear is physical */
    unsigned slot = eng_tlb_index(la);
    struct tlb_tag *tag = &e->tlb_tags[slot];

    if (tag->tag != eng_tlb_tag(la, e->tlb_epoch))
        walk(e, la, acc, user_access);
    struct tlb_slot *t = &e->tlb[slot];
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
        tag->tag = 0; /* a fault does not leave the translation cached */
        eng_fault_pf(e, la, pf_err(e, acc, user_access, true));
    }
    if (!t->accessed) {
        uint32_t **ent = e->tlb_walk[slot].ent;
        for (unsigned i = 0; i < t->nent; i++)
            *ent[i] |= (uint32_t)PTE_A;
        t->accessed = true;
    }
    if (acc == ACC_WRITE && !t->dirty) {
        set_dirty(e, la);
        t->dirty = true;
    }
    uintptr_t host = tag->host_fast & ~(uintptr_t)TLB_FAST_ALL;
    tag->host_fast = host | fast_of(e, t, host);
    return t->pfn << 12 | (la & 0xFFF);
}

uint64_t eng_translate(struct eng *e, uint64_t la, enum acc acc,
                       bool supervisor)
{
    uint64_t gpa = eng_translate_any(e, la, acc, supervisor);

    if (gpa >= e->ram_size)
        eng_handback(e, ENGINE_WHY_MMIO);
    return gpa;
}
