/* engine.c: a mixed ALU, memory and branch loop counted by fixed counter 0 at CPL0 or CPL3 (BENCH_CPL), timed by the TSC: the engine's speed. */
#include "guest.h"
#include "x86.h"

/*
 * pmvm runs the loop in its engine (a counter counts), and tells the PMU
 * model about each instruction. Per round the guest prints, as
 * bench/guests/boot.S's report() does, "loop" (TSC ticks from just
 * before the WRMSR that starts counting to just after the one that stops
 * it) and "insns" (fixed counter 0), after "ops" (the loop's
 * instructions), which bench/bench.c checks "insns" against.
 *
 * An iteration is 10 instructions when r9 turns odd and 9 when it turns
 * even: 19 for two. Fixed counter 0 counts CPL0 and CPL3 at CPL0, and
 * only CPL3 (USR) at CPL3, so the kernel's way in and out of user mode is
 * not in the count there.
 */
#ifndef BENCH_CPL
#define BENCH_CPL 0
#endif
#define ROUNDS 4
#define ITERS 200000u                   /* even */
#define MSR_FIXED_CTR0 0x309
#define MSR_FIXED_CTR_CTRL 0x38D
#define MSR_PERF_GLOBAL_CTRL 0x38F

uint64_t engine_loop(uint64_t iters);

__asm__(
    "    .text\n"
    "    .globl engine_loop\n"
    "engine_loop:\n"
    "    push %rbx\n"
    "    lea engine_buf(%rip), %rsi\n"
    "    mov %rdi, %rcx\n"
    "    xor %r9d, %r9d\n"
    "1:  mov (%rsi), %rax\n"
    "    add %rax, %rdx\n"
    "    xor %rdx, %r8\n"
    "    mov %r8, 8(%rsi)\n"
    "    inc %r9\n"
    "    test $1, %r9b\n"
    "    jz 2f\n"
    "    add $3, %rdx\n"
    "2:  dec %rcx\n"
    "    jnz 1b\n"
    "    mov %rdx, %rax\n"
    "    pop %rbx\n"
    "    ret\n"
    "    .bss\n"
    "    .balign 64\n"
    "engine_buf: .skip 64\n"
    "    .text\n");

static uint64_t tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static void report(const char *tag, uint64_t v)
{
    printf("%s %016llx\n", tag, (unsigned long long)v);
}

int main(void)
{
    report("ops", ITERS / 2 * 19);
    wrmsr(MSR_FIXED_CTR_CTRL, BENCH_CPL == 3 ? 0x2 : 0x3);
    for (int round = 0; round < ROUNDS; round++) {
        wrmsr(MSR_FIXED_CTR0, 0);
        uint64_t t0 = tsc();
        wrmsr(MSR_PERF_GLOBAL_CTRL, 1ull << 32);
        if (BENCH_CPL == 3)
            run_user(engine_loop, ITERS);
        else
            engine_loop(ITERS);
        wrmsr(MSR_PERF_GLOBAL_CTRL, 0);
        uint64_t t1 = tsc();
        report("loop", t1 - t0);
        report("insns", rdmsr(MSR_FIXED_CTR0));
    }
    return 0;
}
