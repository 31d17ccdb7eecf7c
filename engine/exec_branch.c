/* exec_branch.c: the engine's near control transfers: JMP, Jcc, JrCXZ, LOOP, CALL and RET. */
#include "engine/engine_internal.h"

#define DST (&in->op[0])

/* A target truncated to the operand size: 16 bits with 66h, 32 bits in
 * 32-bit code (SDM JMP: EIP <- tempEIP AND 0000FFFFH). */
static uint64_t masked(const struct eng *e, const struct eng_insn *in,
                       uint64_t target)
{
    if (in->opsize == 2)
        return target & 0xFFFF;
    return eng_mode64(e) ? target : target & 0xFFFFFFFFull;
}

/* A near branch to (target): non-canonical targets (beyond CS's limit in
 * 32-bit code) #GP at the branch (Intel; SDM JMP). */
static void branch_to(struct eng *e, const struct eng_insn *in,
                      uint64_t target)
{
    target = masked(e, in, target);
    eng_check_target(e, target);
    e->next_rip = target;
    e->branch_taken = true;
}

/* The target of a relative or absolute (register, memory) operand. */
static uint64_t target_of(struct eng *e, const struct eng_insn *in)
{
    if (DST->type == OPND_IMM)
        return e->next_rip + DST->imm;
    return eng_opnd_read(e, in, DST);
}

/* Far JMP, CALL and RET are machine mode's (exec_far.c). */
static void far_transfer(struct eng *e, const struct eng_insn *in)
{
    if (!e->ops.machine)
        eng_handback(e, ENGINE_WHY_SYSTEM);
    eng_exec_far(e, in);
}

static void exec_jmp(struct eng *e, const struct eng_insn *in)
{
    if (in->cls == ENGINE_CLASS_FAR) {
        far_transfer(e, in);
        return;
    }
    branch_to(e, in, target_of(e, in));
}

static void exec_jcc(struct eng *e, const struct eng_insn *in)
{
    if (eng_cond(e->st->rflags, in->cc))
        branch_to(e, in, e->next_rip + DST->imm);
}

static uint64_t count_reg(struct eng *e, const struct eng_insn *in)
{
    return eng_gpr_get(e, ENGINE_RCX, in->addrsize);
}

static void exec_jrcxz(struct eng *e, const struct eng_insn *in)
{
    if (count_reg(e, in) == 0)
        branch_to(e, in, e->next_rip + DST->imm);
}

/*
 * A LOOP to itself ("loop ." in a delay, kvm-unit-tests' billion) with
 * rCX = c0 jumps c0 - 1 times, nothing else changing in between: all but
 * the last jump retire at once through ops->retire_repeat, which counts
 * them as that many single retirements (pmu_retire_repeat). The last jump
 * and the fall-through run as usual. False: run this one as usual.
 */
static bool loop_batch(struct eng *e, const struct eng_insn *in, uint64_t c0)
{
    uint64_t room = e->budget - e->count, n = c0 - 2, done = 0;

    /* Under TF or a breakpoint each iteration is its own #DB's. */
    if (!e->ops.retire_repeat || c0 < 3 || e->tf_start ||
        (e->st->dr7 & DR7_ENABLES) ||
        e->next_rip + DST->imm != e->insn_rip)
        return false;
    if (n > room)
        n = room;
    const struct pmu_insn r = {
        .addr = e->insn_rip, .next = e->insn_rip, .length = in->length,
        .cls = (enum engine_class)in->cls, .taken = true,
        .cpl = eng_cpl(e),
    };
    if (e->ops.retire_repeat(e->ops.ctx, &r, n, &done))
        e->stop_after = true;
    if (done == 0 || done > n)
        return false;
    eng_gpr_set(e, ENGINE_RCX, in->addrsize, c0 - done);
    e->next_rip = e->insn_rip;
    e->batched = done;
    return true;
}

/* LOOP/LOOPE/LOOPNE: rCX (ECX with a 32-bit address size) decrements
 * first; the flags do not change. */
static void loop(struct eng *e, const struct eng_insn *in, int zf_want)
{
    uint64_t c0 = count_reg(e, in) & eng_mask(in->addrsize);
    uint64_t c = (c0 - 1) & eng_mask(in->addrsize);
    bool zf = e->st->rflags & RFLAGS_ZF;

    if ((zf_want < 0 || zf == (bool)zf_want) && loop_batch(e, in, c0))
        return;

    /* the target is checked before anything changes */
    uint64_t target = e->next_rip + DST->imm;
    bool jump = c != 0 && (zf_want < 0 || zf == (bool)zf_want);
    if (jump)
        eng_check_target(e, masked(e, in, target));
    eng_gpr_set(e, ENGINE_RCX, in->addrsize, c);
    if (jump)
        branch_to(e, in, target);
}

static void exec_loop(struct eng *e, const struct eng_insn *in) { loop(e, in, -1); }
static void exec_loope(struct eng *e, const struct eng_insn *in) { loop(e, in, 1); }
static void exec_loopne(struct eng *e, const struct eng_insn *in) { loop(e, in, 0); }

/* CALL: the target is read and checked before the push (a fault then
 * leaves RSP alone); the return address is the next instruction's. */
static void exec_call(struct eng *e, const struct eng_insn *in)
{
    if (in->cls == ENGINE_CLASS_FAR) {
        far_transfer(e, in);
        return;
    }
    uint64_t target = masked(e, in, target_of(e, in));
    eng_check_target(e, target);
    eng_push(e, in->opsize == 2 ? 2 : eng_mode64(e) ? 8 : 4, e->next_rip);
    branch_to(e, in, target);
}

/* RET [imm16]: pops the target, then releases imm16 more bytes. */
static void exec_ret(struct eng *e, const struct eng_insn *in)
{
    if (in->cls == ENGINE_CLASS_FAR) {
        far_transfer(e, in);
        return;
    }
    unsigned sz = in->opsize == 2 ? 2 : eng_mode64(e) ? 8 : 4;
    uint64_t rsp = eng_sp(e);
    uint64_t target = eng_read(e, ENGINE_SS, rsp, sz);
    uint64_t extra = in->nopnd && DST->type == OPND_IMM ? DST->imm & 0xFFFF
                                                        : 0;

    eng_check_target(e, target);
    eng_sp_set(e, rsp + sz + extra);
    e->next_rip = target;
    e->branch_taken = true;
}

eng_exec_fn eng_exec_branch_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_JMP: return exec_jmp;
    /* JCXZ: 67h in 32-bit code, CX the count (SDM Vol. 2A "Jcc") */
    case ZYDIS_MNEMONIC_JRCXZ: case ZYDIS_MNEMONIC_JECXZ:
    case ZYDIS_MNEMONIC_JCXZ: return exec_jrcxz;
    case ZYDIS_MNEMONIC_LOOP: return exec_loop;
    case ZYDIS_MNEMONIC_LOOPE: return exec_loope;
    case ZYDIS_MNEMONIC_LOOPNE: return exec_loopne;
    case ZYDIS_MNEMONIC_CALL: return exec_call;
    case ZYDIS_MNEMONIC_RET: return exec_ret;
    default:
        return eng_cc_kind(m) == CC_JCC ? exec_jcc : NULL;
    }
}
