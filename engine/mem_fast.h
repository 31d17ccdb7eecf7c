/* mem_fast.h: the engine's data accesses that the TLB answers alone, inline where instructions make them (mem.c has the rest). */
#ifndef PMVM_ENGINE_MEM_FAST_H
#define PMVM_ENGINE_MEM_FAST_H

#include <string.h>

#include "engine/engine_internal.h"

/* RAM at (p), (size) bytes: the usual sizes copied as constants (a copy
 * of a variable size is a call to memmove). */
static inline uint64_t ram_load(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    uint32_t d;
    uint16_t w;

    switch (size) {
    case 8: memcpy(&v, p, 8); return v;
    case 4: memcpy(&d, p, 4); return d;
    case 2: memcpy(&w, p, 2); return w;
    case 1: return *p;
    default: memcpy(&v, p, size); return v;
    }
}

static inline void ram_store(uint8_t *p, unsigned size, uint64_t v)
{
    uint32_t d = (uint32_t)v;
    uint16_t w = (uint16_t)v;

    switch (size) {
    case 8: memcpy(p, &v, 8); return;
    case 4: memcpy(p, &d, 4); return;
    case 2: memcpy(p, &w, 2); return;
    case 1: *p = (uint8_t)v; return;
    default: memcpy(p, &v, size); return;
    }
}

/* The host address of (la) where the TLB holds its page for an access
 * that needs nothing checked or set (mmu.c's fast_of()): one whose bit
 * (enum tlb_fast) is in (want), or of (acc) at this privilege; NULL
 * otherwise. */
static inline uint8_t *tlb_hit(struct eng *e, uint64_t la, unsigned want)
{
    const struct tlb_tag *t = &e->tlb_tags[eng_tlb_index(la)];

    if (t->tag != eng_tlb_tag(la, e->tlb_epoch) || !(t->host_fast & want))
        return NULL;
    return (uint8_t *)(t->host_fast & ~(uintptr_t)TLB_FAST_ALL) +
           (la & 0xFFF);
}

static inline uint8_t *tlb_fast(struct eng *e, enum acc acc, uint64_t la,
                                bool supervisor)
{
    return tlb_hit(e, la,
                   (acc == ACC_WRITE ? TLB_FAST_WRITE_SUP : TLB_FAST_READ_SUP)
                       << (!supervisor && eng_cpl(e) == 3));
}

/* An access, for the caller's cache model. */
static inline void log_access(struct eng *e, uint64_t gpa, bool write)
{
    if (e->log_mem)
        e->ops.mem_access(e->ops.ctx, gpa,
                          write ? ENGINE_MEM_WRITE : ENGINE_MEM_READ);
}

/* A whole access within one page of RAM at host (p), through tlb_fast():
 * the value and the log (a store there needs no self-modifying-code
 * check: tlb_fast() lets no store reach a page of code). */
static inline uint64_t ram_read(struct eng *e, uint8_t *p, unsigned size)
{
    uint64_t v = ram_load(p, size);

    log_access(e, (uint64_t)(p - e->ram), false);
    return v;
}

static inline void ram_write(struct eng *e, uint8_t *p, unsigned size,
                             uint64_t v)
{
    uint64_t gpa = (uint64_t)(p - e->ram);

    ram_store(p, size, v);
    log_access(e, gpa, true);
}

/*
 * The host address of an instruction's own access of (size) bytes at
 * (off) through (seg), inside the traces (e->fast_want: 64-bit mode, no
 * data breakpoint enabled, no alignment checking, none of which can
 * change there), where the TLB holds its page for it and the access is
 * within that page: NULL where anything else must be looked at, and
 * outside the traces. What the full path checks holds there: the page
 * is canonical and mapped with this access's permission at this
 * privilege (mmu.c). Most accesses take it, at a fraction of the full
 * path's cost. Instructions run on their own (a counter about to carry,
 * the guest's debug features, 32-bit code) take the full path, which
 * keeps this one without a call, so the fast handlers' ways out are all
 * tail calls (exec_fast.c).
 */
static inline __attribute__((always_inline)) uint8_t *
fast_data(struct eng *e, enum acc acc, unsigned seg, uint64_t off,
          unsigned size)
{
    const struct engine_state *st = e->st;
    unsigned want = e->fast_want[acc];
    uint64_t la = off;

    if (!want)
        return NULL;
    if (seg == ENGINE_FS || seg == ENGINE_GS)
        la += st->seg[seg].base;
    if ((la & 0xFFF) + size > 0x1000)
        return NULL;
    return tlb_hit(e, la, want);
}

/* An instruction's own load or store, inline for the handlers of a
 * fixed size (exec_fast.c) and in mem.c's eng_read()/eng_write(): the
 * TLB's answer, or mem.c's whole path. */
static inline uint64_t eng_load(struct eng *e, unsigned seg, uint64_t off,
                                unsigned size)
{
    uint8_t *p = fast_data(e, ACC_READ, seg, off, size);

    return p ? ram_read(e, p, size) : eng_read_full(e, seg, off, size);
}

static inline void eng_store(struct eng *e, unsigned seg, uint64_t off,
                             unsigned size, uint64_t v)
{
    uint8_t *p = fast_data(e, ACC_WRITE, seg, off, size);

    if (p)
        ram_write(e, p, size, v);
    else
        eng_write_full(e, seg, off, size, v);
}

#endif
