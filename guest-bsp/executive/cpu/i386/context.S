/*
 * i386 context switch. Context_Control (rtems/score/cpu.h): eflags 0, esp 4, ebp 8, ebx 12, esi 16,
 * edi 20. Called with interrupts disabled; the caller's C frame holds everything else, so only the
 * callee-saved registers, ESP and EFLAGS move. The saved ESP points at the return address into the caller.
 */
        .text

/* void _CPU_Context_switch(Context_Control *run, Context_Control *heir) */
        .globl _CPU_Context_switch
        .type _CPU_Context_switch, @function
_CPU_Context_switch:
        movl 4(%esp), %eax
        movl 8(%esp), %edx
        pushfl
        popl 0(%eax)
        movl %esp, 4(%eax)
        movl %ebp, 8(%eax)
        movl %ebx, 12(%eax)
        movl %esi, 16(%eax)
        movl %edi, 20(%eax)
restore_heir:
        movl 4(%edx), %esp
        movl 8(%edx), %ebp
        movl 12(%edx), %ebx
        movl 16(%edx), %esi
        movl 20(%edx), %edi
        pushl 0(%edx)
        popfl
        ret
        .size _CPU_Context_switch, . - _CPU_Context_switch

/* void _CPU_Context_restore(Context_Control *heir): leaves the current stack for good. */
        .globl _CPU_Context_restore
        .type _CPU_Context_restore, @function
_CPU_Context_restore:
        movl 4(%esp), %edx
        jmp restore_heir
        .size _CPU_Context_restore, . - _CPU_Context_restore

        .section .note.GNU-stack, "", @progbits
