/* boot.S: the benchmark guests' multiboot header, switch to 64-bit mode, result lines and exit. */
#include "bench.h"

/*
 * Linked first at 1 MiB (bench.mk), so that the same bytes serve both
 * VMMs: pmvm boots the ELF through the multiboot entry (_start, 32-bit
 * protected mode) and bench/raw_kvm loads the flat binary at 1 MiB and
 * starts it in long mode at entry64, 1 MiB + 16. From entry64 on, both
 * run identical code at CPL0.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_ET (1 << 4)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define CODE64 0x08
#define DATA 0x10

    .text
    .code32
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    .balign 16, 0xcc
    .code64
    .globl entry64
entry64:                                /* 1 MiB + 16 */
    mov $STACK_TOP, %rsp
    call bench_main
    xor %eax, %eax
    out %al, $EXIT_PORT
1:  hlt
    jmp 1b

/* Straight-line: every CPL0 instruction is emulated on nested PVM. */
    .code32
    .globl _start
_start:
    lgdt gdt_desc
    mov $pml4, %eax
    mov %eax, %cr3
    mov $CR4_PAE, %eax
    mov %eax, %cr4
    mov $MSR_EFER, %ecx                 /* pmvm applies this write itself */
    mov $EFER_LME, %eax
    xor %edx, %edx
    wrmsr
    mov $(CR0_PG | CR0_WP | CR0_NE | CR0_ET | CR0_MP | CR0_PE), %eax
    mov %eax, %cr0
    ljmp $CODE64, $start64
    .code64
start64:
    mov $DATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    jmp entry64

/* void report(const char *tag [rdi], uint64_t value [rsi]): one line,
 * "TAG 0123456789abcdef\n", on COM1. One port exit per byte, outside
 * every timed region. */
    .globl report
report:
    mov $COM1, %dx
1:  mov (%rdi), %al
    test %al, %al
    jz 2f
    out %al, (%dx)
    inc %rdi
    jmp 1b
2:  mov $' ', %al
    out %al, (%dx)
    mov $16, %ecx
3:  rol $4, %rsi
    mov %esi, %eax
    and $0xf, %eax
    mov hex_digits(%rax), %al
    out %al, (%dx)
    dec %ecx
    jnz 3b
    mov $'\n', %al
    out %al, (%dx)
    ret

hex_digits:
    .ascii "0123456789abcdef"

/* Data, in its own segment: pmvm decodes only executable segments when
 * it looks for RDPMC sites. Identity map of the first GiB, 2 MiB pages. */
    .data
    .balign 8
gdt:
    .quad 0
    .quad 0x00AF9B000000FFFF            /* 0x08 code64 */
    .quad 0x00CF93000000FFFF            /* 0x10 data */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
    .balign 4096
pml4:
    .quad pdpt + 0x3
    .fill 511, 8, 0
pdpt:
    .quad pd + 0x3
    .fill 511, 8, 0
pd:
    .set i, 0
    .rept 512
    .quad (i << 21) | 0x83
    .set i, i + 1
    .endr

    .section .note.GNU-stack, "", @progbits
