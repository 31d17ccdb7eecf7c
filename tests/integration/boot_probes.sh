#!/bin/sh
# boot_probes.sh: boots every probe image under pmvm and checks its KTAP and exit status.
# needs: /dev/kvm
# PMVM_ACCEL (default kvm) is what runs them: engine_probes.sh runs the same
# checks with pmvm's engine as the CPU, which needs no /dev/kvm.
. tests/integration/lib.sh
accel=${PMVM_ACCEL:-kvm}
why=
[ "$accel" = engine ] || why=$(kvm_unusable)
for img in "$build"/guest/*.elf; do
	name=$(basename "$img" .elf)
	[ "$accel" = kvm ] || name="$name, --accel=$accel"
	if [ -n "$why" ]; then skip "$name boots under pmvm" "$why"; continue; fi
	out=$("$pmvm" run --accel="$accel" --timeout=60 "$img" 2>/tmp/pmvm-err.$$)
	rc=$?
	if [ $rc != 0 ]; then
		not_ok "$name exits 0 (got $rc: $(head -n 1 /tmp/pmvm-err.$$))"
	elif ! printf '%s\n' "$out" | head -n 1 | grep -qx 'KTAP version 1'; then
		not_ok "$name prints a KTAP header first"
	elif ! printf '%s\n' "$out" | grep -q '^1\.\.[0-9]'; then
		not_ok "$name prints a KTAP plan"
	elif printf '%s\n' "$out" | grep -q '^not ok'; then
		not_ok "$name: $(printf '%s\n' "$out" | grep '^not ok' | head -n 3 | tr '\n' ';')"
	else
		ok "$name boots under pmvm, passes its KTAP and exits 0"
	fi
done
rm -f /tmp/pmvm-err.$$

# The exact output of the smallest probe.
if [ -n "$why" ]; then
	skip "hello prints exactly its plan and ok 1" "$why"
else
	out=$("$pmvm" run --accel="$accel" "$build/guest/hello.elf" | grep -v '^#')
	if [ "$out" = "$(printf 'KTAP version 1\n1..1\nok 1 hello')" ]; then
		ok "hello prints exactly its plan and ok 1"
	else
		not_ok "hello prints exactly its plan and ok 1 (got: $out)"
	fi
fi
exit $status
