/* Bad hypercalls: an unknown number, pointers outside RAM, oversized lengths, misaligned pages, unknown
   enumeration values and indexes. Each gets its error status, and the VM keeps running. */
#include "pv.h"

int main(void)
{
    static char buffer[64];
    uint32_t value = 0;
    write_number("unknown number ", raw_hypercall(0x7fffffff));
    write_number("console buffer outside RAM ", pvrt_console_write(0xfffffff0u, 64, NULL));
    write_number("console buffer running past RAM ", pvrt_console_write(0x00fffff0u, 64, NULL)); /* 16 MiB VM */
    write_number("oversized console write ", pvrt_console_write((pvrt_gpa_t)(uintptr_t)buffer, 1u << 20, NULL));
    write_number("oversized console read ", pvrt_console_read((pvrt_gpa_t)(uintptr_t)buffer, 1u << 20, NULL));
    write_number("wait before a shared page ", pvrt_wait_for_event());
    write_number("misaligned shared page ", pvrt_shared_page_register((pvrt_gpa_t)(uintptr_t)&pv_pages[0] + 8, 0));
    write_number("shared page outside RAM ", pvrt_shared_page_register(0xfffff000u, 0));
    write_number("block info outside RAM ", pvrt_block_info(0, 0xfffffff0u));
    write_number("no block device ", pvrt_block_info(0, (pvrt_gpa_t)(uintptr_t)buffer));
    write_number("ipi to a vcpu that does not exist ", pvrt_ipi_send(1u << 5));
    write_number("start a vcpu that does not exist ", pvrt_vcpu_start(5, 0, 0, 0));
    write_number("unknown feature word ", pvrt_feature_query(99, &value));
    write_number("unknown log level ", pvrt_debug_log(77, (pvrt_gpa_t)(uintptr_t)buffer, 4));
    write_number("log message outside RAM ", pvrt_debug_log(PVRT_LOG_LEVEL_INFO, 0xfffffff0u, 64));
    write_number("unknown shutdown reason ", pvrt_shutdown(42, 1));
    write("still running\n");
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 3);
    return 1;
}
