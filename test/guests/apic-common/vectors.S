/* Interrupt stubs for vectors 0x30-0x5f and 0xff, which the runtime has none for. Each pushes a zero
   error code and its vector and builds the same frame as the runtime's trap_common, so handlers take
   a struct trap_frame; vector_dispatch (vectors.c) picks the handler. */
        .text
.macro vector_stub vector
vector_stub_\vector:
        pushl $0
        pushl $\vector
        jmp vector_common
.endm

        .irp v, 48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,255
        vector_stub \v
        .endr

vector_common:
        pusha
        push %ds
        push %es
        push %fs
        push %gs
        mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        push %esp
        call vector_dispatch
        add $4, %esp
        pop %gs
        pop %fs
        pop %es
        pop %ds
        popa
        add $8, %esp
        iret

        .section .rodata
        .globl vector_stubs, vector_stub_spurious
        .align 4
vector_stubs:                           /* vectors 0x30-0x5f, in order */
        .irp v, 48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95
        .long vector_stub_\v
        .endr
        .set vector_stub_spurious, vector_stub_255

        .section .note.GNU-stack, "", @progbits
