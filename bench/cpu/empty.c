/* Exits at once: run under QEMU, it measures QEMU's start-up and shutdown, to subtract from the benchmark. */
#include "runtime.h"

int main(void)
{
    return 0;
}
