/* events32.S: ICEBP, INT3, INTO, INT n, UD2 and an undefined opcode at CPL0 in 32-bit protected mode, each through the image's own IDT to a handler of its vector that returns with a 32-bit IRET; the exit status sums each vector's weight: #DB 1, #BP 2, #OF 4, vector 0x30 8, #UD 16 (twice), 47 in all. */
#include "mb.h"
_start:
    mov $0x80000, %esp
    /* 32-bit interrupt gates in the boot code segment (0x08, flat,
     * docs/guest-abi.md's entry state) */
    .macro gate vector, handler
    mov $\handler, %eax
    mov $idt + \vector * 8, %edi
    call set_gate
    .endm
    gate 1, on_db
    gate 3, on_bp
    gate 4, on_of
    gate 6, on_ud
    gate 0x30, on_int30
    lidt idtr
    xor %esi, %esi
    .byte 0xf1                /* ICEBP: #DB, a trap */
    int3
    mov $0x7f, %al
    add $1, %al               /* OF: 0x7F + 1 overflows */
    into
    int $0x30
    ud2
    .byte 0x0f, 0x04          /* no instruction: #UD */
    mov %esi, %eax
    out %al, $0xf4
    jmp .

/* The gate at %edi to the handler at %eax. */
set_gate:
    mov %eax, %ebx
    mov %bx, (%edi)
    movw $0x08, 2(%edi)
    movw $0x8e00, 4(%edi)     /* present, DPL 0, 32-bit interrupt gate */
    shr $16, %ebx
    mov %bx, 6(%edi)
    ret

/* Traps: the frame's EIP is past the instruction. */
on_db:
    add $1, %esi
    iret
on_bp:
    add $2, %esi
    iret
on_of:
    add $4, %esi
    iret
on_int30:
    add $8, %esi
    iret

/* #UD, a fault: the frame's EIP is the instruction's, returned past it
 * (two bytes; one for an ICEBP a CPU without it faults on, as QEMU
 * 7.2's TCG does, so the run ends with the sum that says so). */
on_ud:
    add $16, %esi
    push %eax
    mov 4(%esp), %eax
    cmpb $0xf1, (%eax)
    je 1f
    incl 4(%esp)
1:  incl 4(%esp)
    pop %eax
    iret

    .balign 8
idt:
    .fill 0x31, 8, 0
idtr:
    .word 0x31 * 8 - 1
    .long idt
