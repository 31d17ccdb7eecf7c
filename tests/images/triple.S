/* triple.S: faults with no IDT, so the fault becomes a triple fault. */
#include "mb.h"
_start:
    ud2
