/* linux_image.c: recognises a Linux x86-64 kernel (a bzImage, by its setup header, or an ELF vmlinux) and unpacks it with Debian's zlib, liblzma, libzstd and liblz4. */
#include <elf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "vmm/linux_image.h"
#include "vmm/reason.h"

/*
 * The x86 boot protocol (the kernel's Documentation/arch/x86/boot.rst):
 * a bzImage is a real-mode boot sector and setup code, whose header lies
 * at 0x1F1, then the protected-mode part at (setup_sects + 1) * 512,
 * which holds the kernel's own decompressor and, at payload_offset from
 * its start, the compressed vmlinux (an ELF) for payload_length bytes.
 * pmvm unpacks the payload itself (the decompressor is billions of
 * instructions) and enters the vmlinux at its 64-bit entry, as
 * Firecracker does with a vmlinux.
 */

#define SETUP_HEADER_AT 0x1F1
#define BOOT_FLAG 0xAA55
#define HDRS 0x53726448u /* "HdrS" */

/* ---- the unpacked output: a buffer that grows ---- */

struct out {
    uint8_t *buf;
    size_t len, cap;
    bool too_big;
};

/* Room for at least (more) bytes after out->len; false past the cap. */
static bool out_room(struct out *o, size_t more)
{
    if (o->len + more <= o->cap)
        return true;
    if (o->len + more > LINUX_MAX_VMLINUX) {
        o->too_big = true;
        return false;
    }
    size_t cap = o->cap ? o->cap : 16u << 20;
    while (cap < o->len + more)
        cap *= 2;
    if (cap > LINUX_MAX_VMLINUX)
        cap = LINUX_MAX_VMLINUX;
    uint8_t *b = realloc(o->buf, cap);
    if (!b)
        return false;
    o->buf = b;
    o->cap = cap;
    return true;
}

/* ---- one function per compression; each false if the data is bad ---- */

static bool unpack_gzip(const uint8_t *in, size_t len, struct out *o)
{
    z_stream z = {0};
    int r = Z_OK;

    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return false;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    while (r == Z_OK) {
        if (!out_room(o, 1u << 20))
            break;
        z.next_out = o->buf + o->len;
        z.avail_out = (uInt)(o->cap - o->len);
        r = inflate(&z, Z_NO_FLUSH);
        o->len = o->cap - z.avail_out;
        if (r == Z_BUF_ERROR && z.avail_out)
            break; /* the input ended before the stream did */
    }
    inflateEnd(&z);
    return r == Z_STREAM_END;
}

static bool unpack_xz(const uint8_t *in, size_t len, struct out *o)
{
    lzma_stream x = LZMA_STREAM_INIT;
    lzma_ret r = LZMA_OK;

    if (lzma_stream_decoder(&x, UINT64_MAX, 0) != LZMA_OK)
        return false;
    x.next_in = in;
    x.avail_in = len;
    while (r == LZMA_OK) {
        if (!out_room(o, 1u << 20))
            break;
        x.next_out = o->buf + o->len;
        x.avail_out = o->cap - o->len;
        r = lzma_code(&x, LZMA_FINISH);
        o->len = o->cap - x.avail_out;
    }
    lzma_end(&x);
    return r == LZMA_STREAM_END;
}

static bool unpack_zstd(const uint8_t *in, size_t len, struct out *o)
{
    ZSTD_DStream *z = ZSTD_createDStream();
    ZSTD_inBuffer ib = {in, len, 0};
    size_t r = 1;

    if (!z)
        return false;
    ZSTD_initDStream(z);
    while (r != 0 && !ZSTD_isError(r)) {
        if (!out_room(o, 1u << 20))
            break;
        ZSTD_outBuffer ob = {o->buf, o->cap, o->len};
        r = ZSTD_decompressStream(z, &ob, &ib);
        o->len = ob.pos;
        if (!ZSTD_isError(r) && r != 0 && ib.pos == ib.size &&
            ob.pos < ob.size)
            break; /* wants input that is not there */
    }
    ZSTD_freeDStream(z);
    return r == 0;
}

/*
 * The kernel's LZ4 is the legacy frame ("lz4 -l": lib/decompress_unlz4.c):
 * the magic, then blocks of a 4-byte compressed size and the data, each
 * at most 8 MiB unpacked; the kernel's build appends the unpacked size
 * (4 bytes) after them.
 */
#define LZ4_LEGACY_BLOCK (8u << 20)

static bool unpack_lz4(const uint8_t *in, size_t len, struct out *o)
{
    size_t at = 4;

    while (len - at > 4) {
        uint32_t n;
        memcpy(&n, in + at, 4);
        at += 4;
        if (n == 0x184C2102u)
            continue; /* another frame's magic */
        if (n > len - at || n > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK))
            return false;
        if (!out_room(o, LZ4_LEGACY_BLOCK))
            return false;
        int got = LZ4_decompress_safe((const char *)in + at,
                                      (char *)o->buf + o->len, (int)n,
                                      LZ4_LEGACY_BLOCK);
        if (got < 0)
            return false;
        o->len += (size_t)got;
        at += n;
    }
    return o->len > 0;
}

/* The payload's compression, by its magic (as the kernel's build makes
 * them: Makefile.lib's cmd_gzip, cmd_xzkern, cmd_zstd22, cmd_lz4). */
struct method {
    const char *name;
    const uint8_t magic[6];
    size_t magic_len;
    bool (*unpack)(const uint8_t *in, size_t len, struct out *o);
};

static const struct method methods[] = {
    {"gzip", {0x1F, 0x8B}, 2, unpack_gzip},
    {"xz", {0xFD, '7', 'z', 'X', 'Z', 0x00}, 6, unpack_xz},
    {"zstd", {0x28, 0xB5, 0x2F, 0xFD}, 4, unpack_zstd},
    {"lz4", {0x02, 0x21, 0x4C, 0x18}, 4, unpack_lz4},
    /* the kernel's other choices: recognised, not unpacked */
    {"bzip2", {'B', 'Z', 'h'}, 3, NULL},
    {"lzma", {0x5D, 0x00, 0x00}, 3, NULL},
    {"lzo", {0x89, 'L', 'Z', 'O'}, 4, NULL},
};

static const struct method *method_of(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (len >= methods[i].magic_len &&
            !memcmp(p, methods[i].magic, methods[i].magic_len))
            return &methods[i];
    return NULL;
}

/* ---- the vmlinux ---- */

/* An x86-64 executable, as vmlinux is (not a shared object). */
static bool is_elf64_x86(const uint8_t *p, size_t len)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(const void *)p;

    return len >= sizeof(*eh) && !memcmp(p, ELFMAG, SELFMAG) &&
           p[EI_CLASS] == ELFCLASS64 && p[EI_DATA] == ELFDATA2LSB &&
           eh->e_machine == EM_X86_64 && eh->e_type == ET_EXEC;
}

/* The PT_LOAD segments and the entry of the ELF in li->vmlinux. */
static int elf_segments(struct linux_image *li, char *why, size_t whylen)
{
    const uint8_t *p = li->vmlinux;
    size_t len = li->vmlinux_len;
    Elf64_Ehdr eh;

    memcpy(&eh, p, sizeof(eh));
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > len ||
        eh.e_phnum > (len - eh.e_phoff) / sizeof(Elf64_Phdr))
        return reason(why, whylen, "the vmlinux's program headers are not "
                    "within it");
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, p + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (li->nsegs == LINUX_MAX_SEGMENTS)
            return reason(why, whylen, "the vmlinux has more than %d "
                        "segments to load", LINUX_MAX_SEGMENTS);
        if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset ||
            ph.p_filesz > ph.p_memsz || ph.p_paddr > UINT64_MAX - ph.p_memsz)
            return reason(why, whylen, "the vmlinux's segment %u is not "
                        "within it", i);
        li->segs[li->nsegs++] = (struct linux_segment){
            .paddr = ph.p_paddr, .offset = ph.p_offset,
            .filesz = ph.p_filesz, .memsz = ph.p_memsz};
        if (ph.p_paddr + ph.p_memsz > li->load_end)
            li->load_end = ph.p_paddr + ph.p_memsz;
    }
    if (li->nsegs == 0)
        return reason(why, whylen, "the vmlinux has no segment to load");
    li->entry = eh.e_entry;
    for (unsigned i = 0; i < li->nsegs; i++)
        if (li->entry >= li->segs[i].paddr &&
            li->entry - li->segs[i].paddr < li->segs[i].memsz)
            return 1;
    return reason(why, whylen, "the vmlinux's entry 0x%llx is in none of its "
                "segments", (unsigned long long)li->entry);
}

/* ---- the bzImage ---- */

static int bzimage(const uint8_t *file, size_t len, struct linux_image *li,
                   char *why, size_t whylen)
{
    const struct setup_header *h = &li->setup;
    unsigned sects = h->setup_sects ? h->setup_sects : 4;
    uint64_t pm = (uint64_t)(sects + 1) * 512;

    if (h->version < LINUX_MIN_PROTOCOL)
        return reason(why, whylen, "the kernel's boot protocol is %u.%02u; "
                    "pmvm needs 2.08 or later", h->version >> 8,
                    h->version & 0xFF);
    if (!(h->loadflags & LOADED_HIGH))
        return reason(why, whylen, "the kernel is a zImage (loaded below "
                    "1 MiB); pmvm boots a bzImage");
    if (!(h->xloadflags & XLF_KERNEL_64))
        return reason(why, whylen, "the kernel has no 64-bit entry (a 32-bit "
                    "kernel?)");
    if (pm > len || h->payload_offset > len - pm ||
        h->payload_length > len - pm - h->payload_offset ||
        h->payload_length < 8)
        return reason(why, whylen, "the kernel's payload (%u bytes at 0x%llx) "
                    "is not within its %zu bytes", h->payload_length,
                    (unsigned long long)(pm + h->payload_offset), len);
    const uint8_t *payload = file + pm + h->payload_offset;
    size_t plen = h->payload_length;
    const struct method *m = method_of(payload, plen);
    if (!m)
        return reason(why, whylen, "the kernel's payload is compressed in a "
                    "way pmvm does not know (it takes gzip, xz, zstd and "
                    "lz4)");
    if (!m->unpack)
        return reason(why, whylen, "the kernel's payload is %s-compressed; "
                    "pmvm takes gzip, xz, zstd and lz4", m->name);
    struct out o = {0};
    bool ok = m->unpack(payload, plen, &o);
    li->vmlinux = o.buf;
    li->vmlinux_len = o.len;
    li->compression = m->name;
    if (o.too_big)
        return reason(why, whylen, "the kernel's payload unpacks to more than "
                    "%u MiB", LINUX_MAX_VMLINUX >> 20);
    if (!ok)
        return reason(why, whylen, "the kernel's %s payload is damaged: it "
                    "does not unpack", m->name);
    if (!is_elf64_x86(o.buf, o.len))
        return reason(why, whylen, "the kernel's payload unpacks to no x86-64 "
                    "ELF");
    return elf_segments(li, why, whylen);
}

int linux_image_parse(const uint8_t *file, size_t len,
                      struct linux_image *out, char *why, size_t whylen)
{
    uint16_t boot_flag;
    uint32_t header;

    memset(out, 0, sizeof(*out));
    if (is_elf64_x86(file, len)) {
        /* a vmlinux: its copy, so that it is freed as an unpacked one */
        out->vmlinux = malloc(len);
        if (!out->vmlinux)
            return reason(why, whylen, "no memory for the %zu-byte vmlinux",
                        len);
        memcpy(out->vmlinux, file, len);
        out->vmlinux_len = len;
        out->compression = "none";
        return elf_segments(out, why, whylen);
    }
    if (len < SETUP_HEADER_AT + sizeof(out->setup))
        return 0;
    memcpy(&boot_flag, file + 0x1FE, 2);
    memcpy(&header, file + 0x202, 4);
    if (boot_flag != BOOT_FLAG || header != HDRS)
        return 0;
    memcpy(&out->setup, file + SETUP_HEADER_AT, sizeof(out->setup));
    out->has_setup = 1;
    int r = bzimage(file, len, out, why, whylen);
    return r < 0 ? -1 : 1;
}

void linux_image_free(struct linux_image *li)
{
    free(li->vmlinux);
    li->vmlinux = NULL;
}
