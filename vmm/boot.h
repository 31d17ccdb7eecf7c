/* boot.h: the Multiboot v1 hand-over: boot information in guest RAM and the 32-bit entry state. */
#ifndef PMVM_BOOT_H
#define PMVM_BOOT_H

#include "vmm/loader.h"
#include "vmm/vm.h"

/* Where pmvm puts its boot data, below LOADER_MIN_ADDR. */
#define BOOT_GDT_ADDR 0x7000u /* below LOADER_MIN_ADDR */
#define BOOT_INFO_ADDR 0x8000u
#define BOOT_CMDLINE_MAX 4096u

/*
 * Write the multiboot information (memory map, command line, boot loader
 * name) into guest RAM and put the vCPU in the state the Multiboot
 * specification defines: 32-bit protected mode, paging off, flat segments,
 * EAX = 0x2BADB002, EBX = the information's address. (cmdline) is the
 * guest's command line; too long a line is refused with one clear line.
 */
void boot_multiboot(struct vm *vm, const struct load_image *li,
                    const char *cmdline);

#endif
