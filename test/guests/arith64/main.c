/* 64-bit arithmetic on a 32-bit CPU: multiply inline, divide and modulo through libgcc's __udivdi3,
   __divdi3, __umoddi3 and __moddi3, shifts by variable counts through shld/shrd. */
#include "runtime.h"

static const uint64_t values[] = {
    0, 1, 2, 3, 7, 10, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
    0x100000001ULL, 0x123456789ULL, 0xfedcba9876543210ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
    0xffffffffffffffffULL, 1000000007ULL, 0xdeadbeefcafef00dULL, 12345678901234567ULL, 0x0000ffff0000ffffULL,
};
#define COUNT (sizeof values / sizeof values[0])

/* Opaque to the optimiser, so every operation happens at run time. */
static NOINLINE uint64_t opaque(uint64_t v)
{
    __asm__ volatile("" : "+A"(v));
    return v;
}

int main(void)
{
    uint64_t hash = 0xcbf29ce484222325ULL;
    int identities = 1, signed_identities = 1;
    for (unsigned i = 0; i < COUNT; i++) {
        for (unsigned j = 0; j < COUNT; j++) {
            uint64_t a = opaque(values[i]), b = opaque(values[j]);
            uint64_t product = a * b;
            printf("%llx * %llx = %llx\n", a, b, product);
            hash = (hash ^ product) * 0x100000001b3ULL;
            if (b == 0)
                continue;
            uint64_t q = a / b, r = a % b;
            int64_t sa = (int64_t)a, sb = (int64_t)b;
            printf("%llu / %llu = %llu rem %llu\n", a, b, q, r);
            if (q * b + r != a || r >= b)
                identities = 0;
            if (!(sa == (int64_t)0x8000000000000000ULL && sb == -1)) { /* the one signed overflow */
                int64_t sq = sa / sb, sr = sa % sb;
                printf("%lld / %lld = %lld rem %lld\n", sa, sb, sq, sr);
                if (sq * sb + sr != sa || (sr != 0 && (sr < 0) != (sa < 0)) || (sr < 0 ? -sr : sr) >= (sb < 0 ? -(uint64_t)sb : (uint64_t)sb))
                    signed_identities = 0;
                hash = (hash ^ (uint64_t)sq ^ ((uint64_t)sr << 7)) * 0x100000001b3ULL;
            }
            hash = (hash ^ q ^ (r << 3)) * 0x100000001b3ULL;
        }
        uint64_t a = opaque(values[i]);
        for (unsigned s = 0; s < 64; s += 7) {
            unsigned n = (unsigned)opaque(s);
            printf("%llx << %u = %llx, >> = %llx, sar = %llx\n", a, n, a << n, a >> n, (uint64_t)((int64_t)a >> n));
            hash = (hash ^ (a << n) ^ (a >> n)) * 0x100000001b3ULL;
        }
    }
    printf("hash %llx\n", hash);
    check(identities, "unsigned q * d + r == n and r < d for every pair");
    check(signed_identities, "signed q * d + r == n with the remainder taking the dividend's sign");
    check(opaque(0xffffffffffffffffULL) / opaque(10) == 1844674407370955161ULL, "(2^64 - 1) / 10");
    check(opaque(0xffffffffffffffffULL) % opaque(10) == 5, "(2^64 - 1) % 10");
    check((int64_t)opaque((uint64_t)-7LL) / (int64_t)opaque(2) == -3, "-7 / 2 == -3 (truncation)");
    check((int64_t)opaque((uint64_t)-7LL) % (int64_t)opaque(2) == -1, "-7 % 2 == -1");
    check(opaque(0x123456789ULL) * opaque(0x987654321ULL) == 0xd77d742cce1833a9ULL, "0x123456789 * 0x987654321 mod 2^64");
    check((opaque(0x8000000000000000ULL) >> opaque(63)) == 1 && (int64_t)opaque(0x8000000000000000ULL) >> opaque(63) == -1,
          "logical and arithmetic shift by 63");
    return finish();
}
