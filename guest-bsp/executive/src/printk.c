/*
 * Console output: printk with its own small formatter, rtems_putc, and rtems_status_text.
 * Output is gathered in a buffer on the caller's stack and written to the BSP console in pieces, each with
 * interrupts disabled, so lines from different tasks do not interleave (for lines up to the buffer size).
 */
#include <stdarg.h>
#include "executive.h"
#include <rtems/bspIo.h>

typedef struct {
  char text[128];
  size_t length;
  int written;
} Printk_buffer;

static void _Printk_flush(Printk_buffer *buffer)
{
  if (buffer->length == 0) return;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  bsp_console_write(buffer->text, buffer->length);
  _CPU_ISR_Enable(level);
  buffer->length = 0;
}

static void _Printk_char(Printk_buffer *buffer, char c)
{
  if (buffer->length == sizeof buffer->text) _Printk_flush(buffer);
  buffer->text[buffer->length++] = c;
  buffer->written++;
}

static void _Printk_padding(Printk_buffer *buffer, char c, int count)
{
  while (count-- > 0) _Printk_char(buffer, c);
}

/* One converted field: sign/prefix, zero or space padding to `width`, then the digits or text. */
static void _Printk_field(Printk_buffer *buffer, const char *prefix, const char *body, size_t body_length, int width,
                          bool left, bool zero)
{
  size_t prefix_length = 0;
  while (prefix[prefix_length] != '\0') prefix_length++;
  int pad = width - (int)(prefix_length + body_length);
  if (!left && !zero) _Printk_padding(buffer, ' ', pad);
  for (size_t i = 0; i < prefix_length; i++) _Printk_char(buffer, prefix[i]);
  if (!left && zero) _Printk_padding(buffer, '0', pad);
  for (size_t i = 0; i < body_length; i++) _Printk_char(buffer, body[i]);
  if (left) _Printk_padding(buffer, ' ', pad);
}

static size_t _Printk_digits(char *end, uint64_t value, unsigned base, bool upper)
{
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  size_t n = 0;
  do {
    *--end = digits[value % base];
    value /= base;
    n++;
  } while (value != 0);
  return n;
}

int vprintk(const char *format, va_list ap)
{
  Printk_buffer buffer = { .length = 0, .written = 0 };
  for (const char *p = format; *p != '\0'; p++) {
    if (*p != '%') {
      _Printk_char(&buffer, *p);
      continue;
    }
    bool left = false, zero = false, plus = false, space = false, alternate = false;
    for (;; p++) {
      if (p[1] == '-') left = true;
      else if (p[1] == '0') zero = true;
      else if (p[1] == '+') plus = true;
      else if (p[1] == ' ') space = true;
      else if (p[1] == '#') alternate = true;
      else break;
    }
    p++;
    int width = 0;
    if (*p == '*') {
      width = va_arg(ap, int);
      if (width < 0) {
        left = true;
        width = -width;
      }
      p++;
    } else {
      while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    }
    int precision = -1;
    if (*p == '.') {
      p++;
      precision = 0;
      if (*p == '*') {
        precision = va_arg(ap, int);
        p++;
      } else {
        while (*p >= '0' && *p <= '9') precision = precision * 10 + (*p++ - '0');
      }
    }
    int longs = 0;
    bool size_t_arg = false;
    for (;; p++) {
      if (*p == 'l')
        longs++;
      else if (*p == 'j')
        longs = 2;
      else if (*p == 'z' || *p == 't')
        size_t_arg = true;
      else if (*p != 'h')
        break;
    }
    if (left) zero = false;

    char digits[24];
    char *end = digits + sizeof digits;
    const char *prefix = "";
    switch (*p) {
    case 'd':
    case 'i': {
      int64_t value = longs >= 2 ? va_arg(ap, long long) : longs == 1 ? va_arg(ap, long) : size_t_arg ? (int64_t)va_arg(ap, ptrdiff_t) : va_arg(ap, int);
      uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
      prefix = value < 0 ? "-" : plus ? "+" : space ? " " : "";
      size_t n = _Printk_digits(end, magnitude, 10, false);
      _Printk_field(&buffer, prefix, end - n, n, width, left, zero);
      break;
    }
    case 'u':
    case 'x':
    case 'X':
    case 'o': {
      uint64_t value = longs >= 2 ? va_arg(ap, unsigned long long) : longs == 1 ? va_arg(ap, unsigned long) : size_t_arg ? va_arg(ap, size_t) : va_arg(ap, unsigned);
      unsigned base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
      if (alternate && value != 0) prefix = *p == 'o' ? "0" : *p == 'X' ? "0X" : *p == 'x' ? "0x" : "";
      size_t n = _Printk_digits(end, value, base, *p == 'X');
      _Printk_field(&buffer, prefix, end - n, n, width, left, zero);
      break;
    }
    case 'p': {
      uintptr_t value = (uintptr_t)va_arg(ap, void *);
      size_t n = _Printk_digits(end, value, 16, false);
      _Printk_field(&buffer, "0x", end - n, n, width, left, zero);
      break;
    }
    case 'c': {
      char c = (char)va_arg(ap, int);
      _Printk_field(&buffer, "", &c, 1, width, left, false);
      break;
    }
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (s == NULL) s = "(null)";
      size_t n = 0;
      while (s[n] != '\0' && (precision < 0 || n < (size_t)precision)) n++;
      _Printk_field(&buffer, "", s, n, width, left, false);
      break;
    }
    case '%':
      _Printk_char(&buffer, '%');
      break;
    case '\0':
      p--; /* a lone % at the end */
      break;
    default:
      _Printk_char(&buffer, '%');
      _Printk_char(&buffer, *p);
      break;
    }
  }
  _Printk_flush(&buffer);
  return buffer.written;
}

int printk(const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  int written = vprintk(format, ap);
  va_end(ap);
  return written;
}

void putk(const char *text)
{
  size_t length = 0;
  while (text[length] != '\0') length++;
  bsp_console_write(text, length);
  bsp_console_write("\n", 1);
}

void rtems_putc(char c)
{
  bsp_console_write(&c, 1);
}

const char *rtems_status_text(rtems_status_code code)
{
  static const char *const names[] = {
    "RTEMS_SUCCESSFUL", "RTEMS_TASK_EXITTED", "RTEMS_MP_NOT_CONFIGURED", "RTEMS_INVALID_NAME", "RTEMS_INVALID_ID",
    "RTEMS_TOO_MANY", "RTEMS_TIMEOUT", "RTEMS_OBJECT_WAS_DELETED", "RTEMS_INVALID_SIZE", "RTEMS_INVALID_ADDRESS",
    "RTEMS_INVALID_NUMBER", "RTEMS_NOT_DEFINED", "RTEMS_RESOURCE_IN_USE", "RTEMS_UNSATISFIED", "RTEMS_INCORRECT_STATE",
    "RTEMS_ALREADY_SUSPENDED", "RTEMS_ILLEGAL_ON_SELF", "RTEMS_ILLEGAL_ON_REMOTE_OBJECT", "RTEMS_CALLED_FROM_ISR",
    "RTEMS_INVALID_PRIORITY", "RTEMS_INVALID_CLOCK", "RTEMS_INVALID_NODE", "RTEMS_NOT_CONFIGURED",
    "RTEMS_NOT_OWNER_OF_RESOURCE", "RTEMS_NOT_IMPLEMENTED", "RTEMS_INTERNAL_ERROR", "RTEMS_NO_MEMORY", "RTEMS_IO_ERROR",
  };
  if ((unsigned)code < sizeof names / sizeof names[0]) return names[code];
  return "?";
}
