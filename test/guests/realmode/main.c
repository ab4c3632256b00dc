/* 32-bit protected mode -> 16-bit protected mode -> real mode -> 32-bit protected mode. */
#include "runtime.h"

extern char blob_start[], blob_end[];
void realmode_run(void);

#define BLOB 0x7000
#define RESULTS ((volatile uint8_t *)0x8000)

static uint16_t r16(int off) { return *(volatile uint16_t *)(RESULTS + off); }
static uint32_t r32(int off) { return *(volatile uint32_t *)(RESULTS + off); }

int main(void)
{
    gdt_set(3, BLOB, 0xffff, 0x9a, 0x0); /* 0x18: 16-bit code, base 0x7000 */
    gdt_set(4, 0, 0xffff, 0x92, 0x0);    /* 0x20: 16-bit data, base 0 */
    gdt_load();
    memcpy((void *)BLOB, blob_start, (size_t)(blob_end - blob_start));
    memset((void *)RESULTS, 0, 0x20);

    uint32_t before = 0x1234;
    __asm__ volatile("rol $8, %0" : "+r"(before));
    printf("32-bit protected mode: rol gives %x; %u bytes of 16-bit code at %x\n", before,
           (unsigned)(blob_end - blob_start), BLOB);
    realmode_run();
    uint32_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    printf("32-bit protected mode again: CR0.PE = %u\n", cr0 & 1);

    printf("16-bit protected mode computed 1234 * 56 = dx:ax %x:%x\n", r16(2), r16(0));
    printf("real mode computed: sum 1..100 = %u, CS = %x\n", r16(4), r16(6));
    printf("real mode computed: 0x12345 * 0x6789 = %x:%x\n", r32(12), r32(8));
    printf("real mode computed: 1000000 / 37 = %u remainder %u\n", r32(16), r32(20));
    printf("real mode read %x through an aliased segment, byte sum %u\n", r16(0x18), r16(0x1a));

    check(before == 0x123400, "rol in 32-bit mode");
    check(r16(0) == 0x0df0 && r16(2) == 1, "16-bit mul in 16-bit protected mode");
    check(r16(4) == 5050, "loop sum in real mode");
    check(r16(6) == 0x0700, "CS in real mode");
    uint64_t product = 0x12345ULL * 0x6789ULL;
    check(r32(8) == (uint32_t)product && r32(12) == (uint32_t)(product >> 32), "32-bit mul with operand-size prefix");
    check(r32(16) == 27027 && r32(20) == 1, "32-bit div with operand-size prefix");
    check(r16(0x18) == 0xbeef, "ES:0x10 and FS:0 with FS = ES + 1 address the same byte");
    check(r16(0x1a) == 360, "stosb through ES, lodsb through DS");
    check(cr0 & 1, "back in protected mode");
    return finish();
}
