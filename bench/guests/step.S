/* step.S: a straight-line instruction stream counted by fixed counter 0, timed by the TSC. */
#include "bench.h"

/* pmvm single-steps the guest while a counter is enabled and tells the
 * model about each instruction; bench/raw_kvm single-steps the same bytes
 * and does nothing else. Per round: "loop" is the ticks for ITERS passes
 * over STREAM instructions plus dec/jnz, "insns" fixed counter 0 after
 * the round (pmvm only; raw_kvm reads 0), which the host checks. */
#define ROUNDS 3
#define ITERS 20
#define STREAM 500                      /* instructions, a multiple of 5 */
#define MSR_FIXED_CTR0 0x309
#define MSR_FIXED_CTR_CTRL 0x38D
#define MSR_PERF_GLOBAL_CTRL 0x38F

.macro WRMSR32 msr, lo, hi
    mov $\msr, %ecx
    mov $\lo, %eax
    mov $\hi, %edx
    wrmsr
.endm

    .text
    .globl bench_main
bench_main:
    push %r12
    mov $(ITERS * (STREAM + 2)), %esi   /* instructions per round */
    REPORT ops
    WRMSR32 MSR_FIXED_CTR_CTRL, 3, 0    /* FC0: CPL0 and CPL3 */
    mov $ROUNDS, %r12d
1:  WRMSR32 MSR_FIXED_CTR0, 0, 0
    WRMSR32 MSR_PERF_GLOBAL_CTRL, 0, 1  /* enable FC0: stepping starts */
    TSC_START
    mov $ITERS, %r14d
2:  .rept STREAM / 5
    add %rbx, %rax
    xor %rcx, %rdx
    inc %rsi
    mov %rax, %rdi
    lea 8(%rdi), %r8
    .endr
    dec %r14d
    jnz 2b
    TSC_STOP
    mov %rsi, %r15
    WRMSR32 MSR_PERF_GLOBAL_CTRL, 0, 0  /* stepping stops */
    mov %r15, %rsi
    REPORT loop
    mov $MSR_FIXED_CTR0, %ecx
    rdmsr
    shl $32, %rdx
    or %rdx, %rax
    mov %rax, %rsi
    REPORT insns
    dec %r12d
    jnz 1b
    pop %r12
    ret

    .section .note.GNU-stack, "", @progbits
