/*
 * pc386 clock: the tick from PIT channel 0 on IRQ 0, and nanoseconds from the TSC, calibrated at start-up
 * against PIT channel 2 (under QEMU and on hardware the TSC runs at an unknown rate; under pvrt it
 * counts nanoseconds, which the calibration finds too).
 */
#include <bsp.h>

#define PIT_HZ 1193182u
#define PIT_CHANNEL0 0x40
#define PIT_CHANNEL2 0x42
#define PIT_COMMAND 0x43
#define PORT_61 0x61
/* Calibrate over 2 ms of PIT counts: a quick boot (the poll costs port exits for all of it), and about
   1e-3 of error from the sampling, a microsecond per millisecond. */
#define CALIBRATION_COUNTS 2386u

static uint64_t pc386_tsc_at_boot;
/* The TSC advanced calibration_tsc counts in calibration_ns nanoseconds. */
static uint64_t pc386_calibration_tsc = 1;
static uint64_t pc386_calibration_ns = 1;

typedef struct {
  uint64_t tsc;   /* midway between the TSC reads around the latch */
  uint64_t width; /* how long the sample took: large when the (virtual) processor was preempted */
  uint16_t count;
} Pit_sample;

static Pit_sample pc386_pit_sample(void)
{
  Pit_sample best = { 0, ~(uint64_t)0, 0 };
  /* The narrowest of a few tries: a host that deschedules the guest only ever widens a sample. */
  for (int i = 0; i < 3; i++) {
    uint64_t before = pc386_rdtsc();
    pc386_outb(PIT_COMMAND, 0x80); /* latch channel 2 */
    uint16_t count = pc386_inb(PIT_CHANNEL2);
    count |= (uint16_t)(pc386_inb(PIT_CHANNEL2) << 8);
    uint64_t after = pc386_rdtsc();
    if (after - before < best.width) best = (Pit_sample){ before + (after - before) / 2, after - before, count };
  }
  return best;
}

/*
 * TSC counts for CALIBRATION_COUNTS or a few more PIT counts, measured between two PIT samples rather
 * than by waiting for an edge, so a host that preempts the guest meanwhile (QEMU on a busy machine)
 * does not lengthen the interval. Returns false when channel 2 does not count.
 */
static bool pc386_calibration_round(uint64_t *tsc, uint32_t *counts)
{
  pc386_outb(PIT_COMMAND, 0xb0); /* channel 2, lobyte/hibyte, mode 0, from 0xffff: 55 ms before it wraps */
  pc386_outb(PIT_CHANNEL2, 0xff);
  pc386_outb(PIT_CHANNEL2, 0xff);
  Pit_sample start = pc386_pit_sample();
  uint32_t spins = 0;
  Pit_sample end;
  do {
    end = pc386_pit_sample();
    if (++spins == 10000000u) return false;
  } while (end.count <= start.count && (uint32_t)(start.count - end.count) < CALIBRATION_COUNTS);
  if (end.count > start.count || (pc386_inb(PORT_61) & 0x20)) return false; /* wrapped: preempted too long */
  *tsc = end.tsc - start.tsc;
  *counts = (uint32_t)(start.count - end.count);
  return *tsc != 0;
}

void pc386_clock_calibrate(void)
{
  pc386_tsc_at_boot = pc386_rdtsc();
  uint8_t port61 = pc386_inb(PORT_61);
  pc386_outb(PORT_61, (uint8_t)((port61 & ~0x02u) | 0x01u)); /* channel 2 gate on, speaker off */
  for (int round = 0; round < 5; round++) {
    uint64_t tsc;
    uint32_t counts;
    if (pc386_calibration_round(&tsc, &counts)) {
      pc386_calibration_tsc = tsc;
      pc386_calibration_ns = (uint64_t)counts * 1000000000u / PIT_HZ;
      break;
    }
  }
  pc386_outb(PORT_61, port61);
  /* No usable channel 2: the TSC is taken for nanoseconds, as pvrt's is. */
}

uint64_t pc386_tsc_frequency(void)
{
  return pc386_calibration_tsc * 1000000000u / pc386_calibration_ns;
}

uint64_t bsp_clock_nanoseconds(void)
{
  uint64_t elapsed = pc386_rdtsc() - pc386_tsc_at_boot;
  /* elapsed * ns / tsc without overflowing 64 bits: whole calibration periods, then the remainder. */
  uint64_t periods = elapsed / pc386_calibration_tsc;
  uint64_t rest = elapsed % pc386_calibration_tsc;
  return periods * pc386_calibration_ns + rest * pc386_calibration_ns / pc386_calibration_tsc;
}

void Clock_driver_support_install_isr(void (*isr)(void *), void *argument)
{
  rtems_status_code status = rtems_interrupt_handler_install(BSP_VECTOR_CLOCK, "clock", RTEMS_INTERRUPT_UNIQUE, isr, argument);
  if (status != RTEMS_SUCCESSFUL) {
    printk("pc386: cannot install the clock interrupt: %s\n", rtems_status_text(status));
    rtems_fatal(RTEMS_FATAL_SOURCE_EXECUTIVE, status);
  }
}

void Clock_driver_support_initialize_hardware(void)
{
  uint64_t nanoseconds = rtems_configuration_get_nanoseconds_per_tick();
  uint64_t reload = (nanoseconds * PIT_HZ + 500000000u) / 1000000000u;
  if (reload < 2 || reload > 65536) {
    printk("pc386: a tick of %u us is beyond the PIT's range (2 to 65536 counts of 1/1193182 s)\n",
           (unsigned)(nanoseconds / 1000u));
    rtems_fatal(RTEMS_FATAL_SOURCE_EXECUTIVE, RTEMS_INVALID_CLOCK);
  }
  pc386_outb(PIT_COMMAND, 0x34); /* channel 0, lobyte/hibyte, mode 2 (rate generator), binary */
  pc386_outb(PIT_CHANNEL0, (uint8_t)(reload & 0xff));
  pc386_outb(PIT_CHANNEL0, (uint8_t)((reload >> 8) & 0xff)); /* 65536 is written as 0 */
}

void Clock_driver_support_at_tick(void)
{
  /* Mode 2 reloads by itself. */
}
