/* pio.c: the guest's ports: COM1 console, the 0xF4 exit port (QEMU's isa-debug-exit), fw_cfg and the 8259A pair; what else a guest touches. */
#include <stdio.h>
#include <string.h>

#include "vmm/vpmu/count.h"
#include "vmm/exits.h"
#include "vmm/status.h"

#define EXIT_PORT 0xF4u

static int exit_port_write(struct pmvm *p, uint32_t value)
{
    uint8_t v = value & 0xFF;
    if (p->trace)
        fprintf(stderr, "pmvm: trace: exit port: guest wrote %u\n", v);
    if (p->exit_code == EXIT_CODE_QEMU)
        return ((v << 1) | 1) & 0xFF;
    return v;
}

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

int pio_access(struct pmvm *p, uint16_t port, unsigned size, bool in,
               uint32_t *value)
{
    if (port - SERIAL_COM1 < SERIAL_NPORTS) {
        if (in)
            *value = serial_read(&p->serial, port - SERIAL_COM1);
        else
            serial_write(&p->serial, port - SERIAL_COM1, *value & 0xFF);
        return RUN_CONTINUE;
    }
    /* kvm-unit-tests' runner gives isa-debug-exit four ports (iosize=4);
     * pmvm's guest ABI has one. */
    if (port - EXIT_PORT < (p->machine == MACHINE_PC ? 4u : 1u)) {
        if (!in)
            return exit_port_write(p, *value);
        *value = 0; /* isa-debug-exit reads as 0 */
        return RUN_CONTINUE;
    }
    if (port == FW_CFG_PORT_SEL || port == FW_CFG_PORT_DATA) {
        fw_cfg_access(&p->fw_cfg, port, in, value);
        return RUN_CONTINUE;
    }
    if (pic_access(&p->pic, port, in, value))
        return RUN_CONTINUE;
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
        int status = pio_access(p, run->io.port, size, in, &value);
        if (status != RUN_CONTINUE)
            return status;
        if (in)
            memcpy(data, &value, size);
    }
    count_on_completed_exit(p, true);
    return RUN_CONTINUE;
}
