/* guest_bp.S: the guest's own DR0 execute breakpoint fires, in 32-bit protected mode at CPL0: its #DB handler writes 7 to the exit port; a run to the end writes 0. */
#include "mb.h"
_start:
    mov $0x80000, %esp        /* the #DB frame's */
    /* vector 1: a 32-bit interrupt gate to debug_handler in the boot
     * code segment (0x08, flat, docs/guest-abi.md's entry state) */
    mov $debug_handler, %eax
    mov %ax, idt + 8
    shr $16, %eax
    mov %ax, idt + 14
    lidt idtr
    mov $target, %eax
    mov %eax, %dr0
    mov $0x1, %eax            /* DR7.L0: execute, 1 byte */
    mov %eax, %dr7
    nop
target:
    nop
    mov $0, %al               /* no #DB: the breakpoint did not fire */
    out %al, $0xf4
    jmp .

debug_handler:
    mov $7, %al
    out %al, $0xf4
    jmp .

    .balign 8
idt:
    .quad 0                    /* vector 0 */
    .word 0, 0x08, 0x8e00, 0   /* vector 1, offset filled in above */
idtr:
    .word 15
    .long idt
