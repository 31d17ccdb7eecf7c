/* user.S: run_user() enters CPL3 with IRETQ and comes back to CPL0 through SYSCALL. */
#include "x86.h"

/*
 * Why SYSCALL: on the PVM host INT n at CPL3 is silently skipped, so a
 * software interrupt cannot bring CPL3 code back; SYSCALL goes through
 * LSTAR (set by start.c, with STAR giving CS 0x08 / SS 0x10), needs no
 * IDT gate and no exception frame.
 */

    .text
/* uint64_t run_user(uint64_t (*fn)(uint64_t), uint64_t arg) */
    .globl run_user
run_user:
    push %rbx                           /* callee-saved: SYSCALL returns */
    push %rbp                           /* to a fresh path, not to here */
    push %r12
    push %r13
    push %r14
    push %r15
    pushfq                              /* SYSCALL masks IF etc.: restore */
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
 * alignment after the call). rax survives SYSCALL, which only clobbers
 * rcx and r11. */
user_trampoline:
    call *%rax
    syscall
    ud2                                 /* not reached */

/* CPL0 via LSTAR, still on the user stack, with RFLAGS masked by FMASK. */
    .globl syscall_entry
syscall_entry:
    mov user_return_rsp(%rip), %rsp
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
user_return_rsp:
    .quad 0

    .section .note.GNU-stack, "", @progbits
