/* The CPU benchmark guest: integer, memory and branch heavy work with some floating point, a fixed amount
   of it, ending with a checksum so every emulator must do all of it. Runs unchanged under pvrt and QEMU. */
#include "runtime.h"

#define SIEVE_SIZE 200000
#define SORT_SIZE 20000
#define CRC_SIZE 65536
#define ROUNDS 12

static uint8_t composite[SIEVE_SIZE];
static uint32_t numbers[SORT_SIZE];
static uint8_t buffer[CRC_SIZE];
static uint32_t crc_table[256];

static uint32_t sieve(void)
{
    memset(composite, 0, sizeof composite);
    uint32_t count = 0;
    for (uint32_t i = 2; i < SIEVE_SIZE; i++) {
        if (composite[i]) continue;
        count++;
        for (uint32_t j = i * 2; j < SIEVE_SIZE; j += i) composite[j] = 1;
    }
    return count;
}

static uint32_t lcg(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state;
}

static void quicksort(uint32_t *a, int lo, int hi)
{
    while (lo < hi) {
        uint32_t pivot = a[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                uint32_t t = a[i]; a[i] = a[j]; a[j] = t;
                i++; j--;
            }
        }
        if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
        else { quicksort(a, i, hi); hi = j; }
    }
}

static uint32_t sort(uint32_t seed)
{
    for (int i = 0; i < SORT_SIZE; i++) numbers[i] = lcg(&seed);
    quicksort(numbers, 0, SORT_SIZE - 1);
    uint32_t sum = 0;
    for (int i = 1; i < SORT_SIZE; i++) sum += (numbers[i] >= numbers[i - 1]) ? numbers[i] >> 16 : 0xdead;
    return sum;
}

static uint32_t crc32(uint32_t seed)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    for (int i = 0; i < CRC_SIZE; i++) buffer[i] = (uint8_t)lcg(&seed);
    uint32_t crc = 0xffffffffu;
    for (int i = 0; i < CRC_SIZE; i++) crc = crc_table[(crc ^ buffer[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t collatz(void)
{
    uint32_t longest = 0;
    for (uint32_t n = 1; n < 30000; n++) {
        uint32_t x = n, steps = 0;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x / 2;
            steps++;
        }
        if (steps > longest) longest = steps;
    }
    return longest;
}

static double nbody(void)
{
    double x[4] = { 0, 1.1, 0.2, -0.9 }, y[4] = { 1, 0.1, -1.2, 0.3 }, vx[4] = { 0.5, 0, -0.5, 0 }, vy[4] = { 0, 0.5, 0, -0.5 };
    for (int step = 0; step < 3000; step++) {
        for (int i = 0; i < 4; i++) {
            double ax = 0, ay = 0;
            for (int j = 0; j < 4; j++) {
                if (i == j) continue;
                double dx = x[j] - x[i], dy = y[j] - y[i];
                double d2 = dx * dx + dy * dy + 0.01;
                double inv = 1.0 / (d2 * d2);
                ax += dx * inv;
                ay += dy * inv;
            }
            vx[i] += ax * 0.001;
            vy[i] += ay * 0.001;
        }
        for (int i = 0; i < 4; i++) { x[i] += vx[i] * 0.001; y[i] += vy[i] * 0.001; }
    }
    return x[0] + y[1] + x[2] + y[3];
}

int main(void)
{
    uint16_t control = 0x027f; /* x87 precision control 53 bits, as in the float guest */
    __asm__ volatile("fldcw %0" : : "m"(control));
    uint32_t check = 0;
    double fp = 0;
    for (int round = 0; round < ROUNDS; round++) {
        check = check * 31 + sieve();
        check = check * 31 + sort(0x1234 + round);
        check = check * 31 + crc32(0x9876 + round);
        check = check * 31 + collatz();
        fp += nbody();
    }
    printf("bench checksum %x fp %d\n", check, (int)(fp * 1000000));
    return 0;
}
