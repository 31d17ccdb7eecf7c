/* cpl0_events.c: INT3, ICEBP, an undefined opcode and an INT n beyond the IDT at CPL0 each raise their one exception, whoever runs the guest's CPL0 code. */
#include "guest.h"

/*
 * Expected from the SDM: INT3 is a trap to vector 3, ICEBP (INT1) a trap
 * to vector 1, DAA is no instruction in 64-bit mode (#UD, a fault), and
 * INT 0x80 past the IDT's limit is #GP with the entry as its error code,
 * 0x80 * 8 + 2 (IDT bit; EXT clear for INT n; SDM 6.12.1, 6.13). A trap's
 * frame points after the instruction, a fault's at it. Nested PVM cannot
 * run INT n, INT3 or ICEBP at CPL0 nor raise #UD for DAA: pmvm's engine
 * runs them there, or without the engine (--count=step) pmvm ends the
 * run naming the host's limit (tests/integration/hostile.sh).
 */

static volatile unsigned taken, taken_vector, insn_len;
static volatile uint64_t taken_error, taken_rip, insn_at;

/* Records the exception and steps over the instruction when the frame
 * points at it: a fault, or a CPU's #UD where a trap was due (QEMU 7.2's
 * TCG has no ICEBP), which would otherwise raise it again for ever. */
static void on_exception(struct ex_regs *r)
{
    taken++;
    taken_vector = (unsigned)r->vector;
    taken_error = r->error_code;
    taken_rip = r->rip;
    if (r->rip == insn_at)
        r->rip += insn_len;
}

/* (code), (len) bytes long, raises exactly (vector) with (error): as a
 * fault (frame at the instruction) or a trap (after it). */
#define RAISES(name, code, len, vector, error, fault)                       \
    do {                                                                    \
        uint64_t after;                                                     \
        taken = 0, insn_len = (len);                                        \
        __asm__ volatile("lea 0f(%%rip), %0\n\tmov %0, %1\n0: " code       \
                         "\n1: lea 1b(%%rip), %0"                           \
                         : "=&r"(after), "=m"(insn_at) :: "memory");        \
        uint64_t want = (fault) ? after - (len) : after;                    \
        bool right = taken == 1 && taken_vector == (vector) &&              \
                     taken_error == (error) && taken_rip == want;           \
        if (!ktap_result(right, "%s at CPL0 raises vector %u", name,        \
                         (unsigned)(vector)))                               \
            ktap_diag("%u taken, the last vector %u error 0x%llx rip "      \
                      "0x%llx, want rip 0x%llx", taken, taken_vector,       \
                      (unsigned long long)taken_error,                      \
                      (unsigned long long)taken_rip,                        \
                      (unsigned long long)want);                            \
    } while (0)

int main(void)
{
    set_exception_handler(1, on_exception);
    set_exception_handler(3, on_exception);
    set_exception_handler(6, on_exception);
    set_exception_handler(13, on_exception);
    ktap_plan(4);
    RAISES("INT3", "int3", 1, 3, 0, false);
    RAISES("ICEBP", ".byte 0xf1", 1, 1, 0, false);
    RAISES("DAA (no instruction in 64-bit mode)", ".byte 0x27", 1, 6, 0,
           true);
    RAISES("INT 0x80 beyond the IDT's limit", "int $0x80", 2, 13, 0x402,
           true);
    ktap_exit();
}
