/* msr.S: RDMSR of IA32_PERF_GLOBAL_CTRL, which pmvm traps, in an unrolled loop timed by the TSC. */
#include "bench.h"

/* Per round: "base" times the empty loop, "loop" the same loop with ten
 * RDMSRs; the host takes (loop - base) / (ITERS * 10) per RDMSR exit. */
#define ROUNDS 5
#define ITERS 1000
#define MSR_PERF_GLOBAL_CTRL 0x38F

    .text
    .globl bench_main
bench_main:
    push %r12
    mov $(ITERS * 10), %esi             /* RDMSRs per round */
    REPORT ops
    mov $ROUNDS, %r12d
1:  TSC_START
    mov $ITERS, %r14d
2:  dec %r14d
    jnz 2b
    TSC_STOP
    REPORT base
    mov $MSR_PERF_GLOBAL_CTRL, %ecx
    TSC_START
    mov $ITERS, %r14d
3:  .rept 10
    rdmsr
    .endr
    dec %r14d
    jnz 3b
    TSC_STOP
    REPORT loop
    dec %r12d
    jnz 1b
    pop %r12
    ret

    .section .note.GNU-stack, "", @progbits
