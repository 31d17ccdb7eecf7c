/* exception.c: routes every IDT vector to a fix-up, a probe's handler, CPL3 port I/O, or a crash report. */
#include "guest.h"

struct ex_entry {
    uint64_t insn, resume;
};

/* From guest.ld (the .ex_table section) and safe.S. */
extern const struct ex_entry __ex_table_start[], __ex_table_end[];
extern const char outb_insn[], outsb_insn[], inb_insn[];
/* From user.S. */
extern const char user_exit_insn[], user_return[];
extern uint64_t user_return_rsp;

void exception_dispatch(struct ex_regs *regs);

static ex_handler_t handlers[IDT_VECTORS];

static const char *const names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "", "#TS", "#NP", "#SS", "#GP", "#PF", "",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "", "",
    "", "", "", "", "#HV", "#VC", "#SX", "",
};

const char *exception_name(unsigned vector)
{
    return vector < 32 ? names[vector] : "";
}

const char *exception_outcome(uint8_t vector, uint32_t err)
{
    static char buf[32];

    if (!vector)
        return "ok";
    switch (vector) {
    case 8: case 10: case 11: case 12: case 13: case 14: case 17: case 21:
    case 29: case 30:                   /* the vectors with an error code */
        snprintf(buf, sizeof buf, "%s(%#x)", exception_name(vector), err);
        break;
    default:
        if (*exception_name(vector))
            snprintf(buf, sizeof buf, "%s", exception_name(vector));
        else
            snprintf(buf, sizeof buf, "vector %u", vector);
    }
    return buf;
}

void set_exception_handler(unsigned vector, ex_handler_t handler)
{
    if (vector >= IDT_VECTORS)
        panic("set_exception_handler: vector %u has no IDT gate", vector);
    handlers[vector] = handler;
}

/*
 * Only faults resume at a fix-up. Traps (#DB, #BP, #OF) and interrupts
 * report the address of the NEXT instruction, which may well be a listed
 * one (single-stepping up to rdpmc, a PMI just before it).
 */
static bool is_fault(uint64_t vector)
{
    return vector < 32 && vector != 1 && vector != 2 && vector != 3 &&
           vector != 4;
}

static bool fixup(struct ex_regs *regs)
{
    for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end;
         e++) {
        if (e->insn == regs->rip) {
            regs->rip = e->resume;
            regs->r9 = regs->vector;
            regs->r10 = regs->error_code;
            return true;
        }
    }
    return false;
}

/* CPL3 cannot do port I/O here (IOPL is ignored on the PVM host), so do
 * the runtime's own in/out on its behalf: printf works at CPL3. */
static bool emulate_user_io(struct ex_regs *regs)
{
    if (regs->vector != 13 || (regs->cs & 3) != 3)
        return false;
    if (regs->rip == (uint64_t)outb_insn) {
        outb((uint8_t)regs->rax, (uint16_t)regs->rdx);
        regs->rip += 1;
    } else if (regs->rip == (uint64_t)inb_insn) {
        regs->rax = (regs->rax & ~0xffull) | inb((uint16_t)regs->rdx);
        regs->rip += 1;
    } else if (regs->rip == (uint64_t)outsb_insn) {
        /* rep outsb faults before its first byte: do them all. */
        outsb((uint16_t)regs->rdx, (const void *)regs->rsi, regs->rcx);
        regs->rsi += regs->rcx;
        regs->rcx = 0;
        regs->rip += 2;
    } else {
        return false;
    }
    return true;
}

/* The UD2 that ends run_user()'s trampoline: return to CPL0 by making
 * this exception's IRETQ land at user_return on the run_user() stack.
 * RFLAGS stays the user's; user_return restores the caller's. */
static bool user_exit(struct ex_regs *regs)
{
    if (regs->vector != 6 || regs->rip != (uint64_t)user_exit_insn ||
        (regs->cs & 3) != 3)
        return false;
    regs->rip = (uint64_t)user_return;
    regs->cs = KERNEL_CS;
    regs->ss = KERNEL_DS;
    regs->rsp = user_return_rsp;
    return true;
}

static noreturn void unexpected(const struct ex_regs *r)
{
    static bool reporting;

    if (reporting)                      /* a fault while reporting one */
        exit(GUEST_EXIT_PANIC);
    reporting = true;
    printf("# unexpected %s %llu %s at CPL%llu: error code %#llx\n",
           r->vector < 32 ? "exception" : "interrupt",
           (unsigned long long)r->vector, exception_name(r->vector),
           (unsigned long long)(r->cs & 3),
           (unsigned long long)r->error_code);
    printf("# rip %#llx cs %#llx rflags %#llx rsp %#llx ss %#llx\n",
           (unsigned long long)r->rip, (unsigned long long)r->cs,
           (unsigned long long)r->rflags, (unsigned long long)r->rsp,
           (unsigned long long)r->ss);
    if (r->vector == 14)
        printf("# cr2 %#llx\n", (unsigned long long)read_cr2());
    printf("# rax %#llx rbx %#llx rcx %#llx rdx %#llx\n",
           (unsigned long long)r->rax, (unsigned long long)r->rbx,
           (unsigned long long)r->rcx, (unsigned long long)r->rdx);
    printf("# rsi %#llx rdi %#llx rbp %#llx\n", (unsigned long long)r->rsi,
           (unsigned long long)r->rdi, (unsigned long long)r->rbp);
    printf("Bail out! unexpected exception %llu at rip %#llx\n",
           (unsigned long long)r->vector, (unsigned long long)r->rip);
    exit(GUEST_EXIT_PANIC);
}

/* Called by isr.S for every vector, with interrupts off, at CPL0. */
void exception_dispatch(struct ex_regs *regs)
{
    if (user_exit(regs))
        return;
    if (is_fault(regs->vector) && fixup(regs))
        return;
    if (emulate_user_io(regs))
        return;
    if (handlers[regs->vector]) {
        handlers[regs->vector](regs);
        return;
    }
    unexpected(regs);
}
