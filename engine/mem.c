/* mem.c: the engine's guest memory accesses: segments and canonical checks, devices outside RAM (ops->mmio), alignment checks, page-crossing reads and writes, instruction fetch. */
#include <string.h>

#include "engine/engine_internal.h"
#include "engine/mem_fast.h"

bool eng_phys_read(struct eng *e, uint64_t gpa, void *buf, size_t len)
{
    if (gpa > e->ram_size || len > e->ram_size - gpa)
        return false;
    memcpy(buf, e->ram + gpa, len);
    return true;
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
    if (eng_align_checked(e) && (la & (size - 1)) && size <= 8)
        eng_fault(e, VEC_AC, true, 0);
    return la;
}

uint64_t eng_linear(struct eng *e, unsigned seg, uint64_t off, unsigned size)
{
    return linear(e, seg, off, size, false);
}

/* The accesses mem_fast.h's fast_data() did not answer: the whole path. */
uint64_t eng_read_full(struct eng *e, unsigned seg, uint64_t off,
                       unsigned size)
{
    return read_la(e, linear(e, seg, off, size, false), size, false, true);
}

void eng_write_full(struct eng *e, unsigned seg, uint64_t off, unsigned size,
                    uint64_t v)
{
    write_la(e, linear(e, seg, off, size, true), size, v, false, true);
}

/* Out of line for the general handlers, which access any size. */
uint64_t eng_read(struct eng *e, unsigned seg, uint64_t off, unsigned size)
{
    return eng_load(e, seg, off, size);
}

void eng_write(struct eng *e, unsigned seg, uint64_t off, unsigned size,
               uint64_t v)
{
    eng_store(e, seg, off, size, v);
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
