/* sandbox.h: least privilege for the run loop: no capabilities, no_new_privs, a seccomp allowlist. */
#ifndef PMVM_SANDBOX_H
#define PMVM_SANDBOX_H

/*
 * Drop every capability (and, where permitted, the bounding set), set
 * no_new_privs and install a seccomp filter that allows only the system
 * calls pmvm's run loop makes: the KVM ioctls it uses, writes to standard
 * output and error, the watchdog's timer and signal, memory for malloc and
 * for the host probe's throw-away VM, and the teardown (docs/sandbox.md
 * lists them). Any other system call kills the process with SIGSYS.
 *
 * Call it once, after set-up has opened /dev/kvm and the image and mapped
 * guest RAM, right before the run loop. Every step either succeeds or
 * ends pmvm with one line and STATUS_OSERR: pmvm never runs a guest half
 * sandboxed.
 */
void sandbox_install(void);

#endif
