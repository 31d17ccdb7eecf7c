/* int3.S: INT3 at CPL0 in 32-bit mode with no IDT: an emulation failure on nested PVM hosts, a triple fault elsewhere. */
#include "mb.h"
_start:
    int3
    ud2
