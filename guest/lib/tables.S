/* tables.S: static page tables, GDT, TSS, IDT and stacks, so boot fills nothing at run time. */
#include "x86.h"

#define PTE_P 0x01
#define PTE_W 0x02
#define PTE_U 0x04                      /* every page is user-accessible: run_user() */
#define PTE_PWT 0x08
#define PTE_PCD 0x10
#define PTE_PS 0x80                     /* 2 MiB page in a PD entry */
#define MMIO_START 0xC0000000           /* the 4th GiB: LAPIC, IOAPIC, ... uncached */

    .section .data.pagetables, "aw"
    .balign 4096
/* Identity map of the first 4 GiB with 2 MiB pages: PML4 -> 1 PDPT -> 4 PDs. */
    .globl pml4
pml4:
    .quad pdpt + (PTE_P | PTE_W | PTE_U)
    .fill 511, 8, 0
pdpt:
    .quad pd + 0x0000 + (PTE_P | PTE_W | PTE_U)
    .quad pd + 0x1000 + (PTE_P | PTE_W | PTE_U)
    .quad pd + 0x2000 + (PTE_P | PTE_W | PTE_U)
    .quad pd + 0x3000 + (PTE_P | PTE_W | PTE_U)
    .fill 508, 8, 0
pd:
    .set addr, 0
    .rept 2048
    .if addr >= MMIO_START
    .quad addr | (PTE_P | PTE_W | PTE_U | PTE_PS | PTE_PCD | PTE_PWT)
    .else
    .quad addr | (PTE_P | PTE_W | PTE_U | PTE_PS)
    .endif
    .set addr, addr + 0x200000
    .endr

    .data
/* Layout fixed by the guest ABI. The TSS descriptor is computed by
 * guest.ld from the TSS address, which the assembler cannot split. */
    .balign 16
gdt:
    .quad 0
    .quad 0x00AF9B000000FFFF            /* 0x08 kernel code64: P DPL0 L */
    .quad 0x00CF93000000FFFF            /* 0x10 kernel data */
    .quad 0x00CFF3000000FFFF            /* 0x18 user data (0x1b) */
    .quad 0x00AFFB000000FFFF            /* 0x20 user code64 (0x23) */
    .quad tss_desc_lo                   /* 0x28 64-bit TSS, available */
    .quad tss_desc_hi
gdt_end:

    .globl gdt_desc
gdt_desc:
    .word gdt_end - gdt - 1
    .quad gdt

/* RSP0 is where exceptions from CPL3 start their stack; run_user() moves
 * it below its own frame. No I/O bitmap: the offset is past the limit. */
    .balign 16
    .globl tss, tss_rsp0
tss:
    .long 0
tss_rsp0:
    .quad kernel_stack_top
    .fill 102 - 12, 1, 0
    .word 104                           /* I/O map base = limit + 1: none */

/* Gates for vectors 0..IDT_VECTORS-1 only. The stubs in isr.S are 16 bytes
 * apart and within one 64 KiB block (guest.ld checks), so gate n is gate 0
 * plus 16 * n in its low quadword; guest.ld computes gate 0. */
    .balign 16
idt:
    .set vec, 0
    .rept IDT_VECTORS
    .quad isr_gate0_lo + 16 * vec
    .quad 0                             /* offset[63:32] = 0 */
    .set vec, vec + 1
    .endr
idt_end:

    .globl idt_desc
idt_desc:
    .word idt_end - idt - 1
    .quad idt

/* The loader zero-fills these (p_memsz > p_filesz): nothing to clear. */
    .bss
    .balign 16
    .space 16384
    .globl kernel_stack_top
kernel_stack_top:
    .space 16384
    .globl user_stack_top
user_stack_top:

    .section .note.GNU-stack, "", @progbits
