/* Entry of a paravirtual guest: its own GDT (the loader leaves GDTR undefined, as multiboot does; upcalls
   return with iret, which reloads CS from it), a stack, then main. main ends the VM with shutdown. */
        .text
        .globl _start
_start:
        lgdt gdt_pointer
        ljmp $0x10, $1f
1:      movw $0x18, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        movl $stack_top, %esp
        call main
2:      hlt
        jmp 2b

        .section .rodata
        .align 8
gdt:    .quad 0
        .quad 0
        .quad 0x00cf9a000000ffff        /* 0x10: flat 32-bit code, ring 0 */
        .quad 0x00cf92000000ffff        /* 0x18: flat data, ring 0 */
gdt_pointer:
        .word gdt_pointer - gdt - 1
        .long gdt

        .bss
        .align 16
        .space 16384
stack_top:
