/* A multiboot paravirtual guest: prints the command line and each module's string, size and checksum
   from the multiboot information, then powers off. */
#include "pv.h"

__attribute__((section(".text.multiboot"), aligned(4), used)) static const uint32_t multiboot_header[3] = {
    0x1badb002u, 0u, -(0x1badb002u + 0u)};

struct multiboot_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
};
struct multiboot_module {
    uint32_t start, end, string, reserved;
};
extern struct multiboot_info *multiboot_info;

int main(void)
{
    struct multiboot_info *info = multiboot_info;
    if (info == 0) {
        write("not booted by multiboot\n");
        (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 1);
    }
    if (info->flags & (1u << 2)) {
        write("cmdline ");
        write((const char *)(uintptr_t)info->cmdline);
        write("\n");
    }
    write_number("modules ", info->mods_count);
    struct multiboot_module *m = (struct multiboot_module *)(uintptr_t)info->mods_addr;
    for (uint32_t i = 0; i < info->mods_count; i++) {
        write("module ");
        write((const char *)(uintptr_t)m[i].string);
        write_number(" bytes ", m[i].end - m[i].start);
        uint32_t sum = 0;
        for (const uint8_t *p = (const uint8_t *)(uintptr_t)m[i].start; p < (const uint8_t *)(uintptr_t)m[i].end; p++) sum = sum * 31u + *p;
        write_number("checksum ", sum);
    }
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 0);
    return 1;
}
