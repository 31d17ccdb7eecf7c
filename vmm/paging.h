/* paging.h: reads guest memory through the guest's own page tables, as the vCPU would. */
#ifndef PMVM_PAGING_H
#define PMVM_PAGING_H

#include "vmm/vm.h"

/*
 * Translate the linear address (la) with the paging mode of (s): none,
 * 32-bit, PAE or 4-level long mode. Returns 0 with *gpa set, or -1 if the
 * address is not mapped or a table lies outside guest RAM.
 */
int paging_translate(const struct vm *vm, const struct kvm_sregs *s,
                     uint64_t la, uint64_t *gpa);

/*
 * Copy up to (len) bytes at linear address (la) into (buf), page by page.
 * Returns how many bytes could be read (fewer where a page is not mapped).
 */
size_t paging_read(const struct vm *vm, const struct kvm_sregs *s,
                   uint64_t la, void *buf, size_t len);

/*
 * The 64-bit handler of IDT gate (vec) under (s), or 0: long mode's
 * 16-byte gate within the IDT's limit, present, an interrupt or trap
 * gate (SDM 6.14.1).
 */
uint64_t paging_idt_handler(const struct vm *vm, const struct kvm_sregs *s,
                            unsigned vec);

#endif
