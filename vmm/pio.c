/* pio.c: the guest's ports: COM1 console and the 0xF4 exit port (QEMU's isa-debug-exit). */
#include <stdio.h>
#include <string.h>

#include "vmm/count.h"
#include "vmm/exits.h"

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

int exit_io(struct pmvm *p)
{
    struct kvm_run *run = p->vm.run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    uint16_t port = run->io.port;
    unsigned size = run->io.size;

    /* A string instruction arrives as (count) items of (size) bytes. */
    for (uint32_t i = 0; i < run->io.count; i++, data += size) {
        uint32_t value = 0;
        if (run->io.direction == KVM_EXIT_IO_OUT) {
            memcpy(&value, data, size);
            if (port - SERIAL_COM1 < SERIAL_NPORTS)
                serial_write(&p->serial, port - SERIAL_COM1, value & 0xFF);
            else if (port == EXIT_PORT)
                return exit_port_write(p, value);
            else if (p->trace)
                fprintf(stderr, "pmvm: trace: out 0x%x to unused port "
                        "0x%x ignored\n", value, port);
        } else {
            /* Unused ports float high, as on a PC. */
            value = 0xFFFFFFFF;
            if (port - SERIAL_COM1 < SERIAL_NPORTS)
                value = serial_read(&p->serial, port - SERIAL_COM1);
            else if (p->trace)
                fprintf(stderr, "pmvm: trace: in from unused port 0x%x "
                        "reads all ones\n", port);
            memcpy(data, &value, size);
        }
    }
    count_on_completed_exit(p, true);
    return RUN_CONTINUE;
}
