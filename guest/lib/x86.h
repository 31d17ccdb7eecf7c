/* x86.h: x86 constants shared by the runtime's C and assembly, and small privileged helpers. */
#ifndef GUEST_X86_H
#define GUEST_X86_H

/* GDT selectors: the layout is part of the guest ABI (pmvm's dump uses it). */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS 0x1b        /* GDT entry 0x18, RPL 3 */
#define USER_CS 0x23        /* GDT entry 0x20, RPL 3 */
#define TSS_SEL 0x28

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_ET (1 << 4)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG 0x80000000

#define CR4_PAE (1 << 5)
#define CR4_PCE (1 << 8)    /* RDPMC allowed at CPL3 */

#define MSR_EFER 0xC0000080
#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_FMASK 0xC0000084
#define MSR_KERNEL_GS_BASE 0xC0000102

#define EFER_SCE (1 << 0)   /* SYSCALL/SYSRET */
#define EFER_LME (1 << 8)
#define EFER_LMA (1 << 10)

#define RFLAGS_TF (1 << 8)
#define RFLAGS_IF (1 << 9)
#define RFLAGS_DF (1 << 10)
#define RFLAGS_NT (1 << 14)
#define RFLAGS_AC (1 << 18)

/* The IDT holds gates for the 32 exceptions and the PMI (LVTPC) vector. */
#define PMI_VECTOR 32
#define IDT_VECTORS 33

#define COM1 0x3F8
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20       /* transmit FIFO empty */
#define EXIT_PORT 0xF4

#ifndef __ASSEMBLER__
#include <stdint.h>

/*
 * Port I/O: one in, one out and one rep outsb in the whole image, so the #GP
 * handler can emulate them when CPL3 code prints (IOPL is not honoured on
 * the PVM host, and CPL3 port I/O faults everywhere with IOPL 0).
 */
void outb(uint8_t val, uint16_t port);
void outsb(uint16_t port, const void *buf, uint64_t len);   /* rep outsb */
uint8_t inb(uint16_t port);

static inline uint64_t read_cr0(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline uint64_t read_cr2(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline uint64_t read_cr4(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static inline void write_cr4(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* The current privilege level: 0 in the runtime, 3 inside run_user(). */
static inline unsigned read_cpl(void)
{
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    return cs & 3;
}

static inline uint64_t read_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq; pop %0" : "=r"(v));
    return v;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void irq_enable(void)
{
    __asm__ volatile("sti" : : : "memory");
}

static inline void irq_disable(void)
{
    __asm__ volatile("cli" : : : "memory");
}

static inline void cpu_pause(void)
{
    __asm__ volatile("pause" : : : "memory");
}
#endif

#endif
