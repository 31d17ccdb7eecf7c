/* native.S: runs a generated sequence on the host CPU at CPL3 with the registers and flags of a context, in 64-bit or (native32_enter) compatibility mode: difftest's reference. */
/*
 * void native_enter(const uint64_t ctx[18]);
 * ctx: the 16 GPRs in the engine's order (RAX, RCX, RDX, RBX, RSP, RBP,
 * RSI, RDI, R8-R15), RIP, RFLAGS. It never returns: the sequence ends
 * with a fault (UD2 at the latest) whose signal handler siglongjmps out.
 */
/* RFLAGS, then RCX..RDI (RSP the context's), from the context at RAX. */
	.macro load_flags_and_legacy_gprs
	pushq 136(%rax)
	popfq
	movq 8(%rax), %rcx
	movq 16(%rax), %rdx
	movq 24(%rax), %rbx
	movq 32(%rax), %rsp
	movq 40(%rax), %rbp
	movq 48(%rax), %rsi
	movq 56(%rax), %rdi
	.endm

	.text
	.globl native_enter
	.type native_enter, @function
native_enter:
	movq %rdi, %rax
	movq 128(%rax), %rbx
	movq %rbx, native_target(%rip)
	load_flags_and_legacy_gprs
	movq 64(%rax), %r8
	movq 72(%rax), %r9
	movq 80(%rax), %r10
	movq 88(%rax), %r11
	movq 96(%rax), %r12
	movq 104(%rax), %r13
	movq 112(%rax), %r14
	movq 120(%rax), %r15
	movq 0(%rax), %rax
	jmp *native_target(%rip)
	.size native_enter, .-native_enter


/*
 * void native32_enter(const uint64_t ctx[18]);
 * The same for 32-bit code below 4 GiB: DS, ES and SS get Linux's
 * __USER_DS (0x2b; a null DS or ES faults outside 64-bit mode), then a
 * far jump through an m16:32 pointer to CS 0x23, __USER32_CS: the
 * sequence runs in compatibility mode. R8-R15 keep what they had.
 */
	.globl native32_enter
	.type native32_enter, @function
native32_enter:
	movq %rdi, %rax
	movl 128(%rax), %ebx
	movl %ebx, native32_far(%rip)
	movw $0x23, native32_far+4(%rip)
	movl $0x2b, %ebx
	movl %ebx, %ds
	movl %ebx, %es
	movl %ebx, %ss
	load_flags_and_legacy_gprs
	movq 0(%rax), %rax
	ljmpl *native32_far(%rip)
	.size native32_enter, .-native32_enter

	.data
	.balign 8
native_target:
	.quad 0
native32_far:
	.long 0
	.word 0
	.section .note.GNU-stack,"",@progbits
