#!/bin/sh
# suite.sh: runs every probe image under pmvm, one per CPU at a time, on one CPU model or several, and prints the results as one nested KTAP document.
# It ends with a summary: one KTAP comment line per model, then the totals.
# usage: scripts/suite.sh [BUILD_DIR] [--cpus=all|M1,M2,...] [pmvm run options...]
#   --cpus: the suite on each of these models (all: every configs/*.ini,
#   both core types of a hybrid one), one KTAP test per model; the probes
#   of every model share the CPUs.
set -u
build=${1:-build}
[ $# -gt 0 ] && shift
models=
case ${1:-} in
--cpus=all)
	for f in configs/*.ini; do
		m=$(basename "$f" .ini)
		if grep -q '^\[cpu\.atom\]' "$f"; then models="$models $m:core $m:atom"
		else models="$models $m"; fi
	done
	shift ;;
--cpus=*) models=$(echo "${1#--cpus=}" | tr ',' ' '); shift ;;
esac
probes=$(ls "$build"/guest/*.elf)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One job per model and probe (model "-": pmvm's default or the options'),
# each writing $tmp/MODEL.NAME.{out,rc}. The RDPMC sweep, the longest,
# goes first so the CPUs stay busy to the end.
for m in ${models:--}; do
	for img in $probes; do
		case $img in */rdpmc.elf) echo "0 $m $img" ;; *) echo "1 $m $img" ;; esac
	done
done | sort -s -k1,1 | cut -d' ' -f2- |
	xargs -P "$(nproc 2>/dev/null || echo 1)" -I {} sh -c '
		m=${1%% *} img=${1#* } tmp=$2; shift 2
		n=$(basename "$img" .elf)
		if [ "$m" = - ]; then set -- "$@" "$img"
		else set -- "$@" --cpu="$m" "$img"; fi
		"$@" >"$tmp/$m.$n.out" 2>"$tmp/$m.$n.err"
		echo $? >"$tmp/$m.$n.rc"' sh-job {} "$tmp" "$build/pmvm" run "$@"

# report MODEL INDENT: the probes' KTAP for one model, in the probes'
# order; fails if any probe failed.
report() {
	echo "${2}KTAP version 1"
	echo "${2}1..$(echo "$probes" | wc -l)"
	i=0 failed=0
	for img in $probes; do
		i=$((i + 1))
		name=$(basename "$img" .elf)
		sed "s/^/${2}    /" "$tmp/$1.$name.out"
		# pmvm's own lines (the engine chosen without KVM, a warning):
		# KTAP diagnostics, after the probe's.
		sed "s/^/${2}    # /" "$tmp/$1.$name.err"
		rc=$(cat "$tmp/$1.$name.rc")
		if [ "$rc" = 0 ]; then echo "${2}ok $i $name"
		else echo "${2}not ok $i $name # exit status $rc"; failed=$((failed + 1)); fi
	done
	[ $failed = 0 ]
}

# tally MODEL: sets np, pp (probes run, passed) and t_ok, t_skip, t_fail:
# each probe's own KTAP results, at any depth.
tally() {
	np=0 pp=0 t_ok=0 t_skip=0 t_fail=0
	for img in $probes; do
		name=$(basename "$img" .elf)
		np=$((np + 1))
		[ "$(cat "$tmp/$1.$name.rc")" = 0 ] && pp=$((pp + 1))
		o=$(grep -Ec '^ *ok [0-9]' "$tmp/$1.$name.out")
		k=$(grep -Ec '^ *ok [0-9].*# SKIP' "$tmp/$1.$name.out")
		f=$(grep -Ec '^ *not ok [0-9]' "$tmp/$1.$name.out")
		t_ok=$((t_ok + o - k)) t_skip=$((t_skip + k)) t_fail=$((t_fail + f))
	done
}

# The closing lines: one per model, then the totals.
summary() {
	echo "# summary:"
	all_p=0 all_n=0 all_ok=0 all_skip=0 all_fail=0
	for m in ${models:--}; do
		tally "$m"
		label=$m; [ "$m" = - ] && label="the default model"
		echo "#   $label: $pp of $np probes passed; $t_ok tests ok," \
			"$t_skip skipped, $t_fail failed"
		all_p=$((all_p + pp)) all_n=$((all_n + np))
		all_ok=$((all_ok + t_ok)) all_skip=$((all_skip + t_skip))
		all_fail=$((all_fail + t_fail))
	done
	echo "# $all_p of $all_n probe runs passed; $all_ok tests ok," \
		"$all_skip skipped, $all_fail failed"
}

if [ -z "$models" ]; then
	report - ""
	rc=$?
	summary
	exit $rc
fi
echo "KTAP version 1"
echo "1..$(echo "$models" | wc -w)"
k=0 bad=0
for m in $models; do
	k=$((k + 1))
	if report "$m" "    "; then echo "ok $k $m"
	else echo "not ok $k $m"; bad=$((bad + 1)); fi
done
summary
[ $bad = 0 ]
