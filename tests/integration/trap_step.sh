#!/bin/sh
# trap_step.sh: the msr and cpuid probes give the same observations when RDPMC is caught by single-step.
# needs: /dev/kvm
. tests/integration/lib.sh

why=$(kvm_unusable)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for cpu in sapphire-rapids clearwater-forest; do
	for probe in cpuid msr; do
		what="$cpu $probe with --trap=step matches tests/expect"
		if [ -n "$why" ]; then skip "$what" "$why"; continue; fi
		obs_matches "$what" "$cpu.native.$probe" "$tmp/run" --trap=step \
			--timeout=60 --cpu "$cpu" "$build/guest/$probe.elf"
	done
done
exit $status
