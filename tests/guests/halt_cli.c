/* halt_cli.c: HLT with interrupts off at CPL0 in 64-bit mode, which ends the run with status 0 (docs/guest-abi.md); nothing after it runs. */
#include "guest.h"

int main(void)
{
    printf("halting\n");
    __asm__ volatile("cli; hlt");
    printf("past the HLT\n");
    return 3;
}
