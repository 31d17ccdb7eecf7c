/* rdpmc.S: RDPMC of general-purpose counter 0 at four sites, in a loop timed by the TSC. */
#include "bench.h"

/* Four sites, so that pmvm's default covers each with a hardware
 * breakpoint (DR0-DR3); `--trap=step` takes the same image through the
 * single-step path. Each RDPMC is followed by a NOP so that every RDPMC
 * costs a trap of its own in step mode too (pmvm emulates back-to-back
 * RDPMCs at one stop). Per round: "base" times the empty loop, "loop"
 * the loop with four RDPMC+NOP pairs; the host takes
 * (loop - base) / (ITERS * 4) per trapped RDPMC. */
#define ROUNDS 5
#define ITERS 500

    .text
    .globl bench_main
bench_main:
    push %r12
    mov $(ITERS * 4), %esi              /* RDPMCs per round */
    REPORT ops
    mov $ROUNDS, %r12d
1:  TSC_START
    mov $ITERS, %r14d
2:  dec %r14d
    jnz 2b
    TSC_STOP
    REPORT base
    xor %ecx, %ecx
    TSC_START
    mov $ITERS, %r14d
    call rdpmc_sites
    TSC_STOP
    REPORT loop
    dec %r12d
    jnz 1b
    pop %r12
    ret

/* At RDPMC_SITES (bench.h; bench.mk links .sites there), where
 * raw_kvm --rdpmc-bp puts its breakpoints: RDPMC_SITES + 3 * i. */
    .section .sites, "ax"
rdpmc_sites:
    .rept 4
    rdpmc
    nop
    .endr
    dec %r14d
    jnz rdpmc_sites
    ret

    .section .note.GNU-stack, "", @progbits
