/* exec_tsx.c: the engine's RTM instructions: XBEGIN's transaction aborts at once, as any transaction may, so XEND, XABORT and XTEST always run outside one. */
#include "engine/engine_internal.h"

#define DST (&in->op[0])

/* #UD unless the guest's CPUID offers RTM (or, for XTEST, HLE). */
static void need(struct eng *e, bool hle_will_do)
{
    if (!eng_has(e, FEAT_RTM) && !(hle_will_do && eng_has(e, FEAT_HLE)))
        eng_fault(e, VEC_UD, false, 0);
}

/*
 * XBEGIN: the SDM lets a transaction abort at any time, for reasons it
 * need not give; pmvm's begin none. So this one aborts at once: no
 * instruction runs in it, EAX takes the abort status 0 (no reason, no
 * retry hint), and execution goes on at the fallback address. The
 * instruction is reported as one that began a transaction which aborted
 * (docs/counting.md, "Transactions").
 */
static void exec_xbegin(struct eng *e, const struct eng_insn *in)
{
    need(e, false);
    uint64_t target = e->next_rip + DST->imm;

    if (in->opsize == 2)
        target &= 0xFFFF;
    else if (!eng_mode64(e))
        target &= 0xFFFFFFFFull; /* 32-bit code (machine mode) */
    eng_check_target(e, target);
    e->st->gpr[ENGINE_RAX] = 0;
    e->next_rip = target;
    e->branch_taken = target != e->insn_rip + in->length;
    e->tx_abort = true;
}

/* XEND outside a transaction: #GP(0). */
static void exec_xend(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    need(e, false);
    eng_gp0(e);
}

/* XABORT outside a transaction: a NOP. */
static void exec_xabort(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    need(e, false);
}

/* XTEST: ZF = 1, not in a transaction; CF, OF, SF, PF, AF cleared. */
static void exec_xtest(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    need(e, true);
    e->st->rflags = (e->st->rflags & ~RFLAGS_ARITH) | RFLAGS_ZF;
}

eng_exec_fn eng_exec_tsx_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_XBEGIN: return exec_xbegin;
    case ZYDIS_MNEMONIC_XEND: return exec_xend;
    case ZYDIS_MNEMONIC_XABORT: return exec_xabort;
    case ZYDIS_MNEMONIC_XTEST: return exec_xtest;
    default: return NULL;
    }
}
