/* mem.c: the engine's guest memory accesses: segments and canonical checks, devices outside RAM (ops->mmio), alignment checks, page-crossing reads and writes, instruction fetch. */
#include <string.h>

#include "engine/engine_internal.h"

bool eng_phys_read(struct eng *e, uint64_t gpa, void *buf, size_t len)
{
    if (gpa > e->ram_size || len > e->ram_size - gpa)
        return false;
    memcpy(buf, e->ram + gpa, len);
    return true;
}

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
 * (acc) at this privilege that needs nothing checked or set (mmu.c's
 * fast_of()); NULL otherwise. */
static inline uint8_t *tlb_fast(struct eng *e, enum acc acc, uint64_t la,
                                bool supervisor)
{
    const struct tlb_slot *t = &e->tlb[eng_tlb_index(la)];
    unsigned want = (acc == ACC_WRITE ? TLB_FAST_WRITE_SUP : TLB_FAST_READ_SUP)
                    << (!supervisor && eng_cpl(e) == 3);

    if (t->vpn != (la >> 12) + 1 || t->epoch != e->tlb_epoch ||
        !(t->fast & want))
        return NULL;
    return t->host + (la & 0xFFF);
}

static void log_access(struct eng *e, uint64_t gpa, bool write)
{
    if (write)
        e->mem_write = true;
    else
        e->mem_read = true;
    if (e->ops.mem_access)
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
 * A plain load or store that lands outside RAM: the caller's device
 * (ops->mmio) answers it, or the instruction goes back (a locked
 * read-modify-write must not become two separate device accesses).
 */
static void mmio(struct eng *e, uint64_t gpa, unsigned size, bool write,
                 uint64_t *v)
{
    if (!e->ops.mmio || e->insn_lock)
        eng_handback(e, ENGINE_WHY_MMIO);
    switch (e->ops.mmio(e->ops.ctx, gpa, size, write, v)) {
    case ENGINE_OK:
        if (!write)
            *v &= eng_mask(size);
        return;
    case ENGINE_GP:
        eng_gp0(e);
    default:
        eng_handback(e, ENGINE_WHY_MMIO);
    }
}

/* (data): an instruction's own load through a segment, which may reach
 * a device through ops->mmio. Out of line, so that eng_read()'s fast
 * path keeps a small frame. */
static __attribute__((noinline)) uint64_t
read_la(struct eng *e, uint64_t la, unsigned size, bool supervisor, bool data)
{
    uint64_t v = 0;
    unsigned first = 0x1000 - (unsigned)(la & 0xFFF);

    if (!supervisor && (e->st->dr7 & DR7_ENABLES))
        eng_debug_access(e, la, size, false);
    if (first >= size) {
        uint8_t *p = tlb_fast(e, ACC_READ, la, supervisor);
        if (p)
            return ram_read(e, p, size);
        uint64_t gpa = data && e->ops.mmio
                           ? eng_translate_any(e, la, ACC_READ, supervisor)
                           : eng_translate(e, la, ACC_READ, supervisor);
        if (gpa >= e->ram_size) {
            mmio(e, gpa, size, false, &v);
            return v;
        }
        v = ram_load(e->ram + gpa, size);
        log_access(e, gpa, false);
        return v;
    }
    /* Both pages are translated (and may fault) before anything is read. */
    uint64_t g0 = eng_translate(e, la, ACC_READ, supervisor);
    uint64_t g1 = eng_translate(e, la + first, ACC_READ, supervisor);
    memcpy(&v, e->ram + g0, first);
    memcpy((uint8_t *)&v + first, e->ram + g1, size - first);
    log_access(e, g0, false);
    return v;
}

uint64_t eng_read_la(struct eng *e, uint64_t la, unsigned size,
                     bool supervisor)
{
    return read_la(e, la, size, supervisor, false);
}

static __attribute__((noinline)) void
write_la(struct eng *e, uint64_t la, unsigned size, uint64_t v,
         bool supervisor, bool data)
{
    unsigned first = 0x1000 - (unsigned)(la & 0xFFF);

    if (!supervisor && (e->st->dr7 & DR7_ENABLES))
        eng_debug_access(e, la, size, true);
    if (first >= size) {
        uint8_t *p = tlb_fast(e, ACC_WRITE, la, supervisor);
        if (p) {
            ram_write(e, p, size, v);
            return;
        }
        uint64_t gpa = data && e->ops.mmio
                           ? eng_translate_any(e, la, ACC_WRITE, supervisor)
                           : eng_translate(e, la, ACC_WRITE, supervisor);
        if (gpa >= e->ram_size) {
            v &= eng_mask(size);
            mmio(e, gpa, size, true, &v);
            return;
        }
        ram_store(e->ram + gpa, size, v);
        eng_code_written(e, gpa);
        log_access(e, gpa, true);
        return;
    }
    uint64_t g0 = eng_translate(e, la, ACC_WRITE, supervisor);
    uint64_t g1 = eng_translate(e, la + first, ACC_WRITE, supervisor);
    memcpy(e->ram + g0, &v, first);
    memcpy(e->ram + g1, (uint8_t *)&v + first, size - first);
    eng_code_written(e, g0);
    eng_code_written(e, g1);
    log_access(e, g0, true);
}

void eng_write_la(struct eng *e, uint64_t la, unsigned size, uint64_t v,
                  bool supervisor)
{
    write_la(e, la, size, v, supervisor, false);
}

/*
 * 64-bit mode segmentation (SDM 3.2.4, 5.3.1): no limits, bases only for
 * FS and GS; a non-canonical address is #SS(0) through SS and #GP(0)
 * otherwise. With CR0.AM, RFLAGS.AC and CPL 3 a misaligned access is
 * #AC(0) (SDM 6.15).
 */
static uint64_t linear(struct eng *e, unsigned seg, uint64_t off,
                       unsigned size, bool write)
{
    const struct engine_state *st = e->st;
    uint64_t la = off;

    if (!eng_mode64(e))
        return eng_linear32(e, seg, off, size, write);

    if (seg == ENGINE_FS || seg == ENGINE_GS)
        la += st->seg[seg].base;
    if (!eng_canonical(la) || !eng_canonical(la + size - 1)) {
        if (seg == ENGINE_SS)
            eng_fault(e, VEC_SS, true, 0);
        eng_gp0(e);
    }
    if ((st->cr0 & CR0_AM) && (st->rflags & RFLAGS_AC) && eng_cpl(e) == 3 &&
        (la & (size - 1)) && size <= 8)
        eng_fault(e, VEC_AC, true, 0);
    return la;
}

uint64_t eng_linear(struct eng *e, unsigned seg, uint64_t off, unsigned size)
{
    return linear(e, seg, off, size, false);
}

/*
 * The host address of an instruction's own access of (size) bytes at
 * (off) through (seg), in 64-bit mode, where the TLB holds its page
 * for it and the access is within that page: NULL where anything else
 * must be looked at. What the full path checks holds there: the page is canonical and
 * mapped with this access's permission at this privilege (mmu.c), no
 * data breakpoint is enabled, and #AC cannot apply (aligned, or CR0.AM
 * clear). Most accesses take it, at a fraction of the full path's cost.
 */
static inline uint8_t *fast_data(struct eng *e, enum acc acc, unsigned seg,
                                 uint64_t off, unsigned size)
{
    const struct engine_state *st = e->st;
    uint64_t la = off;

    if (!eng_mode64(e) || (st->dr7 & DR7_ENABLES))
        return NULL;
    if (seg == ENGINE_FS || seg == ENGINE_GS)
        la += st->seg[seg].base;
    if ((la & 0xFFF) + size > 0x1000 ||
        ((st->cr0 & CR0_AM) && (la & (size - 1))))
        return NULL;
    return tlb_fast(e, acc, la, false);
}

uint64_t eng_read(struct eng *e, unsigned seg, uint64_t off, unsigned size)
{
    uint8_t *p = fast_data(e, ACC_READ, seg, off, size);

    if (p)
        return ram_read(e, p, size);
    return read_la(e, linear(e, seg, off, size, false), size, false, true);
}

void eng_write(struct eng *e, unsigned seg, uint64_t off, unsigned size,
               uint64_t v)
{
    uint8_t *p = fast_data(e, ACC_WRITE, seg, off, size);

    if (p) {
        ram_write(e, p, size, v);
        return;
    }
    write_la(e, linear(e, seg, off, size, true), size, v, false, true);
}

size_t eng_fetch(struct eng *e, uint64_t la, uint8_t *buf, size_t len,
                 uint64_t *gpa)
{
    size_t n = 0x1000 - (la & 0xFFF);

    if (!eng_canonical(la))
        eng_gp0(e);
    *gpa = eng_translate(e, la, ACC_FETCH, false);
    if (n > len)
        n = len;
    memcpy(buf, e->ram + *gpa, n);
    return n;
}

/* The stack pointer's width is the stack's (RSP, ESP or SP, SS.B). */
void eng_push(struct eng *e, unsigned size, uint64_t v)
{
    uint64_t rsp = (eng_sp(e) - size) & eng_mask(eng_stack_width(e));

    eng_write(e, ENGINE_SS, rsp, size, v);
    eng_sp_set(e, rsp);
}

uint64_t eng_pop(struct eng *e, unsigned size)
{
    uint64_t rsp = eng_sp(e);
    uint64_t v = eng_read(e, ENGINE_SS, rsp, size);

    eng_sp_set(e, rsp + size);
    return v;
}
