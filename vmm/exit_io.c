/* exit_io.c: the guest's port accesses (KVM_EXIT_IO, and the engine's IN and OUT) through the port bus its devices registered into; what a port no device claims does. */
#include <stdio.h>
#include <string.h>

#include "devices/bus.h"
#include "vmm/vpmu/count.h"
#include "vmm/exits.h"
#include "vmm/status.h"

_Static_assert(BUS_CONTINUE == RUN_CONTINUE,
               "a device's 'keep running' is the run loop's");

/*
 * A port no device answers. pmvm's own guests rely on a PC's floating
 * bus (reads are all ones, writes vanish; docs/guest-abi.md). On
 * --machine=pc the guest expects a device pmvm does not have: it is
 * told in one line, rather than left to wait on a value that never comes.
 */
static int unmodelled(struct pmvm *p, uint16_t port, unsigned size, bool in,
                      uint32_t *value)
{
    if (p->machine == MACHINE_PC) {
        console_flush(&p->console);
        fprintf(stderr, "pmvm: the guest %s port 0x%x (%u byte%s), which "
                "pmvm's PC does not model (docs/guest-abi.md)\n",
                in ? "read" : "wrote", port, size, size == 1 ? "" : "s");
        return STATUS_GUEST_FAILED;
    }
    if (in)
        *value = 0xFFFFFFFF >> (32 - 8 * size);
    if (p->trace)
        fprintf(stderr, in ? "pmvm: trace: in from unused port 0x%x reads "
                "all ones\n" : "pmvm: trace: out to unused port 0x%x "
                "ignored\n", port);
    return RUN_CONTINUE;
}

int exit_io_access(struct pmvm *p, uint16_t port, unsigned size, bool in,
                   uint32_t *value)
{
    int status;
    if (p->trace)
        rdpmc_trace_flush(p); /* before the exit port's own line */
    if (bus_access(&p->bus, port, size, in, value, &status))
        return status;
    return unmodelled(p, port, size, in, value);
}

int exit_io(struct pmvm *p)
{
    struct kvm_run *run = p->vm.run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    unsigned size = run->io.size;

    /* A string instruction arrives as (count) items of (size) bytes. */
    for (uint32_t i = 0; i < run->io.count; i++, data += size) {
        uint32_t value = 0;
        bool in = run->io.direction != KVM_EXIT_IO_OUT;
        if (!in)
            memcpy(&value, data, size);
        int status = exit_io_access(p, run->io.port, size, in, &value);
        if (status != RUN_CONTINUE)
            return status;
        if (in)
            memcpy(data, &value, size);
    }
    count_on_completed_exit(p, true);
    return RUN_CONTINUE;
}
