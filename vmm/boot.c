/* boot.c: the Multiboot v1 hand-over: boot information in guest RAM and the 32-bit entry state. */
#include <err.h>
#include <string.h>

#include "vmm/boot.h"
#include "vmm/status.h"

/* Multiboot information flags (specification section 3.3). */
#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
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

struct mb_module {
    uint32_t start, end, string, reserved;
};

static const char loader_name[] = "pmvm";

/* The first page after every segment of the image. */
static uint64_t image_end(const struct load_image *li)
{
    uint64_t end = 0;
    for (unsigned i = 0; i < li->nsegs; i++)
        if (li->segs[i].paddr + li->segs[i].memsz > end)
            end = li->segs[i].paddr + li->segs[i].memsz;
    return (end + 0xFFF) & ~0xFFFull;
}

/* The module's bytes after the image; its entry in (mod). */
static void module_place(struct vm *vm, const struct load_image *li,
                         const struct boot_module *m, struct mb_module *mod)
{
    uint64_t start = image_end(li);
    if (m->len > vm->mem_size || start > vm->mem_size - m->len)
        errx(STATUS_USAGE, "the module (--initrd, --env) is %zu bytes and "
             "does not fit in guest RAM after the image: use a larger "
             "--mem", m->len);
    memcpy(vm->mem + start, m->data, m->len);
    *mod = (struct mb_module){.start = (uint32_t)start,
                              .end = (uint32_t)(start + m->len)};
}

static void boot_info_write(struct vm *vm, const struct load_image *li,
                            const char *cmdline,
                            const struct boot_module *module)
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
    uint32_t mods_addr = map_addr + sizeof map;
    uint32_t name_addr = mods_addr + sizeof(struct mb_module);
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
    if (module->len) {
        struct mb_module mod;
        module_place(vm, li, module, &mod);
        mod.string = cmd_addr + (uint32_t)cmdlen - 1; /* "": no name */
        memcpy(vm->mem + mods_addr, &mod, sizeof mod);
        info.flags |= MBI_MODS;
        info.mods_count = 1;
        info.mods_addr = mods_addr;
    }
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
                    const char *cmdline, const struct boot_module *module)
{
    boot_info_write(vm, li, cmdline, module);

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
