/* engine.h: the counting engine: runs guest code in pmvm's process against guest RAM, one retired instruction at a time (no KVM). */
#ifndef PMVM_ENGINE_H
#define PMVM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86.h"
#include "pmu/pmu.h" /* struct pmu_insn, struct pmu_block: the records */

/*
 * An x86-64 interpreter for the code that runs while a PMU counter counts
 * (docs/counting.md, "The engine"): 64-bit mode at any CPL, with the
 * guest's own page tables (permissions, accessed and dirty bits), GDT, IDT
 * and TSS, delivering the exceptions it raises through the guest's IDT as
 * the hardware does. Every instruction it retires is reported to the
 * caller, which the VMM joins to the PMU model. Whatever it does not
 * implement (an instruction, a state such as 32-bit mode or guest debug
 * registers, a memory access outside RAM) it does not guess: it stops
 * before that instruction and says so, and the VMM has KVM execute it.
 *
 * In machine mode (engine_ops.machine, pmvm --accel=engine) the engine is
 * the whole CPU from the Multiboot entry on: it also runs 32-bit code
 * (protected mode with paging off, 32-bit paging with CR4.PSE, PAE
 * paging; compatibility mode), with legacy segmentation (bases, limits,
 * types of usable segments: the state's data segments need s = 1 and
 * present = 1), the control and debug registers, IA32_EFER and the FS/GS
 * base MSRs, descriptor-table and segment loads, far JMP/CALL/RET and
 * IRETD (to an outer privilege too), exceptions and interrupts through
 * a 32-bit IDT (to an inner privilege too, on the 32-bit TSS's stack),
 * and the switch to long mode (SDM 9.8.5). It still stops on real mode
 * and 16-bit code (ENGINE_STOP_STATE, WHY_MODE), call gates, task
 * switches, far RET to an outer privilege in legacy mode (hand-backs,
 * WHY_SYSTEM or WHY_EVENT) and what the engine does not
 * implement at all (WHY_UNIMPLEMENTED: PUSHA, BOUND, ENTER in 32-bit
 * code, x87/SSE, ...). Of the x87, SSE and AVX instructions it runs only
 * those that save, restore and control their state, through the
 * caller's ops->xstate and ops->xcr.
 */

/* A segment register with its hidden part, as the CPU caches it. */
struct engine_seg {
    uint64_t base;
    uint32_t limit;
    uint16_t selector;
    uint8_t type, s, dpl, present, db, l, g;
};

enum engine_gpr {
    ENGINE_RAX, ENGINE_RCX, ENGINE_RDX, ENGINE_RBX, ENGINE_RSP, ENGINE_RBP,
    ENGINE_RSI, ENGINE_RDI, ENGINE_R8, ENGINE_R9, ENGINE_R10, ENGINE_R11,
    ENGINE_R12, ENGINE_R13, ENGINE_R14, ENGINE_R15, ENGINE_NR_GPRS,
};

enum engine_sreg { ENGINE_ES, ENGINE_CS, ENGINE_SS, ENGINE_DS, ENGINE_FS,
                   ENGINE_GS, ENGINE_NR_SREGS };

/* The guest's architectural state the engine reads and writes. */
struct engine_state {
    uint64_t gpr[ENGINE_NR_GPRS];
    uint64_t rip, rflags;
    struct engine_seg seg[ENGINE_NR_SREGS], tr, ldt;
    uint64_t gdt_base, idt_base;
    uint16_t gdt_limit, idt_limit;
    uint64_t cr0, cr2, cr3, cr4, cr8, efer;
    /* The guest's own debug registers: its breakpoints and TF raise #DB
     * in the engine, which sets DR6 as the processor would. */
    uint64_t dr[4], dr6, dr7;
    /* STI or MOV/POP SS just ran: no interrupt before the next one. */
    bool interrupt_shadow;
};

/* The state's CPL (arch/x86.h's x86_cpl(), from CS.RPL). */
static inline unsigned engine_cpl(const struct engine_state *st)
{
    return x86_cpl(st->cr0, st->rflags, st->seg[ENGINE_CS].selector);
}

/* Classes of retired instructions, as the PMU model counts them (the
 * order of pmu/pmu.h's enum pmu_insn_class, which the VMM maps). */
enum engine_class {
    ENGINE_CLASS_OTHER, ENGINE_CLASS_JCC, ENGINE_CLASS_JMP,
    ENGINE_CLASS_JMP_INDIRECT, ENGINE_CLASS_CALL,
    ENGINE_CLASS_CALL_INDIRECT, ENGINE_CLASS_RET, ENGINE_CLASS_FAR,
    ENGINE_CLASS_SERIALIZING, ENGINE_CLASS_FENCE, ENGINE_CLASS_CACHE,
    ENGINE_CLASS_DIV,
};

/* The instructions the VMM's trap and single-step paths look for. */
enum engine_kind {
    ENGINE_KIND_OTHER,
    ENGINE_KIND_RDPMC,
    ENGINE_KIND_RDMSR,
    ENGINE_KIND_WRMSR,
    ENGINE_KIND_CPUID,
    ENGINE_KIND_IO,      /* IN, OUT, INS, OUTS */
    ENGINE_KIND_HLT,
    ENGINE_KIND_IRET,    /* IRET, IRETD, IRETQ */
    ENGINE_KIND_SYSRET,  /* SYSRET, SYSEXIT: always to CPL3 */
    ENGINE_KIND_POPF,    /* POPF, POPFD, POPFQ */
    ENGINE_KIND_PUSHF,   /* PUSHF, PUSHFD, PUSHFQ */
    ENGINE_KIND_SYSCALL, /* SYSCALL, SYSENTER, INT n, INT3, INT1, INTO */
    ENGINE_KIND_MOV_DR,  /* MOV to or from a debug register */
};

/* What counting and the single-step path need of one instruction
 * (engine/decode.c): the one classification of pmvm. */
struct engine_insn_info {
    unsigned length;
    unsigned mnemonic;     /* Zydis' ZydisMnemonic */
    enum engine_kind kind;
    enum engine_class cls;
    bool rep;              /* a REP, REPE or REPNE prefix */
    bool relative;         /* a near branch to addr + length + rel (or
                              XBEGIN's fallback address) */
    int64_t rel;
    bool xbegin;
    bool mem_read, mem_write; /* memory it reads or writes itself */
};

/* Decodes (len) bytes as (mode_bits) 16-, 32- or 64-bit code: 0, or -1
 * if they hold no valid instruction. */
int engine_insn_info(const uint8_t *code, size_t len, unsigned mode_bits,
                     struct engine_insn_info *out);

/*
 * Finds every RDPMC in (len) bytes of 64-bit code at address (base),
 * decoding linearly and resynchronising byte by byte after anything
 * undecodable. Stores up to (max) addresses in (sites); returns how many
 * were found in all (which may exceed max).
 */
size_t engine_find_rdpmc(const uint8_t *code, size_t len, uint64_t base,
                         uint64_t *sites, size_t max);


/* A block's instructions are plain loads, stores and read-modify-writes,
 * PUSH/POP of memory and near CALL/RET through memory: two accesses at
 * most (ENTER and the string instructions are never in one). */
#define ENGINE_BLOCK_MAX_ACCESSES 2

/* What a callback answers about an MSR or RDPMC. */
enum engine_answer {
    ENGINE_OK,       /* done, with the value */
    ENGINE_GP,       /* raise #GP(0) */
    ENGINE_NOT_MINE, /* the caller does not handle it: stop, KVM runs it */
};

/* A memory access, for a model of the caches. */
enum engine_mem { ENGINE_MEM_READ, ENGINE_MEM_WRITE, ENGINE_MEM_FLUSH };

/* The caller's side: the VMM answers these from the PMU model. */
struct engine_ops {
    void *ctx;
    /* An instruction retired (after its effects). True: stop after it. */
    bool (*retire)(void *ctx, const struct pmu_insn *r);
    /* (n) retirements at once of the instruction (r), which repeats
     * exactly (a LOOP to itself); *done of them retired (from 1 to n).
     * True: stop after them. May be NULL: each retires on its own. */
    bool (*retire_repeat)(void *ctx, const struct pmu_insn *r,
                          uint64_t n, uint64_t *done);
    /* How many instructions may retire next, one after another, with no
     * stop due after any of them (UINT64_MAX: no limit; 0: each retires
     * through retire, which may ask to stop after it). With it, the
     * engine runs traces of decoded instructions (engine/trace.c), up to
     * that many instructions in all, and retires them through
     * retire_block, one block of up to PMU_BLOCK_RECORDS records, which
     * counts them as retire would one at a time. It asks again only after
     * retiring what it ran. Both NULL: every instruction, in a trace or
     * not, goes through retire. */
    uint64_t (*block_room)(void *ctx);
    bool (*retire_block)(void *ctx, const struct pmu_block *b);
    /* With retire_block: false while the caller wants no record of the
     * instructions traces retire at (cpl) (nothing counts, no stop to
     * make there): those traces are then only counted (engine_exit's
     * retired); instructions that run on their own still go through
     * retire. Asked at the start of each run and after each WRMSR the
     * caller answers. NULL: it wants them all. */
    bool (*retire_wanted)(void *ctx, unsigned cpl);
    /* How many instructions traces retired with no record since the
     * last call: before any other retires, and before a run ends (the
     * caller's clock, say). May be NULL. */
    void (*retired_plain)(void *ctx, uint64_t n);
    /* No traces: every instruction decoded, checked and retired on its
     * own, as before traces were (the reference tests/engine/test_trace.c
     * holds traces to). */
    bool no_traces;
    /* A memory access of the instruction about to retire (guest-physical
     * address), in program order; may be NULL. */
    void (*mem_access)(void *ctx, uint64_t gpa, enum engine_mem kind);
    /* False while mem_access ignores every access (nothing counts): the
     * engine then skips the calls, and may copy or fill a REP MOVS or
     * STOS a page at a time. Asked at the start of each run and after
     * each WRMSR the caller answers (only a WRMSR may change it). NULL:
     * mem_access wants them all. */
    bool (*mem_access_wanted)(void *ctx);
    enum engine_answer (*rdmsr)(void *ctx, uint32_t msr, uint64_t *val);
    /* True in *stop: stop after this WRMSR (it may have ended counting). */
    enum engine_answer (*wrmsr)(void *ctx, uint32_t msr, uint64_t val,
                                bool *stop);
    enum engine_answer (*rdpmc)(void *ctx, uint32_t ecx, unsigned cpl,
                                bool cr0_pe, bool cr4_pce, uint64_t *val);
    /* CPUID as the guest sees it at CPL0 (ENGINE_NOT_MINE: a leaf the
     * caller leaves to KVM). The engine also asks it which features the
     * guest has (1-GiB pages, MAXPHYADDR, RDTSCP, RDPID, RTM); NULL: a
     * CPU whose CPUID offers none of them. */
    enum engine_answer (*cpuid)(void *ctx, uint32_t leaf, uint32_t subleaf,
                                uint32_t regs[4]);
    /* The time-stamp counter RDTSC reads; false: KVM reads it (the
     * engine hands RDTSC back). May be NULL. */
    bool (*rdtsc)(void *ctx, uint64_t *tsc);
    /* The system MSRs SYSCALL, SYSRET, SWAPGS, RDTSCP and RDPID use
     * (STAR, LSTAR, SFMASK, KERNEL_GS_BASE, TSC_AUX), read and written
     * through the caller; false: it cannot, and the engine hands the
     * instruction back. */
    bool (*sys_msr_read)(void *ctx, uint32_t msr, uint64_t *val);
    bool (*sys_msr_write)(void *ctx, uint32_t msr, uint64_t val);
    /* Port I/O the guest may do (the engine checked IOPL and the TSS's
     * bitmap): *val is written for OUT, read for IN. True in *stop: stop
     * after the instruction (the guest ended itself). May be NULL: every
     * port access is then handed back. */
    enum engine_answer (*io)(void *ctx, uint16_t port, unsigned size,
                             bool in, uint32_t *val, bool *stop);
    /* The engine is the whole CPU (pmvm --accel=engine): it runs the
     * system instructions and the 32-bit protected mode it would
     * otherwise hand back (control and debug registers, IA32_EFER,
     * IA32_FS_BASE, IA32_GS_BASE, descriptor tables, segment loads, far
     * transfers, HLT as ENGINE_STOP_HALT). False: everything as without
     * it, 64-bit mode only. */
    bool machine;
    /* Outside machine mode, the engine runs MOV to CR3 itself (at CPL0,
     * with its #GP rules) rather than handing it back: the caller gives
     * the new CR3 to the vCPU with the state, and learns from
     * engine_exit.flushed_tlb that the run flushed TLB entries. */
    bool cr3_writes;
    /* A data access of (size) 1, 2, 4 or 8 bytes to guest-physical
     * (gpa) outside RAM (the local APIC page in practice): *val is read
     * for a write, written for a read. Only a plain load or store through
     * a segment (a MOV's) comes here; one that crosses a page, a locked
     * read-modify-write, a descriptor-table or page-table access outside
     * RAM still hand back ENGINE_WHY_MMIO. NULL, or ENGINE_NOT_MINE: hand
     * back ENGINE_WHY_MMIO; ENGINE_GP raises #GP(0). */
    enum engine_answer (*mmio)(void *ctx, uint64_t gpa, unsigned size,
                               bool write, uint64_t *val);
    /* The guest's x87, SSE and AVX state, which the caller keeps (KVM's
     * vCPU): read (write false) or replace (write true) it whole as an
     * XSAVE area of (size) bytes, ENGINE_XSAVE_SIZE, in the standard
     * (non-compacted) format that KVM_GET_XSAVE gives: the legacy region
     * (bytes 0-511) in FXSAVE64's layout, the XSAVE header at 512 with
     * XSTATE_BV (XCOMP_BV 0), component i at CPUID.(EAX=0DH,ECX=i).EBX,
     * and each component the header's XSTATE_BV leaves clear in its
     * initial configuration. The engine runs the state-management
     * instructions through it (engine/exec_xstate.c, exec_fpu.c):
     * FXSAVE, FXRSTOR, XSAVE, XSAVEOPT, XSAVEC, XRSTOR, FNINIT, FWAIT,
     * FNSTCW, FLDCW, FNSTSW, FNCLEX, LDMXCSR, STMXCSR. NULL, or false:
     * they are handed back (ENGINE_WHY_UNIMPLEMENTED), as is all other
     * x87, SSE and AVX code in any case. */
    bool (*xstate)(void *ctx, void *area, size_t size, bool write);
    /* Extended control register (index) (XCR0; 1 is read-only and
     * comes from the XSAVE area), read or written, for XGETBV, XSETBV and
     * the XSAVE family's requested-feature bitmap; the engine checked the
     * value it writes as XSETBV does. NULL, or false: those are handed
     * back. */
    bool (*xcr)(void *ctx, uint32_t index, uint64_t *val, bool write);
};

/* The XSAVE area ops->xstate moves: KVM's struct kvm_xsave region. */
#define ENGINE_XSAVE_SIZE 4096

/* Why engine_run() returned. The state is always consistent: it is the
 * guest's state after the last instruction that retired. */
enum engine_stop {
    ENGINE_STOP_RETIRE,     /* ops->retire or ops->wrmsr asked */
    ENGINE_STOP_BUDGET,     /* the instruction budget ran out */
    ENGINE_STOP_HANDBACK,   /* the next instruction is KVM's to run */
    ENGINE_STOP_STATE,      /* the state is one the engine does not run */
    ENGINE_STOP_SHUTDOWN,   /* a triple fault (a fault delivering #DF):
                               the state is the one before the event */
    ENGINE_STOP_HALT,       /* machine mode only: a HLT at CPL0 retired
                               (through ops->retire, RIP after it) and
                               the vCPU waits for an interrupt; the
                               caller decides what comes next */
};

/* Why the next instruction is KVM's (ENGINE_STOP_HANDBACK), or why the
 * engine does not run the state (ENGINE_STOP_STATE). */
enum engine_why {
    ENGINE_WHY_NONE,
    ENGINE_WHY_UNIMPLEMENTED, /* an instruction the engine does not run */
    ENGINE_WHY_IO,            /* port I/O */
    ENGINE_WHY_MMIO,          /* a memory access outside RAM */
    ENGINE_WHY_MSR,           /* an MSR the caller does not handle */
    ENGINE_WHY_SYSTEM,        /* a system instruction left to KVM
                                 (descriptor tables, control registers) */
    ENGINE_WHY_EVENT,         /* an event through a descriptor the engine
                                 does not run (a TSS that is not there) */
    ENGINE_WHY_MODE,          /* not 64-bit mode (machine mode: not
                                 protected mode with a 32-bit or 64-bit
                                 code segment) */
    ENGINE_WHY_FEATURE,       /* a control bit the engine does not model
                                 (TF, DR7, PKE, LA57, ...) */
    ENGINE_WHY_HALT,          /* HLT: the vCPU waits for an interrupt */
};

struct engine_exit {
    enum engine_stop stop;
    enum engine_why why;
    uint64_t retired;         /* instructions retired by this run */
    /* For a hand-back: the instruction at state->rip, decoded. */
    unsigned length;
    enum engine_class cls;
    bool relative;            /* a near branch to rip + length + rel */
    int64_t rel;
    /* it flushes TLB entries (SDM 4.10.4.1): INVLPG, INVPCID, MOV to CR0
     * or CR4, MOV to CR3 unless CR4.PCIDE and the source's bit 63 */
    bool flushes_tlb;
    /* An instruction this run ran flushed TLB entries (with
     * ops.cr3_writes, a MOV to CR3 unless CR4.PCIDE and bit 63) */
    bool flushed_tlb;
    char mnemonic[24];        /* for messages */
};

struct engine;

/* An engine over (ram_size) bytes of guest RAM at guest-physical 0,
 * 16-byte aligned at least (malloc's and mmap's are). NULL on allocation
 * failure, or for RAM not so aligned. */
struct engine *engine_create(uint8_t *ram, uint64_t ram_size,
                             const struct engine_ops *ops);
void engine_destroy(struct engine *e);

/*
 * Runs the guest from (st) until a stop, at most (budget) instructions;
 * (st) is updated in place. Before the first run, and whenever anything
 * outside the engine may have written guest memory or paging state (KVM
 * ran the guest), call engine_flush(), or its parts below.
 */
void engine_run(struct engine *e, struct engine_state *st, uint64_t budget,
                struct engine_exit *out);

/*
 * Delivers external interrupt (vector) through the IDT now, as the CPU
 * does at an instruction boundary with RFLAGS.IF set (the caller checked
 * IF, the interrupt shadow and the local APIC's priorities). False: its
 * delivery would fault, the state is unchanged, and KVM must deliver it.
 * (Machine mode, legacy protected mode: through a 32-bit interrupt or
 * trap gate; false for a task gate, 16-bit code or stacks. Where the
 * engine is the CPU, nothing else can deliver it: pmvm ends the run.)
 */
bool engine_interrupt(struct engine *e, struct engine_state *st,
                      unsigned vector);

/*
 * Undoes the delivery of an event whose frame (RIP, CS, RFLAGS, RSP, SS)
 * is at the state's RSP, as IRETQ would return from it, but to (rip)
 * and with RFLAGS.RF clear: the faulting instruction then counts as
 * retired (pmvm answered it). False: IRETQ would fault there or the
 * engine does not run it; the state is unchanged.
 */
bool engine_event_return(struct engine *e, struct engine_state *st,
                         uint64_t rip);

/* Forget cached translations and decoded instructions. */
void engine_flush(struct engine *e);

/* What engine_flush() does, in parts, for a caller that knows which
 * guest-physical pages were written outside the engine: forget cached
 * translations (the guest's paging may have changed); drop the decoded
 * instructions of the pages whose bits are set in (bitmap), bit i of
 * word i / 64 for page i, as many bits as RAM has pages; or of one page. */
void engine_flush_tlb(struct engine *e);
void engine_pages_written(struct engine *e, const uint64_t *bitmap);
void engine_page_written(struct engine *e, uint64_t gpa);

/* One CPUID leaf: (leaf, subleaf) -> EAX, EBX, ECX, EDX. */
struct engine_cpuid_leaf {
    uint32_t leaf, subleaf;
    uint32_t regs[4];
};

/* The CPUID of the CPU the engine implements, when it is the whole CPU
 * (engine/cpuid_base.c): its leaves in *leaves, their number returned. */
size_t engine_cpuid_base(const struct engine_cpuid_leaf **leaves);

/* A short name for a why, for messages. */
const char *engine_why_name(enum engine_why why);

/* Executed and retired instructions so far (statistics). */
uint64_t engine_retired_total(const struct engine *e);

#endif
