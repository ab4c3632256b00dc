/*
 * Native x87 oracle for test/x86/fpu.test.ts. Freestanding i386 Linux program: no libc, own _start,
 * int $0x80 system calls. Reads fixed-size case records from stdin, runs each natively and writes one
 * result record per case to stdout.
 *
 * Case record (156 bytes, little-endian):
 *   0   108  FSAVE image (32-bit protected-mode layout) loaded with FRSTOR before the instructions
 *   108  32  memory operand area (every memory operand addresses mem + offset)
 *   140   4  EFLAGS loaded with POPFD (only arithmetic flags are meaningful)
 *   144  12  up to four instructions as (escape, modrm, offset); escape 0 ends the list
 * Result record (148 bytes):
 *   0   108  FNSAVE image after the instructions
 *   108  32  memory area after
 *   140   4  EFLAGS after
 *   144   2  AX after (0xAAAA before the instructions, so FNSTSW AX shows)
 *   146   2  zero
 *
 * The instructions run from a page made executable with mprotect; a memory operand is encoded as
 * mod=00 rm=101 disp32 (absolute address of mem + offset), keeping the case's reg field.
 */
typedef unsigned char u8;
typedef unsigned int u32;

enum { IN_SIZE = 156, OUT_SIZE = 148 };

static u8 code[4096] __attribute__((aligned(4096)));
static u8 image_in[108] __attribute__((aligned(16)));
static u8 image_out[108] __attribute__((aligned(16)));
static u8 mem[32] __attribute__((aligned(16)));
static u32 eflags_out;
static unsigned short ax_out;
static u8 record[IN_SIZE];
static u8 outbuf[OUT_SIZE * 256];

static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}

static int read_full(u8 *p, int n) {
  int got = 0;
  while (got < n) {
    long r = sys3(3, 0, (long)(p + got), n - got);
    if (r <= 0) return got;
    got += (int)r;
  }
  return got;
}

static void write_full(const u8 *p, int n) {
  while (n > 0) {
    long r = sys3(4, 1, (long)p, n);
    if (r <= 0) sys3(1, 3, 0, 0);
    p += r;
    n -= (int)r;
  }
}

static u8 *put32(u8 *p, u32 v) {
  p[0] = (u8)v; p[1] = (u8)(v >> 8); p[2] = (u8)(v >> 16); p[3] = (u8)(v >> 24);
  return p + 4;
}

static void run_case(void) {
  int i;
  u8 *p = code;
  for (i = 0; i < 108; i++) image_in[i] = record[i];
  for (i = 0; i < 32; i++) mem[i] = record[108 + i];
  u32 eflags = record[140] | record[141] << 8 | record[142] << 16 | (u32)record[143] << 24;

  *p++ = 0xDD; *p++ = 0x25; p = put32(p, (u32)image_in);       /* frstor [image_in] */
  *p++ = 0x68; p = put32(p, eflags); *p++ = 0x9D;                /* push imm32; popfd */
  *p++ = 0x66; *p++ = 0xB8; *p++ = 0xAA; *p++ = 0xAA;            /* mov ax, 0xAAAA */
  for (i = 0; i < 4; i++) {
    u8 esc = record[144 + 3 * i], modrm = record[145 + 3 * i], off = record[146 + 3 * i];
    if (esc == 0) break;
    *p++ = esc;
    if (modrm >= 0xC0) {
      *p++ = modrm;
    } else {
      *p++ = (u8)((modrm & 0x38) | 0x05);
      p = put32(p, (u32)(mem + off));
    }
  }
  *p++ = 0x9C;                                                    /* pushfd */
  *p++ = 0x8F; *p++ = 0x05; p = put32(p, (u32)&eflags_out);      /* pop dword [eflags_out] */
  *p++ = 0x66; *p++ = 0xA3; p = put32(p, (u32)&ax_out);          /* mov [ax_out], ax */
  *p++ = 0xDD; *p++ = 0x35; p = put32(p, (u32)image_out);        /* fnsave [image_out] */
  *p++ = 0xC3;                                                    /* ret */

  void *target = code;
  __asm__ volatile("call *%0" : : "r"(target) : "eax", "memory", "cc");
}

int harness_main(void) {
  int fill = 0;
  if (sys3(125, (long)code, sizeof code, 7) != 0) return 2; /* mprotect RWX */
  while (read_full(record, IN_SIZE) == IN_SIZE) {
    int i;
    run_case();
    u8 *o = outbuf + fill;
    for (i = 0; i < 108; i++) o[i] = image_out[i];
    for (i = 0; i < 32; i++) o[108 + i] = mem[i];
    put32(o + 140, eflags_out);
    o[144] = (u8)ax_out; o[145] = (u8)(ax_out >> 8); o[146] = 0; o[147] = 0;
    fill += OUT_SIZE;
    if (fill == sizeof outbuf) { write_full(outbuf, fill); fill = 0; }
  }
  write_full(outbuf, fill);
  return 0;
}

__asm__(".globl _start\n"
        "_start:\n"
        "  andl $-16, %esp\n"
        "  call harness_main\n"
        "  movl %eax, %ebx\n"
        "  movl $1, %eax\n"
        "  int $0x80\n");
