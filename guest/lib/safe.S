/* safe.S: the image's only rdmsr, wrmsr, rdpmc, cpuid and port I/O instructions (64-bit), each fault-safe. */
#include "x86.h"

/*
 * A fault at a listed instruction resumes at its listed resume address
 * with r9 = vector and r10 = error code (exception.c). Registers, not
 * memory, carry the result so a PMI arriving in between cannot mix up
 * two faults. pmvm finds RDPMC sites to trap each with a hardware
 * breakpoint (only four exist), hence two rdpmcs in all: rdpmc_safe's,
 * used at CPL0 and at CPL3, and the sweep's.
 */
.macro EX_ENTRY insn, resume
    .pushsection .ex_table, "a"
    .balign 8
    .quad \insn, \resume
    .popsection
.endm

/* Common tail: store the error code (r10) through r8 unless NULL, and
 * return the vector (r9). */
.macro RETURN_VECTOR
    test %r8, %r8
    jz 9f
    mov %r10d, (%r8)
9:  mov %r9d, %eax
    ret
.endm

    .text
/* uint8_t rdmsr_safe(uint32_t msr, uint64_t *val, uint32_t *err) */
    .globl rdmsr_safe
rdmsr_safe:
    mov %rdx, %r8                       /* err: rdmsr overwrites rdx */
    mov %edi, %ecx
    xor %eax, %eax                      /* a fault leaves *val = 0 */
    xor %edx, %edx
    xor %r9d, %r9d
    xor %r10d, %r10d
1:  rdmsr
2:  shl $32, %rdx
    or %rdx, %rax
    mov %rax, (%rsi)
    RETURN_VECTOR
    EX_ENTRY 1b, 2b

/* uint8_t wrmsr_safe(uint32_t msr, uint64_t val, uint32_t *err) */
    .globl wrmsr_safe
wrmsr_safe:
    mov %rdx, %r8
    mov %edi, %ecx
    mov %esi, %eax
    mov %rsi, %rdx
    shr $32, %rdx
    xor %r9d, %r9d
    xor %r10d, %r10d
1:  wrmsr
2:  RETURN_VECTOR
    EX_ENTRY 1b, 2b

/* uint8_t rdpmc_safe(uint64_t rcx, uint64_t *val, uint32_t *err): all of
 * RCX as given, so a probe can check that RCX[63:32] is ignored. */
    .globl rdpmc_safe
rdpmc_safe:
    mov %rdx, %r8
    mov %rdi, %rcx
    xor %eax, %eax
    xor %edx, %edx
    xor %r9d, %r9d
    xor %r10d, %r10d
    .globl rdpmc_insn, rdpmc_resume   /* for isr.S's fast path */
rdpmc_insn:
1:  rdpmc
rdpmc_resume:
2:  shl $32, %rdx
    or %rdx, %rax
    mov %rax, (%rsi)
    RETURN_VECTOR
    EX_ENTRY 1b, 2b

/* unsigned rdpmc_sweep(uint32_t first, uint32_t end, uint16_t *types):
 * RDPMC with ECX = type << 16 for every type in [first, end); stores each
 * type that did not fault in types[] and returns how many did not. A
 * sweep takes 65,536 RDPMCs that all but fault, and on the PVM host each
 * CPL0 instruction is emulated, so the loop is the RDPMC and a few
 * instructions around it, and isr.S's #GP entry resumes it itself. */
    .globl rdpmc_sweep, rdpmc_sweep_insn, rdpmc_sweep_next
rdpmc_sweep:
    mov %edi, %r8d                      /* the type */
    mov %rdx, %rdi                      /* rdpmc overwrites rdx */
    xor %r11d, %r11d                    /* types stored */
    cmp %esi, %r8d
    jae 3f
1:  mov %r8d, %ecx
    shl $16, %ecx
rdpmc_sweep_insn:
    rdpmc
    mov %r8w, (%rdi,%r11,2)
    inc %r11d
rdpmc_sweep_next:
    inc %r8d
    cmp %esi, %r8d
    jb 1b
3:  mov %r11d, %eax
    ret
    EX_ENTRY rdpmc_sweep_insn, rdpmc_sweep_next

/* uint8_t cpuid_safe(uint32_t leaf, uint32_t subleaf, uint32_t regs[4],
 *                    uint32_t *err) */
    .globl cpuid_safe
cpuid_safe:
    push %rbx                           /* callee-saved; cpuid writes ebx */
    mov %rdx, %r11                      /* regs */
    mov %rcx, %r8                       /* err */
    mov %edi, %eax
    mov %esi, %ecx
    xor %ebx, %ebx
    xor %edx, %edx
    xor %r9d, %r9d
    xor %r10d, %r10d
1:  cpuid
2:  test %r9d, %r9d                     /* a fault leaves regs = 0 */
    jz 3f
    xor %eax, %eax
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
3:  mov %eax, 0(%r11)
    mov %ebx, 4(%r11)
    mov %ecx, 8(%r11)
    mov %edx, 12(%r11)
    pop %rbx
    RETURN_VECTOR
    EX_ENTRY 1b, 2b

/* Port I/O. At CPL3 these fault (#GP: IOPL 0, no I/O bitmap); exception.c
 * then performs the access at CPL0 through these same functions and
 * resumes after the instruction. */
    .globl outb, outb_insn
outb:
    mov %edi, %eax
    mov %esi, %edx
outb_insn:
    out %al, (%dx)
    ret

/* void outsb(uint16_t port, const void *buf, size_t len): one emulated
 * instruction for a whole burst (still one exit per byte). */
    .globl outsb, outsb_insn
outsb:
    mov %rdx, %rcx
    mov %edi, %edx
outsb_insn:
    rep outsb
    ret

    .globl inb, inb_insn
inb:
    mov %edi, %edx
    xor %eax, %eax                      /* return a clean zero-extended byte */
inb_insn:
    in (%dx), %al
    ret

    .section .note.GNU-stack, "", @progbits
