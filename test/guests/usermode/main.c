/* Ring 3: a GDT with user segments and a TSS, iret to user code, system calls through an int 0x80
   gate with DPL 3, and privileged instructions in ring 3 caught as #GP by the kernel. */
#include "runtime.h"

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_CS (0x18 | 3)
#define USER_DS (0x20 | 3)
#define TSS_SEL 0x28

enum { SYS_WRITE = 1, SYS_ADD = 2, SYS_EXIT = 3 };

static struct {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
} __attribute__((packed)) tss;

static uint8_t kernel_stack[8192] ALIGNED(16);
static uint8_t user_stack[4096] ALIGNED(16);

static int syscalls, syscalls_on_kernel_stack, user_faults;
static uint32_t fault_errors[8];

static int on_kernel_stack(struct trap_frame *f)
{
    return (uint32_t)f >= (uint32_t)kernel_stack && (uint32_t)f < (uint32_t)kernel_stack + sizeof kernel_stack;
}

/* ---- ring 3 ---- */

static inline uint32_t syscall(uint32_t number, uint32_t a, uint32_t b)
{
    uint32_t result;
    __asm__ volatile("int $0x80" : "=a"(result) : "a"(number), "b"(a), "c"(b) : "memory");
    return result;
}

static void user_main(void)
{
    uint16_t cs, ss;
    __asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
    syscall(SYS_WRITE, (uint32_t)"ring 3: hello through int 0x80\n", 0);
    uint32_t sum = syscall(SYS_ADD, 40, 2);
    __asm__ volatile("cli");                         /* IOPL 0: #GP */
    __asm__ volatile("hlt");                         /* CPL 3: #GP */
    __asm__ volatile("mov %%cr3, %%eax" : : : "eax"); /* CPL 3: #GP */
    __asm__ volatile("inb %%dx, %%al" : : "d"(0x3f8) : "eax"); /* IOPL 0 and no I/O bitmap: #GP */
    __asm__ volatile("int $13");                     /* a DPL 0 gate: #GP with the gate's selector */
    syscall(SYS_EXIT, (uint32_t)cs << 16 | ss, sum);
    for (;;)
        ;
}

/* ---- ring 0 ---- */

static void kernel_after_user(uint32_t selectors, uint32_t sum)
{
    printf("user CS=%x SS=%x, add returned %u\n", selectors >> 16, selectors & 0xffff, sum);
    check(selectors == ((uint32_t)USER_CS << 16 | USER_DS), "user code ran with RPL 3 selectors");
    check(sum == 42, "SYS_ADD returned its result in eax");
    check(syscalls == 3 && syscalls_on_kernel_stack == 3, "every system call arrived on the TSS's ring-0 stack");
    check(user_faults == 5, "five privileged operations in ring 3 each raised #GP");
    check(fault_errors[0] == 0 && fault_errors[1] == 0 && fault_errors[2] == 0 && fault_errors[3] == 0,
          "#GP error code 0 for cli, hlt, mov from cr3, in");
    check(fault_errors[4] == (13 << 3 | 2), "#GP error code names the IDT gate for int 13");
    exit(finish());
}

static void system_call(struct trap_frame *f)
{
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    syscalls++;
    syscalls_on_kernel_stack += on_kernel_stack(f) && cs == KERNEL_CS && f->cs == USER_CS && f->user_ss == USER_DS;
    switch (f->eax) {
    case SYS_WRITE:
        puts_raw((const char *)f->ebx);
        break;
    case SYS_ADD:
        printf("kernel: add(%u, %u) for ring %u\n", f->ebx, f->ecx, f->cs & 3);
        f->eax = f->ebx + f->ecx;
        break;
    case SYS_EXIT:
        printf("kernel: exit from ring 3\n");
        kernel_after_user(f->ebx, f->ecx);
        break;
    default:
        f->eax = (uint32_t)-1;
    }
}

static void general_protection(struct trap_frame *f)
{
    if ((f->cs & 3) != 3) {
        printf("FAIL #GP in the kernel at %x error %x\n", f->eip, f->error);
        exit(0x7c);
    }
    const uint8_t *insn = (const uint8_t *)f->eip;
    int length = insn[0] == 0x0f ? 3 : insn[0] == 0xcd ? 2 : 1;
    printf("kernel: #GP from ring 3, error %x, instruction %x, user esp in user stack %u\n", f->error, insn[0],
           f->user_esp > (uint32_t)user_stack && f->user_esp <= (uint32_t)user_stack + sizeof user_stack);
    if (user_faults < 8)
        fault_errors[user_faults] = f->error;
    user_faults++;
    f->eip += length; /* skip it and carry on in ring 3 */
}

int main(void)
{
    gdt_set(3, 0, 0xfffff, 0xfa, 0xc); /* user code, DPL 3 */
    gdt_set(4, 0, 0xfffff, 0xf2, 0xc); /* user data, DPL 3 */
    tss.ss0 = KERNEL_DS;
    tss.esp0 = (uint32_t)kernel_stack + sizeof kernel_stack;
    tss.iomap_base = sizeof tss; /* no I/O permission bitmap */
    gdt_set(5, (uint32_t)&tss, sizeof tss - 1, 0x89, 0x0);
    gdt_load();
    __asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
    trap_install(0x80, system_call, 3);
    trap_install(13, general_protection, 0);

    printf("kernel: entering ring 3\n");
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%fs; mov %0, %%gs\n"
                     "push %0\n"   /* ss */
                     "push %1\n"   /* esp */
                     "push $0x2\n" /* eflags: IF and IOPL clear */
                     "push %2\n"   /* cs */
                     "push %3\n"   /* eip */
                     "iret"
                     :
                     : "r"((uint32_t)USER_DS), "r"((uint32_t)user_stack + sizeof user_stack), "i"(USER_CS), "r"(user_main));
    return 0x7b; /* unreachable: ring 3 ends with SYS_EXIT */
}
