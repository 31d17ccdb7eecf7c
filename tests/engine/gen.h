/* gen.h: random instruction sequences for the engine's differential test: integer, flag, shift, multiply and divide, string, stack and branch instructions, with some that fault. */
#ifndef PMVM_TEST_GEN_H
#define PMVM_TEST_GEN_H

#include <stddef.h>
#include <stdint.h>

/* The memory both sides map at the same linear addresses. */
#define GEN_CODE 0x4b0000000000ull   /* 2 pages, read and execute */
#define GEN_DATA 0x4b0000010000ull   /* 4 pages, read and write */
#define GEN_DATA_LEN 0x4000
#define GEN_RO 0x4b0000020000ull     /* 1 page, read only */
#define GEN_NONE 0x4b0000030000ull   /* 1 page, no access */
#define GEN_CODE_LEN 0x2000
/* R15 holds GEN_BASE, the base of every ordinary memory operand; RSP
 * starts at GEN_STACK. R13 is the "wild" base that aims accesses at the
 * read-only and inaccessible pages or at non-canonical addresses. */
#define GEN_BASE (GEN_DATA + 0x800)
#define GEN_STACK (GEN_DATA + 0x3800)

/* The 32-bit family's pages, below 4 GiB at the same offsets (EBP holds
 * GEN32_BASE; the wild accesses use absolute or wrapping addresses). */
#define GEN32_CODE 0x4b000000ull
#define GEN32_DATA 0x4b010000ull
#define GEN32_RO 0x4b020000ull
#define GEN32_NONE 0x4b030000ull
#define GEN32_BASE (GEN32_DATA + 0x800)
#define GEN32_STACK (GEN32_DATA + 0x3800)

/* The arithmetic flags a sequence leaves defined at its end. */
#define GEN_FLAGS_ALL 0x8D5u /* CF PF AF ZF SF OF */

struct gen_seq {
    uint8_t code[GEN_CODE_LEN];
    size_t len;             /* ends with UD2 */
    unsigned ninsns;
    /* The flags (of GEN_FLAGS_ALL) defined before the instruction at each
     * offset, where an instruction starts (others 0): what the two sides
     * may be compared on when that instruction faults or ends the run. */
    uint16_t flags_defined[GEN_CODE_LEN];
    /* The modes family's: what each byte is (GEN_MODE_*), for the
     * disassembly of a sequence that differs. */
    uint8_t mode[GEN_CODE_LEN];
};

#define GEN_MODE_32 0   /* 32-bit code (or the family's own) */
#define GEN_MODE_64 1   /* 64-bit code */
#define GEN_MODE_DATA 2 /* a far pointer, never executed */

/* A sequence of about (n) instructions from (seed). */
void gen_sequence(uint64_t seed, unsigned n, struct gen_seq *out);

/* The same in 32-bit code for compatibility mode: only EAX..EDI (ESP
 * the stack, EBP the data base), operand sizes 1, 2 and 4, no REX. */
void gen_sequence32(uint64_t seed, unsigned n, struct gen_seq *out);

/* 32-bit code in compatibility mode that switches to 64-bit mode and
 * back with far JMP, CALL and RET (gen_modes.c); its 64-bit code uses
 * the legacy GPRs alone, RBP the data base. It starts in compatibility
 * mode and may end in either. */
void gen_sequence_modes(uint64_t seed, unsigned n, struct gen_seq *out);

/* A 64-bit pseudo-random number (splitmix64) for the harness's initial
 * registers and memory. */
uint64_t gen_rand(uint64_t *state);

#endif
