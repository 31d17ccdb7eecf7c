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

#endif
