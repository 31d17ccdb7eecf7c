/* isr.S: the IDT entry stubs and the common path that saves registers and calls exception_dispatch(). */
#include "x86.h"

/* Vectors for which the CPU pushes an error code itself. */
#define HAS_ERROR_CODE(v) ((v) == 8 || (v) == 10 || (v) == 11 || (v) == 12 || \
                           (v) == 13 || (v) == 14 || (v) == 17 || (v) == 21 || \
                           (v) == 29 || (v) == 30)

    .text
/* One 16-byte stub per vector; tables.S builds each gate from this
 * stride, so every stub must fit in 16 bytes (guest.ld checks the total).
 * Each leaves the same frame: vector, error code (or 0), then the CPU's;
 * #GP's goes by gp_entry first. */
    .balign 16
    .globl isr_stubs
isr_stubs:
    .set vec, 0
    .rept IDT_VECTORS
    .balign 16, 0xcc
    .if vec == 13
    jmp gp_entry
    .else
    .if HAS_ERROR_CODE(vec) == 0
    pushq $0
    .endif
    pushq $vec
    jmp isr_common
    .endif
    .set vec, vec + 1
    .endr
    .balign 16, 0xcc
    .globl isr_stubs_end
isr_stubs_end:

/* Save every GPR in struct ex_regs order (r15 lowest) so handlers can
 * read and change them: fix-ups return the vector in r9, the error code
 * in r10. The stack is 16-byte aligned at the call: the CPU aligns before
 * its 5-quadword frame, and 2 + 15 more quadwords follow. */
isr_common:
    push %rax
    push %rcx
    push %rdx
    push %rbx
    push %rbp
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    cld                                 /* the C ABI wants DF=0 */
    call exception_dispatch
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rbp
    pop %rbx
    pop %rdx
    pop %rcx
    pop %rax
    add $16, %rsp                       /* vector and error code */
    iretq

/* #GP at safe.S's two rdpmcs resumes here without the C path, with the
 * result fixup() in exception.c gives: a probe's sweep of the RDPMC types
 * takes 65,536 #GPs, and on the PVM host every CPL0 instruction of the
 * round trip is emulated. The frame: error code, then the CPU's. */
gp_entry:
    cmpq $rdpmc_sweep_insn, 8(%rsp)     /* the saved RIP */
    je 1f
    cmpq $rdpmc_insn, 8(%rsp)
    jne 2f
    movq $rdpmc_resume, 8(%rsp)
    mov $13, %r9d
    pop %r10                            /* the error code */
    iretq
1:  movq $rdpmc_sweep_next, 8(%rsp)     /* the sweep wants no vector */
    add $8, %rsp
    iretq
2:  pushq $13
    jmp isr_common

    .section .note.GNU-stack, "", @progbits
