/* The AP's way from the startup IPI to C. trampoline_start..trampoline_end is copied to TRAMPOLINE_BASE
   (0x8000), where a SIPI with vector 0x08 starts the AP in real mode at CS = 0x0800, IP = 0: it loads a
   GDT of its own (same selectors as the runtime's), enters protected mode and jumps to ap_start32, which
   runs where the guest was linked. */
#define TRAMPOLINE_BASE 0x8000
#define OFF(label) (label - trampoline_start)

        .text
        .code16
        .align 16
        .globl trampoline_start, trampoline_end
trampoline_start:
        cli
        cld
        mov %cs, %ax
        mov %ax, %ds
        lgdtl OFF(trampoline_gdtr)      /* 32-bit operand: the full 32-bit base */
        mov %cr0, %eax
        or $1, %eax                     /* PE */
        mov %eax, %cr0
        ljmpl $0x08, $ap_start32        /* an absolute address: no need to adjust it after the copy */

        .align 8
trampoline_gdt:
        .quad 0
        .quad 0x00cf9a000000ffff        /* 0x08: flat 32-bit ring-0 code */
        .quad 0x00cf92000000ffff        /* 0x10: flat 32-bit ring-0 data */
trampoline_gdtr:
        .word 3 * 8 - 1
        .long TRAMPOLINE_BASE + OFF(trampoline_gdt)
trampoline_end:

        .code32
ap_start32:
        mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %fs
        mov %ax, %gs
        mov %ax, %ss
        mov ap_stack_top, %esp          /* the BSP sets it before each AP's INIT-SIPI-SIPI */
        call gdt_load                   /* the runtime's GDT, so the trampoline page may be reused */
        ljmp $0x08, $1f
1:      lidt shared_idtr                /* the BSP's IDT: its handlers serve every CPU */
        xor %ebp, %ebp
        call ap_main
2:      cli
        hlt
        jmp 2b

        .section .note.GNU-stack, "", @progbits
