#!/bin/sh
# counting.sh: the counting probe on the issue's four models: exact counts, and the same counts twice.
# needs: /dev/kvm
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

# The engine and single-step counting agree on the probe (CPL0 code, which
# every host steps).
if [ -n "$why" ]; then skip "count with --count=step" "$why"
else
	"$pmvm" run --cpu sapphire-rapids --count=step "$build/guest/count.elf" >"$tmp/step" 2>&1
	grep '^# obs ' "$tmp/step" >"$tmp/b"
	grep '^# obs ' "$tmp/sapphire-rapids.1" >"$tmp/a"
	if [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"; then
		ok "--count=step gives the engine's counts"
	else
		not_ok "--count=step gives the engine's counts: $(diff "$tmp/a" "$tmp/b" | head -4 | tr '\n' ';')"
	fi
fi

# User-mode code is counted, USR and OS apart, on every host (the engine
# runs it; checklist 47's accounting at both ends): 100,000 iterations.
for cpu in sapphire-rapids skylake; do
	if [ -n "$why" ]; then skip "count_user on $cpu" "$why"; continue; fi
	"$pmvm" run --cpu "$cpu" "$build/guest/count_user.elf" >"$tmp/u" 2>&1
	rc=$?
	for want in "usr = 200002" "os = 11" "all = 200013"; do
		if grep -qx "# obs count_user $want" "$tmp/u"; then ok "$cpu: count_user $want"
		else not_ok "$cpu: count_user $want ($(grep -m 1 "# obs count_user ${want% =*}\|pmvm:" "$tmp/u"))"; fi
	done
	[ "$rc" = 0 ] && ok "count_user on $cpu exits 0" || not_ok "count_user on $cpu exits 0: $rc"
done
exit $status
