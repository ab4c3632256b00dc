/* setjmp/longjmp and a hand-made stack switch.
   jmp_buf: ebx, esi, edi, ebp, esp (after return), eip. */
        .text
        .globl my_setjmp, my_longjmp, switch_stack
my_setjmp:
        mov 4(%esp), %eax
        mov %ebx, 0(%eax)
        mov %esi, 4(%eax)
        mov %edi, 8(%eax)
        mov %ebp, 12(%eax)
        lea 4(%esp), %ecx          /* the caller's esp once we have returned */
        mov %ecx, 16(%eax)
        mov (%esp), %ecx
        mov %ecx, 20(%eax)
        xor %eax, %eax
        ret

my_longjmp:
        mov 4(%esp), %edx
        mov 8(%esp), %eax
        test %eax, %eax
        jnz 1f
        inc %eax                   /* longjmp(buf, 0) returns 1 */
1:      mov 0(%edx), %ebx
        mov 4(%edx), %esi
        mov 8(%edx), %edi
        mov 12(%edx), %ebp
        mov 16(%edx), %esp
        jmp *20(%edx)

/* switch_stack(uint32_t *save_sp, uint32_t new_sp): push the callee-saved registers, park esp in
   *save_sp, adopt new_sp, pop the other side's registers and return into it. */
switch_stack:
        mov 4(%esp), %eax
        mov 8(%esp), %edx
        push %ebp
        push %ebx
        push %esi
        push %edi
        mov %esp, (%eax)
        mov %edx, %esp
        pop %edi
        pop %esi
        pop %ebx
        pop %ebp
        ret

        .section .note.GNU-stack, "", @progbits
