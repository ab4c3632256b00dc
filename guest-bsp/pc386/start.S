/*
 * pc386 start-up: multiboot header, flat GDT, BSS cleared, IDT, then boot_card. Also the interrupt and
 * exception stubs the IDT points at.
 */
#define MULTIBOOT_MAGIC 0x1BADB002
#define MULTIBOOT_FLAGS 0x00000003 /* page-aligned modules, memory information */
#define CODE_SELECTOR 0x08
#define DATA_SELECTOR 0x10

        .section .multiboot, "a"
        .align 4
        .long MULTIBOOT_MAGIC, MULTIBOOT_FLAGS, -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

        .text
        .globl _start
        .type _start, @function
_start:
        cli
        cld
        movl %eax, pc386_multiboot_magic
        movl %ebx, pc386_multiboot_info
        lgdt gdt_descriptor             /* multiboot leaves GDTR undefined */
        ljmp $CODE_SELECTOR, $1f
1:      movw $DATA_SELECTOR, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %fs
        movw %ax, %gs
        movw %ax, %ss
        movl $__bss_start, %edi         /* no stack in use yet: the boot stack is in BSS too */
        movl $__bss_end, %ecx
        subl %edi, %ecx
        shrl $2, %ecx
        xorl %eax, %eax
        rep stosl
        movl $boot_stack_top, %esp
        xorl %ebp, %ebp
        call pc386_idt_install
        call boot_card
2:      cli
        hlt
        jmp 2b
        .size _start, . - _start

/*
 * Exceptions 0-31: a uniform frame (a zero where the CPU pushes no error code, then the vector), all
 * registers, and pc386_exception(frame), which does not return.
 */
.macro exception_stub vector
exception_\vector:
        .if !(\vector == 8 || (\vector >= 10 && \vector <= 14) || \vector == 17 || \vector == 21)
        pushl $0
        .endif
        pushl $\vector
        jmp exception_common
.endm

        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        exception_stub \v
        .endr

exception_common:
        pushal
        cld
        pushl %esp
        call pc386_exception
3:      cli
        hlt
        jmp 3b

/*
 * Interrupts: the 16 IRQs and the test vector. The stub saves the registers C may clobber and calls
 * pc386_interrupt(vector) on a 16-byte aligned stack. A thread dispatch may happen inside (through
 * _ISR_Leave): this task's stack then keeps this frame until the task runs again and returns here.
 */
.macro irq_stub vector
irq_\vector:
        pushl %eax
        movl $\vector, %eax
        jmp irq_common
.endm

        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16
        irq_stub \v
        .endr

irq_common:
        pushl %ecx
        pushl %edx
        pushl %ebp
        movl %esp, %ebp
        andl $-16, %esp
        subl $12, %esp
        pushl %eax
        cld
        call pc386_interrupt
        movl %ebp, %esp
        popl %ebp
        popl %edx
        popl %ecx
        popl %eax
        iret

        .section .rodata
        .align 4
        .globl pc386_exception_stubs, pc386_irq_stubs
pc386_exception_stubs:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .long exception_\v
        .endr
/* 16 IRQ stubs, then the test vector's. */
pc386_irq_stubs:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16
        .long irq_\v
        .endr

        .align 8
gdt:    .quad 0
        .quad 0x00cf9a000000ffff        /* 0x08: flat 32-bit code, ring 0 */
        .quad 0x00cf92000000ffff        /* 0x10: flat data, ring 0 */
gdt_descriptor:
        .word gdt_descriptor - gdt - 1
        .long gdt

        .data
        .globl pc386_multiboot_magic, pc386_multiboot_info
pc386_multiboot_magic: .long 0
pc386_multiboot_info: .long 0

        .bss
        .align 16
boot_stack:
        .skip 8192
boot_stack_top:

        .section .note.GNU-stack, "", @progbits
