/* Exception stubs 0-31, stubs for vectors 32-95 (the PIC's IRQs, local APIC and IOAPIC vectors), the
   system-call vector 0x80 and the local APIC's usual spurious vector 0xff: each pushes a zero where the CPU pushes no error code, then its vector, so trap_dispatch
   always sees the same frame. */
        .text
.macro stub vector
trap_stub_\vector:
        .if !(\vector == 8 || (\vector >= 10 && \vector <= 14) || \vector == 17)
        pushl $0
        .endif
        pushl $\vector
        jmp trap_common
.endm

        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,128,255
        stub \v
        .endr

trap_common:
        pusha
        push %ds
        push %es
        push %fs
        push %gs
        mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        push %esp
        call trap_dispatch
        add $4, %esp
        pop %gs
        pop %fs
        pop %es
        pop %ds
        popa
        add $8, %esp
        iret

        .section .rodata
        .globl trap_stubs
        .align 4
trap_stubs:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95
        .long trap_stub_\v
        .endr
        .globl trap_stub_syscall, trap_stub_spurious
        .set trap_stub_syscall, trap_stub_128
        .set trap_stub_spurious, trap_stub_255

        .section .note.GNU-stack, "", @progbits
