/* apic.h: one local APIC (xAPIC and x2APIC, Intel SDM vol. 3 ch. 11) as a pure state machine on a virtual clock, for the engine, which has no in-kernel one. */
#ifndef PMVM_APIC_H
#define PMVM_APIC_H

#include <stdbool.h>
#include <stdint.h>

/* IA32_APIC_BASE's flags (SDM 11.4.4, 11.12.1). */
#define APIC_BASE_MSR 0x1Bu
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define APIC_BASE_DEFAULT 0xFEE00000ull

#define APIC_TSC_DEADLINE_MSR 0x6E0u
#define APIC_SVR_ENABLE (1u << 8) /* the APIC software-enabled (SDM 11.4.7.2) */

/* The version register: 0x14 is an integrated APIC (SDM 11.4.8); max LVT
 * entry 5 is six entries (timer, thermal, PMC, LINT0, LINT1, error), what
 * KVM reports when the guest's MCG_CAP has no CMCI; bit 24 (EOI-broadcast
 * suppression) clear: there is no I/O APIC whose EOIs it would suppress. */
#define APIC_VERSION 0x50014u

enum { APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PMC, APIC_LVT_LINT0,
       APIC_LVT_LINT1, APIC_LVT_ERROR, APIC_NLVT };

/*
 * The state, public so that callers embed it; read it through the
 * functions below. Time (now) is TSC ticks and must not go backward; the
 * timer counts at timer_hz (KVM's 1 GHz) divided by its divide register.
 */
struct apic {
    uint64_t base;        /* IA32_APIC_BASE */
    uint32_t x2apic_id;   /* fixed at init (SDM 11.12.5.1) */
    uint8_t xapic_id;     /* the xAPIC ID register's bits 31:24 (writable) */
    unsigned maxphyaddr;  /* IA32_APIC_BASE's address width: 46 after init */
    uint64_t tsc_hz, timer_hz;
    uint32_t tpr, ldr, dfr, svr, esr;
    uint32_t isr[8], tmr[8], irr[8];
    uint64_t icr;         /* xAPIC: ICR high << 32 | ICR low; x2APIC: as is */
    uint32_t lvt[APIC_NLVT];
    uint32_t dcr;         /* divide configuration */
    uint32_t init_count;
    uint64_t timer_start; /* TSC of the initial-count write */
    uint64_t timer_div;   /* the divisor the running count uses */
    uint64_t timer_done;  /* periods elapsed and already accounted for */
    uint64_t tsc_deadline;
    bool nmi_pending;
};

/* Power-up reset (SDM 11.4.7.1, 11.12.5.1): base 0xFEE00900 (BSP, enabled,
 * xAPIC), SVR 0xFF (software-disabled), every LVT masked, the rest 0. The
 * x2APIC ID is (id); the xAPIC ID its low 8 bits. Set a->maxphyaddr after
 * this for another width than 46. */
void apic_init(struct apic *a, uint32_t id, uint64_t tsc_hz, uint64_t timer_hz);

/* IA32_APIC_BASE. A write returns false for a #GP, and then changes
 * nothing: reserved bits (0-7, 9, maxphyaddr and above), EXTD without EN,
 * x2APIC to xAPIC without going through disabled, disabled to x2APIC
 * (SDM 11.12.5). Disabling resets every register but the IDs (11.12.5.1:
 * no state but the ID survives the disabled state). x2APIC is assumed
 * present in the guest's CPUID. */
uint64_t apic_base(const struct apic *a);
bool apic_base_write(struct apic *a, uint64_t val);

/* xAPIC MMIO: (offset) in the 4 KiB page at the APIC base, for 4-byte
 * accesses; the caller passes no other size (SDM 11.4.1: registers are
 * 32-bit, 16-byte aligned). An offset not 16-byte aligned, a reserved
 * register, or any access while the APIC is not enabled in xAPIC mode
 * reads 0 and its write is ignored. Writes to read-only registers are
 * ignored. The clock is first advanced to (now). */
uint32_t apic_mmio_read(struct apic *a, unsigned offset, uint64_t now);
void apic_mmio_write(struct apic *a, unsigned offset, uint32_t val,
                     uint64_t now);

/* x2APIC MSRs 0x800-0x8FF (SDM 11.12.1.2, Table 11-6). False is a #GP:
 * not in x2APIC mode, a register x2APIC lacks (APR, RRD, DFR, ICR high,
 * CMCI, reserved), a read of EOI or SELF IPI, a write of a read-only
 * register, a non-zero EOI or ESR write, SELF IPI bits 63:8, bits 63:32 of
 * a 32-bit register, the ICR's reserved bits (31:20, 17:16, 13, as KVM).
 * Other reserved bits are dropped, not faulted, as KVM does (SDM 11.12.1.3
 * would fault them). The clock is first advanced to (now). */
bool apic_msr_read(struct apic *a, uint32_t msr, uint64_t *val, uint64_t now);
bool apic_msr_write(struct apic *a, uint32_t msr, uint64_t val, uint64_t now);

/* IA32_TSC_DEADLINE (SDM 11.5.4.1): in TSC-deadline mode a write arms the
 * timer (0 disarms; a past deadline fires at once), and expiry clears it;
 * in the other modes it reads 0 and writes are ignored. The read is as of
 * the last advance. */
uint64_t apic_tsc_deadline(const struct apic *a);
void apic_tsc_deadline_write(struct apic *a, uint64_t val, uint64_t now);

/* Moves the clock to (now): timer expiries up to it set the timer's vector
 * in IRR unless its LVT is masked. Periods of a periodic timer missed since
 * the last advance set it once (IRR is one bit a vector, as on hardware),
 * and the timer goes on in phase with its start. Every other call taking
 * (now) advances first, so results depend on the inputs only, not on how
 * often this is called. */
void apic_advance(struct apic *a, uint64_t now);

/* The first TSC time after the last advance at which advancing changes
 * state (a timer expiry, masked or not), or UINT64_MAX. Ask again after
 * any write. */
uint64_t apic_next_event(const struct apic *a);

/* A performance-counter overflow (PMI) through LVT PMC (SDM 11.5.1; the
 * performance-monitoring chapter: the entry's mask bit is set when the PMI
 * is delivered, as KVM does for Intel guests): if unmasked,
 * masks it and requests its vector (fixed mode) or an NMI (NMI mode); other
 * delivery modes are ignored. */
void apic_pmi(struct apic *a);

/* LINT0 or LINT1 (pin 0 or 1) asserted: what its LVT entry makes of it.
 * FIXED: the vector, also returned in *vector (may be NULL), is now in
 * IRR; NMI: an NMI is now pending; EXTINT: the caller takes the vector
 * from the 8259 (virtual wire) and delivers it itself; MASKED: nothing
 * (also SMI, INIT and reserved modes, and any other pin). With the APIC
 * disabled in IA32_APIC_BASE, LINT0 is INTR (EXTINT) and LINT1 the NMI
 * pin (SDM 11.4.3). */
enum apic_lint { APIC_LINT_MASKED, APIC_LINT_FIXED, APIC_LINT_EXTINT,
                 APIC_LINT_NMI };
enum apic_lint apic_lint(struct apic *a, unsigned pin, unsigned *vector);

/* Whether the 8259's INTR on LINT0 reaches the CPU now: LINT0 unmasked in
 * ExtINT mode, or the APIC disabled in IA32_APIC_BASE (SDM 11.4.3); the
 * CPU then takes the vector from the 8259 itself. */
bool apic_extint_open(const struct apic *a);

/* At an instruction boundary with RFLAGS.IF=1: the highest IRR vector whose
 * priority class is above the PPR's (SDM 11.8.3.1), moved from IRR to ISR;
 * -1 if none, or if the APIC is disabled in IA32_APIC_BASE. */
int apic_accept(struct apic *a);

/* Whether apic_accept() would return a vector (a HLT wake-up). */
bool apic_has_interrupt(const struct apic *a);

/* A pending NMI (ICR, LVT in NMI mode, LINT1): true once, then cleared. */
bool apic_take_nmi(struct apic *a);

#endif
