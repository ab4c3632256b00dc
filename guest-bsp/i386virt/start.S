/* Hand-written start-up for i386virt guests (the generated BSP has none yet), shared by the examples,
   the test guests and the benchmarks. Entry of a paravirtual guest: its own GDT (the loader leaves GDTR undefined, as multiboot does; upcalls
   return with iret, which reloads CS from it), a stack, then main. main ends the VM with shutdown.
   Guests that start secondary vCPUs define secondary_main(argument). In executive builds main is
   boot.c's, which calls boot_card(). */
        .text
        .globl _start
        .weak secondary_main
_start:
        movl %ebx, multiboot_info       /* the multiboot information, for multiboot images (else 0) */
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

/* A secondary vCPU (vcpu_start): ESP is its stack, EBX the argument; segments as the starter's. */
        .globl secondary_entry
secondary_entry:
        pushl %ebx
        call secondary_main
3:      hlt
        jmp 3b

/* An upcall entry for guests that poll their events: the mask stays set until they wait again. */
        .globl upcall_return
upcall_return:
        iret

        .section .rodata
        .align 8
gdt:    .quad 0
        .quad 0
        .quad 0x00cf9a000000ffff        /* 0x10: flat 32-bit code, ring 0 */
        .quad 0x00cf92000000ffff        /* 0x18: flat data, ring 0 */
gdt_pointer:
        .word gdt_pointer - gdt - 1
        .long gdt

        .data
        .globl multiboot_info
multiboot_info: .long 0

        .bss
        .align 16
        .space 16384
stack_top:

        .section .note.GNU-stack, "", @progbits   /* no executable stack wanted */
