/* bench.h: constants and macros the benchmark guests share (bench/guests/). */
#define COM1 0x3F8
#define EXIT_PORT 0xF4
#define STACK_TOP 0x80000
#define RDPMC_SITES 0x100800 /* rdpmc.S: four RDPMC+NOP pairs */

/* r13 = the TSC now (clobbers rax, rdx). */
.macro TSC_START
    rdtsc
    shl $32, %rdx
    or %rax, %rdx
    mov %rdx, %r13
.endm

/* rsi = TSC ticks since TSC_START (clobbers rax, rdx). */
.macro TSC_STOP
    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    sub %r13, %rax
    mov %rax, %rsi
.endm

/* Print "TAG ticks" (report() in boot.S). */
.macro REPORT tag
    lea 9f(%rip), %rdi
    call report
    .pushsection .rodata
9:  .asciz "\tag"
    .popsection
.endm
