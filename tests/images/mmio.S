/* mmio.S: reads guest-physical 0xD0000000, above RAM and no device: an exit pmvm does not expect. */
#include "mb.h"
_start:
    movl 0xD0000000, %eax
    ud2
