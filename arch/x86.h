/* x86.h: the x86-64 architecture's register bits, exception vectors, page-table bits and CPL, defined once for engine/ and vmm/ (SDM vol. 3, chapters 2, 4, 6). */
#ifndef PMVM_ARCH_X86_H
#define PMVM_ARCH_X86_H

#include <stdbool.h>
#include <stdint.h>

/* RFLAGS */
#define RFLAGS_CF (1ull << 0)
#define RFLAGS_FIXED1 (1ull << 1)
#define RFLAGS_PF (1ull << 2)
#define RFLAGS_AF (1ull << 4)
#define RFLAGS_ZF (1ull << 6)
#define RFLAGS_SF (1ull << 7)
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_OF (1ull << 11)
#define RFLAGS_IOPL (3ull << 12)
#define RFLAGS_NT (1ull << 14)
#define RFLAGS_RF (1ull << 16)
#define RFLAGS_VM (1ull << 17)
#define RFLAGS_AC (1ull << 18)
#define RFLAGS_VIF (1ull << 19)
#define RFLAGS_VIP (1ull << 20)
#define RFLAGS_ID (1ull << 21)
#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | \
                      RFLAGS_SF | RFLAGS_OF)

/* CR0 */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)

/* CR4 */
#define CR4_TSD (1ull << 2)
#define CR4_DE (1ull << 3)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_PCE (1ull << 8)
#define CR4_OSFXSR (1ull << 9)
#define CR4_UMIP (1ull << 11)
#define CR4_LA57 (1ull << 12)
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE (1ull << 17)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_PKE (1ull << 22)
#define CR4_CET (1ull << 23)

/* IA32_TSC, IA32_EFER and the segment-base MSRs */
#define MSR_IA32_TSC 0x10u
#define MSR_EFER 0xC0000080u
#define MSR_FS_BASE 0xC0000100u
#define MSR_GS_BASE 0xC0000101u
/* SYSCALL's: its CS and SS (STAR), 64-bit target (LSTAR), RFLAGS mask */
#define MSR_STAR 0xC0000081u
#define MSR_LSTAR 0xC0000082u
#define MSR_FMASK 0xC0000084u
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* DR6 and DR7 */
#define DR6_B0_3 0xFull           /* breakpoint conditions 0-3 met */
#define DR6_BD (1ull << 13)       /* a MOV DR while DR7.GD */
#define DR6_BS (1ull << 14)       /* single-step */
#define DR6_RTM (1ull << 16)      /* clear: in an RTM region (active low) */
#define DR7_GD (1ull << 13)       /* general detect */
#define DR7_L(i) (1ull << (2 * (i))) /* local enable; RW=00: execute */
#define DR7_EN(i) (3ull << (2 * (i)))  /* local or global enable */
#define DR7_ENABLES 0xFFull              /* L0-L3, G0-G3 */

/* Exception vectors */
enum {
    VEC_DE = 0, VEC_DB = 1, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5, VEC_UD = 6,
    VEC_NM = 7, VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12,
    VEC_GP = 13, VEC_PF = 14, VEC_MF = 16, VEC_AC = 17,
};

/* #PF error code */
#define PFERR_P (1u << 0)
#define PFERR_W (1u << 1)
#define PFERR_U (1u << 2)
#define PFERR_RSVD (1u << 3)
#define PFERR_I (1u << 4)

/* Paging-structure entries */
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_XD (1ull << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

/*
 * The current privilege level: 0 in real mode (CR0.PE clear), 3 in
 * virtual-8086 mode (RFLAGS.VM), else the privilege the segment state
 * holds, SS.DPL (as KVM reads it) or equally CS.RPL (the caller's
 * choice: both equal the CPL in protected and long mode).
 */
static inline unsigned x86_cpl(uint64_t cr0, uint64_t rflags,
                               unsigned ss_dpl_or_cs_rpl)
{
    if (!(cr0 & CR0_PE))
        return 0;
    if (rflags & RFLAGS_VM)
        return 3;
    return ss_dpl_or_cs_rpl & 3;
}

/*
 * The EFER bits a guest may set, from its CPUID.80000001H:EDX (ext_edx)
 * as KVM's __kvm_valid_efer() has them: SCE always, LME and LMA with LM
 * (bit 29), NXE with NX (bit 20).
 */
static inline uint64_t x86_efer_allowed(uint32_t ext_edx)
{
    return EFER_SCE | (ext_edx >> 29 & 1 ? EFER_LME | EFER_LMA : 0) |
           (ext_edx >> 20 & 1 ? EFER_NXE : 0);
}

/*
 * A WRMSR of IA32_EFER as KVM's set_efer() takes it: bits outside
 * (allowed) (x86_efer_allowed()) are reserved, and LME cannot change
 * while CR0.PG is set (SDM 9.8.5): false is #GP(0). LMA is the
 * processor's: the value written there is ignored. The new EFER in *out.
 */
static inline bool x86_efer_write(uint64_t efer, uint64_t cr0, uint64_t val,
                                  uint64_t allowed, uint64_t *out)
{
    if (val & ~allowed)
        return false;
    if ((cr0 & CR0_PG) && ((val ^ efer) & EFER_LME))
        return false;
    *out = (val & ~EFER_LMA) | (efer & EFER_LMA);
    return true;
}

/* DR6 after a #DB whose conditions are the breakpoints (hits) and, for a
 * single-step, BS: B0-B3 say which were met, the rest stays (SDM Vol. 3,
 * 18.2.3). */
static inline uint64_t x86_dr6_after_db(uint64_t dr6, unsigned hits,
                                        bool step)
{
    return (dr6 & ~DR6_B0_3) | hits | (step ? DR6_BS : 0);
}

#endif
