/* mem.c: the engine's guest memory accesses: segments and canonical checks, alignment checks, page-crossing reads and writes, instruction fetch. */
#include <string.h>

#include "engine/engine_internal.h"

bool eng_phys_read(struct eng *e, uint64_t gpa, void *buf, size_t len)
{
    if (gpa > e->ram_size || len > e->ram_size - gpa)
        return false;
    memcpy(buf, e->ram + gpa, len);
    return true;
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

uint64_t eng_read_la(struct eng *e, uint64_t la, unsigned size,
                     bool supervisor)
{
    uint64_t v = 0;
    unsigned first = 0x1000 - (unsigned)(la & 0xFFF);

    if (!supervisor && (e->st->dr7 & DR7_ENABLES))
        eng_debug_access(e, la, size, false);
    if (first >= size) {
        uint64_t gpa = eng_translate(e, la, ACC_READ, supervisor);
        memcpy(&v, e->ram + gpa, size);
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

void eng_write_la(struct eng *e, uint64_t la, unsigned size, uint64_t v,
                  bool supervisor)
{
    unsigned first = 0x1000 - (unsigned)(la & 0xFFF);

    if (!supervisor && (e->st->dr7 & DR7_ENABLES))
        eng_debug_access(e, la, size, true);
    if (first >= size) {
        uint64_t gpa = eng_translate(e, la, ACC_WRITE, supervisor);
        memcpy(e->ram + gpa, &v, size);
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

/*
 * 64-bit mode segmentation (SDM 3.2.4, 5.3.1): no limits, bases only for
 * FS and GS; a non-canonical address is #SS(0) through SS and #GP(0)
 * otherwise. With CR0.AM, RFLAGS.AC and CPL 3 a misaligned access is
 * #AC(0) (SDM 6.15).
 */
uint64_t eng_linear(struct eng *e, unsigned seg, uint64_t off, unsigned size)
{
    const struct engine_state *st = e->st;
    uint64_t la = off;

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

uint64_t eng_read(struct eng *e, unsigned seg, uint64_t off, unsigned size)
{
    return eng_read_la(e, eng_linear(e, seg, off, size), size, false);
}

void eng_write(struct eng *e, unsigned seg, uint64_t off, unsigned size,
               uint64_t v)
{
    eng_write_la(e, eng_linear(e, seg, off, size), size, v, false);
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

void eng_push(struct eng *e, unsigned size, uint64_t v)
{
    uint64_t rsp = e->st->gpr[ENGINE_RSP] - size;

    eng_write(e, ENGINE_SS, rsp, size, v);
    e->st->gpr[ENGINE_RSP] = rsp;
}

uint64_t eng_pop(struct eng *e, unsigned size)
{
    uint64_t rsp = e->st->gpr[ENGINE_RSP];
    uint64_t v = eng_read(e, ENGINE_SS, rsp, size);

    e->st->gpr[ENGINE_RSP] = rsp + size;
    return v;
}
