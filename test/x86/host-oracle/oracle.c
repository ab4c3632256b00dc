/*
 * The host-CPU oracle: runs single x86 instructions natively in 32-bit user mode and reports what they
 * did, so the emulator can be compared with real silicon. No libc: a static i386 binary with its own
 * _start, int $0x80 system calls and signal handling, so faults come back as trap numbers with the
 * registers at the fault.
 *
 * Protocol on stdin/stdout, little-endian. First the oracle writes a hello record:
 *   u32 code_address, u32 data_address, u32 data_size, u32 cs, ss, ds, es, fs, gs
 * Then for each case it reads:
 *   u8 code[16] (the instruction; the oracle appends a jump back), u32 regs[8] (eax..edi), u32 eflags,
 *   u8 data[DATA_SIZE]
 * and writes:
 *   u32 regs[8], u32 eflags, i32 trap (-1 when none), u32 eip, u8 data[DATA_SIZE]
 */

#define DATA_SIZE 1024
#define CODE_SIZE 4096

typedef unsigned int u32;
typedef unsigned char u8;

static u8 code[CODE_SIZE] __attribute__((aligned(4096)));
static u8 data[8192] __attribute__((aligned(4096)));
u8 harness_stack[16384] __attribute__((aligned(16), used));
/* Signal frames go here, not onto the test's stack, which lies inside the data block. */
static u8 signal_stack[65536] __attribute__((aligned(16)));

u32 in_regs[8], in_flags, out_regs[8], out_flags, out_eip, saved_esp, code_ptr;
int out_trap;

static int sys3(int n, int a, int b, int c) {
  int r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}
static int sys4(int n, int a, int b, int c, int d) {
  int r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
  return r;
}

static void exit_now(int code) { sys3(1, code, 0, 0); for (;;) {} }

static void read_all(void *buf, u32 n) {
  u8 *p = buf;
  while (n > 0) {
    int r = sys3(3, 0, (int)p, (int)n);
    if (r <= 0) exit_now(r == 0 ? 0 : 2);
    p += r;
    n -= (u32)r;
  }
}

static void write_all(const void *buf, u32 n) {
  const u8 *p = buf;
  while (n > 0) {
    int r = sys3(4, 1, (int)p, (int)n);
    if (r <= 0) exit_now(3);
    p += r;
    n -= (u32)r;
  }
}

/* run_case loads the registers and flags, jumps to the instruction, and comes back through after_insn
 * (the jump appended to the code) or, on a fault, through after_fault (set by the signal handler). */
extern void run_case(void);
extern void after_insn(void);
extern void after_fault(void);
__asm__(
  ".text\n"
  ".globl run_case\n"
  "run_case:\n"
  "  pushal\n"
  "  movl %esp, saved_esp\n"
  "  pushl in_flags\n"
  "  popfl\n"
  "  movl in_regs+0, %eax\n"
  "  movl in_regs+4, %ecx\n"
  "  movl in_regs+8, %edx\n"
  "  movl in_regs+12, %ebx\n"
  "  movl in_regs+20, %ebp\n"
  "  movl in_regs+24, %esi\n"
  "  movl in_regs+28, %edi\n"
  "  movl in_regs+16, %esp\n"
  "  jmp *code_ptr\n"
  ".globl after_insn\n"
  "after_insn:\n"
  "  movl %eax, out_regs+0\n"
  "  movl %ecx, out_regs+4\n"
  "  movl %edx, out_regs+8\n"
  "  movl %ebx, out_regs+12\n"
  "  movl %esp, out_regs+16\n"
  "  movl %ebp, out_regs+20\n"
  "  movl %esi, out_regs+24\n"
  "  movl %edi, out_regs+28\n"
  "  movl saved_esp, %esp\n"
  "  pushfl\n"
  "  popl out_flags\n"
  "  movl $-1, out_trap\n"
  "  cld\n"
  "  popal\n"
  "  ret\n"
  ".globl after_fault\n"
  "after_fault:\n"
  "  cld\n"
  "  popal\n"
  "  ret\n");

/* i386 ucontext: uc_mcontext.gregs starts 20 bytes in: GS FS ES DS EDI ESI EBP ESP EBX EDX ECX EAX
 * TRAPNO ERR EIP CS EFL UESP SS. */
enum { G_EDI = 4, G_ESI, G_EBP, G_ESP, G_EBX, G_EDX, G_ECX, G_EAX, G_TRAPNO, G_ERR, G_EIP, G_CS, G_EFL, G_UESP };

static void on_fault(int sig, void *info, void *context) {
  (void)sig;
  (void)info;
  u32 *g = (u32 *)((u8 *)context + 20);
  out_regs[0] = g[G_EAX];
  out_regs[1] = g[G_ECX];
  out_regs[2] = g[G_EDX];
  out_regs[3] = g[G_EBX];
  out_regs[4] = g[G_UESP];
  out_regs[5] = g[G_EBP];
  out_regs[6] = g[G_ESI];
  out_regs[7] = g[G_EDI];
  out_flags = g[G_EFL];
  out_trap = (int)g[G_TRAPNO];
  out_eip = g[G_EIP];
  g[G_EIP] = (u32)after_fault;
  g[G_ESP] = saved_esp;
  g[G_UESP] = saved_esp;
  g[G_EFL] = 0x202;
}

extern void restorer(void);
__asm__(".text\nrestorer:\n  movl $173, %eax\n  int $0x80\n");

struct kernel_sigaction {
  void *handler;
  u32 flags;
  void *restorer;
  u32 mask[2];
};

static u32 selector(int which) {
  u32 v = 0;
  switch (which) {
    case 0: __asm__("movl %%cs, %0" : "=r"(v)); break;
    case 1: __asm__("movl %%ss, %0" : "=r"(v)); break;
    case 2: __asm__("movl %%ds, %0" : "=r"(v)); break;
    case 3: __asm__("movl %%es, %0" : "=r"(v)); break;
    case 4: __asm__("movl %%fs, %0" : "=r"(v)); break;
    default: __asm__("movl %%gs, %0" : "=r"(v)); break;
  }
  return v & 0xffff;
}

void start_c(void) {
  /* Code page: read, write, execute (mprotect = 125). */
  if (sys3(125, (int)code, CODE_SIZE, 7) != 0) exit_now(4);
  struct { void *sp; int flags; u32 size; } alt = { signal_stack, 0, sizeof signal_stack };
  if (sys3(186, (int)&alt, 0, 0) != 0) exit_now(6);
  /* SA_RESTORER | SA_SIGINFO | SA_NODEFER | SA_ONSTACK */
  struct kernel_sigaction sa = { (void *)on_fault, 0x04000000u | 4u | 0x40000000u | 0x08000000u, (void *)restorer, { 0, 0 } };
  int signals[] = { 4, 5, 7, 8, 11 };
  for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
    if (sys4(174, signals[i], (int)&sa, 0, 8) != 0) exit_now(5);
  }
  u32 hello[9] = { (u32)code, (u32)data, DATA_SIZE, selector(0), selector(1), selector(2), selector(3), selector(4), selector(5) };
  write_all(hello, sizeof hello);
  code_ptr = (u32)code;
  for (;;) {
    u8 bytes[16];
    read_all(bytes, 16);
    read_all(in_regs, 32);
    read_all(&in_flags, 4);
    read_all(data, DATA_SIZE);
    for (int i = 0; i < 16; i++) code[i] = bytes[i];
    /* The instruction is at most 15 bytes; whatever length it has, execution continues at the jump placed
     * right after it. The test generator sends the decoded length in bytes[15]. */
    u32 len = bytes[15];
    u32 target = (u32)after_insn;
    code[len] = 0xe9;
    u32 rel = target - ((u32)code + len + 5);
    code[len + 1] = (u8)rel;
    code[len + 2] = (u8)(rel >> 8);
    code[len + 3] = (u8)(rel >> 16);
    code[len + 4] = (u8)(rel >> 24);
    out_trap = -1;
    out_eip = (u32)code + len;
    run_case();
    write_all(out_regs, 32);
    write_all(&out_flags, 4);
    write_all(&out_trap, 4);
    write_all(&out_eip, 4);
    write_all(data, DATA_SIZE);
  }
}

__asm__(
  ".text\n"
  ".globl _start\n"
  "_start:\n"
  "  movl $harness_stack+16384, %esp\n"
  "  call start_c\n"
  "  hlt\n");
