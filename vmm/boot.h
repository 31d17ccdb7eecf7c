/* boot.h: the Multiboot v1 hand-over: boot information in guest RAM and the 32-bit entry state. */
#ifndef PMVM_BOOT_H
#define PMVM_BOOT_H

#include "vmm/loader.h"
#include "vmm/vm.h"

/* Where pmvm puts its boot data, below LOADER_MIN_ADDR. */
#define BOOT_GDT_ADDR 0x7000u /* below LOADER_MIN_ADDR */
#define BOOT_INFO_ADDR 0x8000u
#define BOOT_CMDLINE_MAX 4096u

/* A Multiboot module (QEMU's -initrd): its bytes go after the image. */
struct boot_module {
    const uint8_t *data;
    size_t len;        /* 0: no module */
};

/*
 * Write the multiboot information (memory map, command line, boot loader
 * name) into guest RAM and put the vCPU in the state the Multiboot
 * specification defines: 32-bit protected mode, paging off, flat segments,
 * EAX = 0x2BADB002, EBX = the information's address. (cmdline) is the
 * guest's command line; too long a line is refused with one clear line.
 * A (module) with bytes is placed at the first page after the image and
 * listed in the information, as QEMU places -initrd; one that does not
 * fit in RAM is refused in one line.
 */
void boot_multiboot(struct vm *vm, const struct load_image *li,
                    const char *cmdline, const struct boot_module *module);

#endif
