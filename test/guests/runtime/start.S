/* Multiboot entry: own GDT (flat code 0x08, flat data 0x10), a stack, the runtime, main, exit. */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, memory information */

        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        .section .bss
        .align 16
        .globl stack_bottom, stack_top
stack_bottom:
        .skip 16384
stack_top:

        .section .text
        .globl _start
_start:
        cli
        mov $stack_top, %esp
        mov %eax, boot_magic
        mov %ebx, boot_info
        call gdt_load
        ljmp $0x08, $1f
1:      mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %fs
        mov %ax, %gs
        mov %ax, %ss
        xor %ebp, %ebp
        call runtime_init
        call main
        push %eax
        call exit

        .section .note.GNU-stack, "", @progbits
