/* halt_if.S: halts with interrupts on, waiting for an interrupt that never comes. */
#include "mb.h"
_start:
    sti
    hlt
    jmp .
