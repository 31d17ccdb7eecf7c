#!/bin/sh
# run.sh: runs every unit test and integration script, each result line as it comes, then the time each took and one closing count line that says where the KVM tests ran.
# usage: tests/run.sh BUILD_DIR   (build or build/san)
#
# A script whose third line is "# needs: /dev/kvm" runs guests in every
# test; its results are the KVM tests. Where /dev/kvm cannot run guests,
# those scripts still run here (each test skips, saying why), and
# scripts/testvm.sh runs them again in a throw-away VM whose KVM runs
# nested under QEMU TCG (docs/testing.md). TESTVM=0 leaves the VM out
# (the closing line then says the KVM tests did not run).
set -u
build=${1:-build}
export PMVM_CONFIG_DIR="$PWD/configs"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
. tests/integration/lib.sh
kvm_why=$(kvm_unusable)

passed=0 failed=0 skipped=0
kvm_host=0 kvm_vm=0 kvm_skipped=0
: >"$tmp/times"

now() { date +%s; }

# tally FILE: adds the file's result lines to the counts; sets p, s, f
# to its own (passed, skipped, failed), and keeps each skip's reason.
tally() {
	p=$(grep '^ok ' "$1" | grep -vc '# SKIP' || true)
	s=$(grep -c '^ok .*# SKIP' "$1" || true)
	f=$(grep -c '^not ok' "$1" || true)
	passed=$((passed + p)) skipped=$((skipped + s)) failed=$((failed + f))
	sed -n 's/^ok .*# SKIP //p' "$1" >>"$tmp/skips"
}

# timed NAME SECONDS RESULTS: one line of the closing summary.
timed() { printf '#   %-40s %5ss  %s\n' "$1" "$2" "$3" >>"$tmp/times"; }

# One test program or script: its output streamed as it comes and kept.
# Sets rc and out.
stream() {
	out="$tmp/out"
	{ "$@" 2>&1; echo $? >"$tmp/rc"; } | tee "$out"
	rc=$(cat "$tmp/rc")
}

: >"$tmp/skips"
t0=$(now)
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	echo "# unit: $t"
	stream "$t"
	if [ "$rc" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
# The engine against the host CPU: a fixed set of seeds of each family,
# 64-bit code, 32-bit compatibility-mode code and code that switches
# between the two modes (make difftest runs a million of each).
echo "# unit: $build/tests/difftest --seeds=20000 (each family)"
stream "$build/tests/difftest" --seeds=20000
if [ "$rc" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
timed "unit tests and difftest" $(($(now) - t0)) ""

for sc in tests/integration/*.sh; do
	[ -f "$sc" ] && [ "${sc##*/}" != lib.sh ] || continue
	echo "# integration: $sc"
	t0=$(now)
	stream sh "$sc" "$build"
	tally "$out"
	if [ "$(sed -n 3p "$sc")" = "# needs: /dev/kvm" ]; then
		kvm_skipped=$((kvm_skipped + s))
		[ -n "$kvm_why" ] || kvm_host=$((kvm_host + p + f))
	fi
	# A script that exits non-zero without a failing result still fails.
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $sc exited $rc"
		failed=$((failed + 1))
	fi
	timed "$sc" $(($(now) - t0)) "$p passed, $f failed, $s skipped"
done

# Where /dev/kvm cannot run guests: the KVM scripts in the test VM.
vm_note=""
if [ -n "$kvm_why" ] && [ "${TESTVM:-1}" = 0 ]; then
	vm_note="the test VM was left out (TESTVM=0)"
elif [ -n "$kvm_why" ]; then
	echo "# /dev/kvm cannot run guests here ($kvm_why): the KVM tests in the test VM"
	t0=$(now)
	stream sh scripts/testvm.sh "$build"
	vm_rc=$rc
	# The VM's results count as results; its skips have their reasons.
	tally "$out"
	kvm_vm=$((p + f))
	timed "test VM (scripts/testvm.sh)" $(($(now) - t0)) "$kvm_vm ran"
	if [ "$vm_rc" = 69 ]; then
		vm_note="the test VM cannot run here: $(grep -m 1 '^testvm:' "$out" | sed 's/^testvm: //')"
	elif [ "$vm_rc" != 0 ]; then
		echo "not ok - the test VM did not run to its end (status $vm_rc)"
		failed=$((failed + 1))
	fi
fi

echo "# summary"
cat "$tmp/times"
if [ -s "$tmp/skips" ]; then
	echo "# skipped, by reason:"
	sort "$tmp/skips" | uniq -c | sort -rn | sed 's/^ */#   /'
fi
if [ -z "$kvm_why" ]; then
	where="$kvm_host on this host's /dev/kvm"
else
	where="0 on this host ($kvm_why), $kvm_vm in the test VM"
	[ -z "$vm_note" ] || where="$where ($vm_note)"
fi
echo "$passed passed, $failed failed, $skipped skipped; KVM tests: $where, $kvm_skipped skipped here"
[ "$failed" = 0 ]
