/* A paravirtual guest built against the generated i386virt headers: console, clock, version and
   feature queries, debug log, the hypervisor's answers to bad calls, and shutdown with an exit code. */
#include "pv.h"

int main(void)
{
    uint32_t version = 0, features = 0;
    uint64_t before = 0, after = 0;
    static const char log_message[] = "hello from the debug log";

    write("hello from i386virt\n");
    write_number("interface version status ", pvrt_interface_version(&version));
    write_number("interface version ", (long)version);
    write_number("feature word 0 status ", pvrt_feature_query(0, &features));
    write_number("clock status ", pvrt_clock_read(&before));
    for (volatile int i = 0; i < 1000; i++) {
    }
    (void)pvrt_clock_read(&after);
    write_number("clock advanced ", after > before);
    write_number("debug log status ", pvrt_debug_log(PVRT_LOG_LEVEL_INFO, (pvrt_gpa_t)(uintptr_t)log_message, sizeof log_message - 1));

    /* Bad calls: each gets its error status, and the VM keeps running. */
    write_number("unknown hypercall ", raw_hypercall(200));
    write_number("buffer outside RAM ", pvrt_console_write(0xf0000000ul, 16, NULL));
    write_number("oversized length ", pvrt_console_write((pvrt_gpa_t)(uintptr_t)log_message, 5000, NULL));
    write_number("unknown feature word ", pvrt_feature_query(7, &features));
    write_number("unknown log level ", pvrt_debug_log(9, (pvrt_gpa_t)(uintptr_t)log_message, 4));
    write_number("unknown shutdown reason ", pvrt_shutdown(9, 0));

    write("still running\n");
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 7);
    return 1;
}
