/*
 * The few C library functions a freestanding build still needs: compilers emit calls to memcpy, memset
 * and memmove for structure copies and loops. Weak, so an application or BSP with its own wins.
 * String instructions rather than loops, which the compiler could turn back into calls to themselves.
 */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *destination, const void *source, size_t size) __attribute__((weak));
void *memmove(void *destination, const void *source, size_t size) __attribute__((weak));
void *memset(void *destination, int value, size_t size) __attribute__((weak));
int memcmp(const void *a, const void *b, size_t size) __attribute__((weak));
size_t strlen(const char *text) __attribute__((weak));
int strcmp(const char *a, const char *b) __attribute__((weak));
int strncmp(const char *a, const char *b, size_t size) __attribute__((weak));

void *memcpy(void *destination, const void *source, size_t size)
{
  void *d = destination;
  __asm__ volatile("cld\n\trep movsb" : "+D"(d), "+S"(source), "+c"(size) : : "memory");
  return destination;
}

void *memmove(void *destination, const void *source, size_t size)
{
  if ((uintptr_t)destination <= (uintptr_t)source || (uintptr_t)destination >= (uintptr_t)source + size)
    return memcpy(destination, source, size);
  /* Overlapping with the destination above: copy backwards. */
  unsigned char *d = (unsigned char *)destination + size - 1;
  const unsigned char *s = (const unsigned char *)source + size - 1;
  __asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(size) : : "memory");
  return destination;
}

void *memset(void *destination, int value, size_t size)
{
  void *d = destination;
  __asm__ volatile("cld\n\trep stosb" : "+D"(d), "+c"(size) : "a"(value) : "memory");
  return destination;
}

int memcmp(const void *a, const void *b, size_t size)
{
  const unsigned char *p = a, *q = b;
  for (size_t i = 0; i < size; i++) {
    if (p[i] != q[i]) return p[i] - q[i];
  }
  return 0;
}

size_t strlen(const char *text)
{
  size_t count = ~(size_t)0;
  __asm__ volatile("cld\n\trepne scasb" : "+D"(text), "+c"(count) : "a"(0) : "memory");
  return ~count - 1;
}

int strcmp(const char *a, const char *b)
{
  while (*a != '\0' && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t size)
{
  for (; size > 0; size--, a++, b++) {
    if (*a != *b || *a == '\0') return (unsigned char)*a - (unsigned char)*b;
  }
  return 0;
}
