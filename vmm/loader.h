/* loader.h: validates a Multiboot v1 image (ELF32, ELF64 or a.out kludge) and loads it into guest RAM. */
#ifndef PMVM_LOADER_H
#define PMVM_LOADER_H

#include <stddef.h>
#include <stdint.h>

#define MB_HEADER_MAGIC 0x1BADB002u
#define MB_BOOT_MAGIC 0x2BADB002u
#define MB_SEARCH_LIMIT 8192u /* the header lies in the first 8 KiB */
#define LOADER_MIN_ADDR 0x10000u /* below 64 KiB pmvm keeps boot data */
#define LOADER_MAX_SEGMENTS 16

/* One piece of the image to copy into guest RAM: file bytes, then zeros. */
struct load_segment {
    uint64_t paddr;  /* guest-physical destination */
    uint64_t vaddr;  /* where the image's own page tables put it */
    uint64_t offset; /* where its bytes start in the file */
    uint64_t filesz; /* bytes taken from the file */
    uint64_t memsz;  /* bytes in RAM; memsz - filesz are zero-filled */
    int exec;        /* executable (for finding instructions later) */
    int writable;    /* writable: code in it may change at run time */
};

struct load_image {
    uint32_t entry;     /* 32-bit entry point, in protected mode */
    uint32_t mb_flags;  /* the multiboot header's flags */
    unsigned nsegs;
    struct load_segment segs[LOADER_MAX_SEGMENTS];
};

/*
 * Validate (len) bytes of (image) as a Multiboot v1 image that fits in
 * [LOADER_MIN_ADDR, mem_size) of guest RAM and describe what to load.
 * Returns 0, or -1 with a one-line reason in (why).
 */
int loader_parse(const uint8_t *image, size_t len, uint64_t mem_size,
                 struct load_image *out, char *why, size_t whylen);

/* Whether (image) has a Multiboot v1 header where the specification
 * puts it (valid or not, the image claims to be one). */
int loader_is_multiboot(const uint8_t *image, size_t len);

/* Copy a parsed image into guest RAM (mem, at least mem_size bytes). */
void loader_copy(const struct load_image *li, const uint8_t *image,
                 uint8_t *mem);

#endif
