/* From 32-bit protected mode through 16-bit protected mode to real mode and back.
   The 16-bit code (blob_start..blob_end) is copied to 0x7000 by main.c: real mode can only run below
   1 MiB, and with CS base 0x7000 in both 16-bit modes its offsets are the same (label - blob_start).
   Results go to a block at linear 0x8000 that main.c prints. */
#define BLOB 0x7000
#define SEL_CODE16 0x18 /* base BLOB, limit 0xffff, 16-bit */
#define SEL_DATA16 0x20 /* base 0, limit 0xffff, 16-bit */
#define OFF(label) (label - blob_start)

        .text
        .code32
        .globl realmode_run
realmode_run:
        push %ebp
        push %ebx
        push %esi
        push %edi
        mov %esp, saved_esp
        sidt saved_idtr
        ljmp $SEL_CODE16, $OFF(pm16_entry)

back_in_pm32:
        mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %fs
        mov %ax, %gs
        mov %ax, %ss
        mov saved_esp, %esp
        lidt saved_idtr
        pop %edi
        pop %esi
        pop %ebx
        pop %ebp
        ret

        .globl blob_start, blob_end
        .code16
blob_start:
pm16_entry:                             /* 16-bit protected mode: CS base 0x7000, D = 0 */
        mov $SEL_DATA16, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        mov $0x6ff0, %sp
        mov $OFF(msg_pm16), %si
        call print16
        mov $1234, %ax                  /* 16-bit multiply: dx:ax = 69104 */
        mov $56, %bx
        mul %bx
        mov %ax, 0x8000
        mov %dx, 0x8002
        lidt %cs:OFF(real_mode_idtr)    /* the real-mode interrupt vector table, should anything trap */
        mov %cr0, %eax
        and $0xfffffffe, %eax
        mov %eax, %cr0
        ljmp $(BLOB >> 4), $OFF(rm_entry)

rm_entry:                               /* real mode: CS = 0x0700 */
        xor %ax, %ax
        mov %ax, %ss                    /* the stack stays at linear 0x6ff0 */
        mov $0x0800, %ax                /* DS base 0x8000: the results block */
        mov %ax, %ds
        mov $0x0780, %ax                /* ES base 0x7800 */
        mov %ax, %es
        mov $OFF(msg_rm), %si
        call print16

        xor %ax, %ax                    /* sum 1..100 with a loop */
        mov $100, %cx
1:      add %cx, %ax
        loop 1b
        mov %ax, 0x0004
        mov %cs, 0x0006

        mov $0x12345, %eax              /* 32-bit operands in real mode (0x66 prefix) */
        mov $0x6789, %ebx
        mul %ebx
        mov %eax, 0x0008
        mov %edx, 0x000c
        mov $1000000, %eax
        xor %edx, %edx
        mov $37, %ebx
        div %ebx
        mov %eax, 0x0010
        mov %edx, 0x0014

        movw $0xbeef, %es:0x0010        /* linear 0x7810 written through ES = 0x0780 ... */
        mov $0x0781, %ax
        mov %ax, %fs
        mov %fs:0x0000, %ax             /* ... and read back through FS = 0x0781 */
        mov %ax, 0x0018

        mov $0x0100, %di                /* stosb to ES:0x100 = linear 0x7900 */
        xor %al, %al
        mov $16, %cx
        cld
2:      stosb
        add $3, %al
        loop 2b
        push %ds
        mov $0x0790, %ax                /* lodsb from DS = 0x0790, offset 0: the same bytes */
        mov %ax, %ds
        xor %si, %si
        xor %bx, %bx
        mov $16, %cx
3:      lodsb
        xor %ah, %ah
        add %ax, %bx
        loop 3b
        pop %ds
        mov %bx, 0x001a

        mov $OFF(msg_leave), %si
        call print16
        mov %cr0, %eax
        or $1, %eax
        mov %eax, %cr0
        .byte 0x66, 0xea                /* ljmpl $0x08, $back_in_pm32 */
        .long back_in_pm32
        .word 0x08

/* Prints the NUL-terminated string at CS:SI on COM1, polling LSR.THRE. */
print16:
        movb %cs:(%si), %al
        test %al, %al
        jz 2f
        mov %al, %bl
        mov $0x3fd, %dx
1:      in %dx, %al
        test $0x20, %al
        jz 1b
        mov $0x3f8, %dx
        mov %bl, %al
        out %al, %dx
        inc %si
        jmp print16
2:      ret

real_mode_idtr:
        .word 0x3ff
        .long 0
msg_pm16:
        .asciz "16-bit protected mode: hello\n"
msg_rm:
        .asciz "real mode: hello from CS=0x0700\n"
msg_leave:
        .asciz "real mode: back to protected mode\n"
blob_end:

        .code32
        .bss
        .align 4
saved_esp:
        .long 0
saved_idtr:
        .skip 6

        .section .note.GNU-stack, "", @progbits
