/* exec_syscall.c: the engine's fast system calls and segment bases: SYSCALL, SYSRET, SWAPGS, and RDFSBASE and its kin, with the MSRs they use read and written through the caller. */
#include "engine/engine_internal.h"

#define DST (&in->op[0])

#define MSR_KERNEL_GS_BASE 0xC0000102u

static uint64_t sys_msr(struct eng *e, uint32_t msr)
{
    uint64_t v;

    if (!e->ops.sys_msr_read || !e->ops.sys_msr_read(e->ops.ctx, msr, &v))
        eng_handback(e, ENGINE_WHY_SYSTEM);
    return v;
}

/* SYSCALL (SDM): RCX = next RIP, R11 = RFLAGS, CS/SS from STAR[47:32],
 * RIP = LSTAR, RFLAGS &= ~SFMASK, CPL 0. #UD without EFER.SCE. */
static void exec_syscall(struct eng *e, const struct eng_insn *in)
{
    struct engine_state *st = e->st;

    (void)in;
    if (!eng_mode64(e)) /* CSTAR, legacy mode's #UD: not the engine's */
        eng_handback(e, ENGINE_WHY_SYSTEM);
    if (!(st->efer & EFER_SCE))
        eng_fault(e, VEC_UD, false, 0);
    uint64_t star = sys_msr(e, MSR_STAR), lstar = sys_msr(e, MSR_LSTAR);
    uint64_t fmask = sys_msr(e, MSR_FMASK);
    uint16_t sel = (uint16_t)((star >> 32) & 0xFFFC);

    st->gpr[ENGINE_RCX] = e->next_rip;
    st->gpr[ENGINE_R11] = st->rflags & ~RFLAGS_RF;
    st->rflags &= ~(fmask | RFLAGS_RF);
    st->rflags |= RFLAGS_FIXED1;
    st->seg[ENGINE_CS] = (struct engine_seg){
        .selector = sel, .base = 0, .limit = 0xFFFFFFFF, .type = 11,
        .s = 1, .dpl = 0, .present = 1, .l = 1, .db = 0, .g = 1};
    st->seg[ENGINE_SS] = (struct engine_seg){
        .selector = (uint16_t)(sel + 8), .base = 0, .limit = 0xFFFFFFFF,
        .type = 3, .s = 1, .dpl = 0, .present = 1, .l = 0, .db = 1, .g = 1};
    e->next_rip = lstar;
    e->branch_taken = true;
}

/* SYSRET to 64-bit code (REX.W): RIP = RCX (#GP if not canonical), RFLAGS
 * from R11, CS = STAR[63:48] + 16, SS = STAR[63:48] + 8, CPL 3. A SYSRET
 * to 32-bit code goes back to KVM. */
static void exec_sysret(struct eng *e, const struct eng_insn *in)
{
    struct engine_state *st = e->st;

    if (!eng_mode64(e))
        eng_handback(e, ENGINE_WHY_SYSTEM);
    if (!(st->efer & EFER_SCE))
        eng_fault(e, VEC_UD, false, 0);
    eng_need_cpl0(e);
    if (in->opsize != 8)
        eng_handback(e, ENGINE_WHY_SYSTEM);
    if (!eng_canonical(st->gpr[ENGINE_RCX]))
        eng_gp0(e);
    uint16_t base = (uint16_t)(sys_msr(e, MSR_STAR) >> 48);

    st->rflags = (st->gpr[ENGINE_R11] & ~(RFLAGS_RF | RFLAGS_VM)) | RFLAGS_FIXED1;
    st->seg[ENGINE_CS] = (struct engine_seg){
        .selector = (uint16_t)((base + 16) | 3), .base = 0,
        .limit = 0xFFFFFFFF, .type = 11, .s = 1, .dpl = 3, .present = 1,
        .l = 1, .db = 0, .g = 1};
    st->seg[ENGINE_SS].selector = (uint16_t)((base + 8) | 3);
    st->seg[ENGINE_SS].dpl = 3;
    e->next_rip = st->gpr[ENGINE_RCX];
    e->branch_taken = true;
}

/* SWAPGS: GS.base <-> IA32_KERNEL_GS_BASE, CPL 0 only. */
static void exec_swapgs(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    if (!eng_mode64(e)) /* SDM SWAPGS: #UD outside 64-bit mode */
        eng_fault(e, VEC_UD, false, 0);
    eng_need_cpl0(e);
    uint64_t k = sys_msr(e, MSR_KERNEL_GS_BASE);
    if (!e->ops.sys_msr_write(e->ops.ctx, MSR_KERNEL_GS_BASE,
                              e->st->seg[ENGINE_GS].base))
        eng_handback(e, ENGINE_WHY_SYSTEM);
    e->st->seg[ENGINE_GS].base = k;
}

/* RDFSBASE and friends: #UD without CR4.FSGSBASE. */
static void exec_fsgsbase(struct eng *e, const struct eng_insn *in)
{
    bool gs = in->mnemonic == ZYDIS_MNEMONIC_RDGSBASE ||
              in->mnemonic == ZYDIS_MNEMONIC_WRGSBASE;
    bool wr = in->mnemonic == ZYDIS_MNEMONIC_WRFSBASE ||
              in->mnemonic == ZYDIS_MNEMONIC_WRGSBASE;
    struct engine_seg *s = &e->st->seg[gs ? ENGINE_GS : ENGINE_FS];

    if (!(e->st->cr4 & CR4_FSGSBASE) || !eng_mode64(e))
        eng_fault(e, VEC_UD, false, 0);
    if (!wr) {
        eng_opnd_write(e, in, DST, s->base);
        return;
    }
    uint64_t v = eng_opnd_read(e, in, DST);
    if (!eng_canonical(v))
        eng_gp0(e);
    s->base = v;
}

eng_exec_fn eng_exec_syscall_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_SYSCALL: return exec_syscall;
    case ZYDIS_MNEMONIC_SYSRET: return exec_sysret;
    case ZYDIS_MNEMONIC_SWAPGS: return exec_swapgs;
    case ZYDIS_MNEMONIC_RDFSBASE: case ZYDIS_MNEMONIC_RDGSBASE:
    case ZYDIS_MNEMONIC_WRFSBASE: case ZYDIS_MNEMONIC_WRGSBASE:
        return exec_fsgsbase;
    default:
        return NULL;
    }
}
