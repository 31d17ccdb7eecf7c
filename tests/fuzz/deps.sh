#!/bin/sh
# deps.sh: makes sure clang and its libFuzzer runtime are there for make fuzz (make check does not need them).
set -eu
probe() {
	printf 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }\n' |
		${FUZZ_CC:-clang} -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null
}
probe && exit 0
PKGS="clang libclang-rt-14-dev"
if [ "$(id -u)" != 0 ]; then
	echo "fuzz: clang with libFuzzer is missing (run as root, or: sudo apt-get install $PKGS)" >&2
	exit 1
fi
echo "fuzz: installing $PKGS" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $PKGS >/dev/null
probe || { echo "fuzz: clang -fsanitize=fuzzer still does not link" >&2; exit 1; }
