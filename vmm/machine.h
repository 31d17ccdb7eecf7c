/* machine.h: one run of a guest from its parsed configuration: the VM set up in KVM's order, run to its end, torn down. */
#ifndef PMVM_MACHINE_H
#define PMVM_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"

/*
 * Loads cfg->image and the Multiboot module, creates the VM and vCPU
 * with the PMU model, the traps, the devices and the sandbox, runs the
 * guest and returns pmvm's exit status (vmm/status.h). Exits with one
 * line on an input or set-up error.
 */
int vmm_run(const struct run_config *cfg);

#endif
