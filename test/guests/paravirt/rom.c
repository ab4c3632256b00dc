/* A ROM above RAM: reads return its bytes, writes change nothing. */
#include "pv.h"

int main(void)
{
    volatile uint32_t *rom = (volatile uint32_t *)0xffff0000u;
    write_number("rom word ", rom[0]);
    rom[0] = 0;
    write_number("after a write ", rom[0]);
    write_number("past its end ", (long long)(((volatile uint8_t *)rom)[4096]));
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 0);
    return 1;
}
