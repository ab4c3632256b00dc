/* A small printf: %d %i %u %x %X %s %c %p %% with l/ll, width, '0' and '-' flags, and %f/%.Nf for
   doubles, printed digit by digit with x87 arithmetic so the FPU's results show in the output. */
#include "runtime.h"
#include <stdarg.h>

struct spec {
    int width, precision, zero, left;
};

static void pad(int n, char c)
{
    while (n-- > 0)
        serial_putc(c);
}

static void emit(const char *s, int len, const struct spec *sp)
{
    int fill = sp->width - len;
    if (!sp->left)
        pad(fill, sp->zero ? '0' : ' ');
    for (int i = 0; i < len; i++)
        serial_putc(s[i]);
    if (sp->left)
        pad(fill, ' ');
}

static int format_unsigned(char *end, uint64_t v, unsigned base, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    do {
        *--p = digits[v % base]; /* 64-bit modulo and division: libgcc's __umoddi3 and __udivdi3 */
        v /= base;
    } while (v);
    return (int)(end - p);
}

static void emit_integer(uint64_t magnitude, int negative, unsigned base, int upper, const struct spec *sp)
{
    char buf[24];
    char *end = buf + sizeof buf;
    int n = format_unsigned(end, magnitude, base, upper);
    char *p = end - n;
    if (negative) {
        if (sp->zero && sp->width > n + 1) {
            serial_putc('-');
            struct spec rest = *sp;
            rest.width--;
            emit(p, n, &rest);
            return;
        }
        *--p = '-';
        n++;
    }
    emit(p, n, sp);
}

static void emit_double(double v, const struct spec *sp)
{
    char buf[64];
    int n = 0;
    int precision = sp->precision < 0 ? 6 : sp->precision > 20 ? 20 : sp->precision;
    union {
        double d;
        uint64_t u;
    } bits = { v };
    if (bits.u >> 63) {
        buf[n++] = '-';
        v = -v;
    }
    if (v != v) {
        emit("nan", 3, sp);
        return;
    }
    if (v > 1.7976931348623157e308) {
        memcpy(buf + n, "inf", 3);
        emit(buf, n + 3, sp);
        return;
    }
    int exponent = 0;
    if (v >= 1e18) { /* beyond 64-bit integers: one digit before the point and an exponent */
        while (v >= 10) {
            v /= 10;
            exponent++;
        }
    }
    double rounding = 0.5;
    for (int i = 0; i < precision; i++)
        rounding /= 10;
    v += rounding;
    uint64_t whole = (uint64_t)v;
    v -= (double)whole;
    char digits[24];
    int nd = format_unsigned(digits + sizeof digits, whole, 10, 0);
    memcpy(buf + n, digits + sizeof digits - nd, nd);
    n += nd;
    if (precision) {
        buf[n++] = '.';
        for (int i = 0; i < precision; i++) {
            v *= 10;
            int d = (int)v;
            if (d > 9)
                d = 9;
            buf[n++] = (char)('0' + d);
            v -= d;
        }
    }
    if (exponent) {
        buf[n++] = 'e';
        buf[n++] = '+';
        nd = format_unsigned(digits + sizeof digits, (uint64_t)exponent, 10, 0);
        memcpy(buf + n, digits + sizeof digits - nd, nd);
        n += nd;
    }
    emit(buf, n, sp);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            serial_putc(*f);
            continue;
        }
        struct spec sp = { 0, -1, 0, 0 };
        for (;; f++) {
            if (f[1] == '0')
                sp.zero = 1;
            else if (f[1] == '-')
                sp.left = 1;
            else
                break;
        }
        while (f[1] >= '0' && f[1] <= '9')
            sp.width = sp.width * 10 + (*++f - '0');
        if (f[1] == '.') {
            f++;
            sp.precision = 0;
            while (f[1] >= '0' && f[1] <= '9')
                sp.precision = sp.precision * 10 + (*++f - '0');
        }
        int longs = 0;
        while (f[1] == 'l') {
            f++;
            longs++;
        }
        switch (*++f) {
        case 'd':
        case 'i': {
            int64_t v = longs >= 2 ? va_arg(ap, int64_t) : longs ? va_arg(ap, long) : va_arg(ap, int);
            emit_integer(v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, 0, &sp);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = longs >= 2 ? va_arg(ap, uint64_t) : longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            emit_integer(v, 0, *f == 'u' ? 10 : 16, *f == 'X', &sp);
            break;
        }
        case 'p': {
            struct spec hex = { 8, -1, 1, 0 };
            serial_putc('0');
            serial_putc('x');
            emit_integer((uintptr_t)va_arg(ap, void *), 0, 16, 0, &hex);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int n = (int)strlen(s);
            if (sp.precision >= 0 && sp.precision < n)
                n = sp.precision;
            emit(s, n, &sp);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit(&c, 1, &sp);
            break;
        }
        case 'f':
            emit_double(va_arg(ap, double), &sp);
            break;
        case '%':
            serial_putc('%');
            break;
        case '\0':
            f--;
            break;
        default:
            serial_putc('%');
            serial_putc(*f);
        }
    }
    va_end(ap);
    return 0;
}
