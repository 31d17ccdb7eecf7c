/* native.S: runs a generated sequence on the host CPU at CPL3 with the registers and flags of a context: difftest's reference. */
/*
 * void native_enter(const uint64_t ctx[18]);
 * ctx: the 16 GPRs in the engine's order (RAX, RCX, RDX, RBX, RSP, RBP,
 * RSI, RDI, R8-R15), RIP, RFLAGS. It never returns: the sequence ends
 * with a fault (UD2 at the latest) whose signal handler siglongjmps out.
 */
	.text
	.globl native_enter
	.type native_enter, @function
native_enter:
	movq %rdi, %rax
	movq 128(%rax), %rbx
	movq %rbx, native_target(%rip)
	pushq 136(%rax)
	popfq
	movq 8(%rax), %rcx
	movq 16(%rax), %rdx
	movq 24(%rax), %rbx
	movq 32(%rax), %rsp
	movq 40(%rax), %rbp
	movq 48(%rax), %rsi
	movq 56(%rax), %rdi
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

	.data
	.balign 8
native_target:
	.quad 0
	.section .note.GNU-stack,"",@progbits
