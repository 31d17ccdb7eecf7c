/* loader.c: validates a Multiboot v1 image (ELF32, ELF64 or a.out kludge) and loads it into guest RAM. */
#include <elf.h>
#include <stdbool.h>
#include <string.h>

#include "vmm/loader.h"
#include "vmm/reason.h"

/* Multiboot header flags (Multiboot Specification 0.6.96, section 3.1.2). */
#define MB_FLAG_PAGE_ALIGN (1u << 0) /* align modules: we load none */
#define MB_FLAG_MEMORY_INFO (1u << 1) /* mem_* and mmap_*: provided */
#define MB_FLAG_VIDEO_MODE (1u << 2) /* a graphics mode: not provided */
#define MB_FLAG_AOUT_KLUDGE (1u << 16) /* load by the header's addresses */
#define MB_REQUIRED_MASK 0xFFFFu /* bits 0-15 must be understood */

struct mb_header {
    uint32_t magic, flags, checksum;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* Find the multiboot header: 4-byte aligned, in the first 8 KiB. */
static long mb_find(const uint8_t *image, size_t len, struct mb_header *h)
{
    size_t limit = len < MB_SEARCH_LIMIT ? len : MB_SEARCH_LIMIT;
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        uint32_t w[3];
        memcpy(w, image + off, sizeof w);
        if (w[0] != MB_HEADER_MAGIC || w[0] + w[1] + w[2] != 0)
            continue;
        memset(h, 0, sizeof *h);
        size_t n = len - off < sizeof *h ? len - off : sizeof *h;
        memcpy(h, image + off, n);
        return (long)off;
    }
    return -1;
}

/* Check that [paddr, paddr + memsz) is in loadable RAM and overlaps no
 * segment already accepted. */
static int seg_add(struct load_image *li, const struct load_segment *s,
                   unsigned index, uint64_t mem_size, char *why,
                   size_t whylen)
{
    if (s->memsz == 0)
        return 0;
    if (s->paddr > UINT64_MAX - s->memsz)
        return reason(why, whylen, "segment %u: address 0x%llx + size 0x%llx "
                    "overflows", index, (unsigned long long)s->paddr,
                    (unsigned long long)s->memsz);
    uint64_t end = s->paddr + s->memsz;
    if (s->paddr < LOADER_MIN_ADDR)
        return reason(why, whylen, "segment %u loads at 0x%llx, below 64 KiB "
                    "(0x10000), where pmvm keeps boot data", index,
                    (unsigned long long)s->paddr);
    if (end > mem_size)
        return reason(why, whylen, "segment %u (0x%llx-0x%llx) ends past guest "
                    "RAM (%llu MiB): use a larger --mem", index,
                    (unsigned long long)s->paddr, (unsigned long long)end,
                    (unsigned long long)(mem_size >> 20));
    for (unsigned i = 0; i < li->nsegs; i++) {
        const struct load_segment *o = &li->segs[i];
        if (s->paddr < o->paddr + o->memsz && o->paddr < end)
            return reason(why, whylen, "segment %u (0x%llx-0x%llx) overlaps "
                        "an earlier segment (0x%llx-0x%llx)", index,
                        (unsigned long long)s->paddr,
                        (unsigned long long)end,
                        (unsigned long long)o->paddr,
                        (unsigned long long)(o->paddr + o->memsz));
    }
    if (li->nsegs == LOADER_MAX_SEGMENTS)
        return reason(why, whylen, "more than %d loadable segments",
                    LOADER_MAX_SEGMENTS);
    li->segs[li->nsegs++] = *s;
    return 0;
}

/* Load by the header's address fields (the "a.out kludge", flag 16). */
static int parse_aout(const struct mb_header *h, long hoff, size_t len,
                      uint64_t mem_size, struct load_image *li, char *why,
                      size_t whylen)
{
    if ((size_t)hoff + sizeof *h > len)
        return reason(why, whylen, "multiboot header with address fields "
                    "(flag 16) is truncated at the end of the file");
    if (h->load_addr > h->header_addr)
        return reason(why, whylen, "multiboot load_addr 0x%x is above "
                    "header_addr 0x%x", h->load_addr, h->header_addr);
    uint64_t before = h->header_addr - h->load_addr;
    if (before > (uint64_t)hoff)
        return reason(why, whylen, "multiboot header_addr - load_addr (0x%llx) "
                    "reaches before the start of the file",
                    (unsigned long long)before);
    uint64_t offset = (uint64_t)hoff - before;
    uint64_t filesz = len - offset;
    if (h->load_end_addr != 0) {
        if (h->load_end_addr <= h->load_addr)
            return reason(why, whylen, "multiboot load_end_addr 0x%x is not "
                        "above load_addr 0x%x", h->load_end_addr,
                        h->load_addr);
        filesz = h->load_end_addr - h->load_addr;
        if (filesz > len - offset)
            return reason(why, whylen, "multiboot load_end_addr 0x%x reaches "
                        "past the end of the file", h->load_end_addr);
    }
    uint64_t memsz = filesz;
    if (h->bss_end_addr != 0) {
        if (h->bss_end_addr < h->load_addr + filesz)
            return reason(why, whylen, "multiboot bss_end_addr 0x%x is below "
                        "the end of the loaded data", h->bss_end_addr);
        memsz = h->bss_end_addr - h->load_addr;
    }
    if (h->entry_addr < h->load_addr ||
        h->entry_addr >= h->load_addr + filesz)
        return reason(why, whylen, "multiboot entry_addr 0x%x is outside the "
                    "loaded image", h->entry_addr);
    struct load_segment s = {h->load_addr, h->load_addr, offset, filesz,
                             memsz, 1, 1};
    li->entry = h->entry_addr;
    return seg_add(li, &s, 0, mem_size, why, whylen);
}

/* The fields of an ELF header and program header that loading needs, read
 * from either class. */
struct elf_info {
    bool is64;
    uint64_t entry, phoff;
    unsigned phnum, phentsize;
};

struct elf_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz;
};

static int elf_header(const uint8_t *image, size_t len, struct elf_info *e,
                      char *why, size_t whylen)
{
    if (len < EI_NIDENT || memcmp(image, ELFMAG, SELFMAG) != 0)
        return reason(why, whylen, "not an ELF file, and its multiboot header "
                    "has no address fields (flag 16)");
    if (image[EI_DATA] != ELFDATA2LSB)
        return reason(why, whylen, "ELF file is not little-endian");
    if (image[EI_VERSION] != EV_CURRENT)
        return reason(why, whylen, "ELF identification version %u is not %u",
                    image[EI_VERSION], EV_CURRENT);
    uint16_t type, machine;
    if (image[EI_CLASS] == ELFCLASS32) {
        Elf32_Ehdr h;
        if (len < sizeof h)
            return reason(why, whylen, "ELF header is truncated");
        memcpy(&h, image, sizeof h);
        type = h.e_type, machine = h.e_machine;
        *e = (struct elf_info){false, h.e_entry, h.e_phoff, h.e_phnum,
                               h.e_phentsize};
        if (e->phentsize != sizeof(Elf32_Phdr))
            return reason(why, whylen, "ELF e_phentsize %u is not %zu",
                        e->phentsize, sizeof(Elf32_Phdr));
    } else if (image[EI_CLASS] == ELFCLASS64) {
        Elf64_Ehdr h;
        if (len < sizeof h)
            return reason(why, whylen, "ELF header is truncated");
        memcpy(&h, image, sizeof h);
        type = h.e_type, machine = h.e_machine;
        *e = (struct elf_info){true, h.e_entry, h.e_phoff, h.e_phnum,
                               h.e_phentsize};
        if (e->phentsize != sizeof(Elf64_Phdr))
            return reason(why, whylen, "ELF e_phentsize %u is not %zu",
                        e->phentsize, sizeof(Elf64_Phdr));
    } else {
        return reason(why, whylen, "ELF class %u is neither 32- nor 64-bit",
                    image[EI_CLASS]);
    }
    if (type != ET_EXEC)
        return reason(why, whylen, "ELF type %u is not an executable (ET_EXEC)",
                    type);
    if (machine != EM_386 && machine != EM_X86_64)
        return reason(why, whylen, "ELF machine %u is not x86 (EM_386 or "
                    "EM_X86_64)", machine);
    if (e->phnum == 0 || e->phnum == PN_XNUM)
        return reason(why, whylen, "ELF file has %s program headers",
                    e->phnum ? "an extended count of" : "no");
    if (e->phoff > len || (uint64_t)e->phnum * e->phentsize > len - e->phoff)
        return reason(why, whylen, "ELF program header table (%u entries at "
                    "offset 0x%llx) reaches past the end of the file",
                    e->phnum, (unsigned long long)e->phoff);
    return 0;
}

static void elf_phdr_read(const uint8_t *image, const struct elf_info *e,
                          unsigned i, struct elf_phdr *p)
{
    const uint8_t *at = image + e->phoff + (uint64_t)i * e->phentsize;
    if (e->is64) {
        Elf64_Phdr h;
        memcpy(&h, at, sizeof h);
        *p = (struct elf_phdr){h.p_type, h.p_flags, h.p_offset, h.p_vaddr,
                               h.p_paddr, h.p_filesz, h.p_memsz};
    } else {
        Elf32_Phdr h;
        memcpy(&h, at, sizeof h);
        *p = (struct elf_phdr){h.p_type, h.p_flags, h.p_offset, h.p_vaddr,
                               h.p_paddr, h.p_filesz, h.p_memsz};
    }
}

static int parse_elf(const uint8_t *image, size_t len, uint64_t mem_size,
                     struct load_image *li, char *why, size_t whylen)
{
    struct elf_info e = {0};
    if (elf_header(image, len, &e, why, whylen) < 0)
        return -1;
    bool entry_found = false;
    for (unsigned i = 0; i < e.phnum; i++) {
        struct elf_phdr p;
        elf_phdr_read(image, &e, i, &p);
        if (p.type != PT_LOAD)
            continue;
        if (p.filesz > p.memsz)
            return reason(why, whylen, "segment %u: file size 0x%llx exceeds "
                        "memory size 0x%llx", i,
                        (unsigned long long)p.filesz,
                        (unsigned long long)p.memsz);
        if (p.offset > len || p.filesz > len - p.offset)
            return reason(why, whylen, "segment %u (0x%llx bytes at offset "
                        "0x%llx) reaches past the end of the file (0x%zx "
                        "bytes): truncated image?", i,
                        (unsigned long long)p.filesz,
                        (unsigned long long)p.offset, len);
        struct load_segment s = {p.paddr, p.vaddr, p.offset, p.filesz,
                                 p.memsz, (p.flags & PF_X) != 0,
                                 (p.flags & PF_W) != 0};
        if (seg_add(li, &s, i, mem_size, why, whylen) < 0)
            return -1;
        /* The entry is a virtual address; multiboot enters with paging
         * off, so translate it through the segment that holds it. */
        if (s.exec && e.entry >= p.vaddr && e.entry - p.vaddr < p.memsz) {
            uint64_t phys = e.entry - p.vaddr + p.paddr;
            if (phys > UINT32_MAX)
                return reason(why, whylen, "entry point 0x%llx is above "
                            "4 GiB, out of reach of 32-bit protected mode",
                            (unsigned long long)phys);
            li->entry = (uint32_t)phys;
            entry_found = true;
        }
    }
    if (li->nsegs == 0)
        return reason(why, whylen, "ELF file has no loadable (PT_LOAD) "
                    "segments");
    if (!entry_found)
        return reason(why, whylen, "ELF entry point 0x%llx is not in an "
                    "executable loadable segment",
                    (unsigned long long)e.entry);
    return 0;
}

int loader_is_multiboot(const uint8_t *image, size_t len)
{
    struct mb_header h;

    return mb_find(image, len, &h) >= 0;
}

int loader_parse(const uint8_t *image, size_t len, uint64_t mem_size,
                 struct load_image *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    if (len == 0)
        return reason(why, whylen, "image is empty");
    if (len > mem_size)
        return reason(why, whylen, "image is %zu bytes, larger than guest RAM "
                    "(%llu MiB): use a larger --mem", len,
                    (unsigned long long)(mem_size >> 20));
    struct mb_header h;
    long hoff = mb_find(image, len, &h);
    if (hoff < 0)
        return reason(why, whylen, "no multiboot header (magic 0x%08x with a "
                    "valid checksum) in the first %u bytes: not a Multiboot "
                    "v1 image", MB_HEADER_MAGIC, MB_SEARCH_LIMIT);
    out->mb_flags = h.flags;
    if (h.flags & MB_FLAG_VIDEO_MODE)
        return reason(why, whylen, "image requires a video mode (multiboot "
                    "flag 2), which pmvm does not provide");
    uint32_t unknown = h.flags & MB_REQUIRED_MASK &
                       ~(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO);
    if (unknown)
        return reason(why, whylen, "image requires multiboot features pmvm "
                    "does not know (flags 0x%x)", unknown);
    if (h.flags & MB_FLAG_AOUT_KLUDGE)
        return parse_aout(&h, hoff, len, mem_size, out, why, whylen);
    return parse_elf(image, len, mem_size, out, why, whylen);
}

void loader_copy(const struct load_image *li, const uint8_t *image,
                 uint8_t *mem)
{
    for (unsigned i = 0; i < li->nsegs; i++) {
        const struct load_segment *s = &li->segs[i];
        memcpy(mem + s->paddr, image + s->offset, s->filesz);
        memset(mem + s->paddr + s->filesz, 0, s->memsz - s->filesz);
    }
}
