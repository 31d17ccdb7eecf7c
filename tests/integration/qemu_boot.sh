#!/bin/sh
# qemu_boot.sh: boots probe images unchanged under QEMU TCG (multiboot -kernel) and checks KTAP and exit status.
# usage: tests/integration/qemu_boot.sh BUILD_DIR   (from the repository root)
. tests/integration/lib.sh

qemu=qemu-system-x86_64
probes="hello cpuid selftest"
# QEMU's isa-debug-exit ends with (v << 1) | 1: guest status 0 gives 1.
want_rc=1

if ! command -v "$qemu" >/dev/null 2>&1; then
	for p in $probes; do
		skip "$p boots under QEMU" "$qemu not installed"
	done
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for p in $probes; do
	img="$build/guest/$p.elf"
	if [ ! -f "$img" ]; then
		not_ok "$p boots under QEMU ($img missing: run make)"
		continue
	fi
	timeout 30 "$qemu" -accel tcg -nodefaults -display none -no-reboot \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=1 \
		-kernel "$img" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [ "$rc" = 124 ]; then
		not_ok "$p boots under QEMU (no exit within 30 s)"
		continue
	fi
	if [ "$(head -n 1 "$tmp/out")" = "KTAP version 1" ] &&
	    grep -q '^1\.\.[1-9][0-9]*$' "$tmp/out"; then
		ok "$p under QEMU prints the KTAP header and plan"
	else
		not_ok "$p under QEMU prints the KTAP header and plan" \
		    "(got: $(head -n 2 "$tmp/out" | tr '\n' ' ')$(head -n 1 "$tmp/err"))"
	fi
	if grep -q '^ok 1 ' "$tmp/out" && ! grep -q '^not ok' "$tmp/out"; then
		ok "$p under QEMU reports ok 1 and no failure"
	else
		not_ok "$p under QEMU reports ok 1 and no failure" \
		    "($(grep -E '^(not ok|Bail out)' "$tmp/out" | head -n 3 | tr '\n' ';'))"
	fi
	if [ "$rc" = "$want_rc" ]; then
		ok "$p under QEMU exits through isa-debug-exit with guest status 0"
	else
		not_ok "$p under QEMU exits through isa-debug-exit with guest" \
		    "status 0 (QEMU status $rc, want $want_rc)"
	fi
done

# The same image prints the same KTAP as under pmvm (checked there too).
if [ -f "$build/guest/hello.elf" ]; then
	out=$(timeout 30 "$qemu" -accel tcg -nodefaults -display none \
		-no-reboot -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=1 \
		-kernel "$build/guest/hello.elf" </dev/null 2>/dev/null)
	if [ "$out" = "$(printf 'KTAP version 1\n1..1\nok 1 hello')" ]; then
		ok "hello under QEMU prints exactly its plan and ok 1"
	else
		not_ok "hello under QEMU prints exactly its plan and ok 1 (got: $out)"
	fi
fi
exit $status
