/* vm.h: the KVM virtual machine: /dev/kvm, the VM, guest RAM and the single vCPU. */
#ifndef PMVM_VM_H
#define PMVM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* Capability numbers newer than the 6.1 uapi headers Debian 12 ships. */
#ifndef KVM_CAP_X86_GUEST_MODE
#define KVM_CAP_X86_GUEST_MODE 238
#endif

struct vm {
    int kvm_fd;
    int vm_fd;
    int vcpu_fd;
    struct kvm_run *run;   /* the vCPU's shared run structure */
    size_t run_size;
    uint8_t *mem;          /* guest RAM, guest-physical 0 .. mem_size */
    uint64_t mem_size;
    bool sync_regs;        /* KVM_CAP_SYNC_REGS: registers ride in run->s */
    bool sync_active;      /* run->s holds valid registers (after 1st exit) */
    /* Register cache for hosts without SYNC_REGS. */
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_vcpu_events events;
    bool regs_valid, sregs_valid, events_valid;
    bool regs_dirty, sregs_dirty, events_dirty;
};

/*
 * Open /dev/kvm, check the API version and every capability pmvm relies on,
 * create the VM, its in-kernel local APIC (with pc_irqchip: also KVM's
 * 8259s, I/O APIC and PIT, --machine=linux's) and (mem_size) bytes
 * of RAM at guest-physical 0. Any failure prints one line naming the problem and exits.
 */
void vm_create(struct vm *vm, uint64_t mem_size, bool pc_irqchip);

/* Drop every shadow page KVM keeps for guest RAM (a memory slot made and
 * deleted), so that KVM reads the guest's page tables anew
 * (vmm/vpmu/shadow_flush.h says when). */
void vm_shadow_flush(struct vm *vm);

/* Have KVM log the RAM pages it and the running vCPU write
 * (KVM_MEM_LOG_DIRTY_PAGES); false where it cannot. */
bool vm_dirty_log_start(struct vm *vm);
/* The RAM pages written since the last call, one bit each (page i: bit
 * i % 64 of word i / 64), into (bitmap) of mem_size / 4096 bits
 * (KVM_GET_DIRTY_LOG). */
void vm_dirty_log(struct vm *vm, uint64_t *bitmap);

/* Set the level of the in-kernel irqchip's input (irq), 0-15 an ISA IRQ
 * (KVM_IRQ_LINE); only with pc_irqchip. */
void vm_irq_line(struct vm *vm, unsigned irq, bool level);

/*
 * Does /dev/kvm open and answer KVM_GET_API_VERSION with the version pmvm
 * speaks? If not, why (one line) in (why). Opens and closes it.
 */
bool vm_kvm_usable(char *why, size_t len);

/*
 * Guest RAM alone, for --accel=engine: no KVM. The register cache
 * (vm_regs(), vm_sregs(), vm_events()) holds the vCPU's state and is never
 * flushed; nothing that makes a KVM call may be used on such a vm.
 */
void vm_create_ram(struct vm *vm, uint64_t mem_size);

/*
 * Switch KVM's own vPMU off for the VM (KVM_CAP_PMU_CAPABILITY), so that
 * the model is the only authority. Must precede the vCPU. False where KVM
 * does not offer it (then KVM's vPMU stays off only if the host has none).
 */
bool vm_kvm_pmu_disable(struct vm *vm);

/* Create the vCPU, after any VM-wide set-up that must precede it. */
void vm_create_vcpu(struct vm *vm);

/* Close every descriptor and unmap guest RAM. */
void vm_destroy(struct vm *vm);

/*
 * Return a host pointer to guest-physical [gpa, gpa + len), or NULL if any
 * part lies outside guest RAM (overflow included).
 */
void *vm_gpa(const struct vm *vm, uint64_t gpa, uint64_t len);

/*
 * Register access that goes through run->s when SYNC_REGS is on (an ioctl
 * on this host costs as much as a whole exit) and through ioctls otherwise.
 * vm_regs()/vm_sregs() return the current values; after changing them call
 * vm_regs_dirty()/vm_sregs_dirty() so they reach KVM before the next run.
 */
struct kvm_regs *vm_regs(struct vm *vm);
struct kvm_sregs *vm_sregs(struct vm *vm);
struct kvm_vcpu_events *vm_events(struct vm *vm);
void vm_regs_dirty(struct vm *vm);
void vm_sregs_dirty(struct vm *vm);
void vm_events_dirty(struct vm *vm);

/* The vCPU's CPL as KVM's get_cpl: 0 in real mode, 3 in virtual-8086
 * mode, else the stack segment's DPL. */
unsigned vm_cpl(struct vm *vm);

/*
 * Make the guest take exception (vector) at the current instruction, as if
 * the instruction had raised it; (error_code) < 0 means none is pushed.
 */
void vm_inject_exception(struct vm *vm, unsigned vector, int error_code);

/* Write back dirty registers (ioctl path only) before KVM_RUN. */
void vm_regs_flush(struct vm *vm);

/*
 * Write dirty registers to KVM now, on either path; returns whether the
 * general registers (RIP, RFLAGS) were among them. KVM keeps single-step
 * armed only while RIP is where it was at KVM_SET_GUEST_DEBUG: a register
 * write elsewhere drops RFLAGS.TF (__kvm_set_rflags() in x86.c), so a
 * stepping caller pushes and then sets guest debug again.
 */
bool vm_regs_push(struct vm *vm);

/* One MSR of the vCPU through KVM_GET_MSRS or KVM_SET_MSRS (set); false
 * if KVM refused it. */
bool vm_msr(struct vm *vm, bool set, uint32_t msr, uint64_t *val);

/* The guest's own DR0-DR3, DR6 and DR7 (KVM keeps them apart from the
 * breakpoints of KVM_SET_GUEST_DEBUG), read or written (set). */
void vm_debugregs(struct vm *vm, bool set, struct kvm_debugregs *d);

/* Forget cached registers after KVM_RUN. */
void vm_regs_invalidate(struct vm *vm);

#endif
