/* fw_cfg.h: QEMU's firmware configuration device on ports 0x510/0x511, as kvm-unit-tests reads it (signature, CPUs, RAM). */
#ifndef PMVM_FW_CFG_H
#define PMVM_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>

#define FW_CFG_PORT_SEL 0x510u  /* 16-bit item selector */
#define FW_CFG_PORT_DATA 0x511u /* the item's bytes, one per read */

struct fw_cfg {
    uint64_t ram_size;
    uint16_t key;    /* the selected item */
    uint32_t offset; /* the next byte of it */
};

void fw_cfg_init(struct fw_cfg *f, uint64_t ram_size);

/* A port access at FW_CFG_PORT_SEL or FW_CFG_PORT_DATA. */
void fw_cfg_access(struct fw_cfg *f, uint16_t port, bool in, uint32_t *value);

#endif
