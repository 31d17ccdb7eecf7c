/* linux_boot.h: the Linux x86 64-bit boot protocol hand-over: the kernel's segments and the zero page in guest RAM, the initrd at the top of it, identity-mapped page tables and the 64-bit entry state. */
#ifndef PMVM_LINUX_BOOT_H
#define PMVM_LINUX_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/linux_image.h"
#include "vmm/vm.h"

/* Where pmvm puts the hand-over, below the kernel (at 16 MiB or above). */
#define LINUX_GDT_ADDR 0x500u
#define LINUX_ZERO_PAGE 0x7000u   /* struct boot_params; RSI */
#define LINUX_STACK_TOP 0x8FF0u
#define LINUX_PML4 0x9000u        /* then the PDPT and four PDs: 4 GiB */
#define LINUX_CMDLINE 0x20000u
#define LINUX_CMDLINE_MAX 2048u   /* COMMAND_LINE_SIZE on x86 */
#define LINUX_BOOT_CS 0x10u       /* the kernel's __BOOT_CS, __BOOT_DS */
#define LINUX_BOOT_DS 0x18u

/*
 * Checks that (li) and an initrd of (initrd_len) bytes fit in the VM's
 * RAM (the kernel's init_size from its load address, the initrd above
 * it) and that (cmdline) fits the kernel's command line; a one-line
 * reason in (why) and false if not. Done before KVM is touched.
 */
int linux_boot_check(const struct linux_image *li, uint64_t mem_size,
                     size_t initrd_len, const char *cmdline, char *why,
                     size_t whylen);

/*
 * Loads (li) into (vm)'s RAM, writes the zero page (the kernel's setup
 * header, type_of_loader 0xFF, e820 from the RAM size, the command line,
 * the initrd placed at the top of RAM) and puts the vCPU in the state the
 * 64-bit boot protocol defines: long mode, paging on with the first 4 GiB
 * identity-mapped, CS __BOOT_CS and the data segments __BOOT_DS, flat,
 * RSI the zero page, RIP the kernel's 64-bit entry, interrupts off.
 */
void linux_boot(struct vm *vm, const struct linux_image *li,
                const char *cmdline, const uint8_t *initrd,
                size_t initrd_len);

#endif
