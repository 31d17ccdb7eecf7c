/* linux_boot.c: the Linux x86 64-bit boot protocol hand-over: the kernel's segments and the zero page in guest RAM, the initrd at the top of it, identity-mapped page tables and the 64-bit entry state. */
#include <string.h>

#include <asm/e820.h>

#include "vmm/linux_boot.h"
#include "vmm/reason.h"

/*
 * Documentation/arch/x86/boot.rst, "64-bit Boot Protocol": the boot
 * loader loads the kernel, fills struct boot_params (the zero page) with
 * the setup header it read from the image and what it knows of the
 * machine, and jumps to the 64-bit entry in long mode with paging on,
 * the kernel, the zero page and the command line identity-mapped, a GDT
 * whose __BOOT_CS (0x10) is flat 64-bit code and __BOOT_DS (0x18) flat
 * data, interrupts off and RSI the zero page. Firecracker's x86_64 boot
 * (arch/x86_64/regs.rs, gdt.rs) and kvmtool's do the same.
 */

#define LOW_MEM_END 0x9FC00ull /* conventional memory, as a PC reports it */
#define HIGH_MEM 0x100000ull
#define PAGE 0x1000ull

/* The end of what the kernel occupies: its segments, and for a bzImage
 * the init_size it asks for from its load address. */
static uint64_t kernel_end(const struct linux_image *li)
{
    uint64_t end = li->load_end;

    if (li->has_setup && li->setup.pref_address + li->setup.init_size > end)
        end = li->setup.pref_address + li->setup.init_size;
    return (end + PAGE - 1) & ~(PAGE - 1);
}

/* The initrd's place: the top of RAM below the kernel's limit, page
 * aligned, as QEMU and kvmtool put it. */
static uint64_t initrd_at(const struct linux_image *li, uint64_t mem_size,
                          size_t len)
{
    uint64_t top = mem_size;

    if (li->has_setup && li->setup.initrd_addr_max &&
        (uint64_t)li->setup.initrd_addr_max + 1 < top)
        top = (uint64_t)li->setup.initrd_addr_max + 1;
    return len > top ? 0 : (top - len) & ~(PAGE - 1);
}

int linux_boot_check(const struct linux_image *li, uint64_t mem_size,
                     size_t initrd_len, const char *cmdline, char *why,
                     size_t whylen)
{
    uint64_t end = kernel_end(li);
    size_t cmdmax = li->has_setup && li->setup.cmdline_size
                        ? li->setup.cmdline_size : LINUX_CMDLINE_MAX - 1;

    if (cmdmax > LINUX_CMDLINE_MAX - 1)
        cmdmax = LINUX_CMDLINE_MAX - 1;
    if (strlen(cmdline) > cmdmax)
        return reason(why, whylen, "the kernel command line is %zu bytes, "
                    "more than the kernel's %zu", strlen(cmdline), cmdmax);
    for (unsigned i = 0; i < li->nsegs; i++)
        if (li->segs[i].paddr < HIGH_MEM)
            return reason(why, whylen, "the kernel loads at 0x%llx, below "
                        "1 MiB", (unsigned long long)li->segs[i].paddr);
    if (end > mem_size)
        return reason(why, whylen, "the kernel needs RAM up to %llu MiB (its "
                    "load address and init_size), more than --mem's %llu MiB",
                    (unsigned long long)(end >> 20),
                    (unsigned long long)(mem_size >> 20));
    if (initrd_len) {
        uint64_t at = initrd_at(li, mem_size, initrd_len);
        if (at < end)
            return reason(why, whylen, "the initrd (%zu bytes) does not fit "
                        "in RAM above the kernel: use a larger --mem",
                        initrd_len);
    }
    return 0;
}

/* The first 4 GiB identity-mapped with 2-MiB pages: PML4, PDPT, 4 PDs. */
static void page_tables(uint8_t *mem)
{
    uint64_t *pml4 = (uint64_t *)(void *)(mem + LINUX_PML4);
    uint64_t *pdpt = pml4 + 512, *pd = pdpt + 512;

    memset(pml4, 0, 6 * PAGE);
    pml4[0] = (LINUX_PML4 + PAGE) | 0x3; /* present, writable */
    for (uint64_t i = 0; i < 4; i++)
        pdpt[i] = (LINUX_PML4 + (2 + i) * PAGE) | 0x3;
    for (uint64_t i = 0; i < 4 * 512; i++)
        pd[i] = (i << 21) | 0x83; /* present, writable, 2 MiB */
}

static void zero_page(struct vm *vm, const struct linux_image *li,
                      uint64_t initrd, size_t initrd_len)
{
    struct boot_params bp;
    struct boot_e820_entry map[] = {
        {0, LOW_MEM_END, E820_RAM},
        {LOW_MEM_END, HIGH_MEM - LOW_MEM_END, E820_RESERVED},
        {HIGH_MEM, vm->mem_size - HIGH_MEM, E820_RAM},
    };

    memset(&bp, 0, sizeof(bp));
    if (li->has_setup) {
        bp.hdr = li->setup;
    } else {
        /* a vmlinux: the fields a boot loader would find in a bzImage */
        bp.hdr.boot_flag = 0xAA55;
        bp.hdr.header = 0x53726448;
        bp.hdr.version = 0x020F;
        bp.hdr.kernel_alignment = 0x200000;
    }
    bp.hdr.type_of_loader = 0xFF; /* none of the registered loaders */
    bp.hdr.cmd_line_ptr = LINUX_CMDLINE;
    bp.hdr.ramdisk_image = (uint32_t)initrd;
    bp.hdr.ramdisk_size = (uint32_t)initrd_len;
    bp.ext_ramdisk_image = (uint32_t)(initrd >> 32);
    bp.ext_ramdisk_size = (uint32_t)((uint64_t)initrd_len >> 32);
    bp.e820_entries = sizeof(map) / sizeof(map[0]);
    memcpy(bp.e820_table, map, sizeof(map));
    memcpy(vm->mem + LINUX_ZERO_PAGE, &bp, sizeof(bp));
}

static struct kvm_segment flat(uint16_t selector, uint8_t type, bool code64)
{
    return (struct kvm_segment){
        .base = 0, .limit = 0xFFFFFFFF, .selector = selector, .type = type,
        .present = 1, .dpl = 0, .db = !code64, .s = 1, .l = code64, .g = 1,
    };
}

void linux_boot(struct vm *vm, const struct linux_image *li,
                const char *cmdline, const uint8_t *initrd,
                size_t initrd_len)
{
    uint64_t at = initrd_len ? initrd_at(li, vm->mem_size, initrd_len) : 0;
    static const uint64_t gdt[] = {
        0, 0,
        0x00AF9B000000FFFFull, /* 0x10: __BOOT_CS, 64-bit code */
        0x00CF93000000FFFFull, /* 0x18: __BOOT_DS, data */
    };

    for (unsigned i = 0; i < li->nsegs; i++) {
        const struct linux_segment *s = &li->segs[i];
        memcpy(vm->mem + s->paddr, li->vmlinux + s->offset, s->filesz);
        memset(vm->mem + s->paddr + s->filesz, 0, s->memsz - s->filesz);
    }
    if (initrd_len)
        memcpy(vm->mem + at, initrd, initrd_len);
    memcpy(vm->mem + LINUX_CMDLINE, cmdline, strlen(cmdline) + 1);
    zero_page(vm, li, at, initrd_len);
    page_tables(vm->mem);
    memcpy(vm->mem + LINUX_GDT_ADDR, gdt, sizeof(gdt));

    struct kvm_sregs *s = vm_sregs(vm);
    s->cs = flat(LINUX_BOOT_CS, 0xB, true);
    s->ds = s->es = s->fs = s->gs = s->ss = flat(LINUX_BOOT_DS, 0x3, false);
    s->tr = (struct kvm_segment){.limit = 0x67, .type = 0xB, .present = 1};
    s->ldt = (struct kvm_segment){.type = 0x2, .unusable = 1};
    s->gdt.base = LINUX_GDT_ADDR;
    s->gdt.limit = sizeof(gdt) - 1;
    s->idt.base = 0;
    s->idt.limit = 0;
    s->cr0 = 0x80000011; /* PG | ET | PE */
    s->cr3 = LINUX_PML4;
    s->cr4 = 0x20;        /* PAE */
    s->efer = 0x500;      /* LMA | LME */
    vm_sregs_dirty(vm);

    struct kvm_regs *r = vm_regs(vm);
    memset(r, 0, sizeof(*r));
    r->rip = li->entry;
    r->rsi = LINUX_ZERO_PAGE;
    r->rsp = r->rbp = LINUX_STACK_TOP;
    r->rflags = 0x2;
    vm_regs_dirty(vm);
}
