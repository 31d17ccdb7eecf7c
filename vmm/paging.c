/* paging.c: reads guest memory through the guest's own page tables, as the vCPU would. */
#include <stdbool.h>
#include <string.h>

#include "arch/x86.h"
#include "vmm/paging.h"

#define ADDR_MASK 0x000FFFFFFFFFF000ull

static int read_entry(const struct vm *vm, uint64_t gpa, unsigned size,
                      uint64_t *entry)
{
    const void *p = vm_gpa(vm, gpa, size);
    if (!p)
        return -1;
    *entry = 0;
    memcpy(entry, p, size);
    return (*entry & PTE_P) ? 0 : -1;
}

/* Walk 4-level (long mode) or 3-level (PAE) tables of 8-byte entries. */
static int walk64(const struct vm *vm, uint64_t table, uint64_t la,
                  int levels, uint64_t *gpa)
{
    for (int level = levels; level >= 1; level--) {
        unsigned shift = 12 + 9 * (unsigned)(level - 1);
        bool pae_pdpt = levels == 3 && level == 3; /* 4 entries, no PS */
        uint64_t index = (la >> shift) & (pae_pdpt ? 3 : 511);
        uint64_t e;
        if (read_entry(vm, table + index * 8, 8, &e) < 0)
            return -1;
        /* PS in a PD entry maps 2 MiB, in a long-mode PDPT entry 1 GiB. */
        bool may_be_large = level == 2 || (level == 3 && !pae_pdpt);
        if (may_be_large && (e & PTE_PS)) {
            uint64_t size = 1ull << shift;
            *gpa = (e & ADDR_MASK & ~(size - 1)) | (la & (size - 1));
            return 0;
        }
        table = e & ADDR_MASK;
    }
    *gpa = table | (la & 0xFFF);
    return 0;
}

static int walk32(const struct vm *vm, const struct kvm_sregs *s,
                  uint64_t la, uint64_t *gpa)
{
    uint64_t pde, pte;
    if (read_entry(vm, (s->cr3 & 0xFFFFF000) + ((la >> 22) & 0x3FF) * 4, 4,
                   &pde) < 0)
        return -1;
    if ((s->cr4 & CR4_PSE) && (pde & PTE_PS)) {
        *gpa = (pde & 0xFFC00000) | (la & 0x3FFFFF);
        return 0;
    }
    if (read_entry(vm, (pde & 0xFFFFF000) + ((la >> 12) & 0x3FF) * 4, 4,
                   &pte) < 0)
        return -1;
    *gpa = (pte & 0xFFFFF000) | (la & 0xFFF);
    return 0;
}

int paging_translate(const struct vm *vm, const struct kvm_sregs *s,
                     uint64_t la, uint64_t *gpa)
{
    if (!(s->cr0 & CR0_PG)) {
        *gpa = la & 0xFFFFFFFF;
        return 0;
    }
    if (s->efer & EFER_LMA) {
        if (s->cr4 & CR4_LA57)
            return -1; /* 5-level paging: pmvm's guests never use it */
        return walk64(vm, s->cr3 & ADDR_MASK, la, 4, gpa);
    }
    if (s->cr4 & CR4_PAE)
        return walk64(vm, s->cr3 & 0xFFFFFFE0, la & 0xFFFFFFFF, 3, gpa);
    return walk32(vm, s, la & 0xFFFFFFFF, gpa);
}

size_t paging_read(const struct vm *vm, const struct kvm_sregs *s,
                   uint64_t la, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        uint64_t gpa;
        if (paging_translate(vm, s, la + done, &gpa) < 0)
            break;
        size_t chunk = 0x1000 - ((la + done) & 0xFFF);
        if (chunk > len - done)
            chunk = len - done;
        const void *src = vm_gpa(vm, gpa, chunk);
        if (!src)
            break;
        memcpy((uint8_t *)buf + done, src, chunk);
        done += chunk;
    }
    return done;
}

#define GATE_P (1ull << 47)

uint64_t paging_idt_handler(const struct vm *vm, const struct kvm_sregs *s,
                            unsigned vec)
{
    uint64_t gate[2];
    if (!(s->efer & EFER_LMA) || s->idt.limit < vec * 16 + 15 ||
        paging_read(vm, s, s->idt.base + vec * 16, gate, sizeof gate) !=
            sizeof gate)
        return 0;
    unsigned type = (gate[0] >> 40) & 0xF;
    if (!(gate[0] & GATE_P) || (type != 0xE && type != 0xF))
        return 0;
    return (gate[0] & 0xFFFF) | ((gate[0] >> 32) & 0xFFFF0000) |
           gate[1] << 32;
}
