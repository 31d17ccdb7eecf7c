/* exec_fpu.c: the x87 and MXCSR control instructions a kernel runs (FNINIT, FWAIT, FNSTCW, FLDCW, FNSTSW, FNCLEX, LDMXCSR, STMXCSR) and XGETBV/XSETBV, on the state the caller keeps (ops->xstate, ops->xcr). */
#include <string.h>

#include "engine/engine_internal.h"

/*
 * No x87 arithmetic and no SSE arithmetic: only what reads and writes
 * the control and status registers, each through the whole XSAVE area
 * (engine.h, ops->xstate), whose x87 bytes are FXSAVE64's (SDM vol. 1,
 * Table 10-2). A change to x87 or SSE state marks the component in use
 * in the area's XSTATE_BV, so that the caller loads it from there rather
 * than putting it in its initial configuration.
 */
enum { A_FCW = 0, A_FSW = 2, A_FTW = 4, A_FOP = 6, A_FIP = 8, A_FDP = 16,
       A_MXCSR = 24, A_MXCSR_MASK = 28, A_XSTATE_BV = 512 };

#define FSW_ES 0x0080u       /* error summary */
#define FSW_B 0x8000u        /* busy, a copy of ES */
#define FSW_FLAGS 0x003Fu    /* IE, DE, ZE, OE, UE, PE (and the masks in FCW) */


/* The area back with component (bit) of XSTATE_BV in use. */
static void put_in_use(struct eng *e, uint8_t *area, unsigned bit)
{
    area[A_XSTATE_BV] |= (uint8_t)(1u << bit);
    eng_xstate_put(e, area);
}

/* x87 instructions other than FWAIT: #NM with CR0.EM or CR0.TS (SDM vol.
 * 2, "Protected Mode Exceptions" of each; vol. 3, Table 2-2). No CPUID
 * check: without an x87 FPU, CR0.EM is how software emulates one. */
static void x87_checks(struct eng *e, const struct eng_insn *in)
{
    if (!e->ops.xstate)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    if (in->lock)
        eng_fault(e, VEC_UD, false, 0);
    if (e->st->cr0 & (CR0_EM | CR0_TS))
        eng_fault(e, VEC_NM, false, 0);
}

/* FNINIT: FCW 037FH, FSW 0, every tag empty (abridged FTW 0), FOP, FIP
 * and FDP 0; the data registers keep their values (SDM FINIT/FNINIT). */
static void exec_fninit(struct eng *e, const struct eng_insn *in)
{
    uint8_t area[ENGINE_XSAVE_SIZE];

    x87_checks(e, in);
    eng_xstate_get(e, area);
    eng_le_put16(area + A_FCW, 0x037F);
    eng_le_put16(area + A_FSW, 0);
    area[A_FTW] = 0;
    eng_le_put16(area + A_FOP, 0);
    memset(area + A_FIP, 0, 8);
    memset(area + A_FDP, 0, 8);
    put_in_use(e, area, 0);
}

/* FNCLEX: the exception flags, ES, SF and B cleared (SDM FCLEX/FNCLEX). */
static void exec_fnclex(struct eng *e, const struct eng_insn *in)
{
    uint8_t area[ENGINE_XSAVE_SIZE];

    x87_checks(e, in);
    eng_xstate_get(e, area);
    eng_le_put16(area + A_FSW, eng_le_get16(area + A_FSW) & ~(FSW_B | FSW_ES | 0x7Fu));
    put_in_use(e, area, 0);
}

/*
 * FWAIT: #NM only with both CR0.MP and CR0.TS (SDM WAIT/FWAIT); then a
 * pending unmasked x87 exception (FSW.ES) is #MF, a fault at the FWAIT,
 * where CR0.NE asks for native reporting (SDM vol. 1, 8.7). With NE
 * clear the processor signals FERR# to the chipset instead, an external
 * interrupt that is not the engine's: KVM runs that FWAIT.
 */
static void exec_fwait(struct eng *e, const struct eng_insn *in)
{
    uint8_t area[ENGINE_XSAVE_SIZE];

    if (!e->ops.xstate)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    if (in->lock)
        eng_fault(e, VEC_UD, false, 0);
    if ((e->st->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        eng_fault(e, VEC_NM, false, 0);
    eng_xstate_get(e, area);
    if (!(eng_le_get16(area + A_FSW) & FSW_ES))
        return;
    if (!(e->st->cr0 & CR0_NE))
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    eng_fault(e, VEC_MF, false, 0);
}

/* FNSTCW m16, FNSTSW m16 or AX. */
static void exec_fnstcw_fnstsw(struct eng *e, const struct eng_insn *in)
{
    uint8_t area[ENGINE_XSAVE_SIZE];

    x87_checks(e, in);
    eng_xstate_get(e, area);
    unsigned at = in->mnemonic == ZYDIS_MNEMONIC_FNSTCW ? A_FCW : A_FSW;
    eng_opnd_write(e, in, &in->op[0], eng_le_get16(area + at));
}

/*
 * FLDCW m16. An exception flag the new FCW unmasks is pending from now
 * on, raised by the next waiting x87 instruction (SDM FLDCW): ES, and B
 * with it, follow the flags the new FCW leaves unmasked (SDM vol. 1,
 * 8.1.3.1). FCW's bit 6 is reserved and reads as 1 [I: as processors
 * return it, and Bochs models it].
 */
static void exec_fldcw(struct eng *e, const struct eng_insn *in)
{
    uint8_t area[ENGINE_XSAVE_SIZE];

    x87_checks(e, in);
    uint16_t fcw = (uint16_t)eng_opnd_read(e, in, &in->op[0]) | 0x0040u;
    eng_xstate_get(e, area);
    uint16_t fsw = eng_le_get16(area + A_FSW);
    if (fsw & ~fcw & FSW_FLAGS)
        fsw |= FSW_ES | FSW_B;
    else
        fsw &= ~(FSW_ES | FSW_B);
    eng_le_put16(area + A_FCW, fcw);
    eng_le_put16(area + A_FSW, fsw);
    put_in_use(e, area, 0);
}

/* LDMXCSR, STMXCSR (SDM: #UD with LOCK, CR0.EM, CR4.OSFXSR clear or
 * without CPUID.01H:EDX.SSE; #NM with CR0.TS). */
static void sse_checks(struct eng *e, const struct eng_insn *in)
{
    if (!e->ops.xstate)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    if (in->lock || (e->st->cr0 & CR0_EM) || !(e->st->cr4 & CR4_OSFXSR) ||
        !eng_has(e, FEAT_SSE))
        eng_fault(e, VEC_UD, false, 0);
    if (e->st->cr0 & CR0_TS)
        eng_fault(e, VEC_NM, false, 0);
}

/* A bit outside MXCSR_MASK (0: the default 0000FFBFH, SDM vol. 1, 11.6.6)
 * is #GP(0). */
static void exec_ldmxcsr(struct eng *e, const struct eng_insn *in)
{
    uint8_t area[ENGINE_XSAVE_SIZE];

    sse_checks(e, in);
    uint32_t v = (uint32_t)eng_opnd_read(e, in, &in->op[0]);
    eng_xstate_get(e, area);
    uint32_t mask = eng_le_get32(area + A_MXCSR_MASK);
    if (v & ~(mask ? mask : 0xFFBFu))
        eng_gp0(e);
    eng_le_put32(area + A_MXCSR, v);
    put_in_use(e, area, 1);
}

static void exec_stmxcsr(struct eng *e, const struct eng_insn *in)
{
    uint8_t area[ENGINE_XSAVE_SIZE];

    sse_checks(e, in);
    eng_xstate_get(e, area);
    eng_opnd_write(e, in, &in->op[0], eng_le_get32(area + A_MXCSR));
}

/* XGETBV, XSETBV: #UD with LOCK, without CPUID.01H:ECX.XSAVE or with
 * CR4.OSXSAVE clear (SDM XGETBV, XSETBV). */
static void xcr_checks(struct eng *e, const struct eng_insn *in)
{
    if (!e->ops.xcr)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    if (in->lock || !eng_has(e, FEAT_XSAVE) ||
        !(e->st->cr4 & CR4_OSXSAVE))
        eng_fault(e, VEC_UD, false, 0);
}

/* ECX = 0: XCR0; ECX = 1, where CPUID.(EAX=0DH,ECX=1):EAX[2] offers it:
 * XINUSE & XCR0 (the area's XSTATE_BV); any other #GP(0). EDX:EAX, the
 * upper halves of RDX and RAX cleared. */
static void exec_xgetbv(struct eng *e, const struct eng_insn *in)
{
    struct engine_state *st = e->st;
    uint32_t ecx = (uint32_t)st->gpr[ENGINE_RCX];
    uint64_t v;

    xcr_checks(e, in);
    if (ecx == 0) {
        v = eng_xcr0(e);
    } else if (ecx == 1 && eng_has(e, FEAT_XGETBV1)) {
        uint8_t area[ENGINE_XSAVE_SIZE];
        uint64_t bv;
        v = eng_xcr0(e);
        eng_xstate_get(e, area);
        memcpy(&bv, area + A_XSTATE_BV, 8);
        v &= bv;
    } else {
        eng_gp0(e);
    }
    st->gpr[ENGINE_RAX] = (uint32_t)v;
    st->gpr[ENGINE_RDX] = v >> 32;
}

/*
 * XSETBV: CPL0 only, ECX = 0 only (XCR0), and a value XCR0 may hold, or
 * #GP(0) (SDM XSETBV; vol. 1, 13.3): bit 0 (x87) set; no bit
 * CPUID.(EAX=0DH,ECX=0):EDX:EAX does not offer; AVX (2) only with SSE
 * (1); MPX's bits 3 and 4 together; AVX-512's bits 5-7 all or none, and
 * with AVX; AMX's 17 and 18 together.
 */
static void exec_xsetbv(struct eng *e, const struct eng_insn *in)
{
    const struct engine_state *st = e->st;
    uint64_t v = (st->gpr[ENGINE_RDX] << 32) |
                 (st->gpr[ENGINE_RAX] & 0xFFFFFFFFu);
    uint32_t r[4];

    xcr_checks(e, in);
    eng_need_cpl0(e);
    if ((uint32_t)st->gpr[ENGINE_RCX] != 0)
        eng_gp0(e);
    if (!e->ops.cpuid || e->ops.cpuid(e->ops.ctx, 0xD, 0, r) != ENGINE_OK)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    uint64_t offered = ((uint64_t)r[3] << 32) | r[0];
    uint64_t avx512 = v & 0xE0u, mpx = v & 0x18u, amx = v & (3ull << 17);
    if (!(v & 1) || (v & ~offered) || ((v & 4) && !(v & 2)) ||
        (mpx && mpx != 0x18u) || (avx512 && (avx512 != 0xE0u || !(v & 4))) ||
        (amx && amx != 3ull << 17))
        eng_gp0(e);
    if (!e->ops.xcr(e->ops.ctx, 0, &v, true))
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
}

eng_exec_fn eng_exec_fpu_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_FNINIT: return exec_fninit;
    case ZYDIS_MNEMONIC_FNCLEX: return exec_fnclex;
    case ZYDIS_MNEMONIC_FWAIT: return exec_fwait;
    case ZYDIS_MNEMONIC_FNSTCW: case ZYDIS_MNEMONIC_FNSTSW:
        return exec_fnstcw_fnstsw;
    case ZYDIS_MNEMONIC_FLDCW: return exec_fldcw;
    case ZYDIS_MNEMONIC_LDMXCSR: return exec_ldmxcsr;
    case ZYDIS_MNEMONIC_STMXCSR: return exec_stmxcsr;
    case ZYDIS_MNEMONIC_XGETBV: return exec_xgetbv;
    case ZYDIS_MNEMONIC_XSETBV: return exec_xsetbv;
    default: return NULL;
    }
}
