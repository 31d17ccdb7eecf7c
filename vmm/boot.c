/* boot.c: the Multiboot v1 hand-over: boot information in guest RAM and the 32-bit entry state. */
#include <err.h>
#include <string.h>

#include "vmm/boot.h"
#include "vmm/status.h"

/* Multiboot information flags (specification section 3.3). */
#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MMAP (1u << 6)
#define MBI_LOADER_NAME (1u << 9)

#define MMAP_AVAILABLE 1u
#define MMAP_RESERVED 2u

#define LOW_MEM_END 0x9FC00u /* conventional memory, as a PC reports it */
#define HIGH_MEM 0x100000u

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    uint32_t mods_count, mods_addr, syms[4];
    uint32_t mmap_length, mmap_addr, drives_length, drives_addr;
    uint32_t config_table, boot_loader_name;
} __attribute__((packed));

/* Each entry is preceded by its size, which does not count itself. */
struct mb_mmap_entry {
    uint32_t size;
    uint64_t addr, len;
    uint32_t type;
} __attribute__((packed));

static const char loader_name[] = "pmvm";

static void boot_info_write(struct vm *vm, const char *cmdline)
{
    size_t cmdlen = strlen(cmdline) + 1;
    if (cmdlen > BOOT_CMDLINE_MAX)
        errx(STATUS_USAGE, "guest command line is %zu bytes, more than the "
             "%u pmvm passes", cmdlen - 1, BOOT_CMDLINE_MAX - 1);
    const struct mb_mmap_entry map[] = {
        {20, 0, LOW_MEM_END, MMAP_AVAILABLE},
        {20, LOW_MEM_END, HIGH_MEM - LOW_MEM_END, MMAP_RESERVED},
        {20, HIGH_MEM, vm->mem_size - HIGH_MEM,
         MMAP_AVAILABLE},
    };
    uint32_t map_addr = BOOT_INFO_ADDR + sizeof(struct mb_info);
    uint32_t name_addr = map_addr + sizeof map;
    uint32_t cmd_addr = name_addr + sizeof loader_name;
    struct mb_info info = {
        .flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME,
        .mem_lower = LOW_MEM_END >> 10,
        .mem_upper = (uint32_t)((vm->mem_size - HIGH_MEM) >> 10),
        .cmdline = cmd_addr,
        .mmap_length = sizeof map,
        .mmap_addr = map_addr,
        .boot_loader_name = name_addr,
    };
    memcpy(vm->mem + BOOT_INFO_ADDR, &info, sizeof info);
    memcpy(vm->mem + map_addr, map, sizeof map);
    memcpy(vm->mem + name_addr, loader_name, sizeof loader_name);
    memcpy(vm->mem + cmd_addr, cmdline, cmdlen);
}

static struct kvm_segment flat_segment(uint16_t selector, uint8_t type)
{
    return (struct kvm_segment){
        .base = 0, .limit = 0xFFFFFFFF, .selector = selector, .type = type,
        .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
    };
}

void boot_multiboot(struct vm *vm, const struct load_image *li,
                    const char *cmdline)
{
    boot_info_write(vm, cmdline);

    /* The specification leaves GDTR undefined; a flat GDT matching the
     * segment registers keeps a guest that reloads them before setting
     * its own table out of trouble. */
    static const uint64_t gdt[] = {
        0,
        0x00CF9B000000FFFFull, /* 0x08: code, 32-bit, flat */
        0x00CF93000000FFFFull, /* 0x10: data, flat */
    };
    memcpy(vm->mem + BOOT_GDT_ADDR, gdt, sizeof gdt);

    struct kvm_sregs *s = vm_sregs(vm);
    s->cs = flat_segment(0x08, 0xB);
    s->ds = s->es = s->fs = s->gs = s->ss = flat_segment(0x10, 0x3);
    s->tr = (struct kvm_segment){.limit = 0x67, .type = 0xB, .present = 1};
    s->ldt = (struct kvm_segment){.type = 0x2, .unusable = 1};
    s->gdt.base = BOOT_GDT_ADDR;
    s->gdt.limit = sizeof gdt - 1;
    s->idt.base = 0;
    s->idt.limit = 0;
    s->cr0 = 0x11; /* PE | ET: protected mode, paging off */
    s->cr3 = s->cr4 = s->efer = 0;
    vm_sregs_dirty(vm);

    struct kvm_regs *r = vm_regs(vm);
    memset(r, 0, sizeof *r);
    r->rax = MB_BOOT_MAGIC;
    r->rbx = BOOT_INFO_ADDR;
    r->rip = li->entry;
    r->rflags = 0x2; /* IF = 0, VM = 0 */
    vm_regs_dirty(vm);
}
