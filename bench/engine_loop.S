/* engine_loop.S: the mixed ALU, memory and branch loop bench/engine_core times natively and in the engine (as bench/guests/engine.c's). */
/*
 * uint64_t bench_loop(uint64_t iters, uint64_t *buf);
 * 19 instructions per two iterations (10 when r9 turns odd, 9 when it
 * turns even), position-independent: engine_core copies its bytes,
 * bench_loop to bench_loop_end, into the engine's machine.
 */
	.text
	.globl bench_loop, bench_loop_end
	.type bench_loop, @function
	/* at a cache line's start, wherever the linker puts the rest: the
	 * host ran the loop at 13.9 G or 16.2 G instructions a second as
	 * unrelated changes moved it */
	.p2align 6
bench_loop:
	mov %rdi, %rcx
	xor %r9d, %r9d
	xor %edx, %edx
	xor %r8d, %r8d
1:	mov (%rsi), %rax
	add %rax, %rdx
	xor %rdx, %r8
	mov %r8, 8(%rsi)
	inc %r9
	test $1, %r9b
	jz 2f
	add $3, %rdx
2:	dec %rcx
	jnz 1b
	mov %rdx, %rax
	ret
bench_loop_end:
	.size bench_loop, .-bench_loop
	.section .note.GNU-stack,"",@progbits
