/* Entry of a paravirtual guest: a stack, then main; main ends the VM with the shutdown hypercall. */
        .text
        .globl _start
_start:
        movl $stack_top, %esp
        call main
1:      hlt
        jmp 1b

        .bss
        .align 16
        .space 16384
stack_top:
