/* machine.h: a small x86-64 machine in a buffer for the engine's tests: page tables, GDT, IDT, TSS and exception handlers that stop the engine. */
#ifndef PMVM_TEST_MACHINE_H
#define PMVM_TEST_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* Page flags for machine_map(). */
#define MAP_W (1u << 0)  /* writable */
#define MAP_U (1u << 1)  /* user */
#define MAP_NX (1u << 2) /* not executable */
#define MAP_NP (1u << 3) /* not present: the PTE exists, P = 0 */

/* The guest's kernel half: its descriptor tables, stacks and handlers,
 * supervisor-only, where no test maps anything else. */
#define MACHINE_KERNEL 0x100000000ull
#define MACHINE_IDT (MACHINE_KERNEL + 0x1000)
#define MACHINE_GDT (MACHINE_KERNEL + 0x2000)
#define MACHINE_TSS (MACHINE_KERNEL + 0x3000)
#define MACHINE_HANDLERS (MACHINE_KERNEL + 0x4000) /* vector v at +16v: HLT */
#define MACHINE_KSTACK_TOP (MACHINE_KERNEL + 0x10000)
#define MACHINE_IST1_TOP (MACHINE_KERNEL + 0x12000)

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b
#define SEL_UCODE 0x23
#define SEL_TSS 0x28

/* A second GDT in the same page with Linux's x86-64 layout, for states
 * that must carry the selectors a Linux process has (difftest compares
 * the CS of an exception frame with the one the CPU's signal gives):
 * 0x08 kernel code (the IDT gates' selector), 0x10 kernel data,
 * __USER32_CS 0x23 (32-bit code), __USER_DS 0x2b, __USER_CS 0x33. The TSS
 * descriptor is the first GDT's: a state's TR is already loaded. */
#define MACHINE_GDT_LINUX (MACHINE_GDT + 0x800)
#define LINUX_USER32_CS 0x23
#define LINUX_USER_DS 0x2b
#define LINUX_USER_CS 0x33

struct machine {
    uint8_t *ram;
    uint64_t ram_size;
    uint64_t next_phys;  /* bump allocator of guest-physical pages */
    uint64_t cr3;
};

/* A machine with (ram_size) bytes of RAM, its tables and kernel pages. */
void machine_init(struct machine *m, uint64_t ram_size);
void machine_free(struct machine *m);

/* Maps [la, la + len) to fresh zeroed pages with (flags); returns the
 * first page's guest-physical address. */
uint64_t machine_map(struct machine *m, uint64_t la, uint64_t len,
                     unsigned flags);

/* The page-table entry that maps (la), or NULL. */
uint64_t *machine_pte(struct machine *m, uint64_t la);

/* A host pointer to the byte at linear (la) (mapped by machine_map). */
uint8_t *machine_ptr(struct machine *m, uint64_t la);

/* 64-bit state at (cpl) 0 or 3: the machine's CR3, GDT, IDT, TSS. */
void machine_state(struct machine *m, struct engine_state *st, unsigned cpl,
                   uint64_t rip, uint64_t rsp);

/* The same at CPL3 on the Linux-layout GDT: CS __USER_CS (64-bit
 * mode), or with (compat) __USER32_CS (compatibility mode: L = 0,
 * D = 1), the data segments __USER_DS. */
void machine_state_linux(struct machine *m, struct engine_state *st,
                         bool compat, uint64_t rip, uint64_t rsp);

/* A gate of the IDT: (dpl), (ist), trap (1) or interrupt gate (0). */
void machine_gate(struct machine *m, unsigned vec, unsigned dpl,
                  unsigned ist, bool trap);

/* The vector whose handler the state stopped at, or -1. */
int machine_vector_at(uint64_t rip);

/* The (slot)th 8 bytes above the state's RSP: an exception frame's RIP
 * (0), CS, RFLAGS, RSP and SS. */
uint64_t machine_stack(struct machine *m, const struct engine_state *st,
                       unsigned slot);

/* The machine's CPUID, an engine_ops.cpuid: leaf 80000001H offers long
 * mode and NX (EDX bits 29, 20), which the switch to long mode and
 * EFER.NXE need; leaf 1 offers XSAVE (ECX bit 26) when
 * machine_cpuid_xsave is set. Nothing else. */
extern bool machine_cpuid_xsave;
enum engine_answer machine_cpuid(void *ctx, uint32_t leaf, uint32_t sub,
                                 uint32_t r[4]);

#endif
