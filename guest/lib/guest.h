/* guest.h: the guest runtime API for probes (serial printf, KTAP, fault-safe instructions, CPL3). */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "x86.h"

/*
 * Start-up. The runtime enters 64-bit long mode with its static GDT, IDT,
 * TSS and page tables, turns the multiboot command line into argc/argv
 * (argv[0] is its first word) and calls
 *     int main(int argc, char **argv)     (or int main(void))
 * at CPL0 with interrupts off. main's return value goes to exit().
 */

/* Exit statuses the runtime itself uses. */
#define GUEST_EXIT_PASS 0   /* every KTAP result passed or was skipped */
#define GUEST_EXIT_FAIL 1   /* a KTAP result failed, or the plan was not met */
#define GUEST_EXIT_PANIC 2  /* panic() or an unexpected exception */

/*
 * End the run with (status): writes it to the exit port 0xF4 (pmvm exits
 * with it; QEMU's isa-debug-exit with (status << 1) | 1). If the port does
 * not end the run, halts with interrupts off forever.
 */
noreturn void exit(int status);

/* Print "Bail out! <message>" and exit(GUEST_EXIT_PANIC). */
noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define guest_assert(cond)                                                  \
    ((cond) ? (void)0                                                       \
            : panic("%s:%d: assertion failed: %s", __FILE__, __LINE__, #cond))

/* The multiboot information the loader passed (NULL if not multiboot). */
struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;     /* KiB below 1 MiB / above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;                  /* physical address of a C string */
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;         /* with flags bit 9: a C string */
};
extern const struct multiboot_info *boot_info;

/*
 * Console on COM1. Every port access is a VM exit, so output polls the
 * line status once per 16-byte FIFO burst and sends the burst with one
 * rep outsb. Works at CPL3 too (each port instruction then faults and the
 * #GP handler performs it: slow, but printf and exit work there).
 */
void serial_putc(char c);
void serial_write(const char *s, size_t len);

/*
 * The console: COM1, and the VGA text screen once vga_init() ran (the
 * runtime calls it when GRUB loaded the image: bare metal, where many
 * machines have no serial port; under pmvm or QEMU -kernel 0xB8000 is not
 * a screen). printf and the KTAP lines write here.
 */
void vga_init(void);
void vga_write(const char *s, size_t len);
void console_write(const char *s, size_t len);

/*
 * printf family: %d %i %u %x %X %o %p %s %c %%, flags '-' '0' '#',
 * a width (number or *), a precision for %s, and the length modifiers
 * hh h l ll z. No floating point.
 */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/*
 * KTAP v1 results. Call ktap_plan() first; each ktap_* result prints one
 * numbered line. ktap_finish() returns GUEST_EXIT_PASS, silently, when
 * the plan was met and nothing failed; otherwise it prints the totals as
 * a diagnostic and returns GUEST_EXIT_FAIL. ktap_exit() passes that to
 * exit().
 */
void ktap_plan(unsigned count);                   /* "KTAP version 1", "1..N" */
bool ktap_result(bool ok, const char *fmt, ...)   /* "ok N name" / "not ok N name" */
    __attribute__((format(printf, 2, 3)));
void ktap_skip(const char *reason, const char *fmt, ...) /* "ok N name # SKIP reason" */
    __attribute__((format(printf, 2, 3)));
void ktap_diag(const char *fmt, ...)              /* "# text" */
    __attribute__((format(printf, 1, 2)));
int ktap_finish(void);
noreturn void ktap_exit(void);

/*
 * Fault-safe instructions. Each runs its instruction once; a fault there
 * (at CPL0 or CPL3) resumes right after it, and the call returns the
 * exception vector (0 = no fault, 13 = #GP, 6 = #UD, ...) and stores the
 * error code in *err (0 when there was none; err may be NULL). On a fault
 * *val (or regs) holds 0. These fix-ups, and the runtime's own uses of
 * #GP and #UD from CPL3, take precedence over handlers installed with
 * set_exception_handler().
 *
 * The image holds exactly ONE rdmsr, wrmsr and cpuid instruction and two
 * rdpmc instructions in 64-bit code, inside these functions (pmvm traps
 * each RDPMC site with a hardware breakpoint), so probes must not use
 * these instructions directly: call these functions instead.
 */
uint8_t rdmsr_safe(uint32_t msr, uint64_t *val, uint32_t *err);
uint8_t wrmsr_safe(uint32_t msr, uint64_t val, uint32_t *err);
/* rdpmc_safe loads all of RCX (the CPU ignores RCX[63:32]). */
uint8_t rdpmc_safe(uint64_t rcx, uint64_t *val, uint32_t *err);
/* RDPMC of ECX = type << 16 for each type in [first, end) at the current
 * CPL: stores the types that did not fault in types[], returns how many.
 * Quicker than rdpmc_safe in a loop where CPL0 code is emulated. */
unsigned rdpmc_sweep(uint32_t first, uint32_t end, uint16_t *types);
uint8_t cpuid_safe(uint32_t leaf, uint32_t subleaf, uint32_t regs[4],
                   uint32_t *err);

/* The same, but any fault panics (naming the instruction, vector, error). */
uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t val);
uint64_t rdpmc(uint32_t ecx);
/* regs = {eax, ebx, ecx, edx}. On this project's PVM host CPUID at CPL3
 * returns the host's values, not pmvm's: call it at CPL0. */
void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/*
 * Run fn(arg) at CPL3 on the runtime's user stack (16 KiB) and return its
 * result at CPL0. fn runs with the caller's RFLAGS (so IF as the caller
 * had it); exceptions at CPL3 go to the CPL0 handlers and, when fixed up
 * or handled, return to the CPL3 code. fn returns to CPL0 through a UD2
 * at a runtime address that the #UD handler recognises (SYSCALL and INT n
 * do not work from CPL3 on the PVM host). About 125 us on that host.
 * Not reentrant: do not call it from CPL3 or from a handler.
 */
uint64_t run_user(uint64_t (*fn)(uint64_t), uint64_t arg);

/*
 * Exceptions and interrupts. The IDT has gates for vectors 0-31 and for
 * PMI_VECTOR only; any other vector raises #GP. A handler gets the saved
 * state and may change it (for example rip) before the IRETQ.
 */
struct ex_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
    uint64_t vector, error_code;       /* error_code 0 if the CPU pushed none */
    uint64_t rip, cs, rflags, rsp, ss; /* the hardware frame */
};

typedef void (*ex_handler_t)(struct ex_regs *regs);

/* Install (or with NULL remove) the handler for vector (< IDT_VECTORS). */
void set_exception_handler(unsigned vector, ex_handler_t handler);

/* The #DBs the guest took (debug_tally.c): how many, the last one's RIP. */
struct debug_tally {
    volatile unsigned traps;
    volatile uint64_t rip;
};
extern struct debug_tally debug_tally;
void debug_tally_start(void); /* count from now: the #DB handler */
/* None since the last call? If some, a diagnostic line; counts anew. */
bool debug_tally_none(void);

/* The name of an exception vector ("#GP"), or "" if it has none. */
const char *exception_name(unsigned vector);

/* What a *_safe() call's (vector, error code) came to, as probes print it:
 * "ok", "#GP(0)", "#PF(0x4)", "#UD", or "vector 40". The text lives in a
 * static buffer until the next call. */
const char *exception_outcome(uint8_t vector, uint32_t err);

/* Freestanding string functions (gcc may also call the mem* ones). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif
