/* engine.c: a mixed ALU, memory and branch loop counted by fixed counter 0 at CPL0 or CPL3 (BENCH_CPL), timed by the TSC: the engine's speed; with BENCH_ICOUNT, one long run of it timed end to end, for pmvm and QEMU's -icount alike. */
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
/* BENCH_ICOUNT: 20 M iterations (190 M instructions) at CPL0 in one run,
 * counted by fixed counter 0 where the CPU has one (pmvm: the engine runs
 * them all), run as they are where it has none (QEMU TCG); bench/bench.c
 * times the whole process against qemu-system-x86_64 -icount shift=0. */
#ifndef BENCH_ICOUNT
#define BENCH_ICOUNT 0
#endif
#define ICOUNT_ITERS 20000000u
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

/* Fixed counter 0 exists: CPUID.0AH's version 2 or later and at least
 * one fixed counter (EDX[4:0]). */
static bool has_fixed0(void)
{
    uint32_t r[4];

    cpuid(0, 0, r);
    if (r[0] < 0xA)
        return false;
    cpuid(0xA, 0, r);
    return (r[0] & 0xFF) >= 2 && (r[3] & 0x1F) >= 1;
}

static int icount_run(void)
{
    bool count = has_fixed0();

    report("ops", ICOUNT_ITERS / 2 * 19);
    if (count) {
        wrmsr(MSR_FIXED_CTR_CTRL, 0x3);
        wrmsr(MSR_FIXED_CTR0, 0);
        wrmsr(MSR_PERF_GLOBAL_CTRL, 1ull << 32);
    }
    engine_loop(ICOUNT_ITERS);
    if (count) {
        wrmsr(MSR_PERF_GLOBAL_CTRL, 0);
        report("insns", rdmsr(MSR_FIXED_CTR0));
    }
    return 0;
}

int main(void)
{
    if (BENCH_ICOUNT)
        return icount_run();
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
