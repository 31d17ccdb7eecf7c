/* tf_scrub.h: takes the TF that pmvm's single-step leaves in what the guest keeps (an exception frame, SYSCALL's R11, PUSHF's image) back out. */
#ifndef PMVM_TF_SCRUB_H
#define PMVM_TF_SCRUB_H

#include <stdbool.h>
#include <stdint.h>

/*
 * KVM single-steps with a TF it sets in the guest's RFLAGS. An event the
 * stepped instruction raises (a fault, INT n), or one KVM injects as the
 * vCPU enters, pushes that RFLAGS into the guest's exception frame, and
 * the handler's IRET would later load it: the guest takes a #DB it never
 * asked for (kvm-unit-tests' msr.flat, after a WRMSR the engine handed to
 * KVM faulted). SYSCALL copies it into R11, PUSHF onto the stack. pmvm
 * knows where each of these lands and what else it holds, so after a
 * stepped run it looks there, and clears TF only where every other
 * field matches what the vCPU had before the run: a TF the guest set
 * itself is left alone.
 */
struct tf_scrub {
    bool armed;        /* the vCPU ran stepped from this state */
    bool wide;         /* 64-bit mode */
    uint64_t rip, rsp, rflags, next;
    uint16_t cs;
    uint8_t kind;      /* enum engine_kind of the instruction at rip */
    unsigned opsize;   /* its operand size in bytes (PUSHF's image) */
};

struct pmvm;

/* Right before a KVM_RUN with single-step armed: remember the state. */
void tf_scrub_arm(struct pmvm *p);

/* Right after that KVM_RUN returned: clear what the step left, if any. */
void tf_scrub_after_run(struct pmvm *p);

#endif
