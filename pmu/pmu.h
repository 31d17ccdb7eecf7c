/* pmu.h: one vCPU's Intel architectural PMU as a pure C library (no KVM). */
#ifndef PMVM_PMU_H
#define PMVM_PMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The library answers, for every guest access to the PMU, what the hardware
 * (or KVM, under a KVM policy) would do: a value, or #GP. It never touches
 * KVM; the VMM routes RDMSR/WRMSR exits, RDPMC and CPUID here. Every answer
 * comes with a short static sentence naming the rule that decided it, so an
 * oracle (`pmvm explain`) and a test can show why. docs/pmu-model.md lists
 * the rules with their sources.
 */

#define PMU_OK 0 /* the access completes */
#define PMU_GP 1 /* the access raises #GP(0) */

/* Library limits (docs/pmu-model.md explains each). */
#define PMU_MAX_VERSION 6 /* CPUID.0AH:EAX[7:0], newest architectural */
#define PMU_MAX_GP 32     /* GLOBAL_CTRL bits 31:0; the v6 bank's 32 slots */
#define PMU_LEGACY_GP 10  /* IA32_PMC0-9 / PERFEVTSEL0-9 / A_PMC0-9 (SDM
                             Table 2-2); PMC10+ only in the v6 bank */
#define PMU_MAX_FIXED 7   /* FIXED_CTR0-3 and the Atom FIXED_CTR4-6 */
#define PMU_NR_ARCH_EVENTS 13 /* CPUID.0AH:EBX bits 0..12 */

/* MSRs (pmu-spec 0). */
#define PMU_MSR_PMC0 0xC1            /* IA32_PMCx, legacy alias */
#define PMU_MSR_PERFEVTSEL0 0x186    /* IA32_PERFEVTSELx */
#define PMU_MSR_FIXED_CTR0 0x309     /* IA32_FIXED_CTRx, x = 0..6 */
#define PMU_MSR_PERF_METRICS 0x329
#define PMU_MSR_PERF_CAPABILITIES 0x345
#define PMU_MSR_FIXED_CTR_CTRL 0x38D
#define PMU_MSR_GLOBAL_STATUS 0x38E
#define PMU_MSR_GLOBAL_CTRL 0x38F
#define PMU_MSR_GLOBAL_OVF_CTRL 0x390 /* a.k.a. GLOBAL_STATUS_RESET */
#define PMU_MSR_GLOBAL_STATUS_SET 0x391
#define PMU_MSR_GLOBAL_INUSE 0x392
#define PMU_MSR_A_PMC0 0x4C1         /* IA32_A_PMCx, full-width alias */
/* The perfmon v6 aliased bank (pmu-spec 0; msr-index.h): per counter,
 * 4 MSRs from its base. GP: CTR, CFG_A (the event select), CFG_B (auto
 * counter reload mask), CFG_C (reload value); fixed: CTR, -, CFG_B, CFG_C. */
#define PMU_MSR_V6_GP0 0x1900
#define PMU_MSR_V6_FX0 0x1980
#define PMU_MSR_V6_STEP 4

/* IA32_PERF_CAPABILITIES bits the library implements (pmu-spec 3.4). */
#define PMU_CAP_FW_WRITES (1ull << 13)
#define PMU_CAP_PERF_METRICS (1ull << 15)
#define PMU_CAP_RDPMC_METRICS_CLEAR (1ull << 19)

/* CPUID.1AH:EAX[31:24] core types (SDM CPUID leaf 1AH). */
#define PMU_CORE_TYPE_ATOM 0x20
#define PMU_CORE_TYPE_CORE 0x40

/* CPUID.23H.0:EBX features the library implements (pmu-spec 2.2). */
#define PMU_L23_UMASK2 (1u << 0)
#define PMU_L23_EQ (1u << 1)
#define PMU_L23_RDPMC_USER_DISABLE (1u << 2)

/* RDPMC ECX[31:16] types (pmu-spec 1.1). */
#define PMU_RDPMC_GP 0x0000u
#define PMU_RDPMC_METRICS 0x2000u
#define PMU_RDPMC_FIXED 0x4000u

/* Counter indices as in GLOBAL_CTRL/STATUS: GP i is i, fixed i is 32 + i. */
#define PMU_IDX_FIXED(i) (32u + (i))

/*
 * Which rules decide the answers. native: the CPU model as the hardware has
 * it. kvm-legacy: what upstream KVM's perf-based vPMU gives a guest on that
 * host. kvm-mediated: the mediated vPMU (2025-26 series) with fixed counter 3
 * and PERF_METRICS. pmu_policy_apply() derives the guest model.
 */
enum pmu_policy {
    PMU_POLICY_NATIVE,
    PMU_POLICY_KVM_LEGACY,
    PMU_POLICY_KVM_MEDIATED,
};

/*
 * What a CPU has (a host model loaded from configs/NAME.ini), or what a
 * guest sees (the same struct after pmu_policy_apply()). Plain data; the
 * comments name the CPUID/MSR field each value becomes.
 */
struct pmu_model {
    char name[64];            /* model name for messages, e.g. "skylake" */
    char vendor[13];          /* CPUID.0 vendor, always "GenuineIntel" */
    uint32_t family, model, stepping; /* CPUID.1:EAX signature */
    bool hybrid;              /* X86_FEATURE_HYBRID_CPU: KVM disables vPMU */
    bool pdcm;                /* CPUID.1:ECX[15]: PERF_CAPABILITIES exists */
    uint32_t version;         /* CPUID.0AH:EAX[7:0] */
    uint32_t gp_counters;     /* CPUID.0AH:EAX[15:8] */
    uint32_t gp_width;        /* CPUID.0AH:EAX[23:16] */
    uint32_t events_length;   /* CPUID.0AH:EAX[31:24] */
    uint32_t events_mask;     /* CPUID.0AH:EBX, a set bit = unavailable */
    uint32_t fixed_bitmap;    /* which FIXED_CTRi exist (ECX from v5) */
    uint32_t fixed_width;     /* CPUID.0AH:EDX[12:5] */
    bool anythread_deprecated; /* CPUID.0AH:EDX[15] */
    uint64_t perf_capabilities; /* IA32_PERF_CAPABILITIES (with PDCM) */
    uint32_t metrics_bytes;   /* PERF_METRICS byte fields: 0, 4 or 8 */
    uint32_t slots_per_cycle; /* TOPDOWN.SLOTS per core cycle (counting) */
    uint32_t max_leaf;        /* CPUID.0:EAX; 0: the highest PMU leaf */
    uint32_t core_type;       /* CPUID.1AH:EAX[31:24], 0: no leaf 0x1A */
    uint32_t native_model_id; /* CPUID.1AH:EAX[23:0] */
    bool leaf23;              /* CPUID leaf 0x23 is enumerated */
    uint32_t leaf23_features; /* CPUID.23H.0:EBX, PMU_L23_* */
    uint32_t leaf23_slots;    /* CPUID.23H.0:ECX: TMA slots per cycle [?] */
    /* With leaf 0x23, the counters that exist are its sub-leaf 1 bitmaps
     * (which may exceed what leaf 0xA shows on a hybrid part), and the
     * events its sub-leaf 3 bitmap (1 = available). */
    uint32_t leaf23_gp_bitmap;    /* CPUID.23H.1:EAX */
    uint32_t leaf23_fixed_bitmap; /* CPUID.23H.1:EBX */
    uint32_t leaf23_events;       /* CPUID.23H.3:EAX */
    /* Auto counter reload (CPUID.23H.2): the counters that can be
     * reloaded (GP EAX, fixed EBX) and that can cause a reload (ECX,
     * EDX). All zero: no sub-leaf 2. */
    uint32_t acr_gp, acr_fixed, acr_cause_gp, acr_cause_fixed;
    /* Set by pmu_policy_apply(); a host model loaded from a file is native. */
    enum pmu_policy policy;
    uint32_t kvm_host_gp_bitmap; /* kvm policies: the host's GP counters */
    bool rdpmc_kvm_decode;    /* RDPMC goes through KVM's decoder */
    /* The caches the counting model sees (64-byte lines; 0 KiB: none):
     * CPUID leaf 4's L1D, L2 and last level. */
    uint32_t l1d_kib, l1d_ways, l2_kib, l2_ways, llc_kib, llc_ways;
    /* The guest's CPUID.7.0:EBX has HLE[4] or RTM[11]: PERFEVTSELx has
     * IN_TX[32], and PERFEVTSEL2 IN_TXCP[33] (SDM 19.3.6.5; KVM's
     * intel_pmu_refresh). Not a model file key: the VMM learns it from
     * the CPUID the guest gets (pmu_set_tsx()). */
    bool tsx;
};

/* The guest's execution mode for RDPMC's privilege rule. */
struct pmu_mode {
    unsigned cpl;
    bool cr0_pe;
    bool cr4_pce;
};

struct pmu_msr_range {
    uint32_t first;
    uint32_t count;
};

/* ---- CPU models (pmu_model.c, pmu_model_load.c) ---- */

/* A model with no PMU: GenuineIntel, family 6, version 0, all else 0. */
void pmu_model_init(struct pmu_model *m);

/*
 * Loads an INI model file over pmu_model_init() defaults, then applies each
 * "section.key=value" of sets[] in order, then validates. Returns 0, or -1
 * with ONE line in err naming where (file:line or --set) and why.
 */
int pmu_model_load(struct pmu_model *m, const char *path,
                   const char *const *sets, size_t nsets,
                   char *err, size_t errlen);

/* Where a model comes from: a file, or its text in memory (a model built
 * into pmvm), and for a hybrid CPU which core type's view. */
struct pmu_model_src {
    const char *name;  /* the file's path, or a name for messages */
    const char *text;  /* NULL: read the file (name) */
    size_t text_len;
    const char *core;  /* NULL, "core" or "atom" */
};

/*
 * pmu_model_load() of any source. A file that is only "[alias] model =
 * NAME" returns 1 with NAME in alias (or -1 if alias is NULL): the caller
 * finds NAME as it found this file.
 */
int pmu_model_load_src(struct pmu_model *m, const struct pmu_model_src *src,
                       const char *const *sets, size_t nsets,
                       char *alias, size_t alias_len, char *err,
                       size_t errlen);

/* Sets one key ("pmu.version", "cpu.model", ...) from text. 0 or -1+err. */
int pmu_model_set(struct pmu_model *m, const char *key, const char *value,
                  char *err, size_t errlen);

/* Checks ranges and contradictions. 0, or -1 with "pmu.KEY: reason". */
int pmu_model_validate(const struct pmu_model *m, char *err, size_t errlen);

/* The i-th key's "section.key" name, NULL past the last (for help). */
const char *pmu_model_key_name(size_t i);

/* The i-th key's value as a model file writes it ("0x8a000", "6", "1",
 * "GenuineIntel"). */
void pmu_model_key_format(const struct pmu_model *m, size_t i, char *buf,
                          size_t len);

/* Writes the model as an INI file that pmu_model_load() reads back to the
 * same model: [cpu] and [pmu], every key, each with a comment naming what
 * it becomes. Keys whose bit (by index, as pmu_model_key_name()) is set in
 * inferred are marked "[I]": not read from the CPU (docs/cpu-models.md). */
void pmu_model_write_ini(const struct pmu_model *m, uint64_t inferred,
                         FILE *f);

/* FIXED_CTRi exists: version >= 2 and bit i of the fixed bitmap. */
bool pmu_model_fixed_exists(const struct pmu_model *m, unsigned i);

/* CPUID.0AH:EDX[4:0]: the count of contiguous fixed counters from 0
 * (trailing ones of the bitmap, not its popcount: 0x77 gives 3). */
unsigned pmu_model_fixed_contiguous(const struct pmu_model *m);

/* PERF_CAPABILITIES as the guest reads it (0 without PDCM). */
uint64_t pmu_model_caps(const struct pmu_model *m);

/* CPUID.1:EAX built from family/model/stepping. */
uint32_t pmu_model_signature(const struct pmu_model *m);

/* Fills EAX..EDX of leaf 0xA, 0x1A or 0x23.subleaf for this model and
 * returns true; false (and zeros) for any other leaf, and for 0x1A/0x23
 * when the model lacks them. */
bool pmu_model_cpuid(const struct pmu_model *m, uint32_t leaf,
                     uint32_t subleaf, uint32_t regs[4]);

/* CPUID.0:EAX, the highest basic leaf: the model's, or by default the
 * highest leaf the model fills. */
uint32_t pmu_model_max_leaf(const struct pmu_model *m);

/* Auto counter reload is enumerated (CPUID.23H.2 non-zero). */
bool pmu_model_has_acr(const struct pmu_model *m);

/* ---- A model from a CPU's own CPUID (pmu_model_from_cpuid.c) ---- */

/* One CPUID answer of one logical CPU. */
struct pmu_cpuid_regs {
    uint32_t leaf, subleaf;
    uint32_t eax, ebx, ecx, edx;
};

#define PMU_CPUID_MAX_REGS 128

/* What a logical CPU answered, from a dump or from the host itself:
 * leaves 0, 1, 4.*, 7.0, 0xA, 0x1A and 0x23.* at least, and its
 * IA32_PERF_CAPABILITIES where it could be read. */
struct pmu_cpuid_dump {
    struct pmu_cpuid_regs regs[PMU_CPUID_MAX_REGS];
    size_t n;
    bool have_perf_caps;
    uint64_t perf_caps;
};

/* Leaf.subleaf of the dump, NULL if it has none. */
const struct pmu_cpuid_regs *pmu_cpuid_dump_find(
    const struct pmu_cpuid_dump *d, uint32_t leaf, uint32_t subleaf);

/*
 * The model of the CPU that gave these answers (docs/cpu-models.md, "From
 * a CPU's own CPUID"): every CPUID field read as the SDM defines it, what
 * CPUID cannot tell (PERF_CAPABILITIES when not read, the PERF_METRICS
 * width, slots per cycle) inferred and its key's bit set in *inferred.
 * Returns 0, or -1 with one line in err: a CPU that is not GenuineIntel,
 * or answers the library cannot model.
 */
int pmu_model_from_cpuid(struct pmu_model *m, const struct pmu_cpuid_dump *d,
                         uint64_t *inferred, char *err, size_t errlen);

/* ---- Policies (pmu_policy.c) ---- */

/* "native", "kvm-legacy", "kvm-mediated" -> enum; false if unknown. */
#define PMU_POLICY_COUNT (PMU_POLICY_KVM_MEDIATED + 1)
/* Each policy's name, indexed by enum pmu_policy. */
extern const char *const pmu_policy_names[PMU_POLICY_COUNT];
bool pmu_policy_from_string(const char *name, enum pmu_policy *out);
const char *pmu_policy_name(enum pmu_policy p);

/*
 * Derives the guest's model from a host model as the policy says. Returns
 * 0, or -1 with one line in err when the host cannot run that policy
 * (kvm-mediated needs version >= 4 and FW_WRITES, pmu-spec 5.1).
 */
int pmu_policy_apply(const struct pmu_model *host, enum pmu_policy p,
                     struct pmu_model *guest, char *err, size_t errlen);

/* ---- One vCPU's PMU (pmu_state.c, pmu_msr.c, pmu_rdpmc.c) ---- */

struct pmu;

/* Creates the PMU of a guest model (copied) in its reset state. NULL only
 * on allocation failure. */
struct pmu *pmu_create(const struct pmu_model *guest);
void pmu_destroy(struct pmu *pmu);

/* RESET/INIT: counters, selectors and status 0; GLOBAL_CTRL = every GP
 * enable bit from version 2 (pmu-spec 3.3). */
void pmu_reset(struct pmu *pmu);

const struct pmu_model *pmu_get_model(const struct pmu *pmu);

/* The guest's CPUID offers TSX (HLE or RTM) or not: the IN_TX and
 * IN_TXCP event-select bits exist or not (pmu_model.tsx). */
void pmu_set_tsx(struct pmu *pmu, bool tsx);

/*
 * Guest RDMSR/WRMSR of any MSR: PMU_OK (with *val for reads) or PMU_GP.
 * *rule, when rule is non-NULL, gets a static sentence naming the rule that
 * decided. MSRs outside pmu_msr_ranges() answer PMU_GP.
 */
int pmu_rdmsr(struct pmu *pmu, uint32_t msr, uint64_t *val,
              const char **rule);
int pmu_wrmsr(struct pmu *pmu, uint32_t msr, uint64_t val,
              const char **rule);

/* Guest RDPMC with ECX and mode: PMU_OK with the 64-bit value (the caller
 * splits it into EDX:EAX) or PMU_GP. May have a side effect (metrics clear
 * mode). */
int pmu_rdpmc(struct pmu *pmu, uint32_t ecx, const struct pmu_mode *mode,
              uint64_t *val, const char **rule);

/* CPUID leaves the PMU owns (0xA, 0x23.*), as pmu_model_cpuid(). */
bool pmu_cpuid(const struct pmu *pmu, uint32_t leaf, uint32_t subleaf,
               uint32_t regs[4]);
const char *pmu_vendor(const struct pmu *pmu);  /* CPUID.0 vendor string */
uint32_t pmu_cpuid1_eax(const struct pmu *pmu); /* CPUID.1:EAX signature */
bool pmu_pdcm(const struct pmu *pmu);           /* CPUID.1:ECX[15] */

/* Every MSR the library implements for any model, as a static table of at
 * most 16 ranges of at most 0x600*8 MSRs (for a KVM MSR filter). */
size_t pmu_msr_ranges(const struct pmu_msr_range **out);
bool pmu_msr_owned(uint32_t msr); /* in one of pmu_msr_ranges() */

/* ---- Counter access (for counting and the VMM) ---- */

/* Counter idx (i or PMU_IDX_FIXED(i)) counts at this CPL now: it exists,
 * its selector enables it for the CPL, GLOBAL_CTRL enables it (v2+) and
 * counters are not frozen (GLOBAL_STATUS.CTR_FRZ). */
bool pmu_counter_enabled(const struct pmu *pmu, unsigned idx, unsigned cpl);

/* Raw counter value, and a store masked to the counter's width; no rules,
 * no side effects. False/0 for a counter that does not exist. */
uint64_t pmu_counter_get(struct pmu *pmu, unsigned idx);
bool pmu_counter_set(struct pmu *pmu, unsigned idx, uint64_t val);

/* ---- Counting (pmu_count.c, pmu_uarch.c; docs/counting.md) ---- */

/* What kind of instruction retired, as the VMM's decoder classifies it. */
enum pmu_insn_class {
    PMU_INSN_OTHER,        /* anything not below */
    PMU_INSN_JCC,          /* conditional branch, LOOP/LOOPcc/JrCXZ included */
    PMU_INSN_JMP,          /* direct near jump */
    PMU_INSN_JMP_INDIRECT, /* indirect near jump */
    PMU_INSN_CALL,         /* direct near call */
    PMU_INSN_CALL_INDIRECT,
    PMU_INSN_RET,          /* near return */
    PMU_INSN_FAR,          /* far jmp/call/ret, IRET, SYSCALL, SYSRET,
                              SYSENTER, SYSEXIT, INT n */
    PMU_INSN_SERIALIZING,  /* CPUID, RDMSR, WRMSR, RDPMC, IN/OUT/INS/OUTS,
                              MOV to CR, LGDT/LIDT, HLT */
    PMU_INSN_FENCE,        /* MFENCE, LFENCE, SFENCE */
    PMU_INSN_CACHE,        /* CLFLUSH, CLFLUSHOPT, CLWB, WBINVD, INVD */
    PMU_INSN_DIV,          /* DIV, IDIV */
};


/*
 * One retired instruction, and a block of them: the one record the engine
 * reports (engine/engine.h includes this header for it) and the model
 * counts, which vmm/ hands over as it is. One record for both sides: a
 * copy between two look-alike structs costs more than it seems, for the
 * compiler copies with wide loads the fields the engine has just stored
 * one by one, and each load waits for the stores (no store forwarding
 * across them; docs/performance.md).
 */
struct pmu_insn {
    uint64_t addr;        /* linear address of the instruction */
    uint64_t next;        /* where execution went on after it */
    unsigned length;
    unsigned cls;         /* enum pmu_insn_class (above), which
                             engine/engine.h's enum engine_class repeats in
                             the same order */
    bool taken;           /* a branch that went elsewhere than addr + length */
    bool mem_read, mem_write; /* has a memory operand read / written (LEA
                                 excluded) */
    unsigned cpl;         /* the CPL it executed at */
    bool tx_abort;        /* an XBEGIN whose transaction aborted at once
                             (docs/counting.md, "Transactions") */
};

/*
 * A run of instructions retired as one (engine/trace.c, pmu_retire_block):
 * (n) in all, at one CPL, one after another. Those described whole are
 * in rec[], in program order: the last of each trace the run went through
 * (a near branch, say), the last of all at pmu_block_last(); rec[i]
 * retired times[i] times in a row (a loop that is one trace, going
 * round: every time the same instruction, to the same next one), or once
 * where times is NULL. A loop of several traces is a cycle: the last
 * (cycle) records of rec[] retired (cycle_reps) times more after rec[],
 * then the first (cycle_part) of them once more (0: no cycle; each of a
 * cycle's records stands for one, times[i] = 1). The rest are of class
 * OTHER and counted only, plain[0] without a memory read and plain[1]
 * with one (n = plain[0] + plain[1] + pmu_block_records()). None is an
 * aborted XBEGIN, and each made at most ENGINE_BLOCK_MAX_ACCESSES memory
 * accesses (engine/engine.h), all of which came before the block's
 * retirement.
 */
#define PMU_BLOCK_RECORDS 64
#define PMU_BLOCK_CYCLE_MAX 8 /* the most records a cycle has */

struct pmu_block {
    uint64_t n;
    uint64_t plain[2];
    unsigned cpl;
    unsigned nrec;            /* 1 to PMU_BLOCK_RECORDS */
    const struct pmu_insn *rec;
    const uint32_t *times;    /* each record's, at least 1; NULL: 1 each */
    unsigned cycle;           /* 0, or 2 to PMU_BLOCK_CYCLE_MAX, <= nrec */
    unsigned cycle_part;      /* less than cycle */
    uint64_t cycle_reps;
};

/* How many of the block's instructions its records stand for. */
static inline uint64_t pmu_block_records(const struct pmu_block *b)
{
    uint64_t n = 0;

    for (unsigned r = 0; r < b->nrec; r++)
        n += b->times ? b->times[r] : 1;
    if (b->cycle)
        n += b->cycle_reps * b->cycle + b->cycle_part;
    return n;
}

/* The block's last instruction. */
static inline const struct pmu_insn *
pmu_block_last(const struct pmu_block *b)
{
    if (b->cycle && b->cycle_part)
        return &b->rec[b->nrec - b->cycle + b->cycle_part - 1];
    return &b->rec[b->nrec - 1];
}

/*
 * One instruction retired, in the state after it (so the WRMSR that enables
 * a counter is counted and the one that disables it is not: checklist 47).
 * Advances every enabled counter by its event, keeps the topdown
 * accumulators and PERF_METRICS, sets GLOBAL_STATUS bits on overflow.
 * Returns true if a PMI is due: an overflowing counter has EVTSEL.INT or
 * its FIXED_CTR_CTRL PMI bit set. LVTPC semantics are the VMM's.
 */
bool pmu_retire(struct pmu *pmu, const struct pmu_insn *insn);

/*
 * n retirements of the same instruction (a LOOP to itself): the counts of
 * n pmu_retire() calls, in fewer steps. Stops early, after the one that
 * makes a PMI due (true is returned then); *done is how many retired.
 */
bool pmu_retire_repeat(struct pmu *pmu, const struct pmu_insn *insn,
                       uint64_t n, uint64_t *done);


/*
 * How many instructions may retire next, as blocks or one by one, with
 * no counter carrying (so no overflow, PMI or reload) among them, if each
 * makes at most (max_accesses) memory accesses (at least 1); 0: they
 * must retire one at a time through pmu_retire().
 */
uint64_t pmu_block_room(struct pmu *pmu, unsigned max_accesses);

/*
 * A block retired (struct pmu_block above): the counts of pmu_retire() for each
 * of its instructions in order (the predictor takes its records in
 * order; the plain ones neither train it nor carry), and a PMI if one is
 * due. Exact when the block is within the room pmu_block_room() gave;
 * beyond it, the block retires one by one, plain ones first, and the LLC
 * events its instructions made go to the first.
 */
bool pmu_retire_block(struct pmu *pmu, const struct pmu_block *b);

/* A memory access of the instruction about to retire, for the cache
 * model: its guest-physical address, and what it does. */
enum pmu_mem { PMU_MEM_READ, PMU_MEM_WRITE, PMU_MEM_FLUSH };
void pmu_mem_access(struct pmu *pmu, uint64_t gpa, enum pmu_mem kind);

/* The core model's cycles for every instruction retired so far: the
 * clock the VMM gives a counted region (the reference clock runs at the
 * core's nominal rate, so it is also the reference cycles). */
uint64_t pmu_core_cycles(const struct pmu *pmu);

/*
 * Any counter could count now, at some CPL (its enables, OS/USR bits,
 * GLOBAL_CTRL from v2, not frozen): the VMM single-steps while this is
 * true. Bit 0: some counter counts at CPL0; bit 1: some counter counts at
 * CPL > 0. 0: nothing counts.
 */
unsigned pmu_counting_rings(const struct pmu *pmu);

#endif
