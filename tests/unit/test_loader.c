/* test_loader.c: the Multiboot/ELF loader accepts well-formed images and refuses each kind of malformed one. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/loader.h"

#define MEM (64ull << 20)
#define IMG_SIZE 0x3000
#define TEXT_ADDR 0x100000u
#define DATA_ADDR 0x101000u

/* An image built by hand: ELF32 header, two PT_LOAD segments (text at file
 * offset 0x1000, data at 0x2000) and a multiboot header at the start of
 * text. Each test breaks one field. */
struct image {
    uint8_t bytes[IMG_SIZE];
    size_t len;
};

static void mb_header_put(uint8_t *at, uint32_t flags)
{
    uint32_t h[3] = {MB_HEADER_MAGIC, flags, -(MB_HEADER_MAGIC + flags)};
    memcpy(at, h, sizeof h);
}

static Elf32_Ehdr *ehdr32(struct image *im)
{
    return (Elf32_Ehdr *)im->bytes;
}

static Elf32_Phdr *phdr32(struct image *im, int i)
{
    return (Elf32_Phdr *)(im->bytes + sizeof(Elf32_Ehdr)) + i;
}

static void image32(struct image *im)
{
    memset(im, 0, sizeof *im);
    im->len = IMG_SIZE;
    Elf32_Ehdr *e = ehdr32(im);
    memcpy(e->e_ident, ELFMAG, SELFMAG);
    e->e_ident[EI_CLASS] = ELFCLASS32;
    e->e_ident[EI_DATA] = ELFDATA2LSB;
    e->e_ident[EI_VERSION] = EV_CURRENT;
    e->e_type = ET_EXEC;
    e->e_machine = EM_386;
    e->e_version = EV_CURRENT;
    e->e_entry = TEXT_ADDR + 0x10;
    e->e_phoff = sizeof(Elf32_Ehdr);
    e->e_ehsize = sizeof(Elf32_Ehdr);
    e->e_phentsize = sizeof(Elf32_Phdr);
    e->e_phnum = 2;
    *phdr32(im, 0) = (Elf32_Phdr){PT_LOAD, 0x1000, TEXT_ADDR, TEXT_ADDR,
                                  0x100, 0x100, PF_R | PF_X, 0x1000};
    *phdr32(im, 1) = (Elf32_Phdr){PT_LOAD, 0x2000, DATA_ADDR, DATA_ADDR,
                                  0x80, 0x2000, PF_R | PF_W, 0x1000};
    mb_header_put(im->bytes + 0x1000, 0x2);
    memset(im->bytes + 0x2000, 0xAB, 0x80);
}

/* The same image as ELF64 (x86-64 link output, not converted). */
static void image64(struct image *im)
{
    memset(im, 0, sizeof *im);
    im->len = IMG_SIZE;
    Elf64_Ehdr *e = (Elf64_Ehdr *)im->bytes;
    memcpy(e->e_ident, ELFMAG, SELFMAG);
    e->e_ident[EI_CLASS] = ELFCLASS64;
    e->e_ident[EI_DATA] = ELFDATA2LSB;
    e->e_ident[EI_VERSION] = EV_CURRENT;
    e->e_type = ET_EXEC;
    e->e_machine = EM_X86_64;
    e->e_version = EV_CURRENT;
    e->e_entry = TEXT_ADDR + 0x20;
    e->e_phoff = sizeof(Elf64_Ehdr);
    e->e_ehsize = sizeof(Elf64_Ehdr);
    e->e_phentsize = sizeof(Elf64_Phdr);
    e->e_phnum = 1;
    Elf64_Phdr *p = (Elf64_Phdr *)(im->bytes + sizeof(Elf64_Ehdr));
    *p = (Elf64_Phdr){PT_LOAD, PF_R | PF_X, 0x1000, TEXT_ADDR, TEXT_ADDR,
                      0x100, 0x100, 0x1000};
    mb_header_put(im->bytes + 0x1000, 0x2);
}

static char why[256];
static struct load_image li;

static int parse(struct image *im)
{
    why[0] = '\0';
    return loader_parse(im->bytes, im->len, MEM, &li, why, sizeof why);
}

/* The image is refused, and the reason contains (words). */
static void assert_refused(struct image *im, const char *words)
{
    assert_int_equal(parse(im), -1);
    if (!strstr(why, words))
        fail_msg("reason \"%s\" does not mention \"%s\"", why, words);
    assert_null(strchr(why, '\n'));
}

static void test_elf32_accepted(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    assert_int_equal(parse(&im), 0);
    assert_int_equal(li.entry, 0x100010);
    assert_int_equal(li.mb_flags, 0x2);
    assert_int_equal(li.nsegs, 2);
    assert_int_equal(li.segs[0].paddr, 0x100000);
    assert_int_equal(li.segs[0].offset, 0x1000);
    assert_int_equal(li.segs[0].filesz, 0x100);
    assert_true(li.segs[0].exec);
    assert_int_equal(li.segs[1].paddr, 0x101000);
    assert_int_equal(li.segs[1].memsz, 0x2000);
    assert_false(li.segs[1].exec);
}

static void test_elf64_accepted(void **state)
{
    (void)state;
    struct image im;
    image64(&im);
    assert_int_equal(parse(&im), 0);
    assert_int_equal(li.entry, 0x100020);
    assert_int_equal(li.nsegs, 1);
}

static void test_copy_zero_fills(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    assert_int_equal(parse(&im), 0);
    uint8_t *mem = malloc(0x104000);
    assert_non_null(mem);
    memset(mem, 0x55, 0x104000);
    loader_copy(&li, im.bytes, mem);
    assert_int_equal(mem[0x100000], 0x02); /* first byte of the magic */
    assert_int_equal(mem[0x101000], 0xAB);
    assert_int_equal(mem[0x10107F], 0xAB);
    assert_int_equal(mem[0x101080], 0x00); /* memsz beyond filesz */
    assert_int_equal(mem[0x102FFF], 0x00);
    assert_int_equal(mem[0x103000], 0x55); /* past the segment */
    free(mem);
}

static void test_empty(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    im.len = 0;
    assert_refused(&im, "empty");
}

static void test_no_header(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    memset(im.bytes + 0x1000, 0, 12);
    assert_refused(&im, "no multiboot header");
}

static void test_bad_checksum(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    im.bytes[0x1008] ^= 1;
    assert_refused(&im, "no multiboot header");
}

static void test_header_past_8k(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    memset(im.bytes + 0x1000, 0, 12);
    mb_header_put(im.bytes + 0x2000, 0x2); /* offset 8192: too far */
    assert_refused(&im, "first 8192 bytes");
}

static void test_video_mode_refused(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    mb_header_put(im.bytes + 0x1000, 0x4);
    assert_refused(&im, "video mode");
}

static void test_unknown_required_flag(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    mb_header_put(im.bytes + 0x1000, 0x2 | 0x8);
    assert_refused(&im, "flags 0x8");
}

static void test_optional_flags_ignored(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    mb_header_put(im.bytes + 0x1000, 0x3 | 0x20000); /* bit 17: optional */
    assert_int_equal(parse(&im), 0);
}

static void test_not_elf(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    im.bytes[1] = 'X';
    assert_refused(&im, "not an ELF file");
}

static void test_truncated_header(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    im.len = 40; /* less than an Elf32_Ehdr, header search still fails */
    memcpy(im.bytes + 16, (uint32_t[3]){MB_HEADER_MAGIC, 0,
                                        -MB_HEADER_MAGIC}, 12);
    assert_refused(&im, "ELF header is truncated");
}

static void test_big_endian(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    im.bytes[EI_DATA] = ELFDATA2MSB;
    assert_refused(&im, "little-endian");
}

static void test_bad_class(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    im.bytes[EI_CLASS] = 7;
    assert_refused(&im, "class 7");
}

static void test_not_executable(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    ehdr32(&im)->e_type = ET_DYN;
    assert_refused(&im, "not an executable");
}

static void test_wrong_machine(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    ehdr32(&im)->e_machine = EM_ARM;
    assert_refused(&im, "not x86");
}

static void test_bad_phentsize(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    ehdr32(&im)->e_phentsize = 20;
    assert_refused(&im, "e_phentsize 20");
}

static void test_phdrs_past_end(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    ehdr32(&im)->e_phoff = IMG_SIZE - 16;
    assert_refused(&im, "program header table");
}

static void test_phoff_huge(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    ehdr32(&im)->e_phoff = 0xFFFFFFF0;
    assert_refused(&im, "program header table");
}

static void test_no_phdrs(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    ehdr32(&im)->e_phnum = 0;
    assert_refused(&im, "no program headers");
}

static void test_no_load_segments(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    phdr32(&im, 0)->p_type = PT_NOTE;
    phdr32(&im, 1)->p_type = PT_NOTE;
    assert_refused(&im, "no loadable");
}

static void test_segment_truncated(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    im.len = 0x2040; /* cuts the data segment's 0x80 file bytes */
    assert_refused(&im, "segment 1");
    assert_non_null(strstr(why, "past the end of the file"));
}

static void test_segment_offset_overflow(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    phdr32(&im, 1)->p_offset = 0xFFFFFF00;
    assert_refused(&im, "past the end of the file");
}

static void test_filesz_above_memsz(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    phdr32(&im, 1)->p_memsz = 0x10;
    assert_refused(&im, "exceeds memory size");
}

static void test_overlap(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    phdr32(&im, 1)->p_paddr = TEXT_ADDR + 0x80;
    assert_refused(&im, "overlaps");
}

static void test_past_ram(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    phdr32(&im, 1)->p_paddr = MEM - 0x1000; /* memsz 0x2000 */
    assert_refused(&im, "ends past guest RAM");
}

static void test_oversized_memsz(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    phdr32(&im, 1)->p_memsz = 0xFFFFFFF0;
    assert_refused(&im, "ends past guest RAM");
}

static void test_address_overflow(void **state)
{
    (void)state;
    struct image im;
    image64(&im);
    Elf64_Phdr *p = (Elf64_Phdr *)(im.bytes + sizeof(Elf64_Ehdr));
    p->p_paddr = 0xFFFFFFFFFFFFF000ull;
    p->p_memsz = 0x2000;
    assert_refused(&im, "overflows");
}

static void test_below_boot_data(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    phdr32(&im, 1)->p_paddr = 0x8000;
    assert_refused(&im, "below 64 KiB");
}

static void test_entry_outside(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    ehdr32(&im)->e_entry = DATA_ADDR; /* data is not executable */
    assert_refused(&im, "entry point");
}

static void test_entry_above_4g(void **state)
{
    (void)state;
    struct image im;
    image64(&im);
    Elf64_Ehdr *e = (Elf64_Ehdr *)im.bytes;
    Elf64_Phdr *p = (Elf64_Phdr *)(im.bytes + sizeof(Elf64_Ehdr));
    p->p_vaddr = 0x100000000ull;
    p->p_paddr = 0x100000000ull; /* also past 64 MiB of RAM */
    e->e_entry = 0x100000010ull;
    assert_refused(&im, "segment 0");
}

static void test_image_larger_than_ram(void **state)
{
    (void)state;
    struct image im;
    image32(&im);
    assert_int_equal(loader_parse(im.bytes, im.len, 0x2000, &li, why,
                                  sizeof why), -1);
    assert_non_null(strstr(why, "larger than guest RAM"));
}

/* The a.out kludge: flag 16 and the five address fields. */
static void image_aout(struct image *im, uint32_t header_addr,
                       uint32_t load_addr, uint32_t load_end,
                       uint32_t bss_end, uint32_t entry)
{
    memset(im, 0, sizeof *im);
    im->len = 0x1000;
    uint32_t flags = 0x10002;
    uint32_t h[8] = {MB_HEADER_MAGIC, flags, -(MB_HEADER_MAGIC + flags),
                     header_addr, load_addr, load_end, bss_end, entry};
    memcpy(im->bytes + 0x40, h, sizeof h);
}

static void test_aout_accepted(void **state)
{
    (void)state;
    struct image im;
    image_aout(&im, 0x200040, 0x200000, 0x200800, 0x203000, 0x200100);
    assert_int_equal(parse(&im), 0);
    assert_int_equal(li.entry, 0x200100);
    assert_int_equal(li.nsegs, 1);
    assert_int_equal(li.segs[0].paddr, 0x200000);
    assert_int_equal(li.segs[0].offset, 0);
    assert_int_equal(li.segs[0].filesz, 0x800);
    assert_int_equal(li.segs[0].memsz, 0x3000);
}

static void test_aout_whole_file(void **state)
{
    (void)state;
    struct image im;
    image_aout(&im, 0x200040, 0x200000, 0, 0, 0x200100);
    assert_int_equal(parse(&im), 0);
    assert_int_equal(li.segs[0].filesz, 0x1000);
    assert_int_equal(li.segs[0].memsz, 0x1000);
}

static void test_aout_load_above_header(void **state)
{
    (void)state;
    struct image im;
    image_aout(&im, 0x200040, 0x200080, 0, 0, 0x200100);
    assert_refused(&im, "above header_addr");
}

static void test_aout_before_file(void **state)
{
    (void)state;
    struct image im;
    image_aout(&im, 0x200040, 0x1F0000, 0, 0, 0x200100);
    assert_refused(&im, "before the start of the file");
}

static void test_aout_end_past_file(void **state)
{
    (void)state;
    struct image im;
    image_aout(&im, 0x200040, 0x200000, 0x202000, 0, 0x200100);
    assert_refused(&im, "past the end of the file");
}

static void test_aout_bss_below_end(void **state)
{
    (void)state;
    struct image im;
    image_aout(&im, 0x200040, 0x200000, 0x200800, 0x200400, 0x200100);
    assert_refused(&im, "bss_end_addr");
}

static void test_aout_entry_outside(void **state)
{
    (void)state;
    struct image im;
    image_aout(&im, 0x200040, 0x200000, 0x200800, 0, 0x300000);
    assert_refused(&im, "entry_addr");
}

static void test_aout_truncated_header(void **state)
{
    (void)state;
    struct image im;
    image_aout(&im, 0x200040, 0x200000, 0, 0, 0x200100);
    memmove(im.bytes + 0xFF4 - 0x40, im.bytes + 0x40, 12);
    memset(im.bytes + 0x40, 0, 32);
    im.len = 0xFF4 - 0x40 + 12; /* magic, flags, checksum, then the end */
    assert_refused(&im, "truncated");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elf32_accepted),
        cmocka_unit_test(test_elf64_accepted),
        cmocka_unit_test(test_copy_zero_fills),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_no_header),
        cmocka_unit_test(test_bad_checksum),
        cmocka_unit_test(test_header_past_8k),
        cmocka_unit_test(test_video_mode_refused),
        cmocka_unit_test(test_unknown_required_flag),
        cmocka_unit_test(test_optional_flags_ignored),
        cmocka_unit_test(test_not_elf),
        cmocka_unit_test(test_truncated_header),
        cmocka_unit_test(test_big_endian),
        cmocka_unit_test(test_bad_class),
        cmocka_unit_test(test_not_executable),
        cmocka_unit_test(test_wrong_machine),
        cmocka_unit_test(test_bad_phentsize),
        cmocka_unit_test(test_phdrs_past_end),
        cmocka_unit_test(test_phoff_huge),
        cmocka_unit_test(test_no_phdrs),
        cmocka_unit_test(test_no_load_segments),
        cmocka_unit_test(test_segment_truncated),
        cmocka_unit_test(test_segment_offset_overflow),
        cmocka_unit_test(test_filesz_above_memsz),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_past_ram),
        cmocka_unit_test(test_oversized_memsz),
        cmocka_unit_test(test_address_overflow),
        cmocka_unit_test(test_below_boot_data),
        cmocka_unit_test(test_entry_outside),
        cmocka_unit_test(test_entry_above_4g),
        cmocka_unit_test(test_image_larger_than_ram),
        cmocka_unit_test(test_aout_accepted),
        cmocka_unit_test(test_aout_whole_file),
        cmocka_unit_test(test_aout_load_above_header),
        cmocka_unit_test(test_aout_before_file),
        cmocka_unit_test(test_aout_end_past_file),
        cmocka_unit_test(test_aout_bss_below_end),
        cmocka_unit_test(test_aout_entry_outside),
        cmocka_unit_test(test_aout_truncated_header),
    };
    return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
