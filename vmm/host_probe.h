/* host_probe.h: asks, in a throw-away VM, whether this host's KVM interprets CPL0 code, fires hardware breakpoints, single-steps CPL3 code, takes a SYSCALL from CPL3 to CPL0, and honours the guest's DR7.GD under guest debug. */
#ifndef PMVM_HOST_PROBE_H
#define PMVM_HOST_PROBE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Does KVM_GUESTDBG_SINGLESTEP stop after CPL3 instructions on /dev/kvm
 * (kvm_fd)? Ordinary hosts: yes; nested PVM, where CPL3 runs natively: no.
 * The first call runs a tiny guest (one VM creation, about a
 * millisecond); later calls return the same answer. Exits with one line if
 * KVM fails.
 */
bool host_steps_cpl3(int kvm_fd);

/*
 * Does a KVM_GUESTDBG_USE_HW_BP execute breakpoint on an RDPMC stop the
 * vCPU before it, at CPL0 and at CPL3? Yes on VMX, SVM and nested PVM
 * (there, at CPL3, only on instructions that leave the CPU for the host,
 * as RDPMC does); no under QEMU TCG's nested SVM, where KVM accepts it
 * and it never fires. The same guest.
 */
bool host_breakpoints_fire(int kvm_fd);

/*
 * Does an RDPMC at CPL0 raise #GP on (kvm_fd), as it does where KVM's own
 * vPMU is off or absent? Where it reads something instead, an RDPMC
 * nothing else traps gives KVM's (or the CPU's) answer, not pmvm's, and
 * gp_catch.h sees nothing. The same guest.
 */
bool host_rdpmc_faults(int kvm_fd);

/*
 * Does KVM on (kvm_fd) run CPL0 guest code through its instruction
 * emulator, one instruction at a time (nested PVM), rather than on the
 * CPU? Asked by the same tiny guest (16 NOPs and a HLT at CPL0) and KVM's
 * per-vCPU "insn_emulation" statistic; *emulated (may be NULL) is how many
 * of its HOST_PROBE_CPL0_INSNS instructions KVM emulated. False where KVM
 * has no such statistic.
 */
#define HOST_PROBE_CPL0_INSNS 17
bool host_emulates_cpl0(int kvm_fd, uint64_t *emulated);

/*
 * Does a SYSCALL at CPL3 enter CPL0 at LSTAR on (kvm_fd)? Yes on VMX and
 * SVM; on nested PVM the CPU goes on at LSTAR still at CPL3, where a
 * Linux guest's user space cannot make a system call. The same guest.
 */
bool host_syscall_enters_cpl0(int kvm_fd);

/*
 * With guest debug on, does the guest's own DR7.GD make a MOV DR at CPL0
 * a #DB the guest's IDT delivers (nested PVM's emulator), so that a
 * breakpoint on the #DB handler stops it there, the MOV's address in the
 * frame and DR6.BD set? VMX and SVM replace the guest's DR7 with guest
 * debug's and run the MOV. The same guest, with an IDT.
 */
bool host_gd_to_handler(int kvm_fd);

#endif
