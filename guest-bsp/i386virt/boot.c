/*
 * Executive builds only: start.S (shared with the bare paravirtual guests, whose main is their own)
 * calls main once the GDT and the boot stack exist; here main hands the machine to the executive.
 * BSS is already zero: the ELF loader fills it.
 */
#include <rtems/bsp-interface.h>

int main(void);

int main(void)
{
  boot_card();
}
