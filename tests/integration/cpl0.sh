#!/bin/sh
# cpl0.sh: the probes give the same observations whoever runs the guest's CPL0 code (--cpl0=engine and --cpl0=kvm), and the engine's counts pass the count probe.
# needs: /dev/kvm
. tests/integration/lib.sh

why=$(kvm_unusable)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for who in engine kvm; do
	for cpu in sapphire-rapids clearwater-forest; do
		for probe in cpuid msr rdpmc; do
			what="$cpu $probe with --cpl0=$who matches tests/expect"
			if [ -n "$why" ]; then skip "$what" "$why"; continue; fi
			obs_matches "$what" "$cpu.native.$probe" "$tmp/run" \
				--cpl0=$who --timeout=60 --cpu "$cpu" \
				"$build/guest/$probe.elf"
		done
	done
	what="the count probe with --cpl0=$who passes"
	if [ -n "$why" ]; then skip "$what" "$why"; continue; fi
	"$pmvm" run --cpl0=$who --timeout=60 "$build/guest/count.elf" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc != 0 ]; then
		not_ok "$what: status $rc: $(grep -m 3 '^not ok' "$tmp/out" | tr '\n' ' ')"
	else
		ok "$what"
	fi
done
exit $status
