#!/bin/sh
# diff.sh: pmvm diff of the cpuid, msr and rdpmc probes against QEMU TCG (a command, and a captured log): exactly the differences QEMU's missing PMU predicts, in text and in JSON read by jq.
. tests/integration/lib.sh

qemu=qemu-system-x86_64
if ! command -v "$qemu" >/dev/null 2>&1; then
	skip "pmvm diff against QEMU TCG" "$qemu not installed"
	exit 0
fi
if ! command -v jq >/dev/null 2>&1; then
	skip "pmvm diff against QEMU TCG" "jq not installed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
why=$(kvm_unusable)

# What QEMU TCG, which has no PMU, answers (QEMU's helper_rdpmc and
# helper_rdmsr/wrmsr): RDPMC faults #GP where CPL3 without CR4.PCE fails
# the privilege check and #UD everywhere else, so the sweep finds no type;
# RDMSR of a PMU MSR reads 0, WRMSR is dropped without a fault; CPUID has
# leaf 0xA all zero and no PDCM. From pmvm's expected lines (tests/expect,
# hand-written), the indices (from 0) of the lines QEMU answers otherwise.
expected_differences() {
	awk '
	/^rdpmc sweep/ { if ($0 !~ /: types$/) print NR - 1; next }
	/^rdpmc/ { q = ($0 ~ / cpl3 pce0:/) ? "#GP(0)" : "#UD"
		   a = $0; sub(/.*: /, "", a); if (a != q) print NR - 1; next }
	/^rdmsr/ { if ($0 !~ / = 0x0000000000000000$/) print NR - 1; next }
	/^wrmsr/ { if ($0 !~ /: ok$/) print NR - 1; next }
	/^cpuid 0x1:/ { if ($0 != "cpuid 0x1: pdcm 0") print NR - 1; next }
	/^cpuid 0xa:/ { if ($0 !~ /version 0 gp 0 /) print NR - 1; next }
	{ print NR - 1 }' "$1"
}

for cpu in sapphire-rapids clearwater-forest; do
	for probe in cpuid msr rdpmc; do
	for side in kvm engine; do
		table=tests/expect/$cpu.native.$probe
		# pmvm's side: a run on /dev/kvm, or without one its expected
		# lines (tests/integration/conformance.sh holds pmvm to them);
		# and a run in pmvm's engine (--accel=engine), anywhere
		if [ "$side" = engine ]; then
			mine="--accel=engine" how="pmvm run --accel=engine"
		elif [ -n "$why" ]; then
			sed 's/^/# obs /' "$table" >"$tmp/pmvm.log"
			mine="--pmvm-log $tmp/pmvm.log"
			how="pmvm's expected lines ($why)"
		else
			mine="" how="pmvm run"
		fi
		expected_differences "$table" >"$tmp/want"
		# shellcheck disable=SC2086
		"$pmvm" diff --cpu "$cpu" --format=json $mine "$probe" -- \
			"$qemu" -accel tcg -display none -serial stdio -no-reboot \
			-device isa-debug-exit,iobase=0xf4,iosize=1 \
			-kernel "$build/guest/$probe.elf" >"$tmp/json" 2>"$tmp/err"
		rc=$?
		if ! jq -e '.schema == "pmvm.diff/1" and (.differences | type) == "array"' \
			"$tmp/json" >/dev/null 2>&1; then
			not_ok "diff $probe on $cpu: not pmvm.diff/1 JSON (status $rc: $(head -c 200 "$tmp/err"))"
			continue
		fi
		jq -r '.differences[].index' "$tmp/json" >"$tmp/got"
		nwant=$(wc -l <"$tmp/want")
		if [ "$rc" = 1 ] && cmp -s "$tmp/want" "$tmp/got"; then
			ok "diff $probe on $cpu vs QEMU TCG: the $nwant predicted differences and no other ($how)"
		else
			not_ok "diff $probe on $cpu vs QEMU TCG: status $rc, lines $(diff "$tmp/want" "$tmp/got" | grep '^[<>]' | head -n 5 | tr '\n' ' ') ($how)"
		fi
	done
	done
done
# --accel takes pmvm run's words only: one line, 64.
"$pmvm" diff --accel=tcg rdpmc -- true >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 64 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q -- "--accel" "$tmp/err"; then
	ok "diff --accel=tcg: 64, '$(cat "$tmp/err")'"
else
	not_ok "diff --accel=tcg: status $rc, '$(cat "$tmp/err")'"
fi

# The same from a captured log (bare metal's way), in text: one line per
# difference with both answers and pmvm's rule, then the summary.
table=tests/expect/sapphire-rapids.native.rdpmc
timeout 60 "$qemu" -accel tcg -display none -serial stdio -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=1 \
	-kernel "$build/guest/rdpmc.elf" >"$tmp/qemu.log" 2>&1 </dev/null
sed 's/^/# obs /' "$table" >"$tmp/pmvm.log"
"$pmvm" diff --cpu sapphire-rapids --pmvm-log "$tmp/pmvm.log" rdpmc \
	--log "$tmp/qemu.log" >"$tmp/text"
rc=$?
line=$(grep -m 1 '^rdpmc 0x00000000 cpl0 pce0:' "$tmp/text")
if [ "$rc" = 1 ] &&
	[ "$line" = "rdpmc 0x00000000 cpl0 pce0: pmvm ok, other #UD; rule: RDPMC type 0 reads IA32_PMCx, zero-extended from CPUID.0AH:EAX[23:16] bits" ] &&
	tail -n 1 "$tmp/text" | grep -q "^pmvm diff: $(wc -l <"$table") obs lines, 4 agree, $(($(wc -l <"$table") - 4)) differ"; then
	ok "diff --log: '$line', '$(tail -n 1 "$tmp/text")'"
else
	not_ok "diff --log: status $rc: '$line' / '$(tail -n 1 "$tmp/text")'"
fi
# A run against itself agrees: status 0.
"$pmvm" diff --cpu sapphire-rapids --pmvm-log "$tmp/pmvm.log" rdpmc \
	--log "$tmp/pmvm.log" >"$tmp/text"
rc=$?
if [ "$rc" = 0 ] && grep -q ", 0 differ" "$tmp/text"; then
	ok "diff of a log with itself: status 0, $(tail -n 1 "$tmp/text")"
else
	not_ok "diff of a log with itself: status $rc"
fi
# One line and a status for what cannot be compared.
"$pmvm" diff --pmvm-log "$tmp/pmvm.log" rdpmc >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 64 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q 'give the other side' "$tmp/err"; then
	ok "diff without the other side: 64, '$(cat "$tmp/err")'"
else
	not_ok "diff without the other side: status $rc, '$(cat "$tmp/err")'"
fi
"$pmvm" diff --pmvm-log "$tmp/pmvm.log" rdpmc -- "$tmp/no-such-command" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 65 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q 'could not be run' "$tmp/err"; then
	ok "diff against a command that does not exist: 65, '$(cat "$tmp/err")'"
else
	not_ok "diff against a command that does not exist: status $rc, '$(cat "$tmp/err")'"
fi
# A command that fails says why: its own words, then pmvm's line.
"$pmvm" diff --pmvm-log "$tmp/pmvm.log" rdpmc -- sh -c \
	"echo 'qemu: could not open kernel file' >&2; exit 1" >/dev/null 2>"$tmp/err"
rc=$?
want="pmvm diff: sh said: qemu: could not open kernel file
pmvm: diff: sh printed no '# obs' lines (status 1)"
if [ "$rc" = 65 ] && [ "$(cat "$tmp/err")" = "$want" ]; then
	ok "diff against a command that fails: 65, its own words, then pmvm's line"
else
	not_ok "diff against a command that fails: status $rc, '$(cat "$tmp/err")'"
fi
# One that outlives --timeout: what it printed is compared, what is
# missing and what it said are named, and the status is 124.
n_obs=$(grep -c '^# obs ' "$tmp/pmvm.log")
first=$(grep -m 1 '^# obs ' "$tmp/pmvm.log")
"$pmvm" diff --timeout=1 --pmvm-log "$tmp/pmvm.log" rdpmc -- sh -c \
	"echo '$first'; echo booting >&2; sleep 30" >"$tmp/text" 2>"$tmp/err"
rc=$?
if [ "$rc" = 124 ] &&
   grep -qx "pmvm: diff: sh still running after 1 s (--timeout): killed; comparing the 1 '# obs' lines it printed with pmvm's $n_obs" "$tmp/err" &&
   grep -qx "pmvm diff: sh said: booting" "$tmp/err" &&
   grep -qx "pmvm: diff: lines 2 to $n_obs of pmvm's are missing on the other side, which was killed (--timeout)" "$tmp/err" &&
   grep -qx "pmvm diff: $n_obs obs lines, 1 agree, $((n_obs - 1)) differ (pmvm $n_obs lines, other 1)" "$tmp/text"; then
	ok "diff against a command killed at --timeout: 124, compares its 1 line of $n_obs, names the rest and its words"
else
	not_ok "diff against a command killed at --timeout: status $rc, '$(cat "$tmp/err")', '$(tail -n 1 "$tmp/text")'"
fi
exit $status
