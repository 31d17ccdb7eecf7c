/* test_debug.c: the engine honours the guest's own debug features: TF single-steps, DR0-DR3 execute and data breakpoints, RF, and DR6 as the SDM sets it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "tests/engine/machine.h"

/*
 * Expected values from the SDM, Vol. 3, 18.2-18.3, worked by hand for
 * each snippet (bytes checked with objdump): a single-step or data
 * breakpoint #DB is a trap, its frame after the instruction; an execute
 * breakpoint is a fault, its frame at the instruction, and is not taken
 * while RF is set; INT n clears TF and is followed by no single-step
 * trap; DR6 gets B0-B3 for the breakpoints met and BS for a single-step.
 */

#define CODE 0x400000ull
#define DATA 0x600000ull
#define USTACK 0x700000ull

#define RFL_TF 0x100ull
#define RFL_RF 0x10000ull
#define DR6_INIT 0xFFFF0FF0ull

struct fixture {
    struct machine m;
    struct engine *e;
    struct engine_state st;
    unsigned retired;
};

static struct fixture fx;

static bool on_retire(void *ctx, const struct pmu_insn *r)
{
    (void)r;
    ((struct fixture *)ctx)->retired++;
    return false;
}

static int setup(void **state)
{
    static const struct engine_ops ops = {.ctx = &fx, .retire = on_retire};

    (void)state;
    memset(&fx, 0, sizeof(fx));
    machine_init(&fx.m, 4 << 20);
    machine_map(&fx.m, CODE, 0x1000, MAP_U | MAP_W);
    machine_map(&fx.m, DATA, 0x1000, MAP_U | MAP_W | MAP_NX);
    machine_map(&fx.m, USTACK - 0x1000, 0x1000, MAP_U | MAP_W | MAP_NX);
    fx.e = engine_create(fx.m.ram, fx.m.ram_size, &ops);
    assert_non_null(fx.e);
    machine_state(&fx.m, &fx.st, 3, CODE, USTACK);
    fx.st.dr6 = DR6_INIT;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    engine_destroy(fx.e);
    machine_free(&fx.m);
    return 0;
}

/* Runs (code) from (at) until the engine stops at a handler's HLT. */
static int run_at(uint64_t at, const char *code, size_t len)
{
    struct engine_exit x;

    memcpy(machine_ptr(&fx.m, CODE), code, len);
    fx.st.rip = at;
    engine_flush(fx.e);
    engine_run(fx.e, &fx.st, 100, &x);
    assert_int_equal(x.stop, ENGINE_STOP_HANDBACK);
    return machine_vector_at(fx.st.rip);
}

#define RUN(code) run_at(CODE, code, sizeof(code) - 1)

static uint64_t frame(unsigned slot)
{
    return machine_stack(&fx.m, &fx.st, slot);
}

/* nop; nop under TF: the trap comes after the first NOP. */
static void test_tf_traps_after_one(void **state)
{
    (void)state;
    fx.st.rflags |= RFL_TF;
    assert_int_equal(RUN("\x90\x90"), 1);
    assert_int_equal(fx.retired, 1);
    assert_int_equal(frame(0), CODE + 1);
    assert_true(frame(2) & RFL_TF);    /* the handler may go on stepping */
    assert_false(fx.st.rflags & RFL_TF); /* but runs without it */
    assert_int_equal(fx.st.dr6, DR6_INIT | DR6_BS);
}

/* pushfq; orq $0x100, (%rsp); popfq; nop: no trap after the POPF that
 * sets TF, one after the NOP. */
static void test_tf_set_by_popf(void **state)
{
    (void)state;
    assert_int_equal(RUN("\x9c\x48\x81\x0c\x24\x00\x01\x00\x00\x9d\x90"), 1);
    assert_int_equal(fx.retired, 4);
    assert_int_equal(frame(0), CODE + 11);
}

/* int3 under TF: vector 3, and no #DB (INT n clears TF). */
static void test_tf_int3(void **state)
{
    (void)state;
    machine_gate(&fx.m, 3, 3, 0, true);
    fx.st.rflags |= RFL_TF;
    assert_int_equal(RUN("\xcc\x90"), 3);
    assert_int_equal(frame(0), CODE + 1);
    assert_int_equal(fx.st.dr6, DR6_INIT);
}

/* DR0 on the second NOP, execute, one byte: a fault at it, B0. */
static void test_execute_breakpoint(void **state)
{
    (void)state;
    fx.st.dr[0] = CODE + 1;
    fx.st.dr7 = 0x401; /* L0, R/W0 = 00, LEN0 = 00 */
    assert_int_equal(RUN("\x90\x90\x0f\x0b"), 1);
    assert_int_equal(fx.retired, 1);
    assert_int_equal(frame(0), CODE + 1);
    assert_false(frame(2) & RFL_RF);
    assert_int_equal(fx.st.dr6, DR6_INIT | 0x1);
}

/* The same with RF set there, as the handler returns: the NOP runs, RF
 * is cleared after it, and UD2 raises #UD, whose fault frame has RF. */
static void test_rf_suppresses(void **state)
{
    (void)state;
    fx.st.dr[0] = CODE + 1;
    fx.st.dr7 = 0x401;
    fx.st.rflags |= RFL_RF;
    assert_int_equal(run_at(CODE + 1, "\x90\x90\x0f\x0b", 4), 6);
    assert_int_equal(fx.retired, 1);
    assert_int_equal(frame(0), CODE + 2);
    assert_int_equal(fx.st.dr6, DR6_INIT);
}

/* DR1 on DATA+8, write, four bytes: mov %eax, (%rbx) to DATA+10 meets it
 * (a trap after the MOV, B1); a read of it does not (mov (%rbx), %eax;
 * then UD2). */
static void test_data_breakpoint(void **state)
{
    (void)state;
    fx.st.dr[1] = DATA + 8;
    fx.st.dr7 = 0x400 | (1u << 2) | (1u << 20) | (3u << 22);
    fx.st.gpr[ENGINE_RBX] = DATA + 10;
    assert_int_equal(RUN("\x89\x03\x90"), 1);
    assert_int_equal(frame(0), CODE + 2);
    assert_int_equal(fx.st.dr6, DR6_INIT | 0x2);

    teardown(state);
    setup(state);
    fx.st.dr[1] = DATA + 8;
    fx.st.dr7 = 0x400 | (1u << 2) | (1u << 20) | (3u << 22);
    fx.st.gpr[ENGINE_RBX] = DATA + 8;
    assert_int_equal(RUN("\x8b\x03\x0f\x0b"), 6);
    assert_int_equal(fx.st.dr6, DR6_INIT);
}

/* R/W = 11 (read or write), two bytes at DATA+0x20: a read of DATA+0x21
 * meets it; a disabled slot (no L or G) never does. */
static void test_read_breakpoint(void **state)
{
    (void)state;
    fx.st.dr[2] = DATA + 0x20;
    fx.st.dr[3] = DATA + 0x21;
    fx.st.dr7 = 0x400 | (1u << 4) | (3u << 24) | (1u << 26) |
                (3u << 28); /* L2 R/W2 11 LEN2 01; slot 3 not enabled */
    fx.st.gpr[ENGINE_RBX] = DATA + 0x21;
    assert_int_equal(RUN("\x8a\x03\x90"), 1); /* mov (%rbx), %al */
    assert_int_equal(frame(0), CODE + 2);
    assert_int_equal(fx.st.dr6, DR6_INIT | 0x4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tf_traps_after_one, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tf_set_by_popf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tf_int3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_execute_breakpoint, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rf_suppresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_breakpoint, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_read_breakpoint, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
