/* guest_debug.c: the guest's own debug features work under pmvm: its DR0-DR3 breakpoints fire (execute, write, read/write; CPL0 and CPL3), its own TF single-steps it, a REP string instruction iteration by iteration, and its DR7 reads back as written, its own GD included, whoever runs it. */
#include "guest.h"
#include "x86.h"

/*
 * Expected from the SDM (Vol. 3, 18.2-18.3): an execute breakpoint is a
 * fault, its frame at the instruction, DR6.Bn set; a data breakpoint is
 * a trap, its frame after the access; the handler sets RF in the frame
 * so that the instruction then runs. TF set by POPF traps after each
 * instruction that begins with TF set: the POPF that sets it is not one,
 * the POPF that clears it is (DR6.BS each time). The handler clears DR6,
 * as the SDM asks of it.
 */

#define RFLAGS_RF (1ull << 16)
#define DR6_B0_3 0xFull
#define DR6_BS (1ull << 14)
#define DR6_BD (1ull << 13)
#define DR7_GD (1ull << 13)
#define DR7_LE (1ull << 8)
#define DR7_FIXED 0x400ull
#define DR7_L(n) (1ull << (2 * (n)))
#define DR7_RW(n, rw) ((uint64_t)(rw) << (16 + 4 * (n)))
#define DR7_LEN4(n) (3ull << (18 + 4 * (n)))
#define RW_EXEC 0
#define RW_WRITE 1
#define RW_RDWR 3
#define DR6_CLEAR 0xFFFF0FF0ull

static volatile unsigned hits;
static volatile uint64_t hit_rip, hit_dr6, hit_dr7;
static volatile uint32_t watched;
/* #DBs whose frame is at rep_at (a REP stopped between iterations), how
 * many of those frames had RF set, the last one's RCX */
static volatile unsigned rep_hits, rep_rf;
static volatile uint64_t rep_rcx;
static volatile uint8_t buffer[8];
extern const char rep_at[], rep_bp_at[];
/* #DBs whose frame is right after a MOV or POP SS: none may be */
static volatile unsigned ss_hits;
extern const char ss_next[], ss_pop_next[];
extern const char gd_at[];

#define SET_DR(n, v) __asm__ volatile("mov %0, %%dr" #n :: "r"((uint64_t)(v)))

static void on_debug(struct ex_regs *r)
{
    uint64_t dr6, dr7;

    __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
    __asm__ volatile("mov %%dr7, %0" : "=r"(dr7));
    SET_DR(6, DR6_CLEAR);
    hits++;
    hit_rip = r->rip;
    hit_dr6 |= dr6;
    hit_dr7 = dr7;
    if (r->rip == (uint64_t)ss_next || r->rip == (uint64_t)ss_pop_next)
        ss_hits++;
    if (r->rip == (uint64_t)rep_at || r->rip == (uint64_t)rep_bp_at) {
        rep_hits++;
        rep_rf += (r->rflags & RFLAGS_RF) != 0;
        rep_rcx = r->rcx;
    }
    if (dr6 & DR6_B0_3)
        r->rflags |= RFLAGS_RF; /* an execute breakpoint: run it now */
}

static void arm(void)
{
    hits = 0, hit_rip = 0, hit_dr6 = 0, hit_dr7 = 0;
    rep_hits = 0, rep_rf = 0, rep_rcx = 0;
    ss_hits = 0;
}

/* (ok) with what the #DBs were, for the diagnostic. */
static void result(bool ok, const char *when, const char *what,
                   unsigned want_hits, uint64_t want_rip, uint64_t want_dr6)
{
    if (!ktap_result(ok, "%s: %s", when, what))
        ktap_diag("%u #DB, last at 0x%llx, DR6 bits 0x%llx; want %u at "
                  "0x%llx with 0x%llx", hits, (unsigned long long)hit_rip,
                  (unsigned long long)(hit_dr6 &
                                       (DR6_B0_3 | DR6_BS | DR6_BD)),
                  want_hits, (unsigned long long)want_rip,
                  (unsigned long long)want_dr6);
}

__attribute__((noinline)) static void kernel_target(void)
{
    __asm__ volatile("nop");
}

__attribute__((noinline)) static uint64_t user_target(uint64_t arg)
{
    __asm__ volatile("nop");
    return arg;
}

static uint64_t user_read(uint64_t arg)
{
    return watched + arg;
}

/* Five instructions under TF: NOP, NOP, PUSHF, AND, and the POPF that
 * clears it; returns the address after the last. */
#define TF_STRETCH(after)                                                   \
    __asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq\n"                 \
                     "nop; nop; pushfq; andq $~0x100, (%%rsp); popfq\n"      \
                     "1: lea 1b(%%rip), %0"                                 \
                     : "=r"(after) :: "memory", "cc")

/* The same with MOV to DR0 (which pmvm's engine leaves to KVM) in place
 * of the second NOP. */
#define TF_STRETCH_MOV_DR(after)                                            \
    __asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq\n"                 \
                     "nop; mov %1, %%dr0; pushfq; andq $~0x100, (%%rsp)\n"  \
                     "popfq\n"                                              \
                     "1: lea 1b(%%rip), %0"                                 \
                     : "=r"(after) : "r"(0ull) : "memory", "cc")

static uint64_t user_tf(uint64_t arg)
{
    uint64_t after;
    (void)arg;
    TF_STRETCH(after);
    return after;
}

/*
 * REP STOSB under TF, three iterations (SDM Vol. 3, 18.3.1.4; 18.3.1.1 on
 * RF): a #DB after each of the first two at the REP, RCX what is left and
 * RF set in the frame, so that the REP resumes; one after the third past
 * it; then the PUSHF, AND and POPF that clear TF: six in all.
 */
static void rep_tf(const char *when)
{
    uint64_t rdi = (uint64_t)buffer, rcx = 3, after;

    arm();
    __asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq\n"
                     ".globl rep_at\nrep_at: rep stosb\n"
                     "pushfq; andq $~0x100, (%%rsp); popfq\n"
                     "1: lea 1b(%%rip), %0"
                     : "=r"(after), "+D"(rdi), "+c"(rcx)
                     : "a"(0x5A) : "memory", "cc");
    result(hits == 6 && rep_hits == 2 && rep_rf == 2 && rep_rcx == 1 &&
               hit_rip == after && buffer[2] == 0x5A && rcx == 0, when,
           "REP STOSB under TF traps after each of its 3 iterations, RF "
           "set while it has more", 6, after, DR6_BS);
}

/*
 * REP STOSB over four bytes with a DR1 write breakpoint on the second
 * (LEN 1): one #DB after the iteration that wrote it (SDM 18.3.1.2), at
 * the REP with RCX 2 and RF set; the REP then finishes.
 */
static void rep_bp(const char *when)
{
    uint64_t rdi = (uint64_t)buffer, rcx = 4;

    arm();
    SET_DR(1, &buffer[1]);
    SET_DR(7, DR7_FIXED | DR7_L(1) | DR7_RW(1, RW_WRITE));
    __asm__ volatile(".globl rep_bp_at\nrep_bp_at: rep stosb"
                     : "+D"(rdi), "+c"(rcx) : "a"(0xA5) : "memory");
    SET_DR(7, DR7_FIXED);
    result(hits == 1 && rep_hits == 1 && rep_rf == 1 && rep_rcx == 2 &&
               (hit_dr6 & DR6_B0_3) == 2 && rcx == 0 && buffer[3] == 0xA5,
           when, "REP STOSB meets a DR1 write breakpoint: its #DB after "
           "that iteration, at the REP", 1, (uint64_t)rep_bp_at, 2);
}

/*
 * A MOV to SS holds off debug exceptions until after the next
 * instruction (SDM Vol. 3, 6.8.3): under TF, MOV EAX,SS; MOV SS,EAX; NOP;
 * PUSHF; AND; POPF trap 5 times, none of them right after the MOV SS.
 */
static void mov_ss_tf(const char *when)
{
    uint64_t after;

    arm();
    __asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq\n"
                     "mov %%ss, %%eax; mov %%eax, %%ss\n"
                     ".globl ss_next\nss_next: nop\n"
                     "pushfq; andq $~0x100, (%%rsp); popfq\n"
                     "1: lea 1b(%%rip), %0"
                     : "=r"(after) :: "rax", "memory", "cc");
    result(hits == 5 && ss_hits == 0 && hit_rip == after, when,
           "MOV SS under TF: its trap is held to after the next "
           "instruction", 5, after, DR6_BS);
}

/*
 * MOV SS from the stack whose read meets a DR0 read/write breakpoint (8
 * bytes on the slot; PUSH and POP SS are no instructions in 64-bit mode):
 * the #DB after the NOP that follows, not after the MOV.
 */
static void pop_ss_bp(const char *when)
{
    uint64_t after;

    arm();
    __asm__ volatile("mov %%ss, %%eax; push %%rax\n"
                     "mov %%rsp, %%rax; mov %%rax, %%dr0\n"
                     "mov %1, %%rax; mov %%rax, %%dr7\n"
                     "mov (%%rsp), %%ss\n"
                     ".globl ss_pop_next\nss_pop_next: nop\n"
                     "1: lea 1b(%%rip), %0\n"
                     "mov %2, %%rax; mov %%rax, %%dr7\n"
                     "pop %%rax"
                     : "=&r"(after)
                     : "r"(DR7_FIXED | DR7_L(0) | DR7_RW(0, RW_RDWR) |
                           (2ull << 18)),
                       "r"(DR7_FIXED)
                     : "rax", "memory");
    result(hits == 1 && ss_hits == 0 && hit_rip == after &&
               (hit_dr6 & DR6_B0_3) == 1, when,
           "MOV SS meets a DR0 read breakpoint: its #DB after the next "
           "instruction", 1, after, 1);
}

/*
 * DR7 reads back what the guest wrote, and GD (SDM Vol. 3, 18.2.4) makes
 * the next MOV DR a #DB: a fault, its frame at the MOV, DR6.BD set, GD
 * clear when the handler runs; the MOV then runs, reading DR7 without GD.
 */
static void general_detect(const char *when)
{
    uint64_t plain, after_gd;

    arm();
    SET_DR(7, DR7_FIXED | DR7_LE);
    __asm__ volatile("mov %%dr7, %0" : "=r"(plain));
    SET_DR(7, DR7_FIXED | DR7_GD);
    __asm__ volatile(".globl gd_at\ngd_at: mov %%dr7, %0" : "=r"(after_gd));
    result(plain == (DR7_FIXED | DR7_LE) && hits == 1 &&
               hit_rip == (uint64_t)gd_at && (hit_dr6 & DR6_BD) &&
               hit_dr7 == DR7_FIXED && after_gd == DR7_FIXED, when,
           "DR7 reads back as written; its GD makes the next MOV DR a #DB "
           "with DR6.BD, GD clear in the handler", 1, (uint64_t)gd_at,
           DR6_BD);
}

static void tests(const char *when)
{
    uint64_t after;

    arm();
    SET_DR(0, kernel_target);
    SET_DR(7, DR7_FIXED | DR7_L(0) | DR7_RW(0, RW_EXEC));
    kernel_target();
    SET_DR(7, DR7_FIXED);
    result(hits == 1 && hit_rip == (uint64_t)kernel_target &&
               (hit_dr6 & DR6_B0_3) == 1,
           when, "DR0 execute breakpoint at CPL0", 1,
           (uint64_t)kernel_target, 1);

    arm();
    SET_DR(1, &watched);
    SET_DR(7, DR7_FIXED | DR7_L(1) | DR7_RW(1, RW_WRITE) | DR7_LEN4(1));
    __asm__ volatile("movl $5, %1\n1: lea 1b(%%rip), %0"
                     : "=r"(after), "=m"(watched) :: "memory");
    SET_DR(7, DR7_FIXED);
    result(hits == 1 && hit_rip == after && (hit_dr6 & DR6_B0_3) == 2, when,
           "DR1 write breakpoint at CPL0", 1, after, 2);

    arm();
    SET_DR(0, user_target);
    SET_DR(7, DR7_FIXED | DR7_L(0) | DR7_RW(0, RW_EXEC));
    run_user(user_target, 0);
    SET_DR(7, DR7_FIXED);
    result(hits == 1 && hit_rip == (uint64_t)user_target &&
               (hit_dr6 & DR6_B0_3) == 1, when,
           "DR0 execute breakpoint at CPL3", 1, (uint64_t)user_target, 1);

    arm();
    SET_DR(2, &watched);
    SET_DR(7, DR7_FIXED | DR7_L(2) | DR7_RW(2, RW_RDWR) | DR7_LEN4(2));
    run_user(user_read, 0);
    SET_DR(7, DR7_FIXED);
    result(hits == 1 && (hit_dr6 & DR6_B0_3) == 4, when,
           "DR2 read/write breakpoint at CPL3", 1, 0, 4);

    arm();
    TF_STRETCH(after);
    result(hits == 5 && hit_rip == after && (hit_dr6 & DR6_BS), when,
           "TF at CPL0 traps after each of 5 instructions", 5,
           after, DR6_BS);

    arm();
    TF_STRETCH_MOV_DR(after);
    result(hits == 5 && hit_rip == after && (hit_dr6 & DR6_BS), when,
           "TF at CPL0 traps after each of 5 instructions, MOV DR among "
           "them", 5, after, DR6_BS);

    arm();
    after = run_user(user_tf, 0);
    result(hits == 5 && hit_rip == after && (hit_dr6 & DR6_BS), when,
           "TF at CPL3 traps after each of 5 instructions", 5,
           after, DR6_BS);

    rep_tf(when);
    rep_bp(when);
    mov_ss_tf(when);
    pop_ss_bp(when);
    general_detect(when);
}

#define TESTS 12

int main(void)
{
    uint32_t err;

    set_exception_handler(1, on_debug);
    ktap_plan(2 * TESTS);
    tests("nothing counts");
    if (wrmsr_safe(0x186, 0xC0 | (3ull << 16) | (1ull << 22), &err)) {
        for (unsigned i = 0; i < TESTS; i++)
            ktap_skip("the model has no GP counter", "a counter counts");
        ktap_exit();
    }
    wrmsr_safe(0x38F, 1, &err);
    tests("a counter counts");
    wrmsr_safe(0x38F, 0, &err);
    wrmsr(0x186, 0);
    ktap_exit();
}
