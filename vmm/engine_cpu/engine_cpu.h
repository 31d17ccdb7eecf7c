/* engine_cpu.h: the vCPU when pmvm's engine is the CPU (--accel=engine): the engine's questions answered from the PMU model, the MSR file, the local APIC and the port bus, and the run loop. */
#ifndef PMVM_ENGINE_CPU_H
#define PMVM_ENGINE_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/apic.h"
#include "engine/engine.h"
#include "vmm/engine_cpu/msr_file.h"

struct engine_cpu {
    struct engine *engine;  /* NULL: KVM is the CPU */
    struct engine_state st; /* the vCPU */
    struct msr_file msrs;
    struct apic apic;       /* the local APIC KVM would keep in-kernel */
    /* The virtual clock, in TSC ticks: one a retired instruction, or the
     * model's core cycles while a counter counts (vmm/vpmu/vtsc.c's
     * rule), so that a run is the same bytes every time. */
    uint64_t clock;
    bool ended;             /* the guest ended itself (the exit port) */
    int status;
};

struct pmvm;

/* The engine's callbacks, answered for a struct pmvm (vmm/engine_cpu/
 * cpu_ops.c); ctx is set at set-up. */
extern const struct engine_ops engine_cpu_ops;

/* The engine over the VM's RAM, from the state boot_multiboot() left in
 * the register cache (vm_create_ram()). */
void engine_cpu_setup(struct pmvm *p);
void engine_cpu_teardown(struct pmvm *p);

/* Is the engine the CPU of this run? */
bool engine_cpu_on(const struct pmvm *p);

/*
 * Runs the guest to its end: the exit port's status, 0 for HLT with
 * interrupts off, the triple fault's, or one line naming what the engine
 * does not run (its instruction bytes and address) and 126. Checks the
 * watchdog and the console between slices, as vcpu_run()'s loop does.
 */
int engine_cpu_loop(struct pmvm *p, double timeout_s);

#endif
