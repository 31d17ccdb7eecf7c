/* msr_file.c: the MSRs KVM would keep for the vCPU, kept by pmvm when the engine is the CPU (--accel=engine), with KVM's rules for what a guest may write. */
#include "arch/x86.h"
#include "vmm/engine_cpu/msr_file.h"

enum {
    MSR_TSC = MSR_IA32_TSC, MSR_FEATURE_CONTROL = 0x3A,
    MSR_TSC_ADJUST = 0x3B, MSR_UCODE_REV = 0x8B, MSR_MTRRCAP = 0xFE,
    MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175,
    MSR_SYSENTER_EIP = 0x176, MSR_MISC_ENABLE = 0x1A0,
    MSR_DEBUGCTL = 0x1D9, MSR_MTRR_VAR = 0x200, MSR_PAT = 0x277,
    MSR_MTRR_DEF_TYPE = 0x2FF, MSR_CSTAR = 0xC0000083u,
    MSR_KERNEL_GS_BASE = 0xC0000102u,
    MSR_TSC_AUX = 0xC0000103u,
};

/* The fixed-range MTRRs, in the order of msr_file.mtrr_fixed. */
static const uint32_t mtrr_fixed_msrs[11] = {
    0x250, 0x258, 0x259, 0x268, 0x269, 0x26A, 0x26B, 0x26C, 0x26D, 0x26E,
    0x26F};

/* KVM's IA32_MTRRCAP: write-combining, fixed ranges, 8 variable ranges
 * (KVM_NR_VAR_MTRR; arch/x86/kvm/mtrr.c). */
#define MTRRCAP (0x500u | MSR_FILE_VAR_MTRRS)
/* KVM's microcode revision at reset (kvm_vcpu_reset()). */
#define UCODE_REV 0x100000000ull
/* MISC_ENABLE at reset: BTS and PEBS unavailable (kvm_vcpu_reset()). */
#define MISC_ENABLE_RESET ((1ull << 11) | (1ull << 12))
/* The power-up PAT (SDM vol. 3, 13.12.4). */
#define PAT_RESET 0x0007040600070406ull
/* DEBUGCTL bits KVM takes from a guest without LBRs and drops: LBR and
 * BTF, which it does not emulate (vmx.c, vmx_set_msr). */
#define DEBUGCTL_LBR (1ull << 0)
#define DEBUGCTL_BTF (1ull << 1)

static bool canonical(uint64_t v)
{
    return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

/* A memory type MTRRs and PAT may hold: UC, WC, WT, WP, WB (SDM 12.11). */
static bool mtrr_type_ok(uint64_t t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

/* Eight memory types, one a byte; PAT also takes UC- (7). */
static bool types_ok(uint64_t v, bool pat)
{
    for (unsigned i = 0; i < 8; i++) {
        uint64_t t = (v >> (8 * i)) & 0xFF;
        if (!mtrr_type_ok(t) && !(pat && t == 7))
            return false;
    }
    return true;
}

static int fixed_index(uint32_t msr)
{
    for (int i = 0; i < 11; i++)
        if (mtrr_fixed_msrs[i] == msr)
            return i;
    return -1;
}

void msr_file_init(struct msr_file *f, unsigned maxphyaddr)
{
    *f = (struct msr_file){
        .pat = PAT_RESET,
        .misc_enable = MISC_ENABLE_RESET, .maxphyaddr = maxphyaddr,
    };
}

bool msr_file_owns(uint32_t msr)
{
    switch (msr) {
    case MSR_TSC: case MSR_FEATURE_CONTROL:
    case MSR_TSC_ADJUST: case MSR_UCODE_REV: case MSR_MTRRCAP:
    case MSR_SYSENTER_CS: case MSR_SYSENTER_ESP: case MSR_SYSENTER_EIP:
    case MSR_MISC_ENABLE: case MSR_DEBUGCTL: case MSR_PAT:
    case MSR_MTRR_DEF_TYPE: case MSR_STAR: case MSR_LSTAR: case MSR_CSTAR:
    case MSR_FMASK: case MSR_KERNEL_GS_BASE: case MSR_TSC_AUX:
        return true;
    default:
        return msr_mce_owns(msr) || fixed_index(msr) >= 0 ||
               (msr >= MSR_MTRR_VAR &&
                msr < MSR_MTRR_VAR + 2 * MSR_FILE_VAR_MTRRS);
    }
}

bool msr_file_read(const struct msr_file *f, uint32_t msr, uint64_t now,
                   uint64_t *val)
{
    int fixed = fixed_index(msr);

    *val = 0;
    if (msr_mce_owns(msr))
        return msr_mce_read(f, msr, val);
    if (fixed >= 0) {
        *val = f->mtrr_fixed[fixed];
        return true;
    }
    if (msr >= MSR_MTRR_VAR && msr < MSR_MTRR_VAR + 2 * MSR_FILE_VAR_MTRRS) {
        *val = f->mtrr_var[msr - MSR_MTRR_VAR];
        return true;
    }
    switch (msr) {
    case MSR_TSC: *val = now + f->tsc_offset; return true;
    case MSR_TSC_ADJUST: *val = f->tsc_adjust; return true;
    case MSR_FEATURE_CONTROL: *val = f->feature_control; return true;
    case MSR_UCODE_REV: *val = UCODE_REV; return true;
    case MSR_MTRRCAP: *val = MTRRCAP; return true;
    case MSR_SYSENTER_CS: *val = f->sysenter_cs; return true;
    case MSR_SYSENTER_ESP: *val = f->sysenter_esp; return true;
    case MSR_SYSENTER_EIP: *val = f->sysenter_eip; return true;
    case MSR_MISC_ENABLE: *val = f->misc_enable; return true;
    case MSR_DEBUGCTL: *val = 0; return true;
    case MSR_PAT: *val = f->pat; return true;
    case MSR_MTRR_DEF_TYPE: *val = f->mtrr_def_type; return true;
    case MSR_STAR: *val = f->star; return true;
    case MSR_LSTAR: *val = f->lstar; return true;
    case MSR_CSTAR: *val = f->cstar; return true;
    case MSR_FMASK: *val = f->fmask; return true;
    case MSR_KERNEL_GS_BASE: *val = f->kernel_gs_base; return true;
    case MSR_TSC_AUX: *val = f->tsc_aux; return true;
    default: return false;
    }
}

/* A variable-range MTRR: the base's type and the mask's valid bit, and
 * no bit at or above MAXPHYADDR (SDM 12.11.2.3; KVM's kvm_mtrr_valid). */
static bool mtrr_var_ok(const struct msr_file *f, unsigned i, uint64_t v)
{
    uint64_t high = ~0ull << f->maxphyaddr;
    bool mask = i & 1;
    uint64_t reserved = high | (mask ? 0x7FFull : 0xF00ull);

    return !(v & reserved) && (mask || mtrr_type_ok(v & 0xFF));
}

bool msr_file_write(struct msr_file *f, uint32_t msr, uint64_t val,
                    uint64_t now)
{
    int fixed = fixed_index(msr);

    if (msr_mce_owns(msr))
        return msr_mce_write(f, msr, val);
    if (fixed >= 0) {
        if (!types_ok(val, false))
            return false;
        f->mtrr_fixed[fixed] = val;
        return true;
    }
    if (msr >= MSR_MTRR_VAR && msr < MSR_MTRR_VAR + 2 * MSR_FILE_VAR_MTRRS) {
        unsigned i = msr - MSR_MTRR_VAR;
        if (!mtrr_var_ok(f, i, val))
            return false;
        f->mtrr_var[i] = val;
        return true;
    }
    switch (msr) {
    case MSR_TSC: {
        /* KVM moves TSC_ADJUST by as much as a TSC write moves the TSC
         * (SDM 17.17.3; kvm_set_msr_common). */
        uint64_t old = now + f->tsc_offset;
        f->tsc_adjust += val - old;
        f->tsc_offset = val - now;
        return true;
    }
    case MSR_TSC_ADJUST:
        f->tsc_offset += val - f->tsc_adjust;
        f->tsc_adjust = val;
        return true;
    case MSR_FEATURE_CONTROL:
        /* Only the lock bit (no VMX, no SGX offered), and not after it. */
        if ((f->feature_control & 1) || (val & ~1ull))
            return false;
        f->feature_control = val;
        return true;
    case MSR_UCODE_REV:
        return true; /* a write asks for an update: nothing changes */
    case MSR_MTRRCAP:
        return false;
    case MSR_SYSENTER_CS: f->sysenter_cs = val & 0xFFFF; return true;
    case MSR_SYSENTER_ESP:
    case MSR_SYSENTER_EIP:
    case MSR_LSTAR:
    case MSR_CSTAR:
    case MSR_KERNEL_GS_BASE:
        if (!canonical(val))
            return false;
        if (msr == MSR_SYSENTER_ESP) f->sysenter_esp = val;
        else if (msr == MSR_SYSENTER_EIP) f->sysenter_eip = val;
        else if (msr == MSR_LSTAR) f->lstar = val;
        else if (msr == MSR_CSTAR) f->cstar = val;
        else f->kernel_gs_base = val;
        return true;
    case MSR_MISC_ENABLE: f->misc_enable = val; return true;
    case MSR_DEBUGCTL:
        return !(val & ~(DEBUGCTL_LBR | DEBUGCTL_BTF)); /* reads stay 0 */
    case MSR_PAT:
        if (!types_ok(val, true))
            return false;
        f->pat = val;
        return true;
    case MSR_MTRR_DEF_TYPE:
        /* type, FE (10), E (11) */
        if ((val & ~0xCFFull) || !mtrr_type_ok(val & 0xFF))
            return false;
        f->mtrr_def_type = val;
        return true;
    case MSR_STAR: f->star = val; return true;
    case MSR_FMASK: f->fmask = val; return true;
    case MSR_TSC_AUX:
        if (val >> 32)
            return false;
        f->tsc_aux = val;
        return true;
    default:
        return false;
    }
}
