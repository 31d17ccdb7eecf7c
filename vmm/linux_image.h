/* linux_image.h: recognises a Linux x86-64 kernel (a bzImage, by its setup header, or an ELF vmlinux) and unpacks it: the kernel's segments, its 64-bit entry and the setup header a boot loader passes on. */
#ifndef PMVM_LINUX_IMAGE_H
#define PMVM_LINUX_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <asm/bootparam.h>

#define LINUX_MAX_SEGMENTS 8
/* The oldest boot protocol pmvm boots: 2.08 gives the payload's place
 * (payload_offset, payload_length), 2.06 the command line's size. */
#define LINUX_MIN_PROTOCOL 0x0208
/* A payload larger than this once unpacked is refused (Debian's kernel
 * unpacks to about 60 MiB). */
#define LINUX_MAX_VMLINUX (512u << 20)

/* One PT_LOAD segment of the unpacked vmlinux, at its physical address. */
struct linux_segment {
    uint64_t paddr;
    uint64_t offset;  /* in vmlinux */
    uint64_t filesz;
    uint64_t memsz;
};

struct linux_image {
    uint8_t *vmlinux;          /* the unpacked ELF (malloc'd), or NULL */
    size_t vmlinux_len;
    const char *compression;   /* "gzip", "xz", "zstd", "lz4", or "none" */
    uint64_t entry;            /* physical: the 64-bit entry (startup_64) */
    unsigned nsegs;
    struct linux_segment segs[LINUX_MAX_SEGMENTS];
    uint64_t load_end;         /* the end of the highest segment */
    int has_setup;             /* a bzImage: (setup) is its header */
    struct setup_header setup; /* as the image has it (boot protocol) */
};

/*
 * Recognises (len) bytes of (file) as a Linux x86-64 kernel and unpacks
 * it into (out). Returns 1 for a kernel, 0 for a file that is no Linux
 * kernel at all (a Multiboot image, say: the caller tries the next
 * format), -1 with a one-line reason in (why) for a kernel pmvm cannot
 * boot (a boot protocol older than 2.08, no 64-bit entry, a compression
 * it does not take, a payload that does not unpack to an x86-64 ELF).
 */
int linux_image_parse(const uint8_t *file, size_t len,
                      struct linux_image *out, char *why, size_t whylen);

void linux_image_free(struct linux_image *li);

#endif
