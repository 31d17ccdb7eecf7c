/* pack.h: builds Linux kernel images as the kernel's build lays them out (a compressed vmlinux with its size appended, inside a bzImage's setup sectors), for the tests of vmm/linux_image.c and linux_boot.sh. */
#ifndef PMVM_TESTS_LINUX_PACK_H
#define PMVM_TESTS_LINUX_PACK_H

#include <stddef.h>
#include <stdint.h>

enum pack_how { PACK_GZIP, PACK_XZ, PACK_ZSTD, PACK_LZ4, PACK_RAW };

/* (in) compressed as scripts/Makefile.lib's cmd_gzip, cmd_xzkern,
 * cmd_zstd22 and cmd_lz4 (the legacy frame) do, the size appended
 * (size_append) where they append it; malloc'd, NULL on failure. */
uint8_t *pack(enum pack_how how, const uint8_t *in, size_t len,
              size_t *outlen);

/* A bzImage's setup header fields the tests vary. */
struct bz_options {
    uint16_t version;     /* boot protocol, 0x020F */
    uint8_t xloadflags;   /* XLF_KERNEL_64 */
    uint32_t init_size;   /* from pref_address */
    uint64_t pref_address;
};

/* A bzImage around (payload): the boot sector and setup sectors (the
 * header at 0x1F1), then the payload at payload_offset into the
 * protected-mode part; malloc'd. */
uint8_t *bzimage(const uint8_t *payload, size_t plen,
                 const struct bz_options *o, size_t *len);

#define BZ_SETUP_SECTS 3
#define BZ_PAYLOAD_OFFSET 0x300

#endif
