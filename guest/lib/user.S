/* user.S: run_user() enters CPL3 with IRETQ and comes back to CPL0 through a deliberate UD2 (#UD). */
#include "x86.h"

/*
 * Why UD2: on the PVM host neither usual way back works. INT n at CPL3 is
 * silently skipped, and SYSCALL (tested) jumps to LSTAR but keeps running
 * natively in host user mode (CS 0x33, SS 0x2b, IF=1 despite FMASK). An
 * exception does reach the guest IDT from CPL3, so the trampoline ends in
 * a UD2 at a known address, and exception.c turns that #UD into an IRETQ
 * to user_return at CPL0 on the run_user() stack.
 */

    .text
/* uint64_t run_user(uint64_t (*fn)(uint64_t), uint64_t arg) */
    .globl run_user
run_user:
    push %rbx                           /* callee-saved: the way back */
    push %rbp                           /* arrives at user_return, */
    push %r12                           /* not here */
    push %r13
    push %r14
    push %r15
    pushfq                              /* restored exactly on return */
    mov %rsp, user_return_rsp(%rip)
    /* Exceptions from CPL3 push their frame at RSP0: keep it below the
     * frames live on this stack. */
    mov %rsp, tss_rsp0(%rip)
    mov %rdi, %rax                      /* fn, for the trampoline */
    mov %rsi, %rdi                      /* arg: fn's first argument */
    pushq $USER_DS                      /* IRETQ frame: ss, rsp, rflags, cs, rip */
    pushq $user_stack_top
    pushq 16(%rsp)                      /* the caller's RFLAGS (pushfq above) */
    pushq $USER_CS
    pushq $user_trampoline
    iretq

/* CPL3, on the user stack (16-byte aligned, so fn sees the ABI's
 * alignment after the call). fn's result stays in rax through the #UD. */
user_trampoline:
    call *%rax
    .globl user_exit_insn
user_exit_insn:
    ud2

/* CPL0, reached by IRETQ from the #UD handler with rsp = user_return_rsp. */
    .globl user_return
user_return:
    popfq
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret                                 /* to run_user's caller, rax = result */

    .bss
    .balign 8
    .globl user_return_rsp
user_return_rsp:
    .quad 0

    .section .note.GNU-stack, "", @progbits
