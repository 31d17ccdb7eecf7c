/* halt_counted.c: HLT with interrupts off while a counter counts, which still ends the run with status 0 (docs/guest-abi.md): pmvm runs the HLT unstepped. */
#include "guest.h"

#define MSR_EVTSEL0 0x186u
#define MSR_GLOBAL_CTRL 0x38Fu

int main(void)
{
    printf("halting\n");
    wrmsr(MSR_EVTSEL0, 0xC0 | (3ull << 16) | (1ull << 22));
    wrmsr(MSR_GLOBAL_CTRL, 1);
    __asm__ volatile("cli; hlt");
    printf("past the HLT\n");
    return 3;
}
