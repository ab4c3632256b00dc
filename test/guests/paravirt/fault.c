/* A fatal guest fault: no IDT, so an invalid opcode escalates to a triple fault. */
#include "pv.h"

int main(void)
{
    write("about to fault\n");
    __builtin_trap();
}
