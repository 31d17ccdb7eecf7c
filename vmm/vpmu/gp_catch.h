/* gp_catch.h: every RDPMC that faults is trapped: a breakpoint on the guest's #GP handler turns the #GP KVM delivers for an RDPMC no other trap saw into the retired RDPMC pmvm's model answers. */
#ifndef PMVM_GP_CATCH_H
#define PMVM_GP_CATCH_H

#include <stdbool.h>
#include <stdint.h>

struct pmvm;

/*
 * KVM's own vPMU is off, so every RDPMC it runs raises #GP: one in a
 * data page, one written at run time, one at CPL3 on a host whose
 * breakpoints fire only where the image's sites are. pmvm keeps an
 * execute breakpoint on the entry of the guest's #GP handler (IDT gate
 * 13, 64-bit mode); when it stops there and the frame's RIP holds an
 * RDPMC and its error code is 0, pmvm asks the model: a value returns
 * from the #GP to the instruction after the RDPMC (the guest's handler
 * never runs), a #GP lets the handler run. Returning needs the engine
 * (IRETQ's checks): with --count=step the handler runs, and pmvm says
 * so once.
 */

/* Before each KVM_RUN: where the guest's #GP handler is now (the IDT may
 * have moved); guest debug follows a change. */
void gp_catch_refresh(struct pmvm *p);

/* Where the breakpoint goes (linear), or 0 for none. */
uint64_t gp_catch_addr(const struct pmvm *p);

/* Its part of guest debug: that breakpoint (guest_debug.h). */
struct debug_wish;
void gp_catch_debug_wish(const struct pmvm *p, struct debug_wish *w);

/* A debug exit at (rip): true if it was the catcher's, handled. */
bool gp_catch_hit(struct pmvm *p, uint64_t rip);

#endif
