/* Console input: sleeps until CONSOLE_INPUT, reads what waits with console_read, and echoes it in upper
   case; a line "quit" ends the VM (compared after the case change). */
#include "pv.h"

int main(void)
{
    volatile struct pvrt_vcpu_shared *page = pv_register(0);
    static char line[128];
    uint32_t length = 0;
    write("ready\n");
    for (;;) {
        pv_wait(page, 1u << PVRT_EVENT_CONSOLE_INPUT);
        char chunk[32];
        pvrt_uword_t n;
        while (pvrt_console_read((pvrt_gpa_t)(uintptr_t)chunk, sizeof chunk, &n) == PVRT_OK && n > 0) {
            for (pvrt_uword_t i = 0; i < n; i++) {
                char c = chunk[i];
                if (c == '\n') {
                    line[length] = 0;
                    if (length == 4 && line[0] == 'Q' && line[1] == 'U' && line[2] == 'I' && line[3] == 'T') {
                        write("bye\n");
                        (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 0);
                    }
                    write("> ");
                    write(line);
                    write("\n");
                    length = 0;
                } else if (length < sizeof line - 1) {
                    line[length++] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
                }
            }
        }
    }
}
