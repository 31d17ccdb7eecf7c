/* mptable.c: the MultiProcessor Specification 1.4 table for --machine=linux: one CPU, an ISA bus, an I/O APIC and IRQs 0-15. */
#include <string.h>

#include "vmm/mptable.h"

/*
 * Intel MultiProcessor Specification, version 1.4 (order 242016-006),
 * chapter 4: a 16-byte floating pointer ("_MP_") on a 16-byte boundary
 * in the last KiB of base memory, pointing at a configuration table
 * ("PCMP") of a header and entries, each structure's bytes summing to 0.
 * Entry types: 0 processor (20 bytes), 1 bus, 2 I/O APIC, 3 I/O
 * interrupt, 4 local interrupt (8 bytes each). Firecracker's
 * arch/x86_64/mptable.rs and kvmtool's x86/mptable.c write the same.
 */

#define LAPIC_BASE 0xFEE00000u
#define IOAPIC_BASE 0xFEC00000u
#define IOAPIC_ID 1
#define ISA_IRQS 16
#define SPEC_REV 4 /* version 1.4 */

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { INT_VECTORED, INT_NMI, INT_SMI, INT_EXTINT };

#define CPU_ENABLED 0x01
#define CPU_BSP 0x02
#define LAPIC_VERSION 0x14 /* an integrated local APIC, as KVM's */
#define IOAPIC_VERSION 0x11 /* KVM's I/O APIC */

struct writer {
    uint8_t *buf;
    size_t len, at;
    unsigned entries;
};

static uint8_t *take(struct writer *w, size_t n)
{
    if (!w->buf || w->len - w->at < n) {
        w->buf = NULL;
        return NULL;
    }
    uint8_t *p = w->buf + w->at;
    memset(p, 0, n);
    w->at += n;
    return p;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    while (n--)
        sum = (uint8_t)(sum + *p++);
    return (uint8_t)-sum;
}

/* An 8-byte entry of (type); its remaining bytes are the caller's. */
static uint8_t *entry8(struct writer *w, uint8_t type)
{
    uint8_t *e = take(w, 8);
    if (e) {
        e[0] = type;
        w->entries++;
    }
    return e;
}

static void interrupt(struct writer *w, uint8_t type, uint8_t kind,
                      uint8_t irq, uint8_t dst_apic, uint8_t dst_pin)
{
    uint8_t *e = entry8(w, type);
    if (!e)
        return;
    e[1] = kind;
    /* bytes 2-3: polarity and trigger "conform to the bus" (ISA: active
     * high, edge) */
    e[4] = 0;   /* source bus: the ISA bus, ID 0 */
    e[5] = irq;
    e[6] = dst_apic;
    e[7] = dst_pin;
}

size_t mptable_write(uint8_t *buf, size_t len, uint32_t cpu_signature,
                     uint32_t cpu_features)
{
    struct writer w = {.buf = buf, .len = len};
    uint8_t *mpf = take(&w, 16);
    uint8_t *mpc = take(&w, 44);
    if (!mpc)
        return 0;

    uint8_t *cpu = take(&w, 20);
    if (cpu) {
        cpu[0] = MP_PROCESSOR;
        cpu[1] = 0; /* local APIC ID */
        cpu[2] = LAPIC_VERSION;
        cpu[3] = CPU_ENABLED | CPU_BSP;
        put32(cpu + 4, cpu_signature);
        put32(cpu + 8, cpu_features);
        w.entries++;
    }
    uint8_t *bus = entry8(&w, MP_BUS);
    if (bus)
        memcpy(bus + 2, "ISA   ", 6); /* bus ID 0 */
    uint8_t *ioapic = entry8(&w, MP_IOAPIC);
    if (ioapic) {
        ioapic[1] = IOAPIC_ID;
        ioapic[2] = IOAPIC_VERSION;
        ioapic[3] = 0x01; /* usable */
        put32(ioapic + 4, IOAPIC_BASE);
    }
    for (uint8_t irq = 0; irq < ISA_IRQS; irq++)
        interrupt(&w, MP_INTSRC, INT_VECTORED, irq, IOAPIC_ID, irq);
    /* LINT0 takes the 8259's ExtINT, LINT1 NMI, on every local APIC
     * (0xFF), as the spec's default configurations have it. */
    interrupt(&w, MP_LINTSRC, INT_EXTINT, 0, 0xFF, 0);
    interrupt(&w, MP_LINTSRC, INT_NMI, 0, 0xFF, 1);
    if (!w.buf)
        return 0;

    size_t table_len = w.at - 16;
    memcpy(mpc, "PCMP", 4);
    put16(mpc + 4, (uint16_t)table_len);
    mpc[6] = SPEC_REV;
    memcpy(mpc + 8, "PMVM    ", 8);        /* OEM ID */
    memcpy(mpc + 16, "PMVM        ", 12);  /* product ID */
    put16(mpc + 34, (uint16_t)w.entries);
    put32(mpc + 36, LAPIC_BASE);
    mpc[7] = checksum(mpc, table_len);

    memcpy(mpf, "_MP_", 4);
    put32(mpf + 4, MPTABLE_AT + 16); /* the configuration table */
    mpf[8] = 1;                      /* length in 16-byte paragraphs */
    mpf[9] = SPEC_REV;
    /* bytes 11-15: feature bytes 1-5, all 0: a configuration table is
     * present, and no IMCR (virtual wire mode) */
    mpf[10] = checksum(mpf, 16);
    return w.at;
}
