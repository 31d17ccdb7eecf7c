/* fw_cfg.h: QEMU's firmware configuration device on ports 0x510/0x511, as kvm-unit-tests reads it (signature, CPUs, RAM). */
#ifndef PMVM_FW_CFG_H
#define PMVM_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define FW_CFG_PORT_SEL 0x510u  /* 16-bit item selector */
#define FW_CFG_PORT_DATA 0x511u /* the item's bytes, one per read */

struct fw_cfg {
    uint64_t ram_size;
    uint16_t key;    /* the selected item */
    uint32_t offset; /* the next byte of it */
};

void fw_cfg_init(struct fw_cfg *f, uint64_t ram_size);

/* Registers FW_CFG_PORT_SEL and FW_CFG_PORT_DATA; false if taken. */
bool fw_cfg_attach(struct fw_cfg *f, struct bus *b);

#endif
