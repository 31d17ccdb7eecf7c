/* boot.S: the multiboot v1 header and the 32-bit entry that switches to 64-bit long mode. */
#include "x86.h"

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000002             /* bit 1: pass mem_* and mmap_* */

/*
 * On the PVM host every CPL0 instruction is emulated (~0.6 us each), so
 * this path is straight-line: the GDT, TSS, IDT and page tables are all
 * static data (tables.S), and nothing here loops. No exception may happen
 * before long mode: a 32-bit IRET cannot be emulated there.
 */

    /* guest.ld puts .text.boot first: the header must lie in the first
     * 8 KiB of the file. int3 padding lets a linear disassembly of the
     * code segment resynchronise at _start. */
    .section .text.boot, "ax"
    .code32
    .balign 4
multiboot_header:
    .long MB_HEADER_MAGIC
    .long MB_FLAGS
    .long -(MB_HEADER_MAGIC + MB_FLAGS)
    .balign 16, 0xcc

/* Multiboot entry: protected mode, paging off, EAX = 0x2BADB002,
 * EBX = multiboot info. Stack, GDTR and IDTR are undefined. */
    .globl _start
_start:
    mov %eax, %edi                      /* runtime_start(magic, info) */
    mov %ebx, %esi
    lgdt gdt_desc                       /* 32-bit LGDT reads limit + base[31:0] */
    mov $pml4, %eax
    mov %eax, %cr3
    mov $CR4_PAE, %eax
    mov %eax, %cr4
    /* On the PVM host pmvm traps and applies this 32-bit EFER write. No
     * SCE: nothing uses SYSCALL (see user.S), so a stray one is a #UD. */
    mov $MSR_EFER, %ecx
    mov $EFER_LME, %eax
    xor %edx, %edx
    wrmsr
    mov $(CR0_PG | CR0_WP | CR0_NE | CR0_ET | CR0_MP | CR0_PE), %eax
    mov %eax, %cr0                      /* long mode is now active (LMA) */
    ljmp $KERNEL_CS, $start64           /* ... and CS.L=1 makes it 64-bit */

    .code64
start64:
    mov $KERNEL_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %fs
    mov %eax, %gs
    mov %eax, %ss
    mov $kernel_stack_top, %rsp
    lidt idt_desc
    mov $TSS_SEL, %eax
    ltr %ax
    call runtime_start                  /* never returns */

    .section .note.GNU-stack, "", @progbits
