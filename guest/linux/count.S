/* count.S: the Linux guest's counted program: a static x86-64 executable whose user-mode instructions and branches are counted by hand, for perf stat in the guest (docs/counting.md, "Linux guests"). */

/*
 * From the first instruction the kernel returns to, _start, to the
 * SYSCALL that ends the process:
 *   mov $N, %ecx                       1 instruction
 *   N times: dec %ecx; jnz 1b          2N instructions, N branches
 *                                      (N - 1 taken, the last not)
 *   mov $60, %eax; xor %edi, %edi      2 instructions
 *   syscall                            1 instruction, 1 branch (a far
 *                                      transfer to CPL0, retired at CPL3)
 * = 2N + 4 instructions and N + 1 branches at CPL3: with N = 100000,
 * 200004 and 100001; count_long, N = 25000000 (guest/guest.mk),
 * 50000004 and 25000001.
 */
#ifndef N
#define N 100000
#endif

    .globl _start
    .text
_start:
    mov $N, %ecx
1:  dec %ecx
    jnz 1b
    mov $60, %eax       /* exit */
    xor %edi, %edi
    syscall
    .section .note.GNU-stack, "", @progbits
