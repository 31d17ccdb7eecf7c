/* events32.S: INT3, INT n, INTO, ICEBP, UD2 and an undefined opcode at CPL0 in 32-bit protected mode, each through the image's own IDT to a handler that counts it and returns with a 32-bit IRET; the count, 6, goes to the exit port. */
#include "mb.h"
_start:
    mov $0x80000, %esp
    /* 32-bit interrupt gates in the boot code segment (0x08, flat,
     * docs/guest-abi.md's entry state): traps for vectors 1 (ICEBP's
     * #DB), 3, 4 and 0x30, a fault handler for 6 (#UD) */
    mov $trap, %eax
    mov $idt + 1 * 8, %edi
    call set_gate
    mov $idt + 3 * 8, %edi
    call set_gate
    mov $idt + 4 * 8, %edi
    call set_gate
    mov $idt + 0x30 * 8, %edi
    call set_gate
    mov $undefined, %eax
    mov $idt + 6 * 8, %edi
    call set_gate
    lidt idtr
    xor %esi, %esi
    int3
    int $0x30
    mov $0x7f, %al
    add $1, %al               /* OF: 0x7F + 1 overflows */
    into
    .byte 0xf1                /* ICEBP */
    ud2
    .byte 0x0f, 0x04          /* no instruction: #UD */
    mov %esi, %eax
    out %al, $0xf4
    jmp .

/* The gate at %edi to the handler at %eax (kept). */
set_gate:
    mov %eax, %ebx
    mov %bx, (%edi)
    movw $0x08, 2(%edi)
    movw $0x8e00, 4(%edi)     /* present, DPL 0, 32-bit interrupt gate */
    shr $16, %ebx
    mov %bx, 6(%edi)
    ret

/* A trap (the frame's EIP is past the instruction): counted. */
trap:
    inc %esi
    iret

/* #UD (the frame's EIP is the instruction's, two bytes here): counted,
 * and returns past it. */
undefined:
    inc %esi
    addl $2, (%esp)
    iret

    .balign 8
idt:
    .fill 0x31, 8, 0
idtr:
    .word 0x31 * 8 - 1
    .long idt
