/* exec_move.c: the engine's data movement: MOV and its extensions, LEA, XCHG/XADD/CMPXCHG, the stack (PUSH, POP, PUSHF, POPF, ENTER, LEAVE), fences and hints. */
#include "engine/engine_internal.h"

#define DST (&in->op[0])
#define SRC (&in->op[1])

static void exec_mov(struct eng *e, const struct eng_insn *in)
{
    if (SRC->type == OPND_REG && SRC->regkind == REGK_SEG) {
        /* MOV r/m, Sreg: the selector (zero-extended into a register) */
        uint64_t sel = e->st->seg[SRC->reg].selector;
        if (DST->type == OPND_MEM) {
            struct eng_opnd d = *DST;
            d.size = 2;
            eng_opnd_write(e, in, &d, sel);
        } else {
            eng_opnd_write(e, in, DST, sel);
        }
        return;
    }
    if (DST->regkind != REGK_GPR || SRC->regkind != REGK_GPR) {
        eng_exec_mov_special(e, in); /* MOV Sreg, CRn, DRn */
        return;
    }
    eng_opnd_write(e, in, DST, eng_opnd_read(e, in, SRC));
}

static void exec_movzx(struct eng *e, const struct eng_insn *in)
{
    eng_opnd_write(e, in, DST, eng_opnd_read(e, in, SRC) & eng_mask(SRC->size));
}

static void exec_movsx(struct eng *e, const struct eng_insn *in)
{
    eng_opnd_write(e, in, DST, eng_sext(eng_opnd_read(e, in, SRC) &
                                        eng_mask(SRC->size), SRC->size));
}

static void exec_lea(struct eng *e, const struct eng_insn *in)
{
    eng_opnd_write(e, in, DST, eng_ea(e, in, SRC));
}

/* XCHG: with memory it is locked, which one vCPU cannot tell. */
static void exec_xchg(struct eng *e, const struct eng_insn *in)
{
    uint64_t a = eng_opnd_read(e, in, DST), b = eng_opnd_read(e, in, SRC);

    if (DST->type == OPND_MEM) {
        eng_opnd_write(e, in, DST, b);
        eng_opnd_write(e, in, SRC, a);
    } else {
        eng_opnd_write(e, in, SRC, a);
        eng_opnd_write(e, in, DST, b);
    }
}

static void exec_xadd(struct eng *e, const struct eng_insn *in)
{
    unsigned sz = in->opsize;
    uint64_t d = eng_opnd_read(e, in, DST), s = eng_opnd_read(e, in, SRC);

    /* A memory destination first (it may fault); with one register for
     * both, DEST's sum is what stays, so SRC goes first then. */
    if (DST->type == OPND_MEM) {
        eng_opnd_write(e, in, DST, (d + s) & eng_mask(sz));
        eng_opnd_write(e, in, SRC, d);
    } else {
        eng_opnd_write(e, in, SRC, d);
        eng_opnd_write(e, in, DST, (d + s) & eng_mask(sz));
    }
    eng_set_arith(e, eng_flags_add(d, s, 0, sz));
}

/* CMPXCHG: flags as CMP rAX, dst. A memory destination is written either
 * way (with its own value when they differ, SDM CMPXCHG); a register one
 * is left alone then, its upper half too (as the CPUs do). */
static void exec_cmpxchg(struct eng *e, const struct eng_insn *in)
{
    unsigned sz = in->opsize;
    uint64_t acc = eng_gpr_get(e, ENGINE_RAX, sz);
    uint64_t d = eng_opnd_read(e, in, DST) & eng_mask(sz);
    uint64_t fl = eng_flags_sub(acc, d, 0, sz);

    if (acc == d) {
        eng_opnd_write(e, in, DST, eng_opnd_read(e, in, SRC));
    } else {
        if (DST->type == OPND_MEM)
            eng_opnd_write(e, in, DST, d);
        eng_gpr_set(e, ENGINE_RAX, sz, d);
    }
    eng_set_arith(e, fl);
}

/* CMPXCHG8B and CMPXCHG16B (SDM CMPXCHG8B/CMPXCHG16B): EDX:EAX (RDX:RAX)
 * against the memory operand; equal, ZF set and the operand takes ECX:EBX
 * (RCX:RBX); else ZF clear and EDX:EAX (RDX:RAX) take the operand, which
 * is written back unchanged. No other flag changes. CMPXCHG16B's operand
 * must be 16-byte aligned (#GP(0)); each needs its CPUID bit (#UD). */
static void exec_cmpxchg_pair(struct eng *e, const struct eng_insn *in)
{
    bool wide = in->mnemonic == ZYDIS_MNEMONIC_CMPXCHG16B;
    unsigned half = wide ? 8 : 4;

    if (DST->type != OPND_MEM || !eng_has(e, wide ? FEAT_CX16 : FEAT_CX8))
        eng_fault(e, VEC_UD, false, 0);
    uint64_t off = eng_ea(e, in, DST);
    if (wide && (eng_linear(e, DST->seg, off, 16) & 15))
        eng_gp0(e);
    /* CMPXCHG8B's operand is read and written whole, as it may cross a
     * page: nothing is written unless both pages take the write. */
    uint64_t lo, hi;
    if (wide) {
        lo = eng_read(e, DST->seg, off, 8);
        hi = eng_read(e, DST->seg, off + 8, 8);
    } else {
        uint64_t v = eng_read(e, DST->seg, off, 8);
        lo = (uint32_t)v;
        hi = v >> 32;
    }
    bool equal = lo == eng_gpr_get(e, ENGINE_RAX, half) &&
                 hi == eng_gpr_get(e, ENGINE_RDX, half);
    uint64_t nlo = equal ? eng_gpr_get(e, ENGINE_RBX, half) : lo;
    uint64_t nhi = equal ? eng_gpr_get(e, ENGINE_RCX, half) : hi;

    if (wide) {
        eng_write(e, DST->seg, off, 8, nlo);
        eng_write(e, DST->seg, off + 8, 8, nhi);
    } else {
        eng_write(e, DST->seg, off, 8, nlo | nhi << 32);
    }
    if (!equal) {
        eng_gpr_set(e, ENGINE_RAX, half, lo);
        eng_gpr_set(e, ENGINE_RDX, half, hi);
    }
    e->st->rflags = (e->st->rflags & ~RFLAGS_ZF) | (equal ? RFLAGS_ZF : 0);
}

/* PUSH: an immediate is sign-extended to the operand size; "PUSH rSP"
 * pushes the value before the push. */
static void exec_push(struct eng *e, const struct eng_insn *in)
{
    if (DST->type == OPND_REG && DST->regkind != REGK_GPR) {
        if (!e->ops.machine || DST->regkind != REGK_SEG)
            eng_handback(e, ENGINE_WHY_SYSTEM); /* PUSH FS/GS */
        /* A segment register: recent processors write just the selector,
         * the stack pointer moving by the operand size (SDM PUSH). */
        uint64_t rsp = (eng_sp(e) - in->opsize) &
                       eng_mask(eng_stack_width(e));
        eng_write(e, ENGINE_SS, rsp, 2, e->st->seg[DST->reg].selector);
        eng_sp_set(e, rsp);
        return;
    }
    eng_push(e, in->opsize, eng_opnd_read(e, in, DST));
}

/* POP: a destination addressed through rSP is computed after the
 * increment (SDM POP). RSP changes only once the write succeeded. */
static void exec_pop(struct eng *e, const struct eng_insn *in)
{
    unsigned sz = in->opsize;
    uint64_t full = e->st->gpr[ENGINE_RSP], rsp = eng_sp(e);
    uint64_t v = eng_read(e, ENGINE_SS, rsp, sz);

    if (DST->type == OPND_REG && DST->regkind != REGK_GPR) {
        if (!e->ops.machine || DST->regkind != REGK_SEG)
            eng_handback(e, ENGINE_WHY_SYSTEM); /* POP FS/GS */
        eng_load_sreg(e, DST->reg, (uint16_t)v);
        eng_sp_set(e, rsp + sz);
        if (DST->reg == ENGINE_SS)
            e->shadow_next = e->ss_load = true;
        return;
    }
    if (DST->type == OPND_MEM) {
        eng_sp_set(e, rsp + sz);
        uint64_t ea = eng_ea(e, in, DST);
        e->st->gpr[ENGINE_RSP] = full;
        eng_write(e, DST->seg, ea, sz, v);
        eng_sp_set(e, rsp + sz);
        return;
    }
    eng_sp_set(e, rsp + sz);
    eng_opnd_write(e, in, DST, v); /* POP rSP loads the popped value */
}

/* PUSHF: RFLAGS with VM and RF clear. */
static void exec_pushf(struct eng *e, const struct eng_insn *in)
{
    eng_push(e, in->opsize, e->st->rflags & ~(RFLAGS_VM | RFLAGS_RF));
}

/*
 * POPF (SDM POPF, 64-bit mode): at CPL 0 every flag but VM, VIF, VIP
 * (kept) and RF (cleared); IOPL only at CPL 0; IF only when CPL <= IOPL.
 * Setting TF makes the next instruction trap, which the engine does not
 * model: it stops after POPF (the state then says TF).
 */
static void exec_popf(struct eng *e, const struct eng_insn *in)
{
    unsigned sz = in->opsize, cpl = eng_cpl(e);
    uint64_t old = e->st->rflags, v = eng_pop(e, sz);
    uint64_t mask = RFLAGS_ARITH | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC | RFLAGS_ID;

    if (cpl == 0)
        mask |= RFLAGS_IOPL;
    if (cpl <= ((old & RFLAGS_IOPL) >> 12))
        mask |= RFLAGS_IF;
    if (sz == 2)
        mask &= 0xFFFF;
    e->st->rflags = (old & ~mask & ~RFLAGS_RF) | (v & mask) | RFLAGS_FIXED1;
    /* IF newly set: the VMM may have an interrupt to deliver: stop. (TF
     * is the engine's own to honour, debug.c.) */
    if (e->st->rflags & ~old & RFLAGS_IF)
        e->stop_after = true;
}

/* ENTER size, level (SDM ENTER, 64-bit operand size). */
static void exec_enter(struct eng *e, const struct eng_insn *in)
{
    unsigned sz = in->opsize, level = (unsigned)(SRC->imm & 31);
    uint64_t size = DST->imm & 0xFFFF;
    struct engine_state *st = e->st;

    if (!eng_mode64(e))
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED); /* 32-bit frames */
    uint64_t rsp = st->gpr[ENGINE_RSP], rbp = st->gpr[ENGINE_RBP];

    rsp -= sz;
    eng_write(e, ENGINE_SS, rsp, sz, rbp);
    uint64_t frame = rsp;
    for (unsigned i = 1; i < level; i++) {
        rbp -= sz;
        uint64_t v = eng_read(e, ENGINE_SS, rbp, sz);
        rsp -= sz;
        eng_write(e, ENGINE_SS, rsp, sz, v);
    }
    if (level) {
        rsp -= sz;
        eng_write(e, ENGINE_SS, rsp, sz, frame);
    }
    /* the final frame must be writable too (SDM: #PF before any change) */
    rsp -= size;
    if (size)
        eng_linear(e, ENGINE_SS, rsp, 1);
    eng_gpr_set(e, ENGINE_RBP, sz, frame);
    st->gpr[ENGINE_RSP] = rsp;
}

static void exec_leave(struct eng *e, const struct eng_insn *in)
{
    unsigned sz = in->opsize;
    uint64_t rbp = eng_gpr_get(e, ENGINE_RBP, eng_stack_width(e));
    uint64_t v = eng_read(e, ENGINE_SS, rbp, sz);

    eng_sp_set(e, rbp + sz);
    eng_gpr_set(e, ENGINE_RBP, sz, v);
}

/* NOP (any form), PAUSE, fences and prefetches: nothing architectural. */
static void exec_nop(struct eng *e, const struct eng_insn *in)
{
    (void)e;
    (void)in;
}

/* CLFLUSH, CLFLUSHOPT, CLWB: the line's address is translated as a read
 * (a #PF like a load's), and the cache model hears of it. */
static void exec_clflush(struct eng *e, const struct eng_insn *in)
{
    uint64_t la = eng_linear(e, DST->seg, eng_ea(e, in, DST), 1);
    uint64_t gpa = eng_translate(e, la, ACC_READ, false);

    if (e->log_mem)
        e->ops.mem_access(e->ops.ctx, gpa, ENGINE_MEM_FLUSH);
}

eng_exec_fn eng_exec_move_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_MOV: return exec_mov;
    case ZYDIS_MNEMONIC_MOVZX: return exec_movzx;
    case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_MOVSXD: return exec_movsx;
    case ZYDIS_MNEMONIC_LEA: return exec_lea;
    case ZYDIS_MNEMONIC_XCHG: return exec_xchg;
    case ZYDIS_MNEMONIC_XADD: return exec_xadd;
    case ZYDIS_MNEMONIC_CMPXCHG: return exec_cmpxchg;
    case ZYDIS_MNEMONIC_CMPXCHG8B: case ZYDIS_MNEMONIC_CMPXCHG16B:
        return exec_cmpxchg_pair;
    case ZYDIS_MNEMONIC_PUSH: return exec_push;
    case ZYDIS_MNEMONIC_POP: return exec_pop;
    case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD:
    case ZYDIS_MNEMONIC_PUSHFQ: return exec_pushf;
    case ZYDIS_MNEMONIC_POPF: case ZYDIS_MNEMONIC_POPFD:
    case ZYDIS_MNEMONIC_POPFQ: return exec_popf;
    case ZYDIS_MNEMONIC_ENTER: return exec_enter;
    case ZYDIS_MNEMONIC_LEAVE: return exec_leave;
    case ZYDIS_MNEMONIC_NOP: case ZYDIS_MNEMONIC_PAUSE:
    case ZYDIS_MNEMONIC_MFENCE: case ZYDIS_MNEMONIC_LFENCE:
    case ZYDIS_MNEMONIC_SFENCE: case ZYDIS_MNEMONIC_PREFETCHT0:
    case ZYDIS_MNEMONIC_PREFETCHT1: case ZYDIS_MNEMONIC_PREFETCHT2:
    case ZYDIS_MNEMONIC_PREFETCHNTA: case ZYDIS_MNEMONIC_PREFETCHW:
    case ZYDIS_MNEMONIC_ENDBR64:
        return exec_nop;
    case ZYDIS_MNEMONIC_CLFLUSH: case ZYDIS_MNEMONIC_CLFLUSHOPT:
    case ZYDIS_MNEMONIC_CLWB:
        return exec_clflush;
    default:
        return NULL;
    }
}
