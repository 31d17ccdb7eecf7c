#!/bin/sh
# deps.sh: makes sure clang and its libFuzzer runtime are there for make fuzz (make check does not need them).
set -eu
probe() {
	printf 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }\n' |
		${FUZZ_CC:-clang} -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null
}
probe && exit 0
scripts/deps.sh clang libclang-rt-14-dev
probe || { echo "fuzz: clang -fsanitize=fuzzer does not link" >&2; exit 1; }
