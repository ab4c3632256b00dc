/*
 * hello: a paravirtual guest on the generated i386virt BSP. The boot vCPU starts every other vCPU with
 * vcpu_start; each says hello and answers with an IPI. Then the BSP's clock driver ticks five times
 * every 100 ms on the one-shot timer while the guest idles in the BSP's idle body, and the fifth tick
 * powers the VM off.
 */
#include <bsp.h>

#define TICKS 5
#define TICK_NS 100000000u /* 100 ms */
#define MAX_VCPUS 32

static void write(const char *s)
{
  size_t n = 0;
  while (s[n] != 0) n++;
  i386virt_console_write(s, n);
}

static void write_line(const char *label, uint32_t v, const char *rest)
{
  char buf[12];
  int i = 11;
  buf[i] = 0;
  do {
    buf[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  write(label);
  write(&buf[i]);
  write(rest);
}

/* Secondary vCPUs: a shared page each (the BSP's covers the boot vCPU), a stack each. */
static union pvrt_vcpu_page pages[MAX_VCPUS] __attribute__((aligned(4096)));
static uint8_t stacks[MAX_VCPUS][2048] __attribute__((aligned(16)));
static volatile uint32_t greeted;
extern void secondary_entry(void);
extern void upcall_return(void);

void secondary_main(uint32_t vcpu)
{
  (void)pvrt_shared_page_register(pvrt_gpa_of(&pages[vcpu]), (pvrt_uword_t)(uintptr_t)upcall_return);
  write_line("hello from vCPU ", vcpu, "\n");
  __atomic_fetch_add(&greeted, 1, __ATOMIC_SEQ_CST);
  (void)pvrt_ipi_send(1u << 0);
  for (;;) (void)pvrt_wait_for_event(); /* idle: costs the host nothing */
}

static volatile uint32_t ticks;
static uint64_t start;

static void tick(void *unused)
{
  (void)unused;
  ticks++;
  write_line("tick ", ticks, "");
  write_line(" at ", (uint32_t)((i386virt_clock_nanoseconds() - start) / 1000000u), " ms\n");
  if (ticks == TICKS) {
    write("goodbye\n");
    bsp_reset(I386VIRT_FATAL_SOURCE_EXIT, 0); /* powers the VM off with exit code 0 */
  }
  Clock_driver_support_at_tick();
}

int main(void)
{
  bsp_start();
  uint32_t n = i386virt_boot_vcpu_page.shared.vcpu_count;
  write_line("hello from vCPU 0 of ", n, "\n");
  for (uint32_t v = 1; v < n; v++) {
    (void)pvrt_vcpu_start(v, (pvrt_uword_t)(uintptr_t)secondary_entry, (pvrt_uword_t)(uintptr_t)&stacks[v][2048], v);
    while (greeted < v) (void)pvrt_yield(); /* one at a time, so the greetings come in order */
  }
  i386virt_tick_nanoseconds = TICK_NS;
  Clock_driver_support_install_isr(tick, NULL);
  start = i386virt_clock_nanoseconds();
  Clock_driver_support_initialize_hardware();
  i386_set_interrupt_level(0); /* virtual sti */
  i386virt_idle_body(0); /* what RTEMS's idle task runs: wait_for_event until the fifth tick ends the VM */
  return 0;
}
