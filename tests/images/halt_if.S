/* halt_if.S: halts with interrupts on, though nothing will ever interrupt it. */
#include "mb.h"
_start:
    sti
    hlt
    jmp .
