/* halt_sti.c: HLT with interrupts on and none due at CPL0 in 64-bit mode, which waits (pmvm's --timeout ends it with 124); nothing after it runs. */
#include "guest.h"

int main(void)
{
    printf("halting\n");
    __asm__ volatile("sti; hlt");
    printf("past the HLT\n");
    return 3;
}
