/* apic.c: the local APIC's registers, priorities, self-IPIs and LVT inputs (Intel SDM vol. 3 ch. 11); its timer is apic_timer.c. */
#include <string.h>

#include "devices/apic.h"
#include "devices/apic_timer.h"

#define LVT_MODE(v) (((v) >> 8) & 7u)  /* delivery mode, SDM 11.5.1 */
#define MODE_FIXED 0u
#define MODE_NMI 4u
#define MODE_EXTINT 7u
#define ESR_SEND_ILLEGAL (1u << 5)    /* SDM 11.5.3 */
#define ESR_RECV_ILLEGAL (1u << 6)

/* What software may write of each LVT entry (SDM Figure 11-8): delivery
 * status and remote IRR are the APIC's own; the timer has no delivery
 * mode, the error entry neither mode nor trigger. */
static const uint32_t lvt_writable[APIC_NLVT] = {
    [APIC_LVT_TIMER] = 0x700FFu,   [APIC_LVT_THERMAL] = 0x107FFu,
    [APIC_LVT_PMC] = 0x107FFu,     [APIC_LVT_LINT0] = 0x1A7FFu,
    [APIC_LVT_LINT1] = 0x1A7FFu,   [APIC_LVT_ERROR] = 0x100FFu,
};

#define ICR_LOW_WRITABLE 0xCCFFFu /* all but delivery status (SDM 11.6.1) */
#define X2APIC_ICR_RESERVED 0xFFF32000ull /* 31:20, 17:16, 13, as KVM */

/* Register indexes: the xAPIC offset / 16, the x2APIC MSR - 0x800. */
enum {
    R_ID = 0x02, R_VER = 0x03, R_TPR = 0x08, R_APR = 0x09, R_PPR = 0x0A,
    R_EOI = 0x0B, R_RRD = 0x0C, R_LDR = 0x0D, R_DFR = 0x0E, R_SVR = 0x0F,
    R_ISR = 0x10, R_TMR = 0x18, R_IRR = 0x20, R_ESR = 0x28, R_ICR = 0x30,
    R_ICR_HI = 0x31, R_LVT = 0x32, R_INIT = 0x38, R_CUR = 0x39,
    R_DCR = 0x3E, R_SELF = 0x3F,
};

static bool x2apic(const struct apic *a)
{
    return apic_hw_enabled(a) && (a->base & APIC_BASE_EXTD);
}

/* The highest vector set in a 256-bit register, or -1. */
static int highest(const uint32_t r[8])
{
    for (int i = 7; i >= 0; i--)
        if (r[i])
            return i * 32 + 31 - __builtin_clz(r[i]);
    return -1;
}

/* SDM 11.8.3.1: the TPR if its class is at least the highest in-service
 * vector's, else that vector's class. */
static uint32_t ppr(const struct apic *a)
{
    int isrv = highest(a->isr);
    uint32_t isrc = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0u;
    return (a->tpr & 0xF0u) >= isrc ? a->tpr & 0xFFu : isrc;
}

static void regs_reset(struct apic *a)
{
    a->tpr = a->ldr = a->esr = 0;
    a->dfr = 0xFFFFFFFFu;
    a->svr = 0xFFu;
    memset(a->isr, 0, sizeof a->isr);
    memset(a->tmr, 0, sizeof a->tmr);
    memset(a->irr, 0, sizeof a->irr);
    a->icr = 0;
    for (unsigned i = 0; i < APIC_NLVT; i++)
        a->lvt[i] = LVT_MASKED;
    a->dcr = a->init_count = 0;
    a->timer_start = a->timer_done = a->tsc_deadline = 0;
    a->timer_div = 1;
    a->nmi_pending = false;
}

void apic_init(struct apic *a, uint32_t id, uint64_t tsc_hz, uint64_t timer_hz)
{
    memset(a, 0, sizeof *a);
    a->base = APIC_BASE_DEFAULT | APIC_BASE_EN | APIC_BASE_BSP;
    a->x2apic_id = id;
    a->xapic_id = (uint8_t)id;
    a->maxphyaddr = 46;
    a->tsc_hz = tsc_hz ? tsc_hz : 1;
    a->timer_hz = timer_hz ? timer_hz : 1;
    regs_reset(a);
    /* KVM resets the BSP's LINT0 to ExtINT, unmasked, so that the 8259
     * reaches it (KVM_X86_QUIRK_LINT0_REENABLED, on by default; the SDM's
     * reset value is masked, which the other LVTs keep). */
    a->lvt[APIC_LVT_LINT0] = MODE_EXTINT << 8;
}

/* A fixed interrupt or an NMI to this APIC. A software-disabled APIC takes
 * no fixed interrupts (SDM 11.4.7.2: only NMI, SMI, INIT, SIPI). */
static void deliver(struct apic *a, unsigned mode, unsigned vector,
                    uint32_t illegal)
{
    if (mode == MODE_NMI) {
        a->nmi_pending = true;
        return;
    }
    if (mode != MODE_FIXED || !(a->svr & APIC_SVR_ENABLE))
        return;
    if (vector < 16) { /* SDM 11.5.2: vectors 0-15 are illegal */
        a->esr |= illegal;
        return;
    }
    a->irr[vector / 32] |= 1u << (vector % 32);
}

void apic_lvt_fire(struct apic *a, unsigned i)
{
    uint32_t v = a->lvt[i];
    if (!(v & LVT_MASKED))
        deliver(a, i == APIC_LVT_TIMER ? MODE_FIXED : LVT_MODE(v), v & 0xFFu,
                ESR_RECV_ILLEGAL);
}

static void lvt_write(struct apic *a, unsigned i, uint32_t val)
{
    val &= lvt_writable[i];
    if (!(a->svr & APIC_SVR_ENABLE))
        val |= LVT_MASKED; /* SDM 11.4.7.2 */
    bool deadline = TIMER_MODE(val) == TIMER_DEADLINE;
    if (i == APIC_LVT_TIMER &&
        deadline != (apic_timer_mode(a) == TIMER_DEADLINE)) {
        /* SDM 11.5.4.1: moving into or out of TSC-deadline disarms. */
        a->init_count = 0;
        a->tsc_deadline = 0;
    }
    a->lvt[i] = (a->lvt[i] & ~lvt_writable[i]) | val;
}

/* ---- interrupts ---- */

static int acceptable(const struct apic *a)
{
    if (!apic_hw_enabled(a))
        return -1;
    int v = highest(a->irr);
    return v >= 0 && ((uint32_t)v & 0xF0u) > (ppr(a) & 0xF0u) ? v : -1;
}

int apic_accept(struct apic *a)
{
    int v = acceptable(a);
    if (v >= 0) {
        a->irr[v / 32] &= ~(1u << (v % 32));
        a->isr[v / 32] |= 1u << (v % 32);
    }
    return v;
}

bool apic_has_interrupt(const struct apic *a)
{
    return acceptable(a) >= 0;
}

bool apic_take_nmi(struct apic *a)
{
    bool n = a->nmi_pending;
    a->nmi_pending = false;
    return n;
}

void apic_pmi(struct apic *a)
{
    if (!apic_hw_enabled(a) || (a->lvt[APIC_LVT_PMC] & LVT_MASKED))
        return;
    apic_lvt_fire(a, APIC_LVT_PMC);
    a->lvt[APIC_LVT_PMC] |= LVT_MASKED;
}

bool apic_extint_open(const struct apic *a)
{
    uint32_t v = a->lvt[APIC_LVT_LINT0];

    return !apic_hw_enabled(a) ||
           (!(v & LVT_MASKED) && LVT_MODE(v) == MODE_EXTINT);
}

enum apic_lint apic_lint(struct apic *a, unsigned pin, unsigned *vector)
{
    if (pin > 1)
        return APIC_LINT_MASKED;
    if (!apic_hw_enabled(a)) {
        if (pin == 0)
            return APIC_LINT_EXTINT;
        a->nmi_pending = true;
        return APIC_LINT_NMI;
    }
    uint32_t v = a->lvt[APIC_LVT_LINT0 + pin];
    if (v & LVT_MASKED)
        return APIC_LINT_MASKED;
    switch (LVT_MODE(v)) {
    case MODE_FIXED:
        deliver(a, MODE_FIXED, v & 0xFFu, ESR_RECV_ILLEGAL);
        if ((v & 0xFFu) < 16)
            return APIC_LINT_MASKED;
        if (vector)
            *vector = v & 0xFFu;
        return APIC_LINT_FIXED;
    case MODE_NMI:
        a->nmi_pending = true;
        return APIC_LINT_NMI;
    case MODE_EXTINT:
        return APIC_LINT_EXTINT;
    default:
        return APIC_LINT_MASKED;
    }
}

/* SDM 11.6.1: only this APIC is modelled, so an IPI is delivered only
 * where it reaches this one: shorthand self or all-including-self, or a
 * physical destination of its own ID or broadcast. Logical destinations
 * and delivery modes other than fixed and NMI are dropped. */
static void send_ipi(struct apic *a)
{
    uint32_t lo = (uint32_t)a->icr;
    bool me;
    switch ((lo >> 18) & 3u) {
    case 1: case 2: me = true; break;
    case 3: me = false; break;
    default:
        if (lo & (1u << 11))
            me = false;
        else if (x2apic(a))
            me = (uint32_t)(a->icr >> 32) == a->x2apic_id ||
                 (uint32_t)(a->icr >> 32) == 0xFFFFFFFFu;
        else
            me = (a->icr >> 56) == a->xapic_id || (a->icr >> 56) == 0xFF;
    }
    if (me)
        deliver(a, LVT_MODE(lo), lo & 0xFFu, ESR_SEND_ILLEGAL);
}

static void eoi(struct apic *a)
{
    int v = highest(a->isr);
    if (v >= 0)
        a->isr[v / 32] &= ~(1u << (v % 32));
}

static void svr_write(struct apic *a, uint32_t val)
{
    a->svr = val & 0x3FFu; /* vector, enable, focus check (as KVM) */
    if (!(val & APIC_SVR_ENABLE))
        for (unsigned i = 0; i < APIC_NLVT; i++)
            a->lvt[i] |= LVT_MASKED;
}

/* ---- register access, shared by MMIO and MSRs ---- */

/* A register's value, or false where x2APIC mode (x2) has no readable
 * register of that index. xAPIC reads of reserved registers are 0. */
static bool reg_read(struct apic *a, unsigned r, bool x2, uint64_t *val)
{
    *val = 0;
    if (r >= R_ISR && r < R_ISR + 8) *val = a->isr[r - R_ISR];
    else if (r >= R_TMR && r < R_TMR + 8) *val = a->tmr[r - R_TMR];
    else if (r >= R_IRR && r < R_IRR + 8) *val = a->irr[r - R_IRR];
    else if (r >= R_LVT && r < R_LVT + APIC_NLVT) *val = a->lvt[r - R_LVT];
    else switch (r) {
    case R_ID:
        *val = x2 ? a->x2apic_id : (uint32_t)a->xapic_id << 24;
        break;
    case R_VER: *val = APIC_VERSION; break;
    case R_TPR: *val = a->tpr; break;
    case R_PPR: *val = ppr(a); break;
    case R_LDR:
        /* SDM 11.12.10.2: the logical x2APIC ID is the cluster (ID bits
         * 19:4) in bits 31:16 and one bit of 16 for ID bits 3:0. */
        *val = x2 ? ((a->x2apic_id >> 4) & 0xFFFFu) << 16 |
                        1u << (a->x2apic_id & 0xFu)
                  : a->ldr;
        break;
    case R_SVR: *val = a->svr; break;
    case R_ESR: *val = a->esr; break;
    case R_ICR: *val = x2 ? a->icr : (uint32_t)a->icr; break;
    case R_INIT: *val = a->init_count; break;
    case R_DCR: *val = a->dcr; break;
    case R_APR: case R_RRD: case R_DFR: case R_ICR_HI:
        if (x2)
            return false;
        *val = r == R_DFR ? a->dfr : r == R_ICR_HI ? a->icr >> 32 : 0;
        break;
    default:
        return !x2; /* EOI, SELF IPI (write-only) and reserved */
    }
    return true;
}

static bool x2_read_only(unsigned r)
{
    return r == R_ID || r == R_VER || r == R_PPR || r == R_LDR ||
           (r >= R_ISR && r < R_IRR + 8) || r == R_CUR;
}

/* A register write; false for an x2APIC #GP (x2: x2APIC mode). */
static bool reg_write(struct apic *a, unsigned r, bool x2, uint64_t val,
                      uint64_t now)
{
    if (x2 && (x2_read_only(r) || (r != R_ICR && val >> 32)))
        return false;
    uint32_t v = (uint32_t)val;
    if (r >= R_LVT && r < R_LVT + APIC_NLVT) {
        lvt_write(a, r - R_LVT, v);
        return true;
    }
    switch (r) {
    case R_ID: a->xapic_id = (uint8_t)(v >> 24); return true;
    case R_TPR: a->tpr = v & 0xFFu; return true;
    case R_EOI:
        if (x2 && v) /* SDM Table 11-6 */
            return false;
        eoi(a);
        return true;
    case R_LDR: a->ldr = v & 0xFF000000u; return true;
    case R_DFR:
        if (x2)
            return false;
        a->dfr = v | 0x0FFFFFFFu;
        return true;
    case R_SVR: svr_write(a, v); return true;
    case R_ESR:
        if (x2 && v) /* SDM Table 11-6 */
            return false;
        a->esr = 0; /* stands for write-then-read (SDM 11.5.3) */
        return true;
    case R_ICR:
        if (x2) {
            if (val & X2APIC_ICR_RESERVED)
                return false;
            a->icr = val & ~(1ull << 12);
        } else {
            a->icr = (a->icr & ~0xFFFFFFFFull) | (v & ICR_LOW_WRITABLE);
        }
        send_ipi(a);
        return true;
    case R_ICR_HI:
        if (x2)
            return false;
        a->icr = (uint64_t)(v & 0xFF000000u) << 32 | (uint32_t)a->icr;
        return true;
    case R_INIT: apic_timer_start(a, v, now); return true;
    case R_DCR: a->dcr = v & 0xBu; return true;
    case R_SELF:
        if (!x2)
            return true;
        if (v & ~0xFFu) /* SDM Table 11-6: bits 31:8 reserved */
            return false;
        deliver(a, MODE_FIXED, v, ESR_SEND_ILLEGAL);
        return true;
    case R_VER: case R_PPR: case R_CUR:
        return true; /* xAPIC: read-only, ignored */
    default:
        if (r >= R_ISR && r < R_IRR + 8)
            return true;
        return !x2; /* APR, RRD, CMCI, reserved */
    }
}

uint32_t apic_mmio_read(struct apic *a, unsigned offset, uint64_t now)
{
    apic_advance(a, now);
    if (!apic_hw_enabled(a) || x2apic(a) || (offset & 0xFu) || offset >= 0x1000)
        return 0;
    if (offset >> 4 == R_CUR)
        return apic_timer_current(a, now);
    uint64_t v;
    reg_read(a, offset >> 4, false, &v);
    return (uint32_t)v;
}

void apic_mmio_write(struct apic *a, unsigned offset, uint32_t val,
                     uint64_t now)
{
    apic_advance(a, now);
    if (!apic_hw_enabled(a) || x2apic(a) || (offset & 0xFu) || offset >= 0x1000)
        return;
    reg_write(a, offset >> 4, false, val, now);
}

bool apic_msr_read(struct apic *a, uint32_t msr, uint64_t *val, uint64_t now)
{
    apic_advance(a, now);
    *val = 0;
    if (!x2apic(a) || msr < 0x800 || msr > 0x83F)
        return false;
    if (msr - 0x800 == R_CUR) {
        *val = apic_timer_current(a, now);
        return true;
    }
    return reg_read(a, msr - 0x800, true, val);
}

bool apic_msr_write(struct apic *a, uint32_t msr, uint64_t val, uint64_t now)
{
    apic_advance(a, now);
    if (!x2apic(a) || msr < 0x800 || msr > 0x83F)
        return false;
    return reg_write(a, msr - 0x800, true, val, now);
}

/* ---- IA32_APIC_BASE (SDM 11.4.4, 11.12.5) ---- */

uint64_t apic_base(const struct apic *a)
{
    return a->base;
}

bool apic_base_write(struct apic *a, uint64_t val)
{
    uint64_t reserved = 0x2FFull;
    if (a->maxphyaddr < 64)
        reserved |= ~0ull << a->maxphyaddr;
    if (val & reserved)
        return false;
    bool en = val & APIC_BASE_EN, extd = val & APIC_BASE_EXTD;
    if (extd && !en)
        return false; /* the invalid state */
    if (x2apic(a) && en && !extd)
        return false; /* x2APIC to xAPIC: only through disabled */
    if (!apic_hw_enabled(a) && extd)
        return false; /* disabled to x2APIC: only through xAPIC */
    if (apic_hw_enabled(a) && !en)
        regs_reset(a); /* 11.12.5.1: nothing but the IDs is kept */
    a->base = val;
    return true;
}
