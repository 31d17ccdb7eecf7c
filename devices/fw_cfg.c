/* fw_cfg.c: QEMU's fw_cfg, traditional I/O interface: a selector port and a data port that reads the selected item a byte at a time. */
#include <string.h>

#include "devices/fw_cfg.h"

/*
 * The items QEMU's PC machine has that a one-vCPU guest reads (QEMU
 * docs/specs/fw_cfg.rst; kvm-unit-tests lib/x86/fwcfg.c): the signature,
 * the interface ID (1: no DMA), the RAM size and the CPU counts. Any
 * other item reads as zeros, as QEMU's does when it has no such entry.
 */
enum {
    KEY_SIGNATURE = 0x00,
    KEY_ID = 0x01,
    KEY_RAM_SIZE = 0x03,
    KEY_NB_CPUS = 0x05,
    KEY_MAX_CPUS = 0x0F,
};

void fw_cfg_init(struct fw_cfg *f, uint64_t ram_size)
{
    *f = (struct fw_cfg){.ram_size = ram_size};
}

/* The bytes of item (key); their number is returned. */
static unsigned item(const struct fw_cfg *f, uint16_t key, uint8_t out[8])
{
    uint64_t v;
    unsigned n;

    switch (key) {
    case KEY_SIGNATURE: memcpy(out, "QEMU", 4); return 4;
    case KEY_ID: v = 1, n = 4; break;
    case KEY_RAM_SIZE: v = f->ram_size, n = 8; break;
    case KEY_NB_CPUS:
    case KEY_MAX_CPUS: v = 1, n = 2; break;
    default: return 0;
    }
    for (unsigned i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * i)); /* little-endian, as QEMU's */
    return n;
}

static int fw_cfg_io(void *dev, uint16_t offset, unsigned size, bool in,
                     uint32_t *value)
{
    struct fw_cfg *f = dev;
    (void)size;
    if (offset == 0) { /* FW_CFG_PORT_SEL */
        if (in) {
            *value = 0; /* the selector is write-only */
        } else {
            f->key = (uint16_t)*value;
            f->offset = 0;
        }
        return BUS_CONTINUE;
    }
    if (!in)
        return BUS_CONTINUE; /* data port writes are ignored (QEMU 2.4 on) */
    uint8_t bytes[8];
    unsigned n = item(f, f->key, bytes);
    *value = f->offset < n ? bytes[f->offset] : 0;
    f->offset++;
    return BUS_CONTINUE;
}

bool fw_cfg_attach(struct fw_cfg *f, struct bus *b)
{
    return bus_register(b, FW_CFG_PORT_SEL, 2, fw_cfg_io, f);
}
