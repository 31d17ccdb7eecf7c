#!/bin/sh
# trap_step.sh: the msr and cpuid probes give the same observations when RDPMC is caught by single-step.
. tests/integration/lib.sh

why=$(kvm_unusable)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for cpu in sapphire-rapids clearwater-forest; do
	for probe in cpuid msr; do
		what="$cpu $probe with --trap=step matches tests/expect"
		if [ -n "$why" ]; then skip "$what" "$why"; continue; fi
		"$pmvm" run --trap=step --timeout=60 --cpu "$cpu" \
			"$build/guest/$probe.elf" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		grep '^# obs ' "$tmp/out" | sed 's/^# obs //' >"$tmp/obs"
		if [ $rc != 0 ]; then
			not_ok "$what: status $rc ($(head -n 1 "$tmp/err"))"
		elif ! diff -u "tests/expect/$cpu.native.$probe" "$tmp/obs" >"$tmp/diff"; then
			not_ok "$what"; sed -n '3,12s/^/# /p' "$tmp/diff"
		else
			ok "$what"
		fi
	done
done
exit $status
