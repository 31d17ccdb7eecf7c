/* spin.S: never ends, so only the watchdog can stop it. */
#include "mb.h"
_start:
    jmp .
