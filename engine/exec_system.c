/* exec_system.c: the engine's system instructions: CPUID, RDMSR/WRMSR and RDPMC through the caller, RDTSC and kin, CLI/STI, INT n, IRETQ, reads of control registers; the rest go back to KVM, or in machine mode to exec_cr.c and exec_desc.c (fast system calls: exec_syscall.c; port I/O: exec_io.c). */
#include "engine/engine_internal.h"

#define DST (&in->op[0])
#define SRC (&in->op[1])

#define MSR_TSC_AUX 0xC0000103u

static void set_edx_eax(struct eng *e, uint64_t v)
{
    e->st->gpr[ENGINE_RAX] = (uint32_t)v;
    e->st->gpr[ENGINE_RDX] = v >> 32;
}

static uint64_t edx_eax(const struct eng *e)
{
    return (uint32_t)e->st->gpr[ENGINE_RAX] |
           (uint64_t)(uint32_t)e->st->gpr[ENGINE_RDX] << 32;
}

/* CPUID answers at any CPL as at CPL0 (the architecture; a nested PVM
 * host gets CPL3 wrong, host-kvm-facts 5). */
static void exec_cpuid(struct eng *e, const struct eng_insn *in)
{
    uint32_t r[4];

    (void)in;
    if (!e->ops.cpuid ||
        e->ops.cpuid(e->ops.ctx, (uint32_t)e->st->gpr[ENGINE_RAX],
                     (uint32_t)e->st->gpr[ENGINE_RCX], r) != ENGINE_OK)
        eng_handback(e, ENGINE_WHY_SYSTEM);
    e->st->gpr[ENGINE_RAX] = r[0];
    e->st->gpr[ENGINE_RBX] = r[1];
    e->st->gpr[ENGINE_RCX] = r[2];
    e->st->gpr[ENGINE_RDX] = r[3];
}

static void exec_rdmsr(struct eng *e, const struct eng_insn *in)
{
    uint64_t v;

    (void)in;
    eng_need_cpl0(e);
    if (e->ops.machine &&
        eng_state_rdmsr(e, (uint32_t)e->st->gpr[ENGINE_RCX], &v)) {
        set_edx_eax(e, v);
        return;
    }
    switch (e->ops.rdmsr(e->ops.ctx, (uint32_t)e->st->gpr[ENGINE_RCX], &v)) {
    case ENGINE_OK: set_edx_eax(e, v); return;
    case ENGINE_GP: eng_gp0(e);
    default: eng_handback(e, ENGINE_WHY_MSR);
    }
}

static void exec_wrmsr(struct eng *e, const struct eng_insn *in)
{
    bool stop = false;

    (void)in;
    eng_need_cpl0(e);
    if (e->ops.machine &&
        eng_state_wrmsr(e, (uint32_t)e->st->gpr[ENGINE_RCX], edx_eax(e)))
        return;
    switch (e->ops.wrmsr(e->ops.ctx, (uint32_t)e->st->gpr[ENGINE_RCX],
                         edx_eax(e), &stop)) {
    case ENGINE_OK:
        e->stop_after |= stop;
        eng_caller_wants_update(e); /* counting may have started or stopped */
        return;
    case ENGINE_GP: eng_gp0(e);
    default: eng_handback(e, ENGINE_WHY_MSR);
    }
}

static void exec_rdpmc(struct eng *e, const struct eng_insn *in)
{
    uint64_t v;

    (void)in;
    switch (e->ops.rdpmc(e->ops.ctx, (uint32_t)e->st->gpr[ENGINE_RCX],
                         eng_cpl(e), (e->st->cr0 & CR0_PE) != 0,
                         (e->st->cr4 & CR4_PCE) != 0, &v)) {
    case ENGINE_OK: set_edx_eax(e, v); return;
    case ENGINE_GP: eng_gp0(e);
    default: eng_handback(e, ENGINE_WHY_MSR);
    }
}

/* RDTSC: #GP(0) at CPL > 0 with CR4.TSD (SDM RDTSC); the value is the
 * caller's (pmvm's clock while counting), or KVM reads it. */
/* The TSC, as RDTSC and RDTSCP read it (CR4.TSD: CPL0 only). */
static uint64_t tsc(struct eng *e)
{
    uint64_t v;

    if ((e->st->cr4 & CR4_TSD) && eng_cpl(e) > 0)
        eng_gp0(e);
    if (!e->ops.rdtsc || !e->ops.rdtsc(e->ops.ctx, &v))
        eng_handback(e, ENGINE_WHY_SYSTEM);
    return v;
}

/* IA32_TSC_AUX, which RDTSCP and RDPID read. */
static uint32_t tsc_aux(struct eng *e)
{
    uint64_t v;

    if (!e->ops.sys_msr_read ||
        !e->ops.sys_msr_read(e->ops.ctx, MSR_TSC_AUX, &v))
        eng_handback(e, ENGINE_WHY_SYSTEM);
    return (uint32_t)v;
}

static void exec_rdtsc(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    set_edx_eax(e, tsc(e));
}

/* RDTSCP: #UD without CPUID.80000001H:EDX[27]; then as RDTSC, and ECX
 * takes TSC_AUX (SDM RDTSCP). */
static void exec_rdtscp(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    if (!eng_has(e, FEAT_RDTSCP))
        eng_fault(e, VEC_UD, false, 0);
    uint64_t v = tsc(e);
    uint32_t aux = tsc_aux(e);
    set_edx_eax(e, v);
    e->st->gpr[ENGINE_RCX] = aux;
}

/* RDPID: #UD without CPUID.7.0:ECX[22]; the register takes TSC_AUX,
 * zero-extended (SDM RDPID). */
static void exec_rdpid(struct eng *e, const struct eng_insn *in)
{
    if (!eng_has(e, FEAT_RDPID))
        eng_fault(e, VEC_UD, false, 0);
    eng_opnd_write(e, in, DST, tsc_aux(e));
}

/* CLI/STI need CPL <= IOPL (the virtual-interrupt forms of CR4.PVI are
 * KVM's). STI blocks interrupts for one instruction; once IF is set the
 * engine stops, so that the VMM lets a pending interrupt in. */
static void cli_sti(struct eng *e, bool sti)
{
    unsigned iopl = (unsigned)((e->st->rflags & RFLAGS_IOPL) >> 12);

    if (eng_cpl(e) > iopl) {
        if (e->st->cr4 & (1ull << 1)) /* CR4.PVI */
            eng_handback(e, ENGINE_WHY_SYSTEM);
        eng_gp0(e);
    }
    if (!sti) {
        e->st->rflags &= ~RFLAGS_IF;
        return;
    }
    if (!(e->st->rflags & RFLAGS_IF)) {
        e->shadow_next = true;
        e->stop_after = true;
    }
    e->st->rflags |= RFLAGS_IF;
}

static void exec_cli(struct eng *e, const struct eng_insn *in) { (void)in; cli_sti(e, false); }
static void exec_sti(struct eng *e, const struct eng_insn *in) { (void)in; cli_sti(e, true); }

/* CLAC/STAC: CPL 0 only (#UD otherwise). */
static void exec_clac_stac(struct eng *e, const struct eng_insn *in)
{
    if (eng_cpl(e) != 0)
        eng_fault(e, VEC_UD, false, 0);
    if (in->mnemonic == ZYDIS_MNEMONIC_STAC)
        e->st->rflags |= RFLAGS_AC;
    else
        e->st->rflags &= ~RFLAGS_AC;
}

static void exec_ud(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    eng_fault(e, VEC_UD, false, 0);
}

/* INT n, INT3, INT1, INTO: delivered by the engine, returning after
 * them. INTO (outside 64-bit mode, where it is #UD) raises #OF only with
 * OF set, as a software interrupt: the gate's DPL is checked as INT n's
 * (SDM Vol. 2A "INTn/INTO/INT3/INT1"; Vol. 3A 6.4.1). */
static void exec_int(struct eng *e, const struct eng_insn *in)
{
    if (in->mnemonic == ZYDIS_MNEMONIC_INTO && !(e->st->rflags & RFLAGS_OF))
        return;
    unsigned vec = in->mnemonic == ZYDIS_MNEMONIC_INT3 ? VEC_BP :
                   in->mnemonic == ZYDIS_MNEMONIC_INT1 ? VEC_DB :
                   in->mnemonic == ZYDIS_MNEMONIC_INTO ? VEC_OF :
                   (unsigned)(DST->imm & 0xFF);

    eng_deliver(e, vec, false, 0, in->mnemonic != ZYDIS_MNEMONIC_INT1,
                e->next_rip);
    e->next_rip = e->st->rip;
    e->branch_taken = true;
}

/*
 * IRETQ (SDM IRET, 64-bit mode): pops RIP, CS, RFLAGS, RSP, SS. To the
 * same level or an outer one (never inner); the flags it may change follow
 * POPF's rules at the old CPL. Anything unusual (a non-64-bit target, a
 * nested task) goes back to KVM.
 */
static void exec_iret(struct eng *e, const struct eng_insn *in)
{
    struct engine_state *st = e->st;
    unsigned cpl = eng_cpl(e);
    uint64_t rsp = st->gpr[ENGINE_RSP], cdesc[2], sdesc[2];

    if (e->ops.machine && !(st->efer & EFER_LMA) && in->opsize == 4) {
        eng_iret32(e, in);
        return;
    }
    if (in->opsize != 8 || (st->rflags & RFLAGS_NT))
        eng_handback(e, ENGINE_WHY_SYSTEM);
    uint64_t rip = eng_read(e, ENGINE_SS, rsp, 8);
    uint16_t cs_sel = (uint16_t)eng_read(e, ENGINE_SS, rsp + 8, 8);
    uint64_t fl = eng_read(e, ENGINE_SS, rsp + 16, 8);
    uint64_t new_rsp = eng_read(e, ENGINE_SS, rsp + 24, 8);
    uint16_t ss_sel = (uint16_t)eng_read(e, ENGINE_SS, rsp + 32, 8);
    unsigned rpl = cs_sel & 3;

    if ((cs_sel & ~3u) == 0 || rpl < cpl || !eng_desc_read(e, cs_sel, cdesc))
        eng_handback(e, ENGINE_WHY_SYSTEM);
    struct engine_seg cs, ss = st->seg[ENGINE_SS];
    eng_seg_from_desc(&cs, cs_sel, cdesc);
    if (!cs.present || !cs.s || !(cs.type & 8) || !cs.l || cs.db ||
        ((cs.type & 4) ? cs.dpl > rpl : cs.dpl != rpl) ||
        !eng_canonical(rip) || (fl & RFLAGS_VM))
        eng_handback(e, ENGINE_WHY_SYSTEM);
    if ((ss_sel & ~3u) == 0) {
        if (rpl == 3)
            eng_handback(e, ENGINE_WHY_SYSTEM); /* #GP for a NULL SS at 3 */
        ss = (struct engine_seg){.selector = ss_sel, .dpl = (uint8_t)rpl,
                                 .s = 1, .type = 3, .db = 1};
    } else {
        if ((ss_sel & 3) != rpl || !eng_desc_read(e, ss_sel, sdesc))
            eng_handback(e, ENGINE_WHY_SYSTEM);
        eng_seg_from_desc(&ss, ss_sel, sdesc);
        if (!ss.present || !ss.s || (ss.type & 8) || !(ss.type & 2) ||
            ss.dpl != rpl)
            eng_handback(e, ENGINE_WHY_SYSTEM);
    }
    /* the flags IRET may load, as POPF at the old CPL */
    uint64_t mask = RFLAGS_ARITH | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC | RFLAGS_ID | RFLAGS_RF;
    if (cpl == 0)
        mask |= RFLAGS_IOPL | RFLAGS_VIF | RFLAGS_VIP;
    if (cpl <= ((st->rflags & RFLAGS_IOPL) >> 12))
        mask |= RFLAGS_IF;
    cs.selector = cs_sel;
    st->seg[ENGINE_CS] = cs;
    st->seg[ENGINE_SS] = ss;
    uint64_t old_flags = st->rflags;
    st->rflags = (st->rflags & ~mask) | (fl & mask) | RFLAGS_FIXED1;
    st->gpr[ENGINE_RSP] = new_rsp;
    /* DS, ES, FS, GS with a DPL below the new CPL become NULL (SDM IRET);
     * in 64-bit mode their bases do not matter but for FS and GS. */
    if (rpl > cpl)
        for (unsigned s = ENGINE_ES; s <= ENGINE_GS; s++) {
            struct engine_seg *d = &st->seg[s];
            if (s == ENGINE_CS || s == ENGINE_SS || !d->present)
                continue;
            if (d->dpl < rpl && !(d->s && (d->type & 8) && (d->type & 4))) {
                d->selector = 0;
                d->present = 0;
            }
        }
    e->next_rip = rip;
    e->branch_taken = true;
    if (st->rflags & ~old_flags & RFLAGS_IF)
        e->stop_after = true; /* an interrupt may be due */
}

bool engine_event_return(struct engine *ext, struct engine_state *st,
                         uint64_t rip)
{
    struct eng *e = (struct eng *)ext;
    struct engine_state saved = *st;
    const struct eng_insn iretq = {.opsize = 8};

    e->st = st;
    e->insn_rip = st->rip;
    if (!(st->efer & EFER_LMA))
        return false; /* IRETQ's frame is 64-bit mode's */
    if (setjmp(e->unwind) != 0) {
        *st = saved;
        return false;
    }
    exec_iret(e, &iretq);
    st->rip = rip;
    st->rflags &= ~RFLAGS_RF;
    st->interrupt_shadow = false;
    return true;
}

/* MOV from CR0, CR2, CR3, CR4, CR8 (CPL 0); writes and the debug
 * registers are KVM's (a CR3 or CR4 write must reach the real TLB). */
static void exec_mov_cr(struct eng *e, const struct eng_insn *in)
{
    const struct engine_state *st = e->st;

    eng_need_cpl0(e);
    if (DST->type != OPND_REG || DST->regkind != REGK_GPR)
        eng_handback(e, ENGINE_WHY_SYSTEM);
    switch (SRC->reg) {
    case 0: eng_gpr_set(e, DST->reg, 8, st->cr0); return;
    case 2: eng_gpr_set(e, DST->reg, 8, st->cr2); return;
    case 3: eng_gpr_set(e, DST->reg, 8, st->cr3); return;
    case 4: eng_gpr_set(e, DST->reg, 8, st->cr4); return;
    case 8: eng_gpr_set(e, DST->reg, 8, st->cr8); return;
    default: eng_handback(e, ENGINE_WHY_SYSTEM);
    }
}

/* The mnemonic-level dispatch has MOV: a control-register MOV decodes
 * with the MOV mnemonic, so exec_move's MOV sends it here. */
void eng_exec_mov_special(struct eng *e, const struct eng_insn *in)
{
    /* MOV to SS, DS or ES everywhere (SS's #DB must be held to after the
     * next instruction, which KVM's single-step would not); FS and GS,
     * whose bases are MSRs too, only where the engine is the CPU */
    if (DST->type == OPND_REG && DST->regkind == REGK_SEG &&
        (e->ops.machine || DST->reg == ENGINE_SS || DST->reg == ENGINE_DS ||
         DST->reg == ENGINE_ES)) {
        eng_load_sreg(e, DST->reg, (uint16_t)eng_opnd_read(e, in, SRC));
        if (DST->reg == ENGINE_SS) /* MOV SS shadows the next one */
            e->shadow_next = e->ss_load = true;
        return;
    }
    if (e->ops.cr3_writes && !e->ops.machine && DST->type == OPND_REG &&
        DST->regkind == REGK_CR && DST->reg == 3) {
        eng_exec_mov_to_cr3(e, in);
        return;
    }
    if (e->ops.machine) {
        if ((DST->type == OPND_REG && (DST->regkind == REGK_CR ||
                                       DST->regkind == REGK_DR)) ||
            (SRC->type == OPND_REG && (SRC->regkind == REGK_CR ||
                                       SRC->regkind == REGK_DR))) {
            eng_exec_mov_cr_dr(e, in);
            return;
        }
    }
    if (SRC->type == OPND_REG && SRC->regkind == REGK_CR)
        exec_mov_cr(e, in);
    else
        eng_handback(e, ENGINE_WHY_SYSTEM);
}

/* HLT, descriptor tables, TLB and cache control, RDTSC, and the like: KVM
 * runs them (after the privilege check the engine can make). */
static void exec_privileged(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    eng_need_cpl0(e);
    eng_handback(e, ENGINE_WHY_SYSTEM);
}

/* Machine mode's handler for a system instruction (exec_cr.c,
 * exec_desc.c), or NULL. */
static eng_exec_fn machine_handler(const struct eng *e,
                                   const struct eng_insn *in)
{
    eng_exec_fn f;

    if (!e->ops.machine)
        return NULL;
    if ((f = eng_exec_cr_for((ZydisMnemonic)in->mnemonic)) ||
        (f = eng_exec_desc_for((ZydisMnemonic)in->mnemonic)))
        return f;
    return NULL;
}

/* Descriptor tables, TLB and cache control: machine mode's, else KVM's
 * as exec_privileged. */
static void exec_machine_or_privileged(struct eng *e,
                                       const struct eng_insn *in)
{
    eng_exec_fn f = machine_handler(e, in);

    if (f) {
        f(e, in);
        return;
    }
    exec_privileged(e, in);
}

/* SGDT, SIDT, SLDT, STR, SMSW: machine mode's, else not the engine's. */
static void exec_machine_or_unimplemented(struct eng *e,
                                          const struct eng_insn *in)
{
    eng_exec_fn f = machine_handler(e, in);

    if (!f)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    f(e, in);
}

/* HLT: the vCPU halts until an interrupt, which is KVM's to wait for
 * (machine mode: it retires, and the engine stops, ENGINE_STOP_HALT). */
static void exec_hlt(struct eng *e, const struct eng_insn *in)
{
    eng_exec_fn f = machine_handler(e, in);

    if (f) {
        f(e, in);
        return;
    }
    eng_need_cpl0(e);
    eng_handback(e, ENGINE_WHY_HALT);
}

eng_exec_fn eng_exec_system_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_CPUID: return exec_cpuid;
    case ZYDIS_MNEMONIC_RDMSR: return exec_rdmsr;
    case ZYDIS_MNEMONIC_WRMSR: return exec_wrmsr;
    case ZYDIS_MNEMONIC_RDPMC: return exec_rdpmc;
    case ZYDIS_MNEMONIC_RDTSC: return exec_rdtsc;
    case ZYDIS_MNEMONIC_RDTSCP: return exec_rdtscp;
    case ZYDIS_MNEMONIC_RDPID: return exec_rdpid;
    case ZYDIS_MNEMONIC_CLI: return exec_cli;
    case ZYDIS_MNEMONIC_STI: return exec_sti;
    case ZYDIS_MNEMONIC_CLAC: case ZYDIS_MNEMONIC_STAC: return exec_clac_stac;
    case ZYDIS_MNEMONIC_UD0: case ZYDIS_MNEMONIC_UD1:
    case ZYDIS_MNEMONIC_UD2: return exec_ud;
    case ZYDIS_MNEMONIC_INT: case ZYDIS_MNEMONIC_INT3:
    case ZYDIS_MNEMONIC_INT1: case ZYDIS_MNEMONIC_INTO: return exec_int;
    case ZYDIS_MNEMONIC_IRETQ: case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD: return exec_iret;
    case ZYDIS_MNEMONIC_HLT: return exec_hlt;
    case ZYDIS_MNEMONIC_LGDT:
    case ZYDIS_MNEMONIC_LIDT: case ZYDIS_MNEMONIC_LTR:
    case ZYDIS_MNEMONIC_LLDT: case ZYDIS_MNEMONIC_INVLPG:
    case ZYDIS_MNEMONIC_INVPCID: case ZYDIS_MNEMONIC_WBINVD:
    case ZYDIS_MNEMONIC_INVD: case ZYDIS_MNEMONIC_CLTS:
    case ZYDIS_MNEMONIC_LMSW:
        return exec_machine_or_privileged;
    case ZYDIS_MNEMONIC_SGDT: case ZYDIS_MNEMONIC_SIDT:
    case ZYDIS_MNEMONIC_SLDT: case ZYDIS_MNEMONIC_STR:
    case ZYDIS_MNEMONIC_SMSW:
        return exec_machine_or_unimplemented;
    default:
        return NULL;
    }
}
