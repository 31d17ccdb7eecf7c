/* count_user.c: a guest kernel runs a user-mode loop while counters count; USR, OS and both give exact, separate counts. */
#include "guest.h"
#include "x86.h"

/*
 * The measured path is all assembly, so every count is known (pmu-spec
 * 3.1: OS counts CPL 0, USR CPL 1-3; checklist 47: the enabling WRMSR
 * counts, the disabling one does not):
 *
 *   CPL0: wrmsr (GLOBAL_CTRL on), 4 pushes, pushfq, iretq      =  7
 *   CPL3: mov, N x (dec, jnz), syscall                          = 2N + 2
 *   CPL0: mov (the kernel stack), xor, xor, mov, [wrmsr off]    =  4
 *
 * GP0 counts INST_RETIRED with USR, GP1 with OS, fixed counter 0 with
 * both. The way back is SYSCALL to LSTAR.
 */

#define MSR_PMC0 0xC1u
#define MSR_EVTSEL0 0x186u
#define MSR_FIXED_CTR0 0x309u
#define MSR_FIXED_CTR_CTRL 0x38Du
#define MSR_GLOBAL_CTRL 0x38Fu

#define EVTSEL_USR (1ull << 16)
#define EVTSEL_OS (1ull << 17)
#define EVTSEL_EN (1ull << 22)
#define EV_INSTRUCTIONS 0xC0u
#define LOOPS 100000u
#define N_CHECKS 3

uint64_t count_user_region(uint64_t loops);

__asm__(
    "    .text\n"
    "    .globl count_user_region\n"
    "count_user_region:\n"
    "    push %rbx\n    push %rbp\n    push %r12\n"
    "    push %r13\n    push %r14\n    push %r15\n"
    "    mov %rsp, count_user_rsp(%rip)\n"
    "    mov %rdi, %r12\n"
    "    mov $0x38f, %ecx\n"
    "    mov $0x3, %eax\n"        /* GP0, GP1 */
    "    mov $0x1, %edx\n"        /* fixed counter 0 */
    "    wrmsr\n"
    "    pushq $0x1b\n"           /* USER_DS */
    "    pushq $user_stack_top\n"
    "    pushfq\n"
    "    pushq $0x23\n"           /* USER_CS */
    "    pushq $count_user_loop\n"
    "    iretq\n"
    "count_user_loop:\n"
    "    mov %r12d, %ecx\n"
    "1:  dec %ecx\n"
    "    jnz 1b\n"
    "    syscall\n"
    "    .globl count_user_back\n"
    "count_user_back:\n"
    "    mov count_user_rsp(%rip), %rsp\n"
    "    xor %eax, %eax\n"
    "    xor %edx, %edx\n"
    "    mov $0x38f, %ecx\n"
    "    wrmsr\n"
    "    pop %r15\n    pop %r14\n    pop %r13\n"
    "    pop %r12\n    pop %rbp\n    pop %rbx\n"
    "    ret\n"
    "    .bss\n"
    "    .balign 8\n"
    "count_user_rsp: .quad 0\n"
    "    .text\n");

extern char count_user_back[];

int main(void)
{
    uint32_t r[4];

    ktap_plan(N_CHECKS);
    if (cpuid_safe(0xA, 0, r, NULL) || (r[0] & 0xFF) < 2 ||
        ((r[0] >> 8) & 0xFF) < 2 || (r[3] & 0x1F) < 1) {
        for (unsigned i = 0; i < N_CHECKS; i++)
            ktap_skip("no architectural PMU with 2 GP and a fixed counter",
                      "user and kernel counts");
        return ktap_finish();
    }
    /* SYSCALL to count_user_back at CPL0 (KERNEL_CS); FMASK 0: the
     * flags stay as they are. */
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1);
    wrmsr(MSR_STAR, (uint64_t)KERNEL_CS << 32 | (uint64_t)0x10 << 48);
    wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)count_user_back);
    wrmsr(MSR_FMASK, 0);
    wrmsr(MSR_GLOBAL_CTRL, 0);
    wrmsr(MSR_EVTSEL0, EVTSEL_USR | EVTSEL_EN | EV_INSTRUCTIONS);
    wrmsr(MSR_EVTSEL0 + 1, EVTSEL_OS | EVTSEL_EN | EV_INSTRUCTIONS);
    wrmsr(MSR_FIXED_CTR_CTRL, 0x3); /* fixed counter 0: OS and USR */
    wrmsr(MSR_PMC0, 0);
    wrmsr(MSR_PMC0 + 1, 0);
    wrmsr(MSR_FIXED_CTR0, 0);

    count_user_region(LOOPS);

    uint64_t usr = rdmsr(MSR_PMC0), os = rdmsr(MSR_PMC0 + 1);
    uint64_t all = rdmsr(MSR_FIXED_CTR0);
    wrmsr(MSR_EVTSEL0, 0);
    wrmsr(MSR_EVTSEL0 + 1, 0);
    wrmsr(MSR_FIXED_CTR_CTRL, 0);
    ktap_diag("obs count_user usr = %llu", (unsigned long long)usr);
    ktap_diag("obs count_user os = %llu", (unsigned long long)os);
    ktap_diag("obs count_user all = %llu", (unsigned long long)all);
    ktap_result(usr == 2 * LOOPS + 2, "USR counts the user loop: %llu, "
                "want %u", (unsigned long long)usr, 2 * LOOPS + 2);
    ktap_result(os == 11, "OS counts the kernel's 11: %llu",
                (unsigned long long)os);
    ktap_result(all == 2 * LOOPS + 13, "OS and USR count both: %llu, want "
                "%u", (unsigned long long)all, 2 * LOOPS + 13);
    return ktap_finish();
}
