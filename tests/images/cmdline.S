/* cmdline.S: echoes the multiboot command line to COM1, then exits 0. */
#include "mb.h"
_start:
    cmp $0x2BADB002, %eax
    jne bad
    mov 16(%ebx), %esi       /* mbi->cmdline */
    mov $0x3f8, %dx
1:  lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  mov $'\n', %al
    out %al, %dx
    mov $0, %al
    out %al, $0xf4
bad:
    mov $3, %al
    out %al, $0xf4
