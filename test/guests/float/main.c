/* Double arithmetic and libm-style functions written here (no libm), compiled for the x87. Values are
   printed in decimal and as raw bits, so any difference in the FPU's 80-bit intermediates shows. */
#include "runtime.h"

static NOINLINE double opaque(double v)
{
    __asm__ volatile("" : "+m"(v));
    return v;
}

static uint64_t bits(double v)
{
    union {
        double d;
        uint64_t u;
    } b = { v };
    return b.u;
}

static double fabs_(double x) { return x < 0 ? -x : x; }

static double sqrt_newton(double a)
{
    if (a <= 0)
        return 0;
    double x = a > 1 ? a : 1;
    for (int i = 0; i < 200; i++) {
        double next = 0.5 * (x + a / x);
        if (next == x)
            break;
        x = next;
    }
    return x;
}

static const double LN2 = 0.69314718055994530942;

/* exp: x = k ln2 + r with |r| <= ln2/2, then a Taylor series for e^r, then scale by 2^k. */
static double exp_(double x)
{
    int k = (int)(x / LN2 + (x < 0 ? -0.5 : 0.5));
    double r = x - k * LN2;
    double term = 1, sum = 1;
    for (int n = 1; n < 30; n++) {
        term *= r / n;
        sum += term;
    }
    for (; k > 0; k--)
        sum *= 2;
    for (; k < 0; k++)
        sum /= 2;
    return sum;
}

/* log: x = m 2^e with m in [1, 2), then log(m) = 2 atanh((m - 1) / (m + 1)). */
static double log_(double x)
{
    int e = 0;
    while (x >= 2) {
        x /= 2;
        e++;
    }
    while (x < 1) {
        x *= 2;
        e--;
    }
    double s = (x - 1) / (x + 1), s2 = s * s, term = s, sum = 0;
    for (int n = 1; n < 80; n += 2) {
        sum += term / n;
        term *= s2;
    }
    return 2 * sum + e * LN2;
}

static const double PI = 3.14159265358979323846;

/* Reduce to [-pi, pi], then Taylor series. */
static double reduce(double x)
{
    double turns = (double)(int64_t)(x / (2 * PI));
    x -= turns * 2 * PI;
    if (x > PI)
        x -= 2 * PI;
    if (x < -PI)
        x += 2 * PI;
    return x;
}

static double sin_(double x)
{
    x = reduce(x);
    double term = x, sum = x;
    for (int n = 1; n < 25; n++) {
        term *= -x * x / ((2 * n) * (2 * n + 1));
        sum += term;
    }
    return sum;
}

static double cos_(double x)
{
    x = reduce(x);
    double term = 1, sum = 1;
    for (int n = 1; n < 25; n++) {
        term *= -x * x / ((2 * n - 1) * (2 * n));
        sum += term;
    }
    return sum;
}

static void show(const char *what, double v)
{
    printf("%s = %.15f [%016llx]\n", what, v, bits(v));
}

static void near(double got, double want, double tolerance, const char *what)
{
    int ok = fabs_(got - want) <= tolerance;
    check(ok, what);
    if (!ok)
        printf("  got %.17f want %.17f\n", got, want);
}

int main(void)
{
    /* Precision control to 53 bits (double), all exceptions masked, as FreeBSD and many RTOS BSPs set the
       x87: every operation then rounds to double on the reference CPU too. pvrt's x87 keeps doubles
       (see the README), so the default 64-bit precision would differ in the last bits. */
    uint16_t control = 0x027f;
    __asm__ volatile("fldcw %0" : : "m"(control));
    double a = opaque(1.0), b = opaque(3.0), c = opaque(0.1), d = opaque(1e-300), big = opaque(1e300);
    show("1/3", a / b);
    show("0.1+0.2", c + opaque(0.2));
    show("0.1*3", c * 3);
    show("1e300*1e300", big * big);
    show("-1e300*1e300", -big * big);
    show("1e-300*1e-300", d * d);
    show("(1e300*10)/10", (big * opaque(10.0)) / opaque(10.0)); /* finite only with 80-bit intermediates */
    show("2^-1074", opaque(4.9406564584124654e-324));
    show("int64 -> double", (double)(int64_t)opaque(9007199254740993.0));
    printf("double -> int64: %lld %lld\n", (int64_t)opaque(-2.5), (int64_t)opaque(123456789012.75));
    printf("double -> uint64: %llu\n", (uint64_t)opaque(1.8e19));

    for (int i = 0; i <= 20; i++) {
        double x = opaque(i * 0.5);
        char label[24] = "sqrt(  .  )";
        label[5] = (char)('0' + (i / 2) / 10);
        label[6] = (char)('0' + (i / 2) % 10);
        label[8] = i & 1 ? '5' : '0';
        show(label, sqrt_newton(x));
    }
    static const double points[] = { -10, -3.5, -1, -0.5, 0, 0.1, 0.5, 1, 2, 3.14159, 10, 20, 100.25 };
    for (unsigned i = 0; i < sizeof points / sizeof points[0]; i++) {
        double x = opaque(points[i]);
        printf("x = %.5f: exp %.15f [%016llx] sin %.15f [%016llx] cos %.15f [%016llx]\n", x, exp_(x), bits(exp_(x)),
               sin_(x), bits(sin_(x)), cos_(x), bits(cos_(x)));
        if (x > 0)
            printf("        log %.15f [%016llx]\n", log_(x), bits(log_(x)));
    }

    double sum = 0;
    for (int i = 1; i <= 1000; i++)
        sum += opaque(1.0) / (i * (double)i);
    show("sum 1/n^2, n <= 1000", sum);

    near(sqrt_newton(opaque(2.0)), 1.4142135623730951, 1e-15, "sqrt(2)");
    near(sqrt_newton(opaque(1e10)), 1e5, 1e-9, "sqrt(1e10)");
    near(exp_(opaque(1.0)), 2.718281828459045, 1e-14, "exp(1)");
    near(exp_(opaque(-1.0)), 0.36787944117144233, 1e-15, "exp(-1)");
    near(log_(opaque(10.0)), 2.302585092994046, 1e-14, "log(10)");
    near(log_(exp_(opaque(3.0))), 3.0, 1e-13, "log(exp(3))");
    near(sin_(opaque(PI / 6)), 0.5, 1e-15, "sin(pi/6)");
    near(cos_(opaque(PI / 3)), 0.5, 1e-15, "cos(pi/3)");
    near(sin_(opaque(100.0)), -0.5063656411097588, 1e-12, "sin(100)");
    near(sin_(opaque(0.7)) * sin_(opaque(0.7)) + cos_(opaque(0.7)) * cos_(opaque(0.7)), 1.0, 1e-15, "sin^2 + cos^2");
    near(sum, 1.6439345666815615, 1e-15, "sum 1/n^2 to 1000");
    check(bits(opaque(0.1) + opaque(0.2)) == 0x3fd3333333333334ULL, "0.1 + 0.2 rounds to 0x3fd3333333333334");
    check((int64_t)opaque(-2.5) == -2 && (int64_t)opaque(2.99) == 2, "conversion to integer truncates");
    check(big * big > 1e308, "overflow gives infinity");
    return finish();
}
