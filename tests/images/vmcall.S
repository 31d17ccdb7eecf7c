/* vmcall.S: a VMCALL, which spins inside KVM_RUN on nested PVM hosts, then a spin. */
#include "mb.h"
_start:
    vmcall
    jmp .
