/*
 * Shared by the executive examples (included, not an example itself): samples in nanoseconds and the
 * BENCH line `pvrt compare` parses:
 *
 *   BENCH <name> ns n=<count> min=<v> p50=<v> p99=<v> max=<v>
 *
 * All integers. Percentiles are nearest-rank on the sorted samples.
 */
#ifndef PVRT_EXAMPLES_BENCH_H
#define PVRT_EXAMPLES_BENCH_H

#include <rtems.h>

struct bench_samples {
  uint32_t *values;
  uint32_t capacity;
  uint32_t count;
};

#define BENCH_SAMPLES(name, n)             \
  static uint32_t name##_values[n];        \
  static struct bench_samples name = {name##_values, (n), 0}

static inline void bench_add(struct bench_samples *s, uint64_t ns)
{
  if (s->count < s->capacity) s->values[s->count++] = ns > 0xffffffffu ? 0xffffffffu : (uint32_t)ns;
}

/* Shell sort: no libc here, and a few thousand samples at most. */
static inline void bench_sort(uint32_t *v, uint32_t n)
{
  for (uint32_t gap = n / 2; gap > 0; gap /= 2)
    for (uint32_t i = gap; i < n; i++) {
      uint32_t x = v[i], j = i;
      for (; j >= gap && v[j - gap] > x; j -= gap) v[j] = v[j - gap];
      v[j] = x;
    }
}

/* The sample below which `percent` of them lie (nearest rank). */
static inline uint32_t bench_percentile(const uint32_t *sorted, uint32_t n, uint32_t percent)
{
  uint32_t rank = (n * percent + 99) / 100; /* ceil(n * p / 100), 1-based */
  return sorted[rank == 0 ? 0 : rank - 1];
}

static inline void bench_print(const char *name, struct bench_samples *s)
{
  uint32_t n = s->count;
  if (n == 0) {
    printk("BENCH %s ns n=0 min=0 p50=0 p99=0 max=0\n", name);
    return;
  }
  bench_sort(s->values, n);
  printk("BENCH %s ns n=%u min=%u p50=%u p99=%u max=%u\n", name, (unsigned)n, (unsigned)s->values[0],
         (unsigned)bench_percentile(s->values, n, 50), (unsigned)bench_percentile(s->values, n, 99),
         (unsigned)s->values[n - 1]);
}

#endif /* PVRT_EXAMPLES_BENCH_H */
