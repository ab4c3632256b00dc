/* A dense switch (compiled to a jump table: `jmp *table(,%reg,4)`) and a sparse one (compare tree),
   over many inputs, including ones that hit the default. */
#include "runtime.h"

static NOINLINE int dense(int selector, int x)
{
    switch (selector) {
    case 0: return x + 1;
    case 1: return x * 3;
    case 2: return x ^ 0x55;
    case 3: return x - 17;
    case 4: return x << 2;
    case 5: return x >> 1;
    case 6: return ~x;
    case 7: return x * x;
    case 8: return x | 0x100;
    case 9: return x & 0xf0;
    case 10: return -x;
    case 11: return x / 3;
    case 12: return x % 7;
    case 13: return x + x / 2;
    case 14: return (x << 4) | (x >> 28);
    case 15: return x * 1000 + 7;
    default: return -1;
    }
}

static NOINLINE const char *sparse(int v)
{
    switch (v) {
    case -1000000: return "minus a million";
    case -1: return "minus one";
    case 3: return "three";
    case 42: return "forty-two";
    case 100: return "hundred";
    case 1000: return "thousand";
    case 4096: return "page";
    case 65535: return "u16 max";
    case 123456: return "123456";
    case 0x7fffffff: return "int max";
    default: return "other";
    }
}

static NOINLINE int opaque(int v)
{
    __asm__ volatile("" : "+r"(v));
    return v;
}

int main(void)
{
    int sum = 0;
    for (int s = -2; s < 18; s++) {
        printf("dense %d:", s);
        for (int x = -3; x <= 40; x += 7) {
            int r = dense(opaque(s), opaque(x));
            sum = sum * 31 + r;
            printf(" %d", r);
        }
        printf("\n");
    }
    static const int probes[] = { -1000000, -999999, -2, -1, 0, 3, 4, 41, 42, 43, 100, 999, 1000, 4095, 4096,
                                  4097, 65535, 65536, 123456, 0x7ffffffe, 0x7fffffff, (int)0x80000000 };
    int known = 0;
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        const char *name = sparse(opaque(probes[i]));
        known += strcmp(name, "other") != 0;
        printf("sparse %d: %s\n", probes[i], name);
    }
    printf("checksum %d\n", sum);
    check(dense(opaque(7), 12) == 144 && dense(opaque(15), 2) == 2007 && dense(opaque(16), 5) == -1 &&
              dense(opaque(-1), 5) == -1 && dense(opaque(11), -9) == -3,
          "dense switch cases and default");
    check(known == 10, "sparse switch finds exactly its ten cases");
    check(strcmp(sparse(opaque(65535)), "u16 max") == 0 && strcmp(sparse(opaque((int)0x80000000)), "other") == 0,
          "sparse switch edges");
    return finish();
}
