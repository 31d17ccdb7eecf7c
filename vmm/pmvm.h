/* pmvm.h: the state of one pmvm run, shared by the run loop and its exit handlers. */
#ifndef PMVM_PMVM_H
#define PMVM_PMVM_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/exit_port.h"
#include "devices/fw_cfg.h"
#include "devices/i8042.h"
#include "devices/pic.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "vmm/config.h"
#include "vmm/console.h"
#include "vmm/console_in.h"
#include "vmm/engine_cpu/engine_cpu.h"
#include "vmm/linux_image.h"
#include "vmm/loader.h"
#include "vmm/syscall_catch.h"
#include "vmm/vpmu/dr_catch.h"
#include "vmm/vm.h"
#include "vmm/vpmu/count.h"
#include "vmm/vpmu/engine_bridge.h"
#include "vmm/vpmu/guest_debug.h"
#include "vmm/vpmu/rdpmc.h"
#include "vmm/vpmu/tf_scrub.h"
#include "vmm/vpmu/trap.h"
#include "vmm/vpmu/vtsc.h"

struct pmu;
struct kvm_cpuid2;

/* Exit handlers return this to keep the guest running, or a status. */
#define RUN_CONTINUE (-1)

#define EXIT_REASON_MAX 64 /* above every KVM_EXIT_* pmvm knows */

struct pmvm {
    struct vm vm;
    struct load_image image;       /* a Multiboot image's, or empty */
    struct linux_image linux_kernel; /* a Linux kernel's (vmlinux: set) */
    struct serial serial;
    struct console console; /* the guest's COM1 output, on stdout */
    struct console_in console_in; /* COM1's input (--machine=linux) */
    struct pmu *pmu;     /* the guest's PMU: the model under its policy */
    struct trap trap;    /* how RDPMC reaches pmvm */
    struct guest_debug debug; /* KVM's single-step and breakpoints */
    struct count count;  /* instruction counting by single-step */
    struct bridge bridge; /* the engine running the guest (engine_bridge.h) */
    struct tf_scrub tf_scrub; /* what a stepped run may leave in the guest */
    struct syscall_catch syscall_catch; /* nested PVM's SYSCALL, finished */
    struct dr_catch dr_catch; /* the guest's MOV DR where KVM runs CPL0 */
    struct engine_cpu ecpu; /* the engine as the CPU (--accel=engine) */
    bool pmi_due;        /* a counter overflowed with its PMI enabled */
    enum machine machine;
    struct bus bus;      /* the ports the devices below registered */
    struct exit_port exit_port;
    struct fw_cfg fw_cfg;
    struct pic pic;       /* pmvm's 8259s, unless KVM's (pc_irqchip) */
    bool pc_irqchip;      /* KVM's 8259s, I/O APIC and PIT (--machine=linux) */
    struct rtc rtc;       /* --machine=linux's */
    struct i8042 i8042;   /* --machine=linux's */
    unsigned extint_held; /* an acknowledged 8259 vector KVM has not
                           * taken yet, plus one; 0: none (vcpu_run.c) */
    struct vtsc vtsc;    /* the TSC while the engine counts */
    bool trace;
    bool trace_all;      /* --trace=all: no sweep folded into a line */
    struct rdpmc_trace rdpmc_trace;
    const struct kvm_cpuid2 *cpuid; /* what the guest's CPUID answers */
    uint64_t exits[EXIT_REASON_MAX + 1]; /* by reason; the last: others */
};

/* At each of the watchdog's ticks: what stdin has for COM1, and the
 * console's partial line out (a shell's prompt), on --machine=linux. */
void console_tick(struct pmvm *p);

/* Run the vCPU until the guest ends; return pmvm's exit status. */
int vcpu_run(struct pmvm *p, double timeout_s);

/* Print the exit counts (for --trace). */
void vcpu_print_exit_counts(const struct pmvm *p);

#endif
