/* machine.c: a small x86-64 machine in a buffer for the engine's tests: page tables, GDT, IDT, TSS and exception handlers that stop the engine. */
#include <stdlib.h>
#include <string.h>

#include "tests/engine/machine.h"


static uint64_t page_alloc(struct machine *m)
{
    uint64_t p = m->next_phys;

    m->next_phys += 0x1000;
    if (m->next_phys > m->ram_size)
        abort();
    memset(m->ram + p, 0, 0x1000);
    return p;
}

/* The PTE of (la), making tables on the way (upper levels permissive: the
 * last level decides). */
static uint64_t *pte_make(struct machine *m, uint64_t la)
{
    uint64_t table = m->cr3;

    for (int level = 4; level > 1; level--) {
        uint64_t *e = (uint64_t *)(void *)(m->ram + table) +
                      ((la >> (12 + 9 * (level - 1))) & 511);
        if (!(*e & PTE_P))
            *e = page_alloc(m) | PTE_P | PTE_RW | PTE_US;
        table = *e & PTE_ADDR;
    }
    return (uint64_t *)(void *)(m->ram + table) + ((la >> 12) & 511);
}

uint64_t *machine_pte(struct machine *m, uint64_t la)
{
    uint64_t table = m->cr3;

    for (int level = 4; level > 1; level--) {
        uint64_t e = ((uint64_t *)(void *)(m->ram + table))
                         [(la >> (12 + 9 * (level - 1))) & 511];
        if (!(e & PTE_P))
            return NULL;
        table = e & PTE_ADDR;
    }
    return (uint64_t *)(void *)(m->ram + table) + ((la >> 12) & 511);
}

uint64_t machine_map(struct machine *m, uint64_t la, uint64_t len,
                     unsigned flags)
{
    uint64_t first = 0;

    for (uint64_t off = 0; off < len; off += 0x1000) {
        uint64_t phys = page_alloc(m);
        uint64_t *pte = pte_make(m, la + off);
        *pte = phys | ((flags & MAP_NP) ? 0 : PTE_P) |
               ((flags & MAP_W) ? PTE_RW : 0) | ((flags & MAP_U) ? PTE_US : 0) |
               ((flags & MAP_NX) ? PTE_XD : 0);
        if (off == 0)
            first = phys;
    }
    return first;
}

uint8_t *machine_ptr(struct machine *m, uint64_t la)
{
    uint64_t *pte = machine_pte(m, la);

    return pte ? m->ram + (*pte & PTE_ADDR) + (la & 0xFFF) : NULL;
}

static void put64(struct machine *m, uint64_t la, uint64_t v)
{
    memcpy(machine_ptr(m, la), &v, 8);
}

/* A flat code or data descriptor (SDM 3.4.5); code is 64-bit (L). */
static uint64_t seg_desc(unsigned dpl, bool code)
{
    uint64_t d = 0xFFFFull | 0xFull << 48;      /* limit */
    d |= 1ull << 44 | 1ull << 47 | 1ull << 55;  /* S, P, G */
    d |= (uint64_t)dpl << 45;
    if (code)
        d |= 0xBull << 40 | 1ull << 53;         /* execute/read, L */
    else
        d |= 0x3ull << 40 | 1ull << 54;         /* read/write, D/B */
    return d;
}

/* A flat 32-bit code descriptor: L = 0, D = 1 (SDM 3.4.5). */
static uint64_t code32_desc(unsigned dpl)
{
    return (seg_desc(dpl, true) & ~(1ull << 53)) | 1ull << 54;
}

void machine_gate(struct machine *m, unsigned vec, unsigned dpl,
                  unsigned ist, bool trap)
{
    uint64_t target = MACHINE_HANDLERS + 16 * vec;
    uint64_t lo = (target & 0xFFFF) | (uint64_t)SEL_KCODE << 16 |
                  (uint64_t)ist << 32 | (uint64_t)(trap ? 0xF : 0xE) << 40 |
                  (uint64_t)dpl << 45 | 1ull << 47 |
                  ((target >> 16) & 0xFFFF) << 48;

    put64(m, MACHINE_IDT + 16 * vec, lo);
    put64(m, MACHINE_IDT + 16 * vec + 8, target >> 32);
}

void machine_init(struct machine *m, uint64_t ram_size)
{
    memset(m, 0, sizeof(*m));
    m->ram = calloc(1, ram_size);
    if (!m->ram)
        abort();
    m->ram_size = ram_size;
    m->next_phys = 0x1000;
    m->cr3 = page_alloc(m);
    machine_map(m, MACHINE_KERNEL, 0x12000, MAP_W);
    put64(m, MACHINE_GDT + SEL_KCODE, seg_desc(0, true));
    put64(m, MACHINE_GDT + SEL_KDATA, seg_desc(0, false));
    put64(m, MACHINE_GDT + (SEL_UDATA & ~3), seg_desc(3, false));
    put64(m, MACHINE_GDT + (SEL_UCODE & ~3), seg_desc(3, true));
    put64(m, MACHINE_GDT_LINUX + SEL_KCODE, seg_desc(0, true));
    put64(m, MACHINE_GDT_LINUX + SEL_KDATA, seg_desc(0, false));
    put64(m, MACHINE_GDT_LINUX + (LINUX_USER32_CS & ~3), code32_desc(3));
    put64(m, MACHINE_GDT_LINUX + (LINUX_USER_DS & ~3), seg_desc(3, false));
    put64(m, MACHINE_GDT_LINUX + (LINUX_USER_CS & ~3), seg_desc(3, true));
    /* a 64-bit TSS, busy (type 0xB), limit 0x67 */
    uint64_t tss = MACHINE_TSS;
    put64(m, MACHINE_GDT + SEL_TSS, 0x67 | (tss & 0xFFFFFF) << 16 |
                                    0x8Bull << 40 | ((tss >> 24) & 0xFF) << 56);
    put64(m, MACHINE_GDT + SEL_TSS + 8, tss >> 32);
    put64(m, MACHINE_TSS + 4, MACHINE_KSTACK_TOP);   /* RSP0 */
    /* no I/O permission bitmap: its base is past the limit (SDM 19.5.2) */
    machine_ptr(m, MACHINE_TSS + 102)[0] = 0x68;
    put64(m, MACHINE_TSS + 0x24, MACHINE_IST1_TOP);  /* IST1 */
    for (unsigned v = 0; v < 256; v++) {
        machine_ptr(m, MACHINE_HANDLERS + 16 * v)[0] = 0xF4; /* HLT */
        machine_gate(m, v, 0, 0, false);
    }
}

void machine_free(struct machine *m)
{
    free(m->ram);
    m->ram = NULL;
}

static struct engine_seg flat(uint16_t sel, bool code)
{
    return (struct engine_seg){.selector = sel, .base = 0,
                               .limit = 0xFFFFFFFF, .type = code ? 11 : 3,
                               .s = 1, .dpl = (uint8_t)(sel & 3),
                               .present = 1, .l = code, .db = !code, .g = 1};
}

void machine_state(struct machine *m, struct engine_state *st, unsigned cpl,
                   uint64_t rip, uint64_t rsp)
{
    memset(st, 0, sizeof(*st));
    uint16_t cs = cpl ? SEL_UCODE : SEL_KCODE, ds = cpl ? SEL_UDATA : SEL_KDATA;
    for (unsigned s = 0; s < ENGINE_NR_SREGS; s++)
        st->seg[s] = flat(ds, false);
    st->seg[ENGINE_CS] = flat(cs, true);
    st->tr = (struct engine_seg){.selector = SEL_TSS, .base = MACHINE_TSS,
                                 .limit = 0x67, .type = 11, .present = 1};
    st->gdt_base = MACHINE_GDT;
    st->gdt_limit = 0x37;
    st->idt_base = MACHINE_IDT;
    st->idt_limit = 0xFFF;
    st->cr0 = 0x80050033; /* PG AM WP NE ET MP PE */
    st->cr3 = m->cr3;
    st->cr4 = 0x6A0;      /* OSXMMEXCPT OSFXSR PGE PAE */
    st->efer = 0xD01;     /* NXE LMA LME SCE */
    st->rflags = 0x202;
    st->rip = rip;
    st->gpr[ENGINE_RSP] = rsp;
}

void machine_state_linux(struct machine *m, struct engine_state *st,
                         bool compat, uint64_t rip, uint64_t rsp)
{
    machine_state(m, st, 3, rip, rsp);
    for (unsigned s = 0; s < ENGINE_NR_SREGS; s++)
        st->seg[s] = flat(LINUX_USER_DS, false);
    st->seg[ENGINE_CS] = flat(compat ? LINUX_USER32_CS : LINUX_USER_CS, true);
    if (compat) {
        st->seg[ENGINE_CS].l = 0;
        st->seg[ENGINE_CS].db = 1;
    }
    st->gdt_base = MACHINE_GDT_LINUX;
    st->gdt_limit = (LINUX_USER_CS | 7);
}

int machine_vector_at(uint64_t rip)
{
    if (rip < MACHINE_HANDLERS || rip >= MACHINE_HANDLERS + 16 * 256 ||
        (rip - MACHINE_HANDLERS) % 16)
        return -1;
    return (int)((rip - MACHINE_HANDLERS) / 16);
}

uint64_t machine_stack(struct machine *m, const struct engine_state *st,
                       unsigned slot)
{
    uint64_t v;
    memcpy(&v, machine_ptr(m, st->gpr[ENGINE_RSP] + 8 * slot), 8);
    return v;
}

bool machine_cpuid_xsave;

enum engine_answer machine_cpuid(void *ctx, uint32_t leaf, uint32_t sub,
                                 uint32_t r[4])
{
    (void)ctx, (void)sub;
    memset(r, 0, 4 * sizeof(r[0]));
    if (leaf == 0)
        r[0] = 1;
    else if (leaf == 1 && machine_cpuid_xsave)
        r[2] = 1u << 26;
    else if (leaf == 0x80000000u)
        r[0] = 0x80000001u;
    else if (leaf == 0x80000001u)
        r[3] = 1u << 29 | 1u << 20;
    return ENGINE_OK;
}
