/* engine_internal.h: the engine's state, decoded instructions and helpers, shared by the engine/ sources only. */
#ifndef PMVM_ENGINE_INTERNAL_H
#define PMVM_ENGINE_INTERNAL_H

#include <setjmp.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "arch/x86.h"
#include "engine/engine.h"


/* How an instruction's execution ends early (longjmp from deep inside a
 * memory access or a check). */
enum eng_unwind {
    UNWIND_NONE,
    UNWIND_FAULT,     /* an exception, in e->fault: deliver it */
    UNWIND_HANDBACK,  /* stop before this instruction, e->why says why */
    UNWIND_SHUTDOWN,  /* a fault while delivering #DF: a triple fault */
    UNWIND_REP_DB,    /* a #DB between two iterations of a REP string
                       * instruction: deliver it, the REP resumable */
};

/* One operand, as the executor needs it. */
enum eng_opnd_type { OPND_NONE, OPND_REG, OPND_MEM, OPND_IMM, OPND_PTR };

struct eng_opnd {
    uint8_t type;        /* enum eng_opnd_type */
    uint8_t size;        /* bytes */
    /* OPND_REG: a GPR (reg < 16; high8: AH..BH) or, with kind, another */
    uint8_t reg;
    uint8_t high8;
    uint8_t regkind;     /* REGK_* */
    /* OPND_MEM */
    int8_t base;         /* GPR, REG_RIP or REG_NONE */
    int8_t index;
    uint8_t scale;
    uint8_t seg;         /* enum engine_sreg */
    bool agen;           /* address generation only (LEA, NOP) */
    int64_t disp;
    /* OPND_IMM / OPND_PTR */
    uint64_t imm;
    uint16_t ptr_seg;
};

#define REG_NONE (-1)
#define REG_RIP (-2)

enum { REGK_GPR, REGK_SEG, REGK_CR, REGK_DR, REGK_OTHER };

struct eng;
struct eng_insn;
typedef void (*eng_exec_fn)(struct eng *e, const struct eng_insn *in);

/* A decoded instruction (cached by its guest-physical address). */
struct eng_insn {
    eng_exec_fn exec;
    uint16_t mnemonic;       /* ZydisMnemonic */
    uint8_t length;
    uint8_t opsize;          /* operand size, bytes */
    uint8_t addrsize;        /* address size, bytes */
    uint8_t nopnd;
    uint8_t cls;             /* enum engine_class */
    uint8_t cc;              /* Jcc/SETcc/CMOVcc condition (eng_cc_of) */
    bool rep, repne, lock;
    bool mem_read, mem_write;
    uint8_t trace;           /* enum eng_trace_role */
    bool lazy;               /* its handler keeps the arithmetic flags
                                lazy (exec_fast.c): no sync before it */
    struct eng_opnd op[4];
};

/* Where an instruction may stand in a trace (engine/trace.c). */
enum eng_trace_role {
    TRACE_NEVER,   /* runs on its own (step()): system, string, far, ... */
    TRACE_IN,      /* a general-purpose instruction of class OTHER */
    TRACE_END,     /* ends one: a near branch, DIV, a fence, CLFLUSH */
};

/* A trace: the instructions from one guest-physical address up to the
 * first that ends a trace, one that never stands in one, the end of the
 * page or TRACE_MAX, decoded, with their handlers. n == 0: the first
 * instruction runs on its own. */
#define TRACE_MAX 32

struct eng_trace {
    uint64_t gpa;
    uint32_t gen;            /* its page's generation when decoded (in
                                64-bit mode: traces run in no other) */
    uint8_t n;
    uint8_t plain[2];        /* of the first n - 1: without, with a read */
    bool all_lazy;           /* every instruction's handler is lazy */
    uint16_t len;            /* bytes, its instructions' lengths summed */
    /* the trace that last followed it, fall-through [0] and branch taken
     * [1]: its pool offset, valid in that pool generation */
    uint32_t next_off[2], next_pool_gen[2];
    struct eng_insn ins[];
};

/* The trace cache: traces in a pool, found through a direct-mapped table
 * of pool offsets by guest-physical address; a flush or a full pool
 * starts the pool again (a new pool generation empties the table). */
#define TRACE_BUCKETS 8192
#define TRACE_POOL (4u << 20)

struct trace_bucket {
    uint32_t off;            /* in the pool */
    uint32_t pool_gen;       /* valid in this generation only */
};

/* The decoded-instruction cache: direct-mapped by guest-physical address,
 * valid while the page's generation is unchanged (self-modifying code
 * bumps it). The map holds each bucket's slot in a pool filled in order
 * of first use, so a short run touches few host pages. */
#define ICACHE_SLOTS 16384
_Static_assert(ICACHE_SLOTS < 65536, "icache_map holds a pool index + 1");

struct icache_slot {
    uint64_t gpa;            /* ~0: empty */
    uint32_t gen;
    uint32_t epoch;          /* valid only in the epoch it was filled in */
    uint8_t mode;            /* decoded as 32- or 64-bit code */
    struct eng_insn in;
};

/* The software TLB: direct-mapped by the linear page's low bits, folded
 * with the bits above them, so that any 128 MiB of contiguous pages has a
 * slot each (a guest sweeping a large array walks its tables once), and
 * pages 2 MiB apart, code and stack say, do not evict each other. */
#define TLB_BITS 15
#define TLB_SLOTS (1u << TLB_BITS)

/* What an access may do through a slot with no check and no side effect
 * (tlb_tag.host_fast's low bits; mem_fast.h's tlb_hit()) */
enum tlb_fast {
    TLB_FAST_READ_SUP = 1, TLB_FAST_READ_USER = 2,
    TLB_FAST_WRITE_SUP = 4, TLB_FAST_WRITE_USER = 8,
};
#define TLB_FAST_ALL 0xFu

/*
 * A slot's tag and fast path, 16 bytes apart from the rest of it, so that
 * a guest storing across many pages (a sieve's large strides) keeps
 * those its fast path reads in the host's caches. The tag is the linear
 * page number + 1 (at most 53 bits) with the TLB's epoch, mod
 * TLB_EPOCHS, above it: a flush is a new epoch (eng_tlb_flush()), and
 * clears the slots when the epochs come round. 0: empty.
 */
#define TLB_EPOCH_SHIFT 53
#define TLB_EPOCHS (1u << (64 - TLB_EPOCH_SHIFT))
struct tlb_tag {
    uint64_t tag;
    uintptr_t host_fast;     /* the frame in RAM (16-byte aligned, as
                                engine_create() asks) | enum tlb_fast;
                                0 outside RAM */
};

struct tlb_slot {
    uint64_t pfn;            /* guest-physical page number */
    bool user, write, exec;  /* the walk's combined permissions */
    bool accessed;           /* A is set in every entry of the walk */
    bool dirty;              /* D is set (writes need no walk) */
    uint8_t nent;
};

/* The low doublewords (A and D are there, in 4- and 8-byte entries alike)
 * of a slot's walk entries, until A is set: apart from the slots, which
 * every access reads. */
struct tlb_walk {
    uint32_t *ent[4];
};

static inline unsigned eng_tlb_index(uint64_t la)
{
    uint64_t vpn = la >> 12;

    return (unsigned)(vpn ^ vpn >> TLB_BITS) & (TLB_SLOTS - 1);
}

/* (la)'s page's tag in this epoch (struct tlb_tag). */
static inline uint64_t eng_tlb_tag(uint64_t la, uint32_t epoch)
{
    return ((la >> 12) + 1) |
           (uint64_t)(epoch % TLB_EPOCHS) << TLB_EPOCH_SHIFT;
}

#define MAX_MEM_LOG 8


/*
 * The arithmetic flags of the last ALU, INC or DEC a fast handler ran
 * (exec_fast.c), as its operands and result: computed only where
 * something reads them (a Jcc, from these; anything else, from RFLAGS,
 * after eng_flags_sync()). LAZY_NONE: RFLAGS holds them.
 */
enum lazy_op { LAZY_NONE, LAZY_ADD, LAZY_SUB, LAZY_LOGIC, LAZY_INC,
               LAZY_DEC };

struct lazy_flags {
    uint8_t op;              /* enum lazy_op */
    uint8_t size;            /* bytes */
    uint64_t a, b, res;      /* masked to the size; INC/DEC: b is CF */
};

struct eng {
    uint8_t *ram;
    uint64_t ram_size;
    struct engine_ops ops;
    struct engine_state *st;
    /* the arithmetic flags, lazily (struct lazy_flags) */
    struct lazy_flags lazy;
    /* while traces run: the TLB's fast bit (enum tlb_fast) a data read
     * [ACC_READ] or write [ACC_WRITE] at their privilege needs, where
     * nothing else can stop it (64-bit mode, no data breakpoint, no
     * alignment check); 0 outside them, where mem_fast.h's fast_data()
     * leaves every access to the full path */
    uint8_t fast_want[2];
    /* What the caller wants now, asked at each run's start and after
     * each WRMSR, which alone starts or stops counting: ops.mem_access
     * the accesses (mem_fast.h's log_access(), an indirect call per
     * access else), and no record of what traces retire at CPL0 [0]
     * and CPL3 [1] (ops.retire_wanted; trace.c's RETIRE_PLAIN) */
    bool log_mem;
    bool retire_plain[2];
    /* traces are retiring with no record since run_retired was
     * plain_from (trace.c's plain_flush()) */
    bool plain_open;
    uint64_t plain_from;
    /* per instruction */
    uint64_t insn_rip;       /* where the current instruction starts */
    uint64_t next_rip;
    bool branch_taken;
    bool tx_abort;           /* an XBEGIN whose transaction aborted */
    jmp_buf unwind;
    enum engine_why why;     /* UNWIND_HANDBACK */
    uint8_t fault_vec;       /* UNWIND_FAULT */
    bool fault_has_err;
    uint32_t fault_err;
    bool fault_cr2_valid;
    uint64_t fault_cr2;
    bool stop_after;         /* ops asked to stop after this instruction */
    uint64_t batched;        /* the instruction retired this many times at
                                once (exec_branch.c: a LOOP to itself) */
    bool shadow_next;        /* STI/MOV SS: shadow the next instruction */
    bool ss_load;            /* it loaded SS with MOV or POP */
    /* the #DB a MOV or POP SS raised, held until after the next
     * instruction (debug.c) */
    bool db_held, db_held_step;
    uint8_t db_held_hits;
    uint64_t db_held_rip;    /* where the next instruction is */
    bool tf_start;           /* TF was set as the instruction began */
    uint8_t bp_hits;         /* data breakpoints its accesses met */
    /* caches */
    struct tlb_tag *tlb_tags; /* TLB_SLOTS, and of each the rest: */
    struct tlb_slot *tlb;
    struct tlb_walk *tlb_walk;
    uint32_t tlb_epoch;      /* a flush starts a new one */
    /* the code page the last instruction came from: its translation for
     * a fetch at that privilege, valid in that TLB epoch (decode.c) */
    uint64_t fetch_vpn, fetch_pfn;
    uint32_t fetch_epoch;
    bool fetch_user;
    struct icache_slot *icache;  /* the pool */
    uint16_t *icache_map;    /* gpa % ICACHE_SLOTS: pool index + 1; 0: none */
    uint32_t icache_used;    /* pool slots handed out */
    uint32_t icache_epoch;   /* a flush starts a new one */
    /* the trace cache (trace.c) */
    struct trace_bucket *trace_map;
    uint8_t *trace_pool;
    uint32_t trace_used;     /* pool bytes handed out */
    uint32_t trace_pool_gen; /* starts at 1: a zeroed bucket is empty */
    uint32_t trace_epoch;    /* the icache epoch the pool was filled in */
    /* the trace running and where it began, for a fault or hand-back in
     * its middle (run.c retires the instructions before it first) */
    const struct eng_trace *trace_cur;
    uint64_t trace_rip;
    /* what ops->block_room last gave, less the blocks since: valid until
     * an instruction runs on its own or the run ends */
    uint64_t room_left;
    /* the block being gathered over the traces run one after another,
     * retired through ops->retire_block when full or when they stop */
    struct pmu_block pend;
    struct pmu_insn pend_rec[PMU_BLOCK_RECORDS];
    uint32_t pend_times[PMU_BLOCK_RECORDS];
    /* each record's trace and instruction in it, in the pool generation
     * pend_pool_gen (trace.c's block_add() finds repeats with them) */
    struct {
        const struct eng_trace *trace;
        unsigned done;
    } pend_of[PMU_BLOCK_RECORDS];
    uint32_t pend_pool_gen;
    uint32_t *page_gen;      /* per guest-physical page */
    uint8_t *code_page;      /* per page: some decoded instruction is there */
    uint64_t ram_pages;
    /* the guest's CPUID, read once (feature.c) */
    bool pdpe1gb_known, pdpe1gb;
    unsigned maxphyaddr;      /* 0: not read yet */
    uint64_t retired_total;
    uint64_t run_retired;    /* retired in this engine_run() */
    uint64_t budget, count;  /* this run's */
    ZydisDecoder dec64, dec32;
    /* machine mode (engine_ops.machine) */
    bool insn_lock;          /* the instruction has a LOCK prefix */
    bool halted;             /* a HLT retired: stop with ENGINE_STOP_HALT */
    bool mode_changed;       /* paging, EFER or CS changed: check again */
    bool flushed_tlb;        /* engine_exit.flushed_tlb */
};

/* What the caller wants now (struct eng's log_mem, retire_plain). */
static inline void eng_caller_wants_update(struct eng *e)
{
    e->log_mem = e->ops.mem_access &&
                 (!e->ops.mem_access_wanted ||
                  e->ops.mem_access_wanted(e->ops.ctx));
    for (unsigned user = 0; user < 2; user++)
        e->retire_plain[user] = e->ops.retire_wanted &&
                                !e->ops.retire_wanted(e->ops.ctx, user * 3);
}

/* ---- modes (mode32.c): 64-bit mode, and machine mode's 32-bit one ---- */
/* 64-bit mode: IA-32e mode with CS.L (otherwise 32-bit code, protected
 * or compatibility mode, which only machine mode runs). */
static inline bool eng_mode64(const struct eng *e)
{
    return (e->st->efer & EFER_LMA) && e->st->seg[ENGINE_CS].l;
}
/* The stack's address size: RSP, ESP (SS.B) or SP. */
static inline unsigned eng_stack_width(const struct eng *e)
{
    return eng_mode64(e) ? 8 : e->st->seg[ENGINE_SS].db ? 4 : 2;
}
uint64_t eng_sp(const struct eng *e);
void eng_sp_set(struct eng *e, uint64_t v);
/* Legacy segmentation for 32-bit code (SDM 5.3, 5.4): usable segment,
 * type and limit checks, base added, 32-bit linear address. */
uint64_t eng_linear32(struct eng *e, unsigned seg, uint64_t off,
                      unsigned size, bool write);
/* A near branch target's check: canonical in 64-bit mode, within CS's
 * limit otherwise (#GP(0)). */
void eng_check_target(struct eng *e, uint64_t target);
/* The linear address of the instruction at offset (rip). */
uint64_t eng_code_la(const struct eng *e, uint64_t rip);
/* Why machine mode cannot run (st), or ENGINE_WHY_NONE. */
enum engine_why eng_machine_state_check(const struct engine_state *st);

/* ---- the guest's debug features (debug.c) ---- */
/* Before an instruction: its execute breakpoints, unless RF; true if one
 * was met and its #DB delivered (the instruction does not run). */
bool eng_debug_fetch(struct eng *e);
/* An access of the instruction's own: the data breakpoints it meets. */
void eng_debug_access(struct eng *e, uint64_t la, unsigned size,
                      bool write);
/* After it retired: the single-step trap and the data breakpoints. */
void eng_debug_after(struct eng *e, const struct eng_insn *in);
/* After an exception's delivery: a #DB held since a MOV or POP SS. */
void eng_debug_after_event(struct eng *e);
/* After an iteration of a REP string instruction that leaves more to do:
 * its #DB now if TF was set or a data breakpoint was met (does not
 * return then). */
void eng_debug_between(struct eng *e);
/* That #DB delivered, its frame at the instruction with RF set. */
void eng_deliver_rep_db(struct eng *e);

/* ---- faults and hand-backs (run.c) ---- */
_Noreturn void eng_fault(struct eng *e, unsigned vec, bool has_err,
                         uint32_t err);
_Noreturn void eng_fault_pf(struct eng *e, uint64_t la, uint32_t err);
_Noreturn void eng_handback(struct eng *e, enum engine_why why);
static inline _Noreturn void eng_gp0(struct eng *e)
{
    eng_fault(e, VEC_GP, true, 0);
}

/* The CPL: CS.RPL, which the architecture keeps equal to it. */
static inline unsigned eng_cpl(const struct eng *e)
{
    return engine_cpl(e->st);
}

/* Alignment checking on: CR0.AM, EFLAGS.AC and CPL 3, where a misaligned
 * access raises #AC (SDM Vol. 3, 6.15, interrupt 17). Linux runs with
 * CR0.AM set, so AM alone says nothing. */
static inline bool eng_align_checked(const struct eng *e)
{
    return (e->st->cr0 & CR0_AM) && (e->st->rflags & RFLAGS_AC) &&
           eng_cpl(e) == 3;
}

/* A privileged instruction: #GP(0) above CPL 0. */
static inline void eng_need_cpl0(struct eng *e)
{
    if (eng_cpl(e) != 0)
        eng_gp0(e);
}

/* Segment descriptor bits (SDM 3.4.5). */
#define DESC_P (1ull << 47)
#define DESC_S (1ull << 44)
#define DESC_L (1ull << 53)
#define DESC_DB (1ull << 54)
#define DESC_G (1ull << 55)

/* Error codes (SDM 6.13): a selector's, or an IDT entry's (IDT, bit 1);
 * EXT (bit 0) for an event the program did not raise itself. */
static inline uint32_t eng_sel_err(uint16_t sel, bool ext)
{
    return (sel & 0xFFFCu) + ext;
}
static inline uint32_t eng_idt_err(unsigned vec, bool ext)
{
    return vec * 8 + 2 + ext;
}
/* A fault whose error code is a selector (EXT and IDT clear). */
static inline _Noreturn void eng_sel_fault(struct eng *e, unsigned vec,
                                           uint16_t sel)
{
    eng_fault(e, vec, true, eng_sel_err(sel, false));
}

/* ---- memory (mmu.c, mem.c) ---- */
enum acc { ACC_READ, ACC_WRITE, ACC_FETCH };

/* Linear to guest-physical, with the guest's paging rules; faults (#PF)
 * or hands back (outside RAM) through unwind. supervisor: an implicit
 * supervisor access (descriptor tables, TSS) whatever the CPL. */
uint64_t eng_translate(struct eng *e, uint64_t la, enum acc acc,
                       bool supervisor);
void eng_tlb_flush(struct eng *e);
/* The same without the RAM check: a guest-physical address that may be
 * outside RAM (machine mode's MMIO). */
uint64_t eng_translate_any(struct eng *e, uint64_t la, enum acc acc,
                           bool supervisor);

/* Data at a linear address (any alignment, may cross pages). */
uint64_t eng_read_la(struct eng *e, uint64_t la, unsigned size,
                     bool supervisor);
void eng_write_la(struct eng *e, uint64_t la, unsigned size, uint64_t v,
                  bool supervisor);
/* Segment-relative data access with the 64-bit mode's checks: canonical
 * (#GP, or #SS for the stack segment), FS/GS bases. */
uint64_t eng_linear(struct eng *e, unsigned seg, uint64_t off,
                    unsigned size);
uint64_t eng_read(struct eng *e, unsigned seg, uint64_t off, unsigned size);
void eng_write(struct eng *e, unsigned seg, uint64_t off, unsigned size,
               uint64_t v);
/* The same past the TLB's fast path (mem_fast.h's eng_load(),
 * eng_store() take that first). */
uint64_t eng_read_full(struct eng *e, unsigned seg, uint64_t off,
                       unsigned size);
void eng_write_full(struct eng *e, unsigned seg, uint64_t off, unsigned size,
                    uint64_t v);
/* Fetches up to (len) instruction bytes at a linear address, as far as
 * the end of its page (a fault there is the fetch's), into buf; returns
 * how many, with the first byte's guest-physical address in *gpa. */
size_t eng_fetch(struct eng *e, uint64_t la, uint8_t *buf, size_t len,
                 uint64_t *gpa);
/* Reads guest-physical memory (RAM only). */
bool eng_phys_read(struct eng *e, uint64_t gpa, void *buf, size_t len);

static inline bool eng_canonical(uint64_t la)
{
    return (uint64_t)((int64_t)(la << 16) >> 16) == la;
}

/* ---- decoding (decode.c) ---- */
void eng_decode_init(struct eng *e);
/* Decodes bytes outside the cache; false if they are no instruction. */
bool eng_decode_bytes(struct eng *e, const uint8_t *code, size_t len,
                      struct eng_insn *in);
/* The instruction at the current RIP, from the cache or decoded. */
const struct eng_insn *eng_decode_at_rip(struct eng *e);
/* Writes to a page that holds decoded instructions drop them. */
static inline void eng_code_written(struct eng *e, uint64_t gpa)
{
    uint64_t pfn = gpa >> 12;
    if (pfn < e->ram_pages && e->code_page[pfn]) {
        e->code_page[pfn] = 0;
        e->page_gen[pfn]++;
    }
}
void eng_icache_flush(struct eng *e);
/* The guest-physical address of a fetch at linear (la), as the TLB would
 * give it (the last code page's translation kept). */
uint64_t eng_fetch_gpa(struct eng *e, uint64_t la);
/* The instruction at guest-physical (gpa), from the cache or decoded
 * there, if it lies whole within its page; NULL otherwise (bytes that are
 * no instruction, or one that goes on in the next page). */
const struct eng_insn *eng_decode_in_page(struct eng *e, uint64_t gpa);
/* Where the decoded instruction may stand in a trace. */
enum eng_trace_role eng_trace_role_of(ZydisMnemonic m,
                                      const struct eng_insn *in);

/* ---- traces (trace.c) ---- */
bool eng_trace_init(struct eng *e);
void eng_trace_free(struct eng *e);
/* Runs the trace at RIP, as far as the budget, ops->block_room and its
 * own end allow, and retires what it ran; false if the instruction at
 * RIP must run on its own (step()). */
bool eng_trace_run(struct eng *e);
/* A fault or hand-back inside the trace running: retire the
 * instructions before it. */
void eng_trace_unwound(struct eng *e);

/* ---- operands and registers (opnd.c) ---- */
uint64_t eng_reg_get(const struct eng *e, const struct eng_opnd *o);
void eng_reg_set(struct eng *e, const struct eng_opnd *o, uint64_t v);
/* A memory operand's effective address (the offset in its segment):
 * inline, for most instructions compute one. */
static inline uint64_t eng_ea(struct eng *e, const struct eng_insn *in,
                              const struct eng_opnd *o)
{
    uint64_t a = (uint64_t)o->disp;

    if (o->base == REG_RIP)
        a += e->next_rip;
    else if (o->base != REG_NONE)
        a += e->st->gpr[(unsigned)o->base];
    if (o->index != REG_NONE)
        a += e->st->gpr[(unsigned)o->index] * o->scale;
    if (in->addrsize == 2) /* 16-bit addressing (67h in 32-bit code) */
        return (uint16_t)a;
    return in->addrsize == 4 ? (uint32_t)a : a;
}
uint64_t eng_opnd_read(struct eng *e, const struct eng_insn *in,
                       const struct eng_opnd *o);
void eng_opnd_write(struct eng *e, const struct eng_insn *in,
                    const struct eng_opnd *o, uint64_t v);
uint64_t eng_gpr_get(const struct eng *e, unsigned reg, unsigned size);
void eng_gpr_set(struct eng *e, unsigned reg, unsigned size, uint64_t v);
static inline uint64_t eng_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}
static inline uint64_t eng_sext(uint64_t v, unsigned size)
{
    unsigned sh = 64 - size * 8;
    return size >= 8 ? v : (uint64_t)((int64_t)(v << sh) >> sh);
}
/* Stack push/pop of (size) bytes through SS. */
void eng_push(struct eng *e, unsigned size, uint64_t v);
uint64_t eng_pop(struct eng *e, unsigned size);

/* ---- the guest's CPUID (feature.c) ---- */
enum eng_feature { FEAT_HLE, FEAT_RTM, FEAT_RDPID, FEAT_RDTSCP,
                   FEAT_PDPE1GB, FEAT_NX, FEAT_LM, FEAT_XSAVE, FEAT_PCID, FEAT_FSGSBASE,
                   FEAT_SMEP, FEAT_SMAP, FEAT_UMIP, FEAT_PKU, FEAT_LA57,
                   FEAT_SHSTK, FEAT_IBT, FEAT_CX8, FEAT_CX16, FEAT_FXSR,
                   FEAT_SSE, FEAT_XSAVEOPT, FEAT_XSAVEC, FEAT_XGETBV1 };
/* Does the guest's CPUID (through ops->cpuid) offer it? */
bool eng_has(struct eng *e, enum eng_feature f);
/* CR4's bits the guest's CPUID makes reserved (KVM's
 * __cr4_reserved_bits()): a MOV to CR4 setting one is #GP(0). */
uint64_t eng_cr4_reserved(struct eng *e);
/* The guest's physical-address width, CPUID.80000008H:EAX[7:0]. */
unsigned eng_maxphyaddr(struct eng *e);

/* ---- instruction groups (exec_*.c): eng_exec_for() picks the handler */
eng_exec_fn eng_exec_for(ZydisMnemonic m);
eng_exec_fn eng_exec_alu_for(ZydisMnemonic m);
eng_exec_fn eng_exec_bcd_for(ZydisMnemonic m);
eng_exec_fn eng_exec_bits_for(ZydisMnemonic m);
eng_exec_fn eng_exec_move_for(ZydisMnemonic m);
eng_exec_fn eng_exec_branch_for(ZydisMnemonic m);
eng_exec_fn eng_exec_string_for(ZydisMnemonic m);
eng_exec_fn eng_exec_system_for(ZydisMnemonic m);
eng_exec_fn eng_exec_tsx_for(ZydisMnemonic m);
eng_exec_fn eng_exec_absent_for(ZydisMnemonic m);
eng_exec_fn eng_exec_syscall_for(ZydisMnemonic m);
eng_exec_fn eng_exec_io_for(ZydisMnemonic m);
eng_exec_fn eng_exec_segcheck_for(ZydisMnemonic m);
/* The x87, SSE and AVX state's management (exec_xstate.c: FXSAVE,
 * FXRSTOR, the XSAVE family; exec_fpu.c: FNINIT, FWAIT, the control and
 * status words, MXCSR, XGETBV, XSETBV): instructions whose other
 * operands are x87, SSE or AVX registers the decoder lets through. */
eng_exec_fn eng_exec_xstate_for(ZydisMnemonic m);
/* Little-endian fields of an image in memory (the XSAVE area's). */
static inline uint16_t eng_le_get16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}
static inline uint32_t eng_le_get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint64_t eng_le_get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static inline void eng_le_put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void eng_le_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void eng_le_put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
eng_exec_fn eng_exec_fpu_for(ZydisMnemonic m);
/* The guest's XSAVE area (ENGINE_XSAVE_SIZE bytes) through ops->xstate,
 * and XCR0 through ops->xcr: a hand-back if the caller cannot. */
void eng_xstate_get(struct eng *e, uint8_t *area);
void eng_xstate_put(struct eng *e, uint8_t *area);
uint64_t eng_xcr0(struct eng *e);
void eng_exec_unimplemented(struct eng *e, const struct eng_insn *in);
/* A handler of its own for the instruction's form (exec_fast.c), or
 * NULL: the group's handler runs it. */
eng_exec_fn eng_exec_fast_for(ZydisMnemonic m, const struct eng_insn *in);
/* The handler of (in), a trace's instruction right after (prev): for a
 * Jcc after a fast handler that leaves the flags lazy as a SUB or a
 * logical operation, one that knows their kind and size; else in->exec. */
eng_exec_fn eng_exec_jcc_after(const struct eng_insn *prev,
                               const struct eng_insn *in);
/* MOV with a segment, control or debug register operand. */
void eng_exec_mov_special(struct eng *e, const struct eng_insn *in);
/* Machine mode's system instructions (exec_cr.c, exec_desc.c,
 * exec_far.c): MOV to and from CRn and DRn, CLTS, LMSW, INVLPG, WBINVD,
 * HLT; LGDT and friends, segment loads; far JMP, CALL, RET. */
eng_exec_fn eng_exec_cr_for(ZydisMnemonic m);
eng_exec_fn eng_exec_desc_for(ZydisMnemonic m);
void eng_exec_mov_cr_dr(struct eng *e, const struct eng_insn *in);
/* MOV to CR3 in 64-bit mode outside machine mode (ops.cr3_writes). */
void eng_exec_mov_to_cr3(struct eng *e, const struct eng_insn *in);
/* Does writing (v) to CR3 flush TLB entries (SDM 4.10.4.1): unless
 * CR4.PCIDE and bit 63? */
bool eng_cr3_write_flushes(const struct eng *e, uint64_t v);
void eng_exec_far(struct eng *e, const struct eng_insn *in);
/* The code segment of a far JMP or CALL (ret: RET, IRET) to (sel):
 * (off), with the same-privilege checks, or a return's to an outer
 * privilege (exec_far.c). */
struct engine_seg eng_far_target(struct eng *e, uint16_t sel, uint64_t off,
                                 bool ret);
/* Legacy protected mode's events (event32.c): delivery through the
 * 32-bit IDT (false: not the engine's), and IRETD. */
/* The code segment of an IDT gate's selector (sel), with the checks both
 * gate formats share (SDM 6.12.1.1): NULL #GP(EXT), outside its table,
 * not code, more privileged than the CPL, or (want64) not a 64-bit
 * code segment #GP(sel), not present #NP(sel). */
struct engine_seg eng_gate_code(struct eng *e, uint16_t sel, bool ext,
                                bool want64);
bool eng_deliver32(struct eng *e, unsigned vec, bool has_err, uint32_t err,
                   bool soft, uint64_t return_rip, uint64_t rf);
void eng_iret32(struct eng *e, const struct eng_insn *in);
/* The stack segment (sel) for privilege (pl), checked as MOV SS, an
 * event to an inner privilege (the TSS's SSn) and IRET to an outer one
 * check it (exec_desc.c): (vec) #GP or #TS(sel), not present #SS(sel). */
struct engine_seg eng_stack_seg(struct eng *e, uint16_t sel, unsigned pl,
                                unsigned vec);
/* Loads segment register (sreg) with (sel) as MOV Sreg does (its
 * descriptor checks and faults). */
void eng_load_sreg(struct eng *e, unsigned sreg, uint16_t sel);
/* RDMSR/WRMSR of the MSRs the state holds (IA32_EFER, FS and GS bases):
 * true if (msr) is one of them. */
bool eng_state_rdmsr(struct eng *e, uint32_t msr, uint64_t *val);
bool eng_state_wrmsr(struct eng *e, uint32_t msr, uint64_t val);
/* Sets a descriptor's accessed (or a TSS's busy) bit in its table. */
void eng_desc_set_bit(struct eng *e, uint16_t sel, unsigned bit);
/* OUTS, REP OUTS (exec_string.c), once exec_system.c has checked the
 * port's permission. */
void eng_exec_outs(struct eng *e, const struct eng_insn *in);
/* One port access through ops->io (exec_system.c): *val is written for
 * OUT, read for IN; #GP or a hand-back as the caller answers. */
void eng_port_io(struct eng *e, uint16_t port, unsigned size, bool in,
                 uint32_t *val);

/* Flags of an arithmetic result (CF, PF, AF, ZF, SF, OF): inline, for
 * every ALU instruction computes them. */
static inline uint64_t eng_sign_bit(unsigned size)
{
    return 1ull << (size * 8 - 1);
}

/* ZF, SF, PF of (res) at (size) bytes; PF: the low byte has an even
 * number of set bits. */
static inline uint64_t eng_flags_szp(uint64_t res, unsigned size)
{
    res &= eng_mask(size);
    return (res ? 0 : RFLAGS_ZF) | (res & eng_sign_bit(size) ? RFLAGS_SF : 0) |
           (__builtin_parity((unsigned)(res & 0xFF)) ? 0 : RFLAGS_PF);
}

/* AND, OR, XOR, TEST: CF = OF = 0; AF is undefined and left 0 [I: as
 * Intel parts clear it]. */
static inline uint64_t eng_flags_logic(uint64_t res, unsigned size)
{
    return eng_flags_szp(res, size);
}

static inline uint64_t eng_flags_add(uint64_t a, uint64_t b,
                                     uint64_t carry_in, unsigned size)
{
    uint64_t m = eng_mask(size), res = (a + b + carry_in) & m;
    uint64_t fl = eng_flags_szp(res, size);

    a &= m;
    b &= m;
    /* carry out of the top bit: the sum wrapped (or equalled with CF) */
    if (res < a || (carry_in && res == a))
        fl |= RFLAGS_CF;
    if (((a ^ res) & (b ^ res)) & eng_sign_bit(size))
        fl |= RFLAGS_OF;
    if ((a ^ b ^ res) & 0x10)
        fl |= RFLAGS_AF;
    return fl;
}

static inline uint64_t eng_flags_sub(uint64_t a, uint64_t b,
                                     uint64_t borrow_in, unsigned size)
{
    uint64_t m = eng_mask(size), res = (a - b - borrow_in) & m;
    uint64_t fl = eng_flags_szp(res, size);

    a &= m;
    b &= m;
    if (a < b || (borrow_in && a == b))
        fl |= RFLAGS_CF;
    if (((a ^ b) & (a ^ res)) & eng_sign_bit(size))
        fl |= RFLAGS_OF;
    if ((a ^ b ^ res) & 0x10)
        fl |= RFLAGS_AF;
    return fl;
}

/* ADD, ADC, SUB, SBB, CMP, AND, OR, XOR, TEST of (a) and (b) at (size)
 * bytes, carry in (cf): the result (masked) and its flags in *fl. Inline
 * for exec_alu.c's handlers of any operand and exec_fast.c's of a fixed
 * form and size alike. */
static inline uint64_t eng_alu(ZydisMnemonic m, uint64_t a, uint64_t b,
                               uint64_t cf, unsigned size, uint64_t *fl)
{
    uint64_t res;

    b &= eng_mask(size);
    switch (m) {
    case ZYDIS_MNEMONIC_ADD: res = a + b; *fl = eng_flags_add(a, b, 0, size); break;
    case ZYDIS_MNEMONIC_ADC: res = a + b + cf; *fl = eng_flags_add(a, b, cf, size); break;
    case ZYDIS_MNEMONIC_SUB:
    case ZYDIS_MNEMONIC_CMP: res = a - b; *fl = eng_flags_sub(a, b, 0, size); break;
    case ZYDIS_MNEMONIC_SBB: res = a - b - cf; *fl = eng_flags_sub(a, b, cf, size); break;
    case ZYDIS_MNEMONIC_AND:
    case ZYDIS_MNEMONIC_TEST: res = a & b; *fl = eng_flags_logic(res, size); break;
    case ZYDIS_MNEMONIC_OR: res = a | b; *fl = eng_flags_logic(res, size); break;
    default: res = a ^ b; *fl = eng_flags_logic(res, size); break;
    }
    return res & eng_mask(size);
}


/* INC/DEC of (a) at (size) bytes: the result; *fl its flags with CF as
 * it was in (rflags) (INC and DEC keep CF). */
static inline uint64_t eng_incdec(bool inc, uint64_t a, unsigned size,
                                  uint64_t rflags, uint64_t *fl)
{
    uint64_t f = inc ? eng_flags_add(a, 1, 0, size)
                     : eng_flags_sub(a, 1, 0, size);

    *fl = (f & ~RFLAGS_CF) | (rflags & RFLAGS_CF);
    return (inc ? a + 1 : a - 1) & eng_mask(size);
}

/* Condition code (cc) = the low nibble of Jcc's opcode (SDM B.1.4.7). */
static inline bool eng_cond(uint64_t f, unsigned cc)
{
    bool of = f & RFLAGS_OF, cf = f & RFLAGS_CF, zf = f & RFLAGS_ZF;
    bool sf = f & RFLAGS_SF, pf = f & RFLAGS_PF, r;

    switch (cc >> 1) {
    case 0: r = of; break;               /* O */
    case 1: r = cf; break;               /* B */
    case 2: r = zf; break;               /* E */
    case 3: r = cf || zf; break;         /* BE */
    case 4: r = sf; break;               /* S */
    case 5: r = pf; break;               /* P */
    case 6: r = sf != of; break;         /* L */
    default: r = zf || sf != of; break;  /* LE */
    }
    return (cc & 1) ? !r : r;
}
/* The condition code of a Jcc, SETcc or CMOVcc mnemonic; 0 otherwise. */
unsigned eng_cc_of(ZydisMnemonic m);
enum cc_kind { CC_NONE, CC_JCC, CC_SET, CC_CMOV };
enum cc_kind eng_cc_kind(ZydisMnemonic m);
static inline void eng_set_arith(struct eng *e, uint64_t fl)
{
    e->st->rflags = (e->st->rflags & ~RFLAGS_ARITH) | fl;
}

/* The arithmetic flags the lazy state stands for (LAZY_NONE: none). */
static inline uint64_t eng_lazy_arith(const struct lazy_flags *l)
{
    uint64_t f;

    switch (l->op) {
    case LAZY_ADD:
        (void)eng_alu(ZYDIS_MNEMONIC_ADD, l->a, l->b, 0, l->size, &f);
        return f;
    case LAZY_SUB:
        (void)eng_alu(ZYDIS_MNEMONIC_SUB, l->a, l->b, 0, l->size, &f);
        return f;
    case LAZY_LOGIC: return eng_flags_logic(l->res, l->size);
    default: /* INC, DEC: CF as it was (l->b) */
        (void)eng_incdec(l->op == LAZY_INC, l->a, l->size, l->b, &f);
        return f;
    }
}

/* RFLAGS made whole: before anything but a fast handler reads or writes
 * the flags, and before the engine stops or delivers an event. The check
 * inline, the work out of line (flags.c), which keeps the loops that
 * call it small. */
void eng_flags_make_whole(struct eng *e);
static inline void eng_flags_sync(struct eng *e)
{
    if (e->lazy.op != LAZY_NONE)
        eng_flags_make_whole(e);
}

/* Out of the traces, at their end or unwound from one: RFLAGS whole,
 * and data accesses checked in full again. */
static inline void eng_traces_left(struct eng *e)
{
    eng_flags_sync(e);
    e->fast_want[ACC_READ] = e->fast_want[ACC_WRITE] = 0;
}

/* CF as it stands (INC and DEC keep it): RFLAGS_CF or 0. */
static inline uint64_t eng_lazy_cf(const struct eng *e)
{
    const struct lazy_flags *l = &e->lazy;

    switch (l->op) {
    case LAZY_NONE: return e->st->rflags & RFLAGS_CF;
    case LAZY_ADD: return l->res < l->a ? RFLAGS_CF : 0;
    case LAZY_SUB: return l->a < l->b ? RFLAGS_CF : 0;
    case LAZY_LOGIC: return 0;
    default: return l->b;
    }
}

/* ---- events (event.c) ---- */
/* Delivers exception/interrupt (vec) through the 64-bit IDT; a fault
 * during delivery hands the instruction back to KVM. soft: INT n / INT3
 * (DPL check, return after the instruction). */
void eng_deliver(struct eng *e, unsigned vec, bool has_err, uint32_t err,
                 bool soft, uint64_t return_rip);
/* The same for a fault (RF set in the pushed RFLAGS, SDM 17.3.1.1). */
void eng_deliver_fault(struct eng *e, unsigned vec, bool has_err,
                       uint32_t err);
/* Loads a code/stack segment's hidden state from a GDT/LDT descriptor. */
bool eng_desc_read(struct eng *e, uint16_t sel, uint64_t desc[2]);
void eng_seg_from_desc(struct engine_seg *s, uint16_t sel,
                       const uint64_t desc[2]);

#endif
