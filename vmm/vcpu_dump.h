/* vcpu_dump.h: a readable report of the vCPU's state, for exits pmvm does not expect. */
#ifndef PMVM_VCPU_DUMP_H
#define PMVM_VCPU_DUMP_H

#include <stdint.h>
#include <stdio.h>

#include "vmm/vm.h"

/* The name of a KVM_EXIT_* reason ("IO", "SHUTDOWN", ...), or "UNKNOWN". */
const char *dump_exit_name(uint32_t reason);

/* Print registers, segments, control registers and the code bytes at RIP. */
void dump_vcpu(struct vm *vm, FILE *f);

#endif
