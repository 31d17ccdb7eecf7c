/* pack.c: builds Linux kernel images as the kernel's build lays them out, for the tests of vmm/linux_image.c and linux_boot.sh. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <asm/bootparam.h>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "tests/linux/pack.h"

/* size_append: the unpacked size, 4 bytes little-endian, after the data */
static size_t append_size(uint8_t *out, size_t at, size_t unpacked)
{
    uint32_t n = (uint32_t)unpacked;
    memcpy(out + at, &n, 4);
    return at + 4;
}

static bool gzip(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                 size_t *n)
{
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    bool ok = deflate(&z, Z_FINISH) == Z_STREAM_END;
    *n = z.total_out; /* gzip's own trailer holds the size */
    deflateEnd(&z);
    return ok;
}

static bool lz4_legacy(const uint8_t *in, size_t len, uint8_t *out,
                       size_t cap, size_t *n)
{
    uint32_t magic = 0x184C2102u;
    memcpy(out, &magic, 4);
    *n = 4;
    for (size_t at = 0; at < len; at += 8u << 20) {
        size_t chunk = len - at < (8u << 20) ? len - at : 8u << 20;
        int c = LZ4_compress_default((const char *)in + at,
                                     (char *)out + *n + 4, (int)chunk,
                                     (int)(cap - *n - 4));
        if (c <= 0)
            return false;
        uint32_t c32 = (uint32_t)c;
        memcpy(out + *n, &c32, 4);
        *n += 4 + (size_t)c;
    }
    *n = append_size(out, *n, len);
    return true;
}

uint8_t *pack(enum pack_how how, const uint8_t *in, size_t len,
              size_t *outlen)
{
    size_t cap = len * 2 + 65536, n = 0;
    uint8_t *out = malloc(cap);
    bool ok = out != NULL;

    if (!ok)
        return NULL;
    switch (how) {
    case PACK_GZIP:
        ok = gzip(in, len, out, cap, &n);
        break;
    case PACK_XZ: /* cmd_xzkern: xz --check=crc32 */
        ok = lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, len, out,
                                     &n, cap) == LZMA_OK;
        if (ok)
            n = append_size(out, n, len);
        break;
    case PACK_ZSTD:
        n = ZSTD_compress(out, cap, in, len, 19);
        ok = !ZSTD_isError(n);
        if (ok)
            n = append_size(out, n, len);
        break;
    case PACK_LZ4: /* cmd_lz4: lz4 -l, the legacy frame, 8 MiB blocks */
        ok = lz4_legacy(in, len, out, cap, &n);
        break;
    case PACK_RAW:
        memcpy(out, in, len);
        n = len;
        break;
    }
    if (!ok) {
        free(out);
        return NULL;
    }
    *outlen = n;
    return out;
}

uint8_t *bzimage(const uint8_t *payload, size_t plen,
                 const struct bz_options *o, size_t *len)
{
    size_t pm = (BZ_SETUP_SECTS + 1) * 512;
    size_t n = pm + BZ_PAYLOAD_OFFSET + plen + 0x100;
    uint8_t *p = calloc(1, n);
    struct setup_header h = {
        .setup_sects = BZ_SETUP_SECTS, .boot_flag = 0xAA55,
        .header = 0x53726448, .version = o->version,
        .loadflags = LOADED_HIGH, .kernel_alignment = 0x200000,
        .relocatable_kernel = 1, .xloadflags = o->xloadflags,
        .cmdline_size = 2047, .initrd_addr_max = 0x7FFFFFFF,
        .payload_offset = BZ_PAYLOAD_OFFSET, .payload_length = (uint32_t)plen,
        .pref_address = o->pref_address, .init_size = o->init_size};

    if (!p)
        return NULL;
    memcpy(p + 0x1F1, &h, sizeof(h));
    memcpy(p + pm + BZ_PAYLOAD_OFFSET, payload, plen);
    *len = n;
    return p;
}
