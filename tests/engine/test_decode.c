/* test_decode.c: the engine's one classification of an instruction (engine_insn_info) and the RDPMC scan, on hand-assembled bytes (SDM Vol. 2 opcode tables). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/engine.h"

static enum engine_kind kind_of(const uint8_t *code, size_t len,
                                unsigned bits)
{
    struct engine_insn_info info;
    assert_int_equal(engine_insn_info(code, len, bits, &info), 0);
    assert_int_equal(info.length, len);
    return info.kind;
}

#define KIND(bits, want, ...)                                           \
    do {                                                                \
        static const uint8_t code[] = {__VA_ARGS__};                    \
        assert_int_equal(kind_of(code, sizeof(code), bits), want);      \
    } while (0)

static void test_kinds_64(void **state)
{
    (void)state;
    KIND(64, ENGINE_KIND_RDPMC, 0x0f, 0x33);
    KIND(64, ENGINE_KIND_RDMSR, 0x0f, 0x32);
    KIND(64, ENGINE_KIND_WRMSR, 0x0f, 0x30);
    KIND(64, ENGINE_KIND_CPUID, 0x0f, 0xa2);
    KIND(64, ENGINE_KIND_HLT, 0xf4);
    KIND(64, ENGINE_KIND_IRET, 0x48, 0xcf);          /* IRETQ */
    KIND(64, ENGINE_KIND_SYSRET, 0x48, 0x0f, 0x07);  /* SYSRETQ */
    KIND(64, ENGINE_KIND_POPF, 0x9d);
    KIND(64, ENGINE_KIND_PUSHF, 0x9c);
    KIND(64, ENGINE_KIND_SYSCALL, 0x0f, 0x05);
    KIND(64, ENGINE_KIND_SYSCALL, 0xcd, 0x80);       /* INT 0x80 */
    KIND(64, ENGINE_KIND_SYSCALL, 0xcc);             /* INT3 */
    KIND(64, ENGINE_KIND_SYSCALL, 0xf1);             /* INT1 (ICEBP) */
    KIND(64, ENGINE_KIND_IO, 0xee);                  /* OUT DX, AL */
    KIND(64, ENGINE_KIND_IO, 0xe4, 0x60);            /* IN AL, 0x60 */
    KIND(64, ENGINE_KIND_IO, 0xf3, 0x6e);            /* REP OUTSB */
    KIND(64, ENGINE_KIND_MOV_DR, 0x0f, 0x23, 0xc0);  /* MOV DR0, RAX */
    KIND(64, ENGINE_KIND_MOV_DR, 0x0f, 0x21, 0xf8);  /* MOV RAX, DR7 */
    KIND(64, ENGINE_KIND_MOV_DR, 0x41, 0x0f, 0x23, 0xf8); /* MOV DR7, R8 */
    KIND(64, ENGINE_KIND_OTHER, 0x0f, 0x22, 0xd8);   /* MOV CR3, RAX */
    KIND(64, ENGINE_KIND_OTHER, 0x90);
    KIND(64, ENGINE_KIND_OTHER, 0x0f, 0x31);         /* RDTSC */
}

static void test_kinds_16_32(void **state)
{
    (void)state;
    KIND(32, ENGINE_KIND_IRET, 0xcf);                /* IRETD */
    KIND(16, ENGINE_KIND_IRET, 0xcf);                /* IRET */
    KIND(32, ENGINE_KIND_SYSRET, 0x0f, 0x35);        /* SYSEXIT */
    KIND(32, ENGINE_KIND_SYSCALL, 0x0f, 0x34);       /* SYSENTER */
    KIND(32, ENGINE_KIND_SYSCALL, 0xce);             /* INTO */
    KIND(16, ENGINE_KIND_RDPMC, 0x0f, 0x33);
}

static void test_invalid(void **state)
{
    struct engine_insn_info info;
    static const uint8_t ud[] = {0x0f, 0x0b};        /* UD2 decodes */
    static const uint8_t bad[] = {0xff, 0xff};       /* FF /7: none */
    (void)state;
    assert_int_equal(engine_insn_info(ud, sizeof(ud), 64, &info), 0);
    assert_int_equal(info.kind, ENGINE_KIND_OTHER);
    assert_int_equal(engine_insn_info(bad, sizeof(bad), 64, &info), -1);
    assert_int_equal(engine_insn_info(ud, 1, 64, &info), -1); /* cut */
}

static void test_find_rdpmc(void **state)
{
    /* nop; rdpmc; mov eax, 0x330f (an RDPMC's bytes as an immediate);
     * rdpmc; 06 (PUSH ES: none in 64-bit mode), then rdpmc after
     * resynchronising */
    static const uint8_t code[] = {
        0x90, 0x0f, 0x33, 0xb8, 0x0f, 0x33, 0x00, 0x00,
        0x0f, 0x33, 0x06, 0x0f, 0x33,
    };
    uint64_t sites[4] = {0};
    (void)state;
    assert_int_equal(engine_find_rdpmc(code, sizeof(code), 0x1000, sites, 4),
                     3);
    assert_int_equal(sites[0], 0x1001);
    assert_int_equal(sites[1], 0x1008);
    assert_int_equal(sites[2], 0x100b);
    /* More than (max): all are counted, (max) stored. */
    sites[1] = 0;
    assert_int_equal(engine_find_rdpmc(code, sizeof(code), 0x1000, sites, 1),
                     3);
    assert_int_equal(sites[0], 0x1001);
    assert_int_equal(sites[1], 0);
    assert_int_equal(engine_find_rdpmc(code, 0, 0x1000, NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds_64),
        cmocka_unit_test(test_kinds_16_32),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_find_rdpmc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
