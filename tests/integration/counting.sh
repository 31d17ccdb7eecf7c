#!/bin/sh
# counting.sh: the counting probe on the issue's four models: exact counts, and the same counts twice.
. tests/integration/lib.sh

why=$(kvm_unusable)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for cpu in sapphire-rapids icelake skylake clearwater-forest; do
	if [ -n "$why" ]; then skip "count on $cpu" "$why"; continue; fi
	for run in 1 2; do
		"$pmvm" run --cpu "$cpu" "$build/guest/count.elf" >"$tmp/$cpu.$run" 2>&1
		echo $? >"$tmp/$cpu.$run.rc"
	done
	if [ "$(cat "$tmp/$cpu.1.rc")" != 0 ]; then
		not_ok "count on $cpu exits 0: $(grep -m 3 '^not ok\|pmvm:' "$tmp/$cpu.1" | tr '\n' ';')"
	else
		ok "count on $cpu passes all its checks"
	fi
	# Checklist 47-49: exact, whatever the model.
	for want in "gp0 instructions = 65" "gp0 branches = 10" "fixed0 instructions = 65"; do
		if grep -qx "# obs count $want" "$tmp/$cpu.1"; then ok "$cpu: $want"
		else not_ok "$cpu: $want ($(grep "# obs count ${want% =*}" "$tmp/$cpu.1"))"; fi
	done
	grep '^# obs ' "$tmp/$cpu.1" >"$tmp/a"
	grep '^# obs ' "$tmp/$cpu.2" >"$tmp/b"
	if [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"; then
		ok "$cpu: a second run gives the same counts ($(wc -l <"$tmp/a") observations)"
	else
		not_ok "$cpu: a second run gives the same counts: $(diff "$tmp/a" "$tmp/b" | head -4 | tr '\n' ';')"
	fi
done
exit $status
