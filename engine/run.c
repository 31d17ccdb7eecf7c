/* run.c: the engine's run loop: decode, execute, retire, deliver the faults instructions raise, and stop where KVM must take over. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

static const char *const why_names[] = {
    [ENGINE_WHY_NONE] = "none",
    [ENGINE_WHY_UNIMPLEMENTED] = "an instruction the engine does not run",
    [ENGINE_WHY_IO] = "port I/O",
    [ENGINE_WHY_MMIO] = "memory outside RAM",
    [ENGINE_WHY_MSR] = "an MSR the PMU model does not own",
    [ENGINE_WHY_SYSTEM] = "a system instruction the engine does not run",
    [ENGINE_WHY_EVENT] = "an exception through a descriptor it does not run",
    [ENGINE_WHY_MODE] = "a mode the engine does not run",
    [ENGINE_WHY_FEATURE] = "a control bit the engine does not model",
    [ENGINE_WHY_HALT] = "HLT, which waits for an interrupt",
};

const char *engine_why_name(enum engine_why why)
{
    return (unsigned)why < sizeof(why_names) / sizeof(why_names[0])
               ? why_names[why] : "unknown";
}

_Noreturn void eng_fault(struct eng *e, unsigned vec, bool has_err,
                         uint32_t err)
{
    e->fault_vec = (uint8_t)vec;
    e->fault_has_err = has_err;
    e->fault_err = err;
    e->fault_cr2_valid = false;
    longjmp(e->unwind, UNWIND_FAULT);
}

_Noreturn void eng_fault_pf(struct eng *e, uint64_t la, uint32_t err)
{
    e->fault_vec = VEC_PF;
    e->fault_has_err = true;
    e->fault_err = err;
    e->fault_cr2_valid = true;
    e->fault_cr2 = la;
    longjmp(e->unwind, UNWIND_FAULT);
}

_Noreturn void eng_handback(struct eng *e, enum engine_why why)
{
    e->why = why;
    longjmp(e->unwind, UNWIND_HANDBACK);
}

void eng_exec_unimplemented(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
}

eng_exec_fn eng_exec_for(ZydisMnemonic m)
{
    eng_exec_fn f;

    if ((f = eng_exec_xstate_for(m)) ||
        (f = eng_exec_tsx_for(m)) || (f = eng_exec_absent_for(m)) ||
        (f = eng_exec_alu_for(m)) || (f = eng_exec_bcd_for(m)) ||
        (f = eng_exec_bits_for(m)) ||
        (f = eng_exec_move_for(m)) || (f = eng_exec_branch_for(m)) ||
        (f = eng_exec_string_for(m)) || (f = eng_exec_system_for(m)) ||
        (f = eng_exec_syscall_for(m)) || (f = eng_exec_io_for(m)) ||
        (f = eng_exec_segcheck_for(m)))
        return f;
    return eng_exec_unimplemented;
}

struct engine *engine_create(uint8_t *ram, uint64_t ram_size,
                             const struct engine_ops *ops)
{
    /* the TLB keeps its fast bits in the low bits of a frame's address */
    if ((uintptr_t)ram & TLB_FAST_ALL)
        return NULL;
    struct eng *e = calloc(1, sizeof(*e));

    if (!e)
        return NULL;
    e->ram = ram;
    e->ram_size = ram_size;
    e->ops = *ops;
    e->ram_pages = (ram_size + 0xFFF) >> 12;
    e->tlb_tags = calloc(TLB_SLOTS, sizeof(*e->tlb_tags));
    e->tlb = calloc(TLB_SLOTS, sizeof(*e->tlb));
    e->tlb_walk = calloc(TLB_SLOTS, sizeof(*e->tlb_walk));
    e->icache = calloc(ICACHE_SLOTS, sizeof(*e->icache)); /* epoch 0: empty */
    e->icache_map = calloc(ICACHE_SLOTS, sizeof(*e->icache_map));
    e->page_gen = calloc(e->ram_pages, sizeof(*e->page_gen));
    e->code_page = calloc(e->ram_pages, 1);
    if (!e->tlb_tags || !e->tlb || !e->tlb_walk || !e->icache ||
        !e->icache_map || !e->page_gen || !e->code_page) {
        engine_destroy((struct engine *)e);
        return NULL;
    }
    if (!eng_trace_init(e)) {
        engine_destroy((struct engine *)e);
        return NULL;
    }
    eng_decode_init(e);
    engine_flush((struct engine *)e);
    return (struct engine *)e;
}

void engine_destroy(struct engine *ext)
{
    struct eng *e = (struct eng *)ext;

    if (!e)
        return;
    free(e->tlb_tags);
    free(e->tlb);
    free(e->tlb_walk);
    free(e->icache);
    free(e->icache_map);
    free(e->page_gen);
    free(e->code_page);
    eng_trace_free(e);
    free(e);
}

void engine_flush(struct engine *ext)
{
    struct eng *e = (struct eng *)ext;

    eng_tlb_flush(e);
    eng_icache_flush(e);
}

void engine_flush_tlb(struct engine *ext)
{
    eng_tlb_flush((struct eng *)ext);
}

void engine_pages_written(struct engine *ext, const uint64_t *bitmap)
{
    struct eng *e = (struct eng *)ext;

    for (uint64_t w = 0; w < (e->ram_pages + 63) / 64; w++)
        for (uint64_t bits = bitmap[w]; bits; bits &= bits - 1) {
            uint64_t pfn = w * 64 + (uint64_t)__builtin_ctzll(bits);
            eng_code_written(e, pfn << 12);
        }
}

void engine_page_written(struct engine *ext, uint64_t gpa)
{
    eng_code_written((struct eng *)ext, gpa);
}

uint64_t engine_retired_total(const struct engine *ext)
{
    return ((const struct eng *)ext)->retired_total;
}

/* Why the engine cannot run this state, or ENGINE_WHY_NONE. */
static enum engine_why state_check(const struct eng *e,
                                   const struct engine_state *st)
{
    if (e->ops.machine)
        return eng_machine_state_check(st);
    if (!(st->efer & EFER_LMA) || !(st->cr0 & CR0_PG) ||
        !st->seg[ENGINE_CS].l)
        return ENGINE_WHY_MODE;
    if ((st->rflags & RFLAGS_VM) ||
        (st->cr4 & (CR4_LA57 | CR4_PKE | CR4_CET)))
        return ENGINE_WHY_FEATURE;
    return ENGINE_WHY_NONE;
}

static bool flushes_tlb(const struct eng *e, const struct eng_insn *in)
{
    const struct eng_opnd *dst = &in->op[0], *src = &in->op[1];

    if (in->mnemonic == ZYDIS_MNEMONIC_INVLPG ||
        in->mnemonic == ZYDIS_MNEMONIC_INVPCID)
        return true;
    if (in->mnemonic != ZYDIS_MNEMONIC_MOV || in->nopnd < 2 ||
        dst->type != OPND_REG || dst->regkind != REGK_CR)
        return false;
    if (dst->reg != 3)
        return dst->reg == 0 || dst->reg == 4;
    return src->type != OPND_REG ||
           eng_cr3_write_flushes(e, e->st->gpr[src->reg]);
}

/* A hand-back's description of the instruction at RIP, decoded again
 * outside the run (a fault while fetching it leaves it empty). */
static void describe(struct eng *e, struct engine_exit *out)
{
    uint8_t code[15];
    uint64_t gpa;
    struct eng_insn in;
    volatile size_t n = 0;

    if (setjmp(e->unwind) == 0) {
        uint64_t la = eng_code_la(e, e->st->rip);
        n = eng_fetch(e, la, code, sizeof(code), &gpa);
        if (n < sizeof(code))
            n += eng_fetch(e, la + n, code + n, sizeof(code) - n, &gpa);
    }
    if (n == 0 || !eng_decode_bytes(e, code, n, &in))
        return;
    out->length = in.length;
    out->cls = (enum engine_class)in.cls;
    out->relative = in.cls >= ENGINE_CLASS_JCC &&
                    in.cls <= ENGINE_CLASS_CALL_INDIRECT &&
                    in.nopnd > 0 && in.op[0].type == OPND_IMM;
    out->rel = out->relative ? (int64_t)in.op[0].imm : 0;
    out->flushes_tlb = flushes_tlb(e, &in);
    strncpy(out->mnemonic, ZydisMnemonicGetString((ZydisMnemonic)in.mnemonic),
            sizeof(out->mnemonic) - 1);
}

/* One instruction: decode, execute, then make its results the state. */
static void step(struct eng *e)
{
    struct engine_state *st = e->st;
    unsigned cpl = eng_cpl(e);

    e->insn_rip = st->rip;
    e->room_left = 0; /* ops->retire may change what the room was */
    e->tf_start = (st->rflags & RFLAGS_TF) != 0;
    e->bp_hits = 0;
    e->ss_load = false;
    if (eng_debug_fetch(e))
        return;
    const struct eng_insn *in = eng_decode_at_rip(e);
    e->next_rip = st->rip + in->length;
    if (!eng_mode64(e)) {
        /* EIP wraps at 4 GiB; the whole instruction lies within CS's
         * limit (SDM 5.3) */
        if (e->next_rip - 1 > st->seg[ENGINE_CS].limit)
            eng_gp0(e);
        e->next_rip &= 0xFFFFFFFFull;
    }
    e->insn_lock = in->lock;
    e->halted = false;
    e->mode_changed = false;
    e->branch_taken = false;
    e->tx_abort = false;
    e->shadow_next = false;
    e->batched = 0;
    in->exec(e, in);
    eng_flags_sync(e); /* a fast handler's, made whole for what follows */
    if (e->batched) {
        /* Retired (batched) times through ops->retire_repeat, which
         * counted them; RIP stays for the rest. */
        st->interrupt_shadow = false;
        st->rflags &= ~RFLAGS_RF;
        e->run_retired += e->batched;
        e->count += e->batched - 1; /* engine_run() adds the last */
        return;
    }
    st->rip = e->next_rip;
    st->interrupt_shadow = e->shadow_next;
    if (in->mnemonic != ZYDIS_MNEMONIC_IRETQ &&
        in->mnemonic != ZYDIS_MNEMONIC_IRETD &&
        in->mnemonic != ZYDIS_MNEMONIC_IRET)
        st->rflags &= ~RFLAGS_RF;
    e->run_retired++;
    const struct pmu_insn r = {
        .addr = e->insn_rip,
        .next = st->rip,
        .length = in->length,
        .cls = (enum engine_class)in->cls,
        .taken = st->rip != e->insn_rip + in->length,
        .mem_read = in->mem_read,
        .mem_write = in->mem_write,
        .cpl = cpl,
        .tx_abort = e->tx_abort,
    };
    if (e->ops.retire(e->ops.ctx, &r))
        e->stop_after = true;
    eng_debug_after(e, in);
}

void engine_run(struct engine *ext, struct engine_state *st, uint64_t budget,
                struct engine_exit *out)
{
    struct eng *e = (struct eng *)ext;

    memset(out, 0, sizeof(*out));
    e->st = st;
    e->budget = budget;
    e->count = 0;
    e->run_retired = 0;
    e->halted = e->mode_changed = e->flushed_tlb = false;
    eng_caller_wants_update(e);
    out->why = state_check(e, st);
    if (out->why != ENGINE_WHY_NONE) {
        out->stop = ENGINE_STOP_STATE;
        return;
    }
    /* A #DB held past a MOV SS belongs to the instruction after it, only
     * if this run starts there, in its shadow (KVM may have run it). */
    if (e->db_held && (st->rip != e->db_held_rip || !st->interrupt_shadow))
        e->db_held = false;
    e->trace_cur = NULL;
    e->room_left = 0;
    e->plain_open = false;
    e->lazy.op = LAZY_NONE; /* the state's RFLAGS is the truth */
    switch (setjmp(e->unwind)) {
    case UNWIND_NONE:
        break;
    case UNWIND_FAULT:
        /* The instruction at insn_rip faulted: nothing of it retired
         * (those of its trace before it did, and their flags stand). */
        eng_traces_left(e);
        eng_trace_unwound(e);
        st->rip = e->insn_rip;
        if (e->fault_cr2_valid)
            st->cr2 = e->fault_cr2;
        eng_deliver_fault(e, e->fault_vec, e->fault_has_err, e->fault_err);
        eng_debug_after_event(e); /* a #DB a MOV SS held: now */
        st->interrupt_shadow = false;
        e->count++; /* a handler that faults again must not spin here */
        if ((out->why = state_check(e, st)) != ENGINE_WHY_NONE) {
            out->stop = ENGINE_STOP_STATE;
            goto done;
        }
        break;
    case UNWIND_REP_DB:
        /* between two iterations: RIP on the instruction, its #DB */
        eng_traces_left(e);
        st->rip = e->insn_rip;
        eng_deliver_rep_db(e);
        st->interrupt_shadow = false;
        e->count++;
        if ((out->why = state_check(e, st)) != ENGINE_WHY_NONE) {
            out->stop = ENGINE_STOP_STATE;
            goto done;
        }
        break;
    case UNWIND_SHUTDOWN:
        eng_traces_left(e);
        out->stop = ENGINE_STOP_SHUTDOWN;
        goto done;
    default: /* UNWIND_HANDBACK */
        eng_traces_left(e);
        eng_trace_unwound(e);
        st->rip = e->insn_rip;
        if (e->why == ENGINE_WHY_NONE) {
            /* a REP slice, stopped between iterations: an interrupt
             * taken here pushes RF set, as the SDM has it for one that
             * arrives after any iteration but the last (Vol. 3,
             * 18.3.1.1), and the REP resumes past its instruction
             * breakpoint */
            st->rflags |= RFLAGS_RF;
            out->stop = ENGINE_STOP_BUDGET;
        } else {
            out->stop = ENGINE_STOP_HANDBACK;
            out->why = e->why;
            describe(e, out);
        }
        goto done;
    }
    while (e->count < e->budget) {
        e->stop_after = false;
        if (eng_trace_run(e)) {
            if (e->stop_after) {
                out->stop = ENGINE_STOP_RETIRE;
                goto done;
            }
            continue;
        }
        step(e);
        e->count++;
        if (e->halted) {
            out->stop = ENGINE_STOP_HALT;
            goto done;
        }
        if (e->mode_changed &&
            (out->why = state_check(e, st)) != ENGINE_WHY_NONE) {
            out->stop = ENGINE_STOP_STATE;
            goto done;
        }
        if (e->stop_after) {
            out->stop = ENGINE_STOP_RETIRE;
            goto done;
        }
    }
    out->stop = ENGINE_STOP_BUDGET;
done:
    out->retired = e->run_retired;
    out->flushed_tlb = e->flushed_tlb;
    e->retired_total += e->run_retired; /* kept per run, not per retirement */
}
