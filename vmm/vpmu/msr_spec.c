/* msr_spec.c: the speculation-control MSRs (SPEC_CTRL, PRED_CMD, FLUSH_CMD), answered by KVM's rules from the guest's CPUID. */
#include "vmm/vpmu/cpuid.h"
#include "vmm/vpmu/msr_spec.h"
#include "vmm/pmvm.h"

#define MSR_SPEC_CTRL 0x48u
#define MSR_PRED_CMD 0x49u
#define MSR_FLUSH_CMD 0x10Bu

#define SPEC_CTRL_IBRS (1ull << 0)
#define SPEC_CTRL_STIBP (1ull << 1)
#define SPEC_CTRL_SSBD (1ull << 2)
#define PRED_CMD_IBPB (1ull << 0)
#define PRED_CMD_SBPB (1ull << 7)
#define L1D_FLUSH (1ull << 0)

const uint32_t msr_spec_ranges[MSR_SPEC_RANGES][2] = {
    {MSR_SPEC_CTRL, 2}, /* SPEC_CTRL, PRED_CMD */
    {MSR_FLUSH_CMD, 1},
};

/* The guest's CPUID feature bits KVM's rules look at. */
enum feature {
    SPEC_CTRL,  /* 7.0 EDX[26]: IBRS and IBPB */
    STIBP,      /* 7.0 EDX[27] */
    FLUSH_L1D,  /* 7.0 EDX[28] */
    SSBD,       /* 7.0 EDX[31] */
    AMD_IBPB,   /* 0x80000008 EBX[12] */
    AMD_IBRS,   /* 0x80000008 EBX[14] */
    AMD_STIBP,  /* 0x80000008 EBX[15] */
    AMD_SSBD,   /* 0x80000008 EBX[24] */
    SBPB,       /* 0x80000021 EAX[27] */
};

static const struct {
    uint32_t leaf;
    uint8_t reg, bit; /* reg: 0 EAX, 1 EBX, 2 ECX, 3 EDX */
} features[] = {
    [SPEC_CTRL] = {7, 3, 26},           [STIBP] = {7, 3, 27},
    [FLUSH_L1D] = {7, 3, 28},           [SSBD] = {7, 3, 31},
    [AMD_IBPB] = {0x80000008u, 1, 12},  [AMD_IBRS] = {0x80000008u, 1, 14},
    [AMD_STIBP] = {0x80000008u, 1, 15}, [AMD_SSBD] = {0x80000008u, 1, 24},
    [SBPB] = {0x80000021u, 0, 27},
};

static bool has(const struct pmvm *p, enum feature f)
{
    uint32_t r[4];
    /* A leaf above the highest extended one reads as zeros here, not as
     * the highest basic leaf: these bits are absent there. */
    if (!cpuid_lookup(p, 0, features[f].leaf & 0x80000000u, 0, r) ||
        r[0] < features[f].leaf ||
        !cpuid_lookup(p, 0, features[f].leaf, 0, r))
        return false;
    return (r[features[f].reg] >> features[f].bit) & 1;
}

bool msr_spec_owns(uint32_t msr)
{
    for (unsigned i = 0; i < MSR_SPEC_RANGES; i++)
        if (msr - msr_spec_ranges[i][0] < msr_spec_ranges[i][1])
            return true;
    return false;
}

/* KVM's guest_has_spec_ctrl_msr() and kvm_spec_ctrl_valid_bits(). */
static bool spec_ctrl_ok(const struct pmvm *p, uint64_t val)
{
    if (!has(p, SPEC_CTRL) && !has(p, AMD_IBRS) && !has(p, AMD_STIBP) &&
        !has(p, AMD_SSBD))
        return false;
    uint64_t valid = SPEC_CTRL_IBRS;
    if (has(p, STIBP) || has(p, AMD_STIBP))
        valid |= SPEC_CTRL_STIBP;
    if (has(p, SSBD) || has(p, AMD_SSBD))
        valid |= SPEC_CTRL_SSBD;
    return !(val & ~valid);
}

/* KVM's kvm_set_msr_common() for MSR_IA32_PRED_CMD, guest-initiated. */
static bool pred_cmd_ok(const struct pmvm *p, uint64_t val)
{
    bool ibpb = has(p, SPEC_CTRL) || has(p, AMD_IBPB), sbpb = has(p, SBPB);
    uint64_t valid = (ibpb ? PRED_CMD_IBPB : 0) | (sbpb ? PRED_CMD_SBPB : 0);
    return (ibpb || sbpb) && !(val & ~valid);
}

bool msr_spec_read(struct pmvm *p, uint32_t msr, uint64_t *val)
{
    *val = 0;
    /* PRED_CMD and FLUSH_CMD are write-only. */
    return msr == MSR_SPEC_CTRL && spec_ctrl_ok(p, 0) &&
           vm_msr(&p->vm, false, msr, val);
}

bool msr_spec_write(struct pmvm *p, uint32_t msr, uint64_t val)
{
    bool ok = msr == MSR_SPEC_CTRL ? spec_ctrl_ok(p, val)
              : msr == MSR_PRED_CMD ? pred_cmd_ok(p, val)
              : has(p, FLUSH_L1D) && !(val & ~L1D_FLUSH);
    return ok && vm_msr(&p->vm, true, msr, &val);
}
