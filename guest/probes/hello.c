/* hello.c: the smallest probe: one passing KTAP result. */
#include "guest.h"

int main(void)
{
    ktap_plan(1);
    ktap_result(true, "hello");
    return ktap_finish();
}
