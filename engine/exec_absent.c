/* exec_absent.c: instructions of features the engine's CPU does not have (VMX and SVM, RDPRU, RDRAND, RDSEED, MONITOR/MWAIT): #UD when the engine is the CPU, as the SDM gives them where CPUID says the feature is absent; beside KVM they go back to it. */
#include "engine/engine_internal.h"

/*
 * engine/cpuid_base.c offers none of these, so a guest that asks CPUID
 * does not use them; one that does gets the processor's answer for an
 * absent feature: #UD (SDM vol. 2, each instruction's "Protected Mode
 * Exceptions": "#UD If CPUID.xx.FEATURE[bit] = 0"; VMCALL and the VMX
 * instructions: "#UD If not in VMX operation"; AMD's APM for SVM and
 * RDPRU). KVM, which has these, keeps answering them when it runs the
 * guest.
 */
static void exec_absent(struct eng *e, const struct eng_insn *in)
{
    (void)in;
    if (!e->ops.machine)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    eng_fault(e, VEC_UD, false, 0);
}

eng_exec_fn eng_exec_absent_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_VMCALL: case ZYDIS_MNEMONIC_VMMCALL:
    case ZYDIS_MNEMONIC_VMLAUNCH: case ZYDIS_MNEMONIC_VMRESUME:
    case ZYDIS_MNEMONIC_VMXON: case ZYDIS_MNEMONIC_VMXOFF:
    case ZYDIS_MNEMONIC_VMPTRLD: case ZYDIS_MNEMONIC_VMPTRST:
    case ZYDIS_MNEMONIC_VMCLEAR: case ZYDIS_MNEMONIC_VMREAD:
    case ZYDIS_MNEMONIC_VMWRITE: case ZYDIS_MNEMONIC_INVEPT:
    case ZYDIS_MNEMONIC_INVVPID: case ZYDIS_MNEMONIC_VMFUNC:
    case ZYDIS_MNEMONIC_VMRUN: case ZYDIS_MNEMONIC_VMLOAD:
    case ZYDIS_MNEMONIC_VMSAVE: case ZYDIS_MNEMONIC_STGI:
    case ZYDIS_MNEMONIC_CLGI: case ZYDIS_MNEMONIC_SKINIT:
    case ZYDIS_MNEMONIC_INVLPGA: case ZYDIS_MNEMONIC_RDPRU:
    case ZYDIS_MNEMONIC_RDRAND: case ZYDIS_MNEMONIC_RDSEED:
    case ZYDIS_MNEMONIC_MONITOR: case ZYDIS_MNEMONIC_MWAIT:
        return exec_absent;
    default:
        return NULL;
    }
}
