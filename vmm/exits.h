/* exits.h: the handlers the run loop dispatches KVM exits to. */
#ifndef PMVM_EXITS_H
#define PMVM_EXITS_H

#include "vmm/pmvm.h"

/* Each returns RUN_CONTINUE or the status that ends the run. */
int exit_io(struct pmvm *p);
int exit_rdmsr(struct pmvm *p);
int exit_wrmsr(struct pmvm *p);
int exit_debug(struct pmvm *p);
int exit_shutdown(struct pmvm *p);
int exit_internal_error(struct pmvm *p);
int exit_fail_entry(struct pmvm *p);
int exit_unexpected(struct pmvm *p);

/* The guest triple-faulted (how: who saw it): one line, the dump, 125. */
int end_triple_fault(struct pmvm *p, const char *how);

/* The --timeout ran out: one line, the dump, 124. */
int end_timeout(struct pmvm *p, double timeout_s);

/* The console could not take the guest's output: a reader that left it
 * blocked until --timeout (124), or a write that failed (74). */
int end_console_failed(struct pmvm *p, double timeout_s);

/* One port access of (size) bytes, from an exit or from the engine: OUT
 * takes *value, IN sets it. RUN_CONTINUE, or the status the guest ended
 * with (the exit port). vmm/exit_io.c, with exit_io(). */
int exit_io_access(struct pmvm *p, uint16_t port, unsigned size, bool in,
                   uint32_t *value);

#endif
