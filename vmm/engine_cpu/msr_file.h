/* msr_file.h: the MSRs KVM would keep for the vCPU, kept by pmvm when the engine is the CPU (--accel=engine), with KVM's rules for what a guest may write (the local APIC's are devices/apic.c's). */
#ifndef PMVM_MSR_FILE_H
#define PMVM_MSR_FILE_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_FILE_VAR_MTRRS 8
#define MSR_FILE_MCE_BANKS 32 /* KVM_MAX_MCE_BANKS */

struct msr_file {
    uint64_t tsc_offset;      /* TSC = clock + offset */
    uint64_t tsc_adjust;      /* IA32_TSC_ADJUST */
    uint64_t pat, misc_enable, feature_control;
    uint64_t star, lstar, cstar, fmask, kernel_gs_base, tsc_aux;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t mtrr_def_type, mtrr_fixed[11];
    uint64_t mtrr_var[2 * MSR_FILE_VAR_MTRRS]; /* base, mask pairs */
    uint64_t mcg_status;
    uint64_t mce_bank[4 * MSR_FILE_MCE_BANKS]; /* CTL, STATUS, ADDR, MISC */
    unsigned maxphyaddr;
};

/* The values at reset (KVM's kvm_vcpu_reset() and the SDM's power-up
 * state), for a guest whose physical addresses have (maxphyaddr) bits. */
void msr_file_init(struct msr_file *f, unsigned maxphyaddr);

/* Does the file keep (msr)? */
bool msr_file_owns(uint32_t msr);

/* RDMSR and WRMSR of an MSR the file keeps, at clock value (now): false
 * is #GP(0), as KVM raises it. */
bool msr_file_read(const struct msr_file *f, uint32_t msr, uint64_t now,
                   uint64_t *val);
bool msr_file_write(struct msr_file *f, uint32_t msr, uint64_t val,
                    uint64_t now);

/* The machine-check MSRs among them (msr_mce.c). */
bool msr_mce_owns(uint32_t msr);
bool msr_mce_read(const struct msr_file *f, uint32_t msr, uint64_t *val);
bool msr_mce_write(struct msr_file *f, uint32_t msr, uint64_t val);

#endif
