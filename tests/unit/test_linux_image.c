/* test_linux_image.c: vmm/linux_image.c against kernel images built here as the boot protocol and the kernel's build lay them out: a vmlinux, bzImages with each compression, and the ones pmvm must refuse. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/linux/pack.h"
#include "vmm/linux_image.h"

/*
 * The vmlinux: an ELF64 x86-64 executable with two PT_LOAD segments at
 * physical 16 MiB (as LOAD_PHYSICAL_ADDR puts Linux), the second with
 * bss, and the entry at the first's start, as vmlinux.lds.S's
 * ENTRY(phys_startup_64) has it. Its bytes are filler that compresses
 * badly enough to make the payload a real size (64 KiB of text).
 */
#define PHYS 0x1000000ull
#define TEXT 0x10000u
#define DATA 0x2000u
#define BSS 0x3000u

static uint8_t *vmlinux(size_t *len)
{
    size_t off_text = 0x1000, off_data = off_text + TEXT;
    uint8_t *p = calloc(1, off_data + DATA);
    Elf64_Ehdr eh = {
        .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
        .e_entry = PHYS, .e_phoff = sizeof(Elf64_Ehdr),
        .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
        .e_phnum = 2};
    Elf64_Phdr ph[2] = {
        {.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = off_text,
         .p_vaddr = 0xffffffff81000000ull, .p_paddr = PHYS,
         .p_filesz = TEXT, .p_memsz = TEXT},
        {.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = off_data,
         .p_vaddr = 0xffffffff81000000ull + TEXT, .p_paddr = PHYS + TEXT,
         .p_filesz = DATA, .p_memsz = DATA + BSS},
    };
    uint32_t x = 12345;

    assert_non_null(p);
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    memcpy(p, &eh, sizeof(eh));
    memcpy(p + sizeof(eh), ph, sizeof(ph));
    for (size_t i = off_text; i < off_data + DATA; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)((x >> 16) & (i & 64 ? 0xFF : 0x0F));
    }
    *len = off_data + DATA;
    return p;
}

#define PM_AT ((BZ_SETUP_SECTS + 1) * 512)
#define PAYLOAD_OFFSET BZ_PAYLOAD_OFFSET

static const struct bz_options usual = {0x020F, XLF_KERNEL_64, 0x800000,
                                        PHYS};

/* A bzImage around (payload) with the usual header but (version) and
 * (xloadflags). */
static uint8_t *bz(const uint8_t *payload, size_t plen, uint16_t version,
                   uint8_t xloadflags, size_t *len)
{
    struct bz_options o = usual;
    o.version = version;
    o.xloadflags = xloadflags;
    uint8_t *k = bzimage(payload, plen, &o, len);
    assert_non_null(k);
    return k;
}

static uint8_t *packed(enum pack_how how, const uint8_t *in, size_t len,
                       size_t *outlen)
{
    uint8_t *p = pack(how, in, len, outlen);
    assert_non_null(p);
    return p;
}

/* A bzImage of (how) around the test vmlinux, the usual header. */
static uint8_t *kernel(enum pack_how how, size_t *len, uint8_t **elf,
                       size_t *elflen)
{
    size_t plen;
    *elf = vmlinux(elflen);
    uint8_t *payload = packed(how, *elf, *elflen, &plen);
    uint8_t *k = bz(payload, plen, 0x020F, XLF_KERNEL_64, len);
    free(payload);
    return k;
}

static void check_segments(const struct linux_image *li)
{
    assert_int_equal(li->entry, PHYS);
    assert_int_equal(li->nsegs, 2);
    assert_int_equal(li->segs[0].paddr, PHYS);
    assert_int_equal(li->segs[0].filesz, TEXT);
    assert_int_equal(li->segs[1].paddr, PHYS + TEXT);
    assert_int_equal(li->segs[1].filesz, DATA);
    assert_int_equal(li->segs[1].memsz, DATA + BSS);
    assert_int_equal(li->load_end, PHYS + TEXT + DATA + BSS);
}

static void unpacks(enum pack_how how, const char *name)
{
    size_t len, elflen;
    uint8_t *elf, *k = kernel(how, &len, &elf, &elflen);
    struct linux_image li;
    char why[200] = "";

    assert_int_equal(linux_image_parse(k, len, &li, why, sizeof(why)), 1);
    assert_string_equal(why, "");
    assert_string_equal(li.compression, name);
    assert_true(li.has_setup);
    assert_int_equal(li.setup.version, 0x020F);
    assert_int_equal(li.setup.init_size, 0x800000);
    assert_int_equal(li.vmlinux_len, elflen);
    assert_memory_equal(li.vmlinux, elf, elflen);
    check_segments(&li);
    linux_image_free(&li);
    free(k);
    free(elf);
}

static void test_gzip(void **state)
{
    (void)state;
    unpacks(PACK_GZIP, "gzip");
}
static void test_xz(void **state) { (void)state; unpacks(PACK_XZ, "xz"); }
static void test_zstd(void **state) { (void)state; unpacks(PACK_ZSTD, "zstd"); }
static void test_lz4(void **state) { (void)state; unpacks(PACK_LZ4, "lz4"); }

static void test_vmlinux(void **state)
{
    size_t elflen;
    uint8_t *elf = vmlinux(&elflen);
    struct linux_image li;
    char why[200] = "";

    (void)state;
    assert_int_equal(linux_image_parse(elf, elflen, &li, why, sizeof(why)),
                     1);
    assert_string_equal(li.compression, "none");
    assert_false(li.has_setup);
    check_segments(&li);
    linux_image_free(&li);
    free(elf);
}

/* A kernel pmvm refuses: -1, and a reason containing (words). */
static void refused(const uint8_t *k, size_t len, const char *words)
{
    struct linux_image li;
    char why[200] = "";

    assert_int_equal(linux_image_parse(k, len, &li, why, sizeof(why)), -1);
    if (!strstr(why, words))
        fail_msg("reason '%s' lacks '%s'", why, words);
    linux_image_free(&li);
}

/* The test vmlinux as (how) in a bzImage of (version) and (xloadflags),
 * its payload cut to (payload_part) of it (1 whole, 2 half), and the file
 * to (file_part) of it: refused, saying (words). */
static void refused_kernel(enum pack_how how, uint16_t version,
                           uint8_t xloadflags, size_t payload_part,
                           size_t file_part, const char *words)
{
    size_t elflen, plen, len;
    uint8_t *elf = vmlinux(&elflen);
    uint8_t *payload = packed(how, elf, elflen, &plen);
    uint8_t *k = bz(payload, plen / payload_part, version, xloadflags, &len);

    refused(k, file_part == 1 ? len
                              : PM_AT + PAYLOAD_OFFSET + plen / file_part,
            words);
    free(k);
    free(payload);
    free(elf);
}

static void test_old_protocol(void **state)
{
    (void)state;
    refused_kernel(PACK_GZIP, 0x0206, XLF_KERNEL_64, 1, 1,
                   "boot protocol is 2.06");
}

static void test_no_64bit_entry(void **state)
{
    (void)state;
    refused_kernel(PACK_GZIP, 0x020F, 0, 1, 1, "no 64-bit entry");
}

/* bzip2, LZMA, LZO: the kernel can be built so; pmvm says which. */
static void test_other_compressions(void **state)
{
    static const struct { const char *magic; size_t n; const char *name; }
    other[] = {{"BZh91AY&SY", 10, "bzip2"}, {"\x5d\x00\x00\x80\x00", 5, "lzma"},
               {"\x89LZO\x00\x0d\x0a", 7, "lzo"}};
    (void)state;
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        uint8_t payload[64] = {0};
        size_t len;
        memcpy(payload, other[i].magic, other[i].n);
        uint8_t *k = bz(payload, sizeof(payload), 0x020F, XLF_KERNEL_64,
                             &len);
        refused(k, len, other[i].name);
        free(k);
    }
    uint8_t junk[64];
    size_t len;
    memset(junk, 0xA5, sizeof(junk));
    uint8_t *k = bz(junk, sizeof(junk), 0x020F, XLF_KERNEL_64, &len);
    refused(k, len, "does not know");
    free(k);
}

/* Each compression, its payload cut short: damaged, not a crash. */
static void test_damaged(void **state)
{
    static const enum pack_how hows[] = {PACK_GZIP, PACK_XZ, PACK_ZSTD,
                                         PACK_LZ4};
    (void)state;
    for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++)
        refused_kernel(hows[i], 0x020F, XLF_KERNEL_64, 2, 1, "damaged");
}

/* A payload that runs past the file's end. */
static void test_payload_outside(void **state)
{
    (void)state;
    refused_kernel(PACK_GZIP, 0x020F, XLF_KERNEL_64, 1, 2, "not within");
}

/* A payload that unpacks to something that is no vmlinux. */
static void test_not_elf(void **state)
{
    uint8_t text[4096];
    size_t plen, len;

    (void)state;
    memset(text, 'x', sizeof(text));
    uint8_t *payload = packed(PACK_GZIP, text, sizeof(text), &plen);
    uint8_t *k = bz(payload, plen, 0x020F, XLF_KERNEL_64, &len);
    refused(k, len, "no x86-64 ELF");
    free(k);
    free(payload);
}

/* Files that are no Linux kernel: 0, for the caller's next format. */
static void test_not_a_kernel(void **state)
{
    uint8_t junk[4096];
    struct linux_image li;
    char why[200] = "";

    (void)state;
    memset(junk, 0, sizeof(junk));
    assert_int_equal(linux_image_parse(junk, sizeof(junk), &li, why,
                                       sizeof(why)), 0);
    assert_int_equal(linux_image_parse(junk, 100, &li, why, sizeof(why)), 0);
    junk[0x1FE] = 0x55;
    junk[0x1FF] = 0xAA; /* a boot sector, without "HdrS" */
    assert_int_equal(linux_image_parse(junk, sizeof(junk), &li, why,
                                       sizeof(why)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vmlinux),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_xz),
        cmocka_unit_test(test_zstd),
        cmocka_unit_test(test_lz4),
        cmocka_unit_test(test_old_protocol),
        cmocka_unit_test(test_no_64bit_entry),
        cmocka_unit_test(test_other_compressions),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_payload_outside),
        cmocka_unit_test(test_not_elf),
        cmocka_unit_test(test_not_a_kernel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
