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

#endif
