/* msr_mce.c: the machine-check MSRs as KVM gives a vCPU (MCG_CAP with 32 banks, MCG_STATUS, and each bank's CTL, STATUS, ADDR, MISC), for when pmvm has no KVM. */
#include "vmm/engine_cpu/msr_file.h"

enum {
    MSR_MCG_CAP = 0x179, MSR_MCG_STATUS = 0x17A, MSR_MCG_CTL = 0x17B,
    MSR_MC0_CTL = 0x400,
};

/* KVM's MCG_CAP before userspace sets one (KVM_MAX_MCE_BANKS banks; no
 * MCG_CTL_P, no CMCI): what pmvm's KVM vCPU has, as pmvm sets none. */
#define MCG_CAP (MSR_FILE_MCE_BANKS)

static bool in_banks(uint32_t msr)
{
    return msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * MSR_FILE_MCE_BANKS;
}

bool msr_mce_owns(uint32_t msr)
{
    return msr == MSR_MCG_CAP || msr == MSR_MCG_STATUS ||
           msr == MSR_MCG_CTL || in_banks(msr);
}

/* KVM's get_msr_mce(): MCG_CTL is #GP without MCG_CTL_P. */
bool msr_mce_read(const struct msr_file *f, uint32_t msr, uint64_t *val)
{
    *val = 0;
    switch (msr) {
    case MSR_MCG_CAP: *val = MCG_CAP; return true;
    case MSR_MCG_STATUS: *val = f->mcg_status; return true;
    case MSR_MCG_CTL: return false;
    default:
        *val = f->mce_bank[msr - MSR_MC0_CTL];
        return true;
    }
}

/* KVM's set_msr_mce(): MCG_CAP is read-only and MCG_CTL absent; a bank's
 * CTL takes 0 or all ones (bits 0 and 10 aside, for old AMD guests), its
 * STATUS only 0 from the guest; ADDR and MISC anything. */
bool msr_mce_write(struct msr_file *f, uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_MCG_CAP: case MSR_MCG_CTL: return false;
    case MSR_MCG_STATUS: f->mcg_status = val; return true;
    default: {
        unsigned off = msr - MSR_MC0_CTL;
        if (off % 4 == 0 && val && (val | (1ull << 10) | 1) != ~0ull)
            return false;
        if (off % 4 == 1 && val)
            return false;
        f->mce_bank[off] = val;
        return true;
    }
    }
}
