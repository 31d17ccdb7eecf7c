/* exit42.S: writes 42 to the exit port, straight from 32-bit protected mode. */
#include "mb.h"
_start:
    mov $42, %al
    out %al, $0xf4
    jmp .
