#!/bin/sh
# conformance.sh: runs the rdpmc, msr and cpuid probes on every CPU model under every policy and compares their `# obs` lines with tests/expect.
# needs: /dev/kvm
# One test per model, policy and probe. The tables are written by hand from the
# spec (tests/expect/README.md); a table holding the single line `refused`
# expects pmvm to refuse the pair: status 65 and one line on stderr.
# CONFORMANCE_JOBS (default 2) bounds how many model/policy pairs run at once.
# PMVM_ACCEL (default kvm) is what runs the guests: engine_conformance.sh runs
# the same tables with pmvm's engine as the CPU, which needs no /dev/kvm.
. tests/integration/lib.sh
accel=${PMVM_ACCEL:-kvm}

models="none skylake icelake sapphire-rapids granite-rapids sierra-forest
clearwater-forest lunar-lake-p arch-max"
policies="native kvm-legacy kvm-mediated"
probes="rdpmc msr cpuid"
expect=tests/expect
jobs=${CONFORMANCE_JOBS:-2}
PMVM_CONFIG_DIR=${PMVM_CONFIG_DIR:-$PWD/configs}
export PMVM_CONFIG_DIR

why=
[ "$accel" = engine ] || why=$(kvm_unusable)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Why PROBE cannot run, or nothing if it can. A probe whose source exists but
# whose image is missing is a build failure, not a skip.
probe_missing() {
	[ -f "$build/guest/$1.elf" ] && return
	if [ -f "guest/probes/$1.c" ]; then
		echo "built"
	else
		echo "guest/probes/$1.c is not written yet"
	fi
}

runnable=""
for probe in $probes; do
	[ -z "$(probe_missing "$probe")" ] && runnable="$runnable $probe"
done

# Run every pair, at most $jobs at a time; results land in $tmp and are
# reported below in a fixed order.
if [ -z "$why" ] && [ -n "$runnable" ]; then
	export pmvm build tmp runnable accel
	for model in $models; do
		for policy in $policies; do
			echo "$model $policy"
		done
	done | xargs -n 2 -P "$jobs" sh -c '
		for probe in $runnable; do
			f="$tmp/$1.$2.$probe"
			"$pmvm" run --accel="$accel" --timeout=60 --cpu "$1" --policy "$2" \
				"$build/guest/$probe.elf" >"$f.out" 2>"$f.err"
			echo $? >"$f.rc"
		done' sh
fi

# Print DIFF-OUTPUT as KTAP diagnostics, at most 20 lines.
show_diff() {
	head -n 20 "$1" | sed 's/^/# /'
}

check() {
	model=$1 policy=$2 probe=$3
	what="$model $policy $probe"
	[ "$accel" = kvm ] || what="$what, --accel=$accel"
	table="$expect/$model.$policy.$probe"
	f="$tmp/$model.$policy.$probe"
	if [ -n "$why" ]; then skip "$what" "$why"; return; fi
	missing=$(probe_missing "$probe")
	if [ "$missing" = built ]; then
		not_ok "$what: $build/guest/$probe.elf is missing"; return
	elif [ -n "$missing" ]; then
		skip "$what" "$missing"; return
	fi
	if [ ! -f "$table" ]; then not_ok "$what: $table is missing"; return; fi
	rc=$(cat "$f.rc" 2>/dev/null)
	if [ "$(cat "$table")" = refused ]; then
		lines=$(wc -l <"$f.err")
		if [ "$rc" = 65 ] && [ "$lines" = 1 ]; then
			ok "$what: refused (status 65: $(cat "$f.err"))"
		else
			not_ok "$what: want refusal (status 65, one line), got status $rc and $lines stderr lines"
			head -n 3 "$f.err" | sed 's/^/# stderr: /'
		fi
		return
	fi
	grep '^# obs ' "$f.out" | sed 's/^# obs //' >"$f.obs"
	if diff -u "$table" "$f.obs" >"$f.diff"; then
		if [ "$rc" = 0 ]; then
			ok "$what: $(wc -l <"$table") observations as expected"
		else
			not_ok "$what: observations as expected but status $rc: $(head -n 1 "$f.err")"
		fi
	else
		not_ok "$what: $(grep -c '^-[^-]' "$f.diff") expected lines differ (status $rc)"
		show_diff "$f.diff"
		[ "$rc" = 0 ] || head -n 2 "$f.err" | sed 's/^/# stderr: /'
	fi
}

for model in $models; do
	for policy in $policies; do
		for probe in $probes; do
			check "$model" "$policy" "$probe"
		done
	done
done
exit $status
