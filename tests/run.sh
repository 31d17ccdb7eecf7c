#!/bin/sh
# run.sh: runs every unit test and integration script and prints one closing count line.
# usage: tests/run.sh BUILD_DIR   (build or build/san)
set -u
build=${1:-build}
passed=0 failed=0 skipped=0
export PMVM_CONFIG_DIR="$PWD/configs"

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	echo "# unit: $t"
	if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done

# The engine against the host CPU: a fixed set of seeds (make difftest runs
# a million).
echo "# unit: $build/tests/difftest --seeds=20000"
if "$build/tests/difftest" --seeds=20000; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

for s in tests/integration/*.sh; do
	[ -f "$s" ] && [ "${s##*/}" != lib.sh ] || continue
	echo "# integration: $s"
	out=$(sh "$s" "$build" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep -c '^ok .*# SKIP' || true)
	o=$(printf '%s\n' "$out" | grep '^ok ' | grep -vc '# SKIP' || true)
	n=$(printf '%s\n' "$out" | grep -c '^not ok ' || true)
	skipped=$((skipped + p)) passed=$((passed + o)) failed=$((failed + n))
	if [ "$rc" != 0 ] && [ "$n" = 0 ]; then
		echo "not ok - $s exited $rc"
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
