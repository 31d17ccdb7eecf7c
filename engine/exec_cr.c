/* exec_cr.c: machine mode's control and debug registers: MOV to and from CRn and DRn with their #GP rules, CLTS, LMSW, SMSW, INVLPG, WBINVD, HLT, and the MSRs the state holds (IA32_EFER, FS and GS bases). */
#include "engine/engine_internal.h"

#define DST (&in->op[0])
#define SRC (&in->op[1])

/* CR0's defined bits (SDM 2.5); writes of the others are dropped, as
 * KVM's kvm_set_cr0 drops them. */
#define CR0_DEFINED (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | \
                     CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG)
/* CR4's bits a write may set (SDM 2.5): VME through LA57, FSGSBASE,
 * PCIDE, OSXSAVE, SMEP, SMAP, PKE, CET; VMXE and SMXE are not offered.
 * Any other is reserved: #GP(0), and so are those of them whose feature
 * the guest's CPUID does not offer (eng_cr4_reserved()). */
#define CR4_WRITABLE 0xF71FFFull
/* What paging depends on: a change flushes the TLB (SDM 4.10.4.1). */
#define CR0_PAGING (CR0_PG | CR0_WP | CR0_PE)
#define CR4_PAGING (CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP | \
                    CR4_SMAP | CR4_PKE | CR4_LA57)


#define DR6_FIXED_1 0xFFFE0FF0ull  /* KVM's DR6_FIXED_1 */
#define DR6_VOLATILE 0x0001E00Full /* B0-B3, BD, BS, BT, RTM */
#define DR7_FIXED_1 0x400ull
#define DR7_VOLATILE 0xFFFF2BFFull

/*
 * MOV to CR0 (SDM MOV, 9.8.5; KVM kvm_set_cr0): bits 63:32 #GP(0); PG
 * without PE, NW without CD #GP(0). Setting PG with EFER.LME activates
 * IA-32e mode (EFER.LMA), which needs CR4.PAE and a CS without L;
 * clearing PG leaves it, which 64-bit mode cannot (#GP(0)), nor a
 * CR4.PCIDE.
 */
static void set_cr0(struct eng *e, uint64_t v)
{
    struct engine_state *st = e->st;
    uint64_t old = st->cr0;

    if (v >> 32)
        eng_gp0(e);
    v = (v & CR0_DEFINED) | CR0_ET;
    if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
        eng_gp0(e);
    if ((v & CR0_PG) && !(old & CR0_PG) && (st->efer & EFER_LME)) {
        if (!(st->cr4 & CR4_PAE) || st->seg[ENGINE_CS].l)
            eng_gp0(e);
        st->efer |= EFER_LMA;
    }
    if (!(v & CR0_PG) && (old & CR0_PG)) {
        if (eng_mode64(e) || (st->cr4 & CR4_PCIDE))
            eng_gp0(e);
        st->efer &= ~EFER_LMA;
    }
    st->cr0 = v;
    if ((old ^ v) & CR0_PAGING)
        eng_tlb_flush(e);
}

/* MOV to CR3: in IA-32e mode an address beyond MAXPHYADDR is #GP(0)
 * (with PCIDE, bit 63 only says "no flush": the engine flushes anyway). */
static void set_cr3(struct eng *e, uint64_t v)
{
    struct engine_state *st = e->st;

    if (st->efer & EFER_LMA) {
        if (st->cr4 & CR4_PCIDE)
            v &= ~(1ull << 63);
        if (v >> eng_maxphyaddr(e))
            eng_gp0(e);
    }
    st->cr3 = v;
    eng_tlb_flush(e);
}

/* MOV to CR4 (SDM MOV, KVM kvm_set_cr4): reserved bits (also those the
 * guest's CPUID leaves reserved), clearing PAE or
 * changing LA57 in IA-32e mode, setting PCIDE outside IA-32e mode or
 * with CR3[11:0] not 0: #GP(0). */
static void set_cr4(struct eng *e, uint64_t v)
{
    struct engine_state *st = e->st;
    uint64_t old = st->cr4;
    bool lma = (st->efer & EFER_LMA) != 0;

    if ((v & ~CR4_WRITABLE) || (v & eng_cr4_reserved(e)))
        eng_gp0(e);
    if (lma && (!(v & CR4_PAE) || ((v ^ old) & CR4_LA57)))
        eng_gp0(e);
    if ((v & CR4_PCIDE) && !(old & CR4_PCIDE) &&
        (!lma || (st->cr3 & 0xFFF)))
        eng_gp0(e);
    st->cr4 = v;
    if ((old ^ v) & CR4_PAGING)
        eng_tlb_flush(e);
}

bool eng_cr3_write_flushes(const struct eng *e, uint64_t v)
{
    return !(e->st->cr4 & CR4_PCIDE) || !(v >> 63);
}

void eng_exec_mov_to_cr3(struct eng *e, const struct eng_insn *in)
{
    uint64_t v = eng_gpr_get(e, SRC->reg, 8);

    eng_need_cpl0(e);
    bool flush = eng_cr3_write_flushes(e, v);
    set_cr3(e, v);
    e->mode_changed = true;
    e->flushed_tlb |= flush;
}

static void write_cr(struct eng *e, unsigned n, uint64_t v)
{
    switch (n) {
    case 0: set_cr0(e, v); break;
    case 2: e->st->cr2 = v; break;
    case 3: set_cr3(e, v); break;
    case 4: set_cr4(e, v); break;
    case 8:
        if (v >> 4)
            eng_gp0(e);
        e->st->cr8 = v;
        e->stop_after = true; /* a lower TPR may let an interrupt in */
        break;
    default:
        eng_fault(e, VEC_UD, false, 0);
    }
    e->mode_changed = true;
}

static uint64_t read_cr(struct eng *e, unsigned n)
{
    const struct engine_state *st = e->st;

    switch (n) {
    case 0: return st->cr0;
    case 2: return st->cr2;
    case 3: return st->cr3;
    case 4: return st->cr4;
    case 8: return st->cr8;
    default: eng_fault(e, VEC_UD, false, 0);
    }
}

/*
 * MOV DRn (SDM MOV-Move to/from Debug Registers, 18.2): CPL0; DR4 and
 * DR5 alias DR6 and DR7 unless CR4.DE (#UD); DR7.GD makes any access a
 * #DB with DR6.BD; in 64-bit mode a DR6 or DR7 write with bits 63:32 set
 * is #GP(0). DR6 and DR7 keep their fixed bits (KVM's masks).
 */
static unsigned dr_index(struct eng *e, unsigned n)
{
    struct engine_state *st = e->st;

    eng_need_cpl0(e);
    if (n == 4 || n == 5) {
        if (st->cr4 & CR4_DE)
            eng_fault(e, VEC_UD, false, 0);
        n += 2;
    }
    if (st->dr7 & DR7_GD) {
        st->dr6 |= DR6_BD;
        st->dr7 &= ~DR7_GD;
        eng_fault(e, VEC_DB, false, 0);
    }
    return n;
}

static void write_dr(struct eng *e, unsigned n, uint64_t v)
{
    struct engine_state *st = e->st;

    n = dr_index(e, n);
    if (n >= 6 && (v >> 32))
        eng_gp0(e);
    if (n < 4)
        st->dr[n] = v;
    else if (n == 6)
        st->dr6 = (v & DR6_VOLATILE) | DR6_FIXED_1 |
                  (eng_has(e, FEAT_RTM) ? 0 : DR6_RTM);
    else
        st->dr7 = (v & DR7_VOLATILE) | DR7_FIXED_1;
}

static uint64_t read_dr(struct eng *e, unsigned n)
{
    n = dr_index(e, n);
    return n < 4 ? e->st->dr[n] : n == 6 ? e->st->dr6 : e->st->dr7;
}

/* The GPR operand is 64 bits in 64-bit mode, 32 otherwise (Zydis says
 * which); reads and writes of CRn and DRn are CPL0 only. */
void eng_exec_mov_cr_dr(struct eng *e, const struct eng_insn *in)
{
    if (DST->regkind == REGK_CR || DST->regkind == REGK_DR) {
        uint64_t v = eng_gpr_get(e, SRC->reg, SRC->size);
        eng_need_cpl0(e);
        if (DST->regkind == REGK_CR)
            write_cr(e, DST->reg, v);
        else
            write_dr(e, DST->reg, v);
        return;
    }
    eng_need_cpl0(e);
    uint64_t v = SRC->regkind == REGK_CR ? read_cr(e, SRC->reg)
                                         : read_dr(e, SRC->reg);
    eng_gpr_set(e, DST->reg, DST->size, v);
}

static void exec_clts(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    eng_need_cpl0(e);
    e->st->cr0 &= ~CR0_TS;
}

/* LMSW: CR0's PE, MP, EM, TS from the operand; PE can be set, not
 * cleared (SDM LMSW). */
static void exec_lmsw(struct eng *e, const struct eng_insn *in)
{
    eng_need_cpl0(e);
    uint64_t v = eng_opnd_read(e, in, DST) & 0xF;
    struct engine_state *st = e->st;
    uint64_t cr0 = (st->cr0 & ~0xEull) | v;

    st->cr0 = cr0;
    e->mode_changed = true;
}

/* SMSW: CR0's low bits at any CPL, unless CR4.UMIP (SDM SMSW). */
static void exec_smsw(struct eng *e, const struct eng_insn *in)
{
    if ((e->st->cr4 & CR4_UMIP) && eng_cpl(e) > 0)
        eng_gp0(e);
    eng_opnd_write(e, in, DST, e->st->cr0 & eng_mask(DST->size));
}

/* INVLPG: the engine's TLB holds 4-KiB pieces of large pages, so all of
 * it goes (more than the SDM requires, never less). */
static void exec_invlpg(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    eng_need_cpl0(e);
    eng_tlb_flush(e);
}

/* WBINVD, INVD: no caches to write back or lose. */
static void exec_wbinvd(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    eng_need_cpl0(e);
}

/* HLT: retires; the vCPU then waits for an interrupt, the caller's to
 * decide (ENGINE_STOP_HALT). */
static void exec_hlt_machine(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    eng_need_cpl0(e);
    e->halted = true;
}

eng_exec_fn eng_exec_cr_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_CLTS: return exec_clts;
    case ZYDIS_MNEMONIC_LMSW: return exec_lmsw;
    case ZYDIS_MNEMONIC_SMSW: return exec_smsw;
    case ZYDIS_MNEMONIC_INVLPG: return exec_invlpg;
    case ZYDIS_MNEMONIC_WBINVD: case ZYDIS_MNEMONIC_INVD: return exec_wbinvd;
    case ZYDIS_MNEMONIC_HLT: return exec_hlt_machine;
    default: return NULL;
    }
}

bool eng_state_rdmsr(struct eng *e, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_EFER: *val = e->st->efer; return true;
    case MSR_FS_BASE: *val = e->st->seg[ENGINE_FS].base; return true;
    case MSR_GS_BASE: *val = e->st->seg[ENGINE_GS].base; return true;
    default: return false;
    }
}

/*
 * WRMSR IA32_EFER as KVM's set_efer: reserved bits (with those the
 * guest's CPUID leaves reserved) #GP(0), a change of LME while paging is
 * on #GP(0); LMA is the processor's (the value written is ignored). FS
 * and GS bases: non-canonical is #GP(0).
 */
bool eng_state_wrmsr(struct eng *e, uint32_t msr, uint64_t v)
{
    struct engine_state *st = e->st;

    switch (msr) {
    case MSR_EFER: {
        /* the guest's CPUID.80000001H:EDX bits that gate EFER's */
        uint32_t ext_edx = (eng_has(e, FEAT_LM) ? 1u << 29 : 0) |
                           (eng_has(e, FEAT_NX) ? 1u << 20 : 0);
        if (!x86_efer_write(st->efer, st->cr0, v, x86_efer_allowed(ext_edx),
                            &v))
            eng_gp0(e);
        if ((v ^ st->efer) & EFER_NXE)
            eng_tlb_flush(e);
        st->efer = v;
        e->mode_changed = true;
        return true;
    }
    case MSR_FS_BASE: case MSR_GS_BASE:
        if (!eng_canonical(v))
            eng_gp0(e);
        st->seg[msr == MSR_FS_BASE ? ENGINE_FS : ENGINE_GS].base = v;
        return true;
    default:
        return false;
    }
}
