/* mb.h: the multiboot header every hand-written test image starts with. */
#define MB_FLAGS 0x2
    .section .text
    .code32
    .align 4
    .long 0x1BADB002, MB_FLAGS, -(0x1BADB002 + MB_FLAGS)
    .globl _start
