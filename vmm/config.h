/* config.h: one run as the command line asked for it, parsed: what vmm_run() sets up and runs. */
#ifndef PMVM_CONFIG_H
#define PMVM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/pmu.h"
#include "vmm/vpmu/engine_bridge.h"
#include "vmm/vpmu/trap.h"

/* The platform around the vCPU (--machine). */
enum machine {
    MACHINE_PMVM, /* pmvm's guest ABI: unused ports read all ones */
    MACHINE_PC,   /* QEMU's PC as kvm-unit-tests uses it: an access to
                     a port pmvm does not model ends the run */
    MACHINE_LINUX, /* a PC for a Linux kernel (implied by one): KVM's
                      8259s, I/O APIC and PIT, an MP table, the RTC and
                      the keyboard controller; a reset ends the run */
};

/* What runs the guest (--accel). */
enum accel {
    ACCEL_AUTO,   /* KVM where /dev/kvm answers, else the engine */
    ACCEL_KVM,
    ACCEL_ENGINE, /* pmvm's engine is the CPU: no KVM ioctl at all */
};

enum exit_code_style {
    EXIT_CODE_PMVM, /* the guest's value v is the status */
    EXIT_CODE_QEMU, /* (v << 1) | 1, as QEMU's isa-debug-exit */
};

struct run_config {
    uint64_t mem;                   /* guest RAM, bytes */
    double timeout;                 /* seconds; 0: none */
    bool timeout_given;             /* --timeout was on the command line:
                                       a Linux kernel's default is none */
    enum exit_code_style exit_code;
    enum machine machine;
    bool machine_given;             /* --machine was on the command line */
    bool trace;                     /* a line per trapped event */
    bool trace_all;                 /* ... without folding a sweep */
    bool sandbox;                   /* drop capabilities, filter syscalls */
    enum trap_mode trap;            /* how RDPMC is caught */
    bool count_step;                /* count by single-stepping, no engine */
    enum bridge_cpl0 cpl0;          /* who runs CPL0 code */
    enum accel accel;               /* KVM or pmvm's engine */
    struct pmu_model pmu_model;     /* the guest's, under its policy */
    const char *image;              /* the Multiboot image's path */
    const char *cmdline;            /* the guest's command line */
    const char *append;             /* --append: a Linux kernel's command
                                       line (and a Multiboot one's tail) */
    const char *initrd;             /* the module's file, or NULL */
    const char *env;                /* then these lines in the module
                                       (kvm-unit-tests' environment) */
    size_t env_len;
};

/* The option that only KVM can honour ("--count=step", ...), or NULL:
 * with the engine as the CPU every instruction is pmvm's anyway. */
static inline const char *run_config_needs_kvm(const struct run_config *c)
{
    if (c->count_step)
        return "--count=step";
    if (c->cpl0 == BRIDGE_CPL0_KVM)
        return "--cpl0=kvm";
    if (c->trap == TRAP_BP)
        return "--trap=bp";
    return NULL;
}

#endif
