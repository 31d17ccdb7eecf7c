/* flood.c: prints without end, for a reader that does not read (pmvm's --timeout must still hold) and a stdout that fails. */
#include "guest.h"

int main(void)
{
    for (;;)
        printf("flood flood flood flood flood flood flood flood flood\n");
}
