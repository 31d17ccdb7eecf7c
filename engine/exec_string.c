/* exec_string.c: the engine's string instructions (MOVS, STOS, LODS, CMPS, SCAS, OUTS) with REP, REPE, REPNE and the direction flag. */
#include <string.h>

#include "engine/engine_internal.h"

/* Iterations one run may make of a REP instruction before it stops, as an
 * interrupt would, with RIP still on it and the registers where the
 * iterations left them (SDM 7.3.9.3): a REP over a huge count must not
 * hold off the VMM's watchdog. */
#define REP_SLICE 1000000

enum str_op { STR_MOVS, STR_STOS, STR_LODS, STR_CMPS, STR_SCAS, STR_OUTS };

/* The element size: the mnemonic's letter (MOVSB/W/D/Q). OUTS has no
 * quadword form: REX.W leaves OUTSD a doubleword, where Zydis's operand
 * width says 64. */
static unsigned elem_size(const struct eng_insn *in)
{
    if (in->mnemonic == ZYDIS_MNEMONIC_OUTSD && in->opsize > 4)
        return 4;
    return in->opsize;
}

static uint64_t addr_get(struct eng *e, const struct eng_insn *in,
                         unsigned reg)
{
    return eng_gpr_get(e, reg, in->addrsize);
}

static void addr_step(struct eng *e, const struct eng_insn *in,
                      unsigned reg, unsigned sz)
{
    uint64_t v = addr_get(e, in, reg);

    v += (e->st->rflags & RFLAGS_DF) ? -(uint64_t)sz : sz;
    eng_gpr_set(e, reg, in->addrsize, v);
}

/* The source segment: DS unless overridden (the memory operand says);
 * the destination is always ES. */
static unsigned src_seg(const struct eng_insn *in)
{
    for (unsigned i = 0; i < in->nopnd; i++)
        if (in->op[i].type == OPND_MEM && in->op[i].base == ENGINE_RSI)
            return in->op[i].seg;
    return ENGINE_DS;
}

/*
 * Can a REP MOVS or STOS go a page at a time (bulk())? Only where one
 * iteration after another changes nothing anyone sees: 64-bit mode and
 * addresses, forward (DF clear), no single-step or data breakpoint
 * between iterations (TF, DR7), no stop asked, and no cache model that
 * wants each access (ops->mem_access_wanted).
 */
static bool bulk_allowed(struct eng *e, const struct eng_insn *in,
                         enum str_op op)
{
    const struct engine_state *st = e->st;

    return (op == STR_MOVS || op == STR_STOS) && in->addrsize == 8 &&
           eng_mode64(e) && !(st->rflags & (RFLAGS_DF | RFLAGS_TF)) &&
           !(st->dr7 & DR7_ENABLES) && !e->stop_after && !e->log_mem;
}

/*
 * Up to (most) iterations of a REP MOVS or STOS that bulk_allowed(), as
 * far as the next page boundary of its source or destination, done at
 * once: the first iteration's checks and translations in its order
 * (source, then destination) with its faults, and the bytes and
 * registers of all of them.
 * Returns how many it did; 0 leaves the next to iterate(): an element
 * that crosses a page, memory outside RAM (a device), or a MOVS whose
 * destination lies just above its source, where each element reads what
 * an earlier one wrote.
 */
static uint64_t bulk(struct eng *e, const struct eng_insn *in,
                     enum str_op op, unsigned sz, uint64_t most)
{
    uint64_t rsi = 0, sla = 0, sgpa = 0, n = UINT64_MAX;

    if (op == STR_MOVS) {
        rsi = eng_gpr_get(e, ENGINE_RSI, 8);
        sla = eng_linear(e, src_seg(in), rsi, sz);
        sgpa = eng_translate_any(e, sla, ACC_READ, false);
        if (sgpa >= e->ram_size)
            return 0;
        n = (0x1000 - (sla & 0xFFF)) / sz;
    }
    uint64_t rdi = eng_gpr_get(e, ENGINE_RDI, 8);
    uint64_t dla = eng_linear(e, ENGINE_ES, rdi, sz);
    uint64_t dgpa = eng_translate_any(e, dla, ACC_WRITE, false);
    uint64_t nd = (0x1000 - (dla & 0xFFF)) / sz;
    n = nd < n ? nd : n;
    n = most < n ? most : n;
    uint64_t bytes = n * sz;
    if (n == 0 || dgpa >= e->ram_size ||
        (op == STR_MOVS && dgpa > sgpa && dgpa < sgpa + bytes))
        return 0;
    uint8_t *d = e->ram + dgpa;
    if (op == STR_MOVS) {
        memmove(d, e->ram + sgpa, bytes);
        eng_gpr_set(e, ENGINE_RSI, 8, rsi + bytes);
    } else if (sz == 1) {
        memset(d, (int)(eng_gpr_get(e, ENGINE_RAX, 1)), bytes);
    } else {
        uint64_t v = eng_gpr_get(e, ENGINE_RAX, sz);
        for (uint64_t i = 0; i < n; i++)
            memcpy(d + i * sz, &v, sz);
    }
    eng_code_written(e, dgpa);
    eng_gpr_set(e, ENGINE_RDI, 8, rdi + bytes);
    eng_gpr_set(e, ENGINE_RCX, 8, eng_gpr_get(e, ENGINE_RCX, 8) - n);
    return n;
}

/* One iteration; returns the flags it set (CMPS, SCAS), else ~0. */
static uint64_t iterate(struct eng *e, const struct eng_insn *in,
                        enum str_op op, unsigned sz)
{
    struct engine_state *st = e->st;
    uint64_t v, fl = ~0ull;

    switch (op) {
    case STR_MOVS:
        v = eng_read(e, src_seg(in), addr_get(e, in, ENGINE_RSI), sz);
        eng_write(e, ENGINE_ES, addr_get(e, in, ENGINE_RDI), sz, v);
        addr_step(e, in, ENGINE_RSI, sz);
        addr_step(e, in, ENGINE_RDI, sz);
        break;
    case STR_STOS:
        eng_write(e, ENGINE_ES, addr_get(e, in, ENGINE_RDI), sz,
                  st->gpr[ENGINE_RAX]);
        addr_step(e, in, ENGINE_RDI, sz);
        break;
    case STR_LODS:
        v = eng_read(e, src_seg(in), addr_get(e, in, ENGINE_RSI), sz);
        eng_gpr_set(e, ENGINE_RAX, sz, v);
        addr_step(e, in, ENGINE_RSI, sz);
        break;
    case STR_CMPS: {
        uint64_t a = eng_read(e, src_seg(in), addr_get(e, in, ENGINE_RSI), sz);
        uint64_t b = eng_read(e, ENGINE_ES, addr_get(e, in, ENGINE_RDI), sz);
        fl = eng_flags_sub(a, b, 0, sz);
        addr_step(e, in, ENGINE_RSI, sz);
        addr_step(e, in, ENGINE_RDI, sz);
        break;
    }
    case STR_SCAS: {
        uint64_t b = eng_read(e, ENGINE_ES, addr_get(e, in, ENGINE_RDI), sz);
        fl = eng_flags_sub(eng_gpr_get(e, ENGINE_RAX, sz), b, 0, sz);
        addr_step(e, in, ENGINE_RDI, sz);
        break;
    }
    case STR_OUTS: {
        /* the memory read first: a fault there leaves the port alone */
        uint32_t out = (uint32_t)eng_read(e, src_seg(in),
                                          addr_get(e, in, ENGINE_RSI), sz);
        eng_port_io(e, (uint16_t)st->gpr[ENGINE_RDX], sz, false, &out);
        addr_step(e, in, ENGINE_RSI, sz);
        break;
    }
    }
    if (fl != ~0ull)
        eng_set_arith(e, fl);
    return fl;
}

/*
 * Without REP: one iteration. With REP: while the count (rCX, or ECX with
 * a 32-bit address size) is not zero, iterate and decrement it; REPE and
 * REPNE (CMPS, SCAS) also stop when ZF says so. Each iteration commits
 * its registers, so a fault leaves the instruction resumable.
 */
static void string_op(struct eng *e, const struct eng_insn *in,
                      enum str_op op)
{
    unsigned sz = elem_size(in);
    bool cond = op == STR_CMPS || op == STR_SCAS;
    bool at_once;

    if (!in->rep && !in->repne) {
        iterate(e, in, op, sz);
        return;
    }
    at_once = bulk_allowed(e, in, op);
    for (uint64_t n = 0;; n++) {
        uint64_t rcx = addr_get(e, in, ENGINE_RCX);
        if (rcx == 0)
            return;
        if (n == REP_SLICE)
            eng_handback(e, ENGINE_WHY_NONE); /* resume it next run */
        if (at_once) {
            uint64_t k = bulk(e, in, op, sz, rcx < REP_SLICE - n
                                                 ? rcx : REP_SLICE - n);
            if (k) {
                n += k - 1;
                continue;
            }
        }
        iterate(e, in, op, sz);
        eng_gpr_set(e, ENGINE_RCX, in->addrsize, rcx - 1);
        if (cond && in->rep && !(e->st->rflags & RFLAGS_ZF))
            return;
        if (cond && in->repne && (e->st->rflags & RFLAGS_ZF))
            return;
        if (addr_get(e, in, ENGINE_RCX) != 0)
            eng_debug_between(e); /* TF or a data breakpoint: #DB now */
        /* The caller asked to stop (the guest ended itself): stop between
         * iterations, with RIP still on the instruction, as an interrupt
         * would. */
        if (e->stop_after && addr_get(e, in, ENGINE_RCX) != 0)
            eng_handback(e, ENGINE_WHY_NONE);
    }
}

static void exec_movs(struct eng *e, const struct eng_insn *in) { string_op(e, in, STR_MOVS); }
static void exec_stos(struct eng *e, const struct eng_insn *in) { string_op(e, in, STR_STOS); }
static void exec_lods(struct eng *e, const struct eng_insn *in) { string_op(e, in, STR_LODS); }
static void exec_cmps(struct eng *e, const struct eng_insn *in) { string_op(e, in, STR_CMPS); }
static void exec_scas(struct eng *e, const struct eng_insn *in) { string_op(e, in, STR_SCAS); }
void eng_exec_outs(struct eng *e, const struct eng_insn *in) { string_op(e, in, STR_OUTS); }

eng_exec_fn eng_exec_string_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW:
    case ZYDIS_MNEMONIC_MOVSD: case ZYDIS_MNEMONIC_MOVSQ:
        return exec_movs;
    case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW:
    case ZYDIS_MNEMONIC_STOSD: case ZYDIS_MNEMONIC_STOSQ:
        return exec_stos;
    case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW:
    case ZYDIS_MNEMONIC_LODSD: case ZYDIS_MNEMONIC_LODSQ:
        return exec_lods;
    case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW:
    case ZYDIS_MNEMONIC_CMPSD: case ZYDIS_MNEMONIC_CMPSQ:
        return exec_cmps;
    case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW:
    case ZYDIS_MNEMONIC_SCASD: case ZYDIS_MNEMONIC_SCASQ:
        return exec_scas;
    default:
        return NULL;
    }
}
