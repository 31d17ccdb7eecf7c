#!/bin/sh
# chaos.sh: the hostile chaos probe under pmvm, several seeds and CPU models: status 0, a clean KTAP, nothing on stderr but pmvm's documented notices.
# needs: /dev/kvm
# Under make check SAN=1 the build directory is build/san, so pmvm runs with
# ASan, UBSan and LeakSanitizer (whose report makes the status non-zero).
. tests/integration/lib.sh

why=$(kvm_unusable)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The lines pmvm may print, once each, on a host that cannot step CPL3
# code while the guest counts user code (docs/counting.md); anything
# else fails.
notice="^pmvm: this host's KVM \(does not single-step CPL3 code\|cannot stop after one CPL3 instruction\)"

# chaos SEED OPS PMVM-OPTIONS...
chaos() {
	seed=$1 ops=$2
	shift 2
	what="chaos seed=$seed ops=$ops${*:+ $*}"
	if [ -n "$why" ]; then skip "$what" "$why"; return; fi
	"$pmvm" run --timeout=60 "$@" "$build/guest/chaos.elf" -- \
		"seed=$seed" "ops=$ops" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	other=$(grep -v "$notice" "$tmp/err" | head -n 3)
	if [ "$rc" != 0 ]; then
		not_ok "$what: status $rc: $(head -n 1 "$tmp/err") $(grep -m 2 -E '^(not ok|Bail|#.*unexpected)' "$tmp/out" | tr '\n' ' ')"
	elif [ -n "$other" ]; then
		not_ok "$what: pmvm said: $other"
	elif ! grep -qx '1\.\.3' "$tmp/out" || grep -q '^not ok' "$tmp/out" ||
		[ "$(grep -c '^ok ' "$tmp/out")" != 3 ]; then
		not_ok "$what: KTAP: $(grep -E '^(not )?ok' "$tmp/out" | tr '\n' ' ')"
	else
		ok "$what: exits 0, 3 of 3 KTAP results pass"
	fi
}

chaos 1 2000
chaos 2 2000 --cpu=none
chaos 3 2000 --cpu=skylake --policy=kvm-legacy
chaos 4 2000 --cpu=clearwater-forest --policy=kvm-mediated
chaos 7 2000 --cpu=arch-max
chaos 0xdeadbeef 20000
# A new seed every run, printed, so CI explores and a failure replays.
chaos "$(date +%s)" 2000 --cpu=icelake
exit $status
