#!/bin/sh
# kut.sh: kvm-unit-tests' own PMU images, unmodified, under pmvm on each model and policy, with the suite's PASS/FAIL/SKIP lines; pmu.flat under QEMU TCG beside them.
# needs: /dev/kvm
# usage: tests/integration/kut.sh BUILD_DIR   (from the repository root)
# KUT_DIR=DIR: the directory of pmu.flat, pmu_lbr.flat and pmu_pebs.flat
# (default ../shared/kvm-unit-tests/x86). KUT_JOBS=N: runs at a time (2).
# KUT_PMVM_OPTS: more pmvm run options (e.g. --timeout=3000 on a slow host,
# such as nested KVM under QEMU TCG, where pmu.flat takes about 20 minutes).
# KUT_RUNS="NAME...": only these runs, by the names below (pmu.MODEL.POLICY,
# lbr.MODEL, pebs.MODEL, msr.sapphire-rapids, tsc.sapphire-rapids); unset,
# all of them (the test VM, scripts/testvm.sh, runs one pmu.flat), but
# under the sanitizer build (make check SAN=1), where a pmu.flat run takes
# minutes, two: a big core natively and an Atom with non-contiguous fixed
# counters under kvm-legacy, the rest as always.
# PMVM_ACCEL=engine (engine_kut.sh): the same images with pmvm's engine as
# the CPU, no /dev/kvm needed; there pmu.flat takes about 85 s a run, so
# unless KUT_RUNS says otherwise the two pmu.flat runs above (one under the
# sanitizer build), and the platform images tsc_adjust.flat and rdpru.flat
# too (which pass on the engine's CPU as under QEMU TCG).
. tests/integration/lib.sh
accel=${PMVM_ACCEL:-kvm}

if [ "$accel" = engine ]; then
	# Under the sanitizer build one pmu.flat run in the engine: minutes each.
	case $build in */san) : "${KUT_RUNS:=pmu.sapphire-rapids.native lbr.sapphire-rapids pebs.sapphire-rapids msr.sapphire-rapids tsc.sapphire-rapids tsc_adjust.sapphire-rapids rdpru.sapphire-rapids}" ;; esac
	: "${KUT_RUNS:=pmu.sapphire-rapids.native pmu.clearwater-forest.kvm-legacy lbr.sapphire-rapids pebs.sapphire-rapids msr.sapphire-rapids tsc.sapphire-rapids tsc_adjust.sapphire-rapids rdpru.sapphire-rapids}"
fi
case $build in
*/san) : "${KUT_RUNS:=pmu.sapphire-rapids.native pmu.clearwater-forest.kvm-legacy lbr.sapphire-rapids pebs.sapphire-rapids msr.sapphire-rapids tsc.sapphire-rapids}" ;;
esac

dir=${KUT_DIR:-../shared/kvm-unit-tests/x86}
jobs=${KUT_JOBS:-2}
models="sapphire-rapids icelake skylake granite-rapids clearwater-forest"
policies="native kvm-legacy"
qemu=qemu-system-x86_64

if [ ! -f "$dir/pmu.flat" ]; then
	skip "kvm-unit-tests PMU images" "no $dir/pmu.flat (set KUT_DIR)"
	exit 0
fi
why=
[ "$accel" = engine ] || why=$(kvm_unusable)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run NAME IMAGE PMVM-OPTIONS...: one image under pmvm, as the suite's
# runner starts it on QEMU (docs/cli.md, "kvm-unit-tests"); the output,
# then the status, in $tmp/NAME.
run() {
	name=$1 image=$2
	shift 2
	# shellcheck disable=SC2086
	"$pmvm" run --accel="$accel" --machine=pc --timeout=900 ${KUT_PMVM_OPTS:-} "$@" "$image" \
		>"$tmp/$name" 2>&1 </dev/null
	echo $? >"$tmp/$name.rc"
}

# report WHAT NAME [skipped|tsc]: one KTAP result for a run, its suite
# lines as diagnostics. kvm-unit-tests ends with exit(failures != 0), which
# QEMU's isa-debug-exit (and --machine=pc) turn into status 1 for success;
# a test that only skipped exits 38, status 77, which its runner reports
# as SKIP. "skipped": that and a SKIP line is the expected end (pmu_lbr,
# pmu_pebs: pmvm has no LBR or PEBS). "tsc": tsc.flat, whose three RDTSCP
# and three RDPID tests run where the guest's CPUID has the instruction,
# and which says "rdtscp not supported" or "rdpid not supported" where it
# has not: its summary must count 3 for each it runs, and where it runs
# neither (the host's KVM offers neither) the result is a SKIP that says
# so, never a pass on 0 tests.
report() {
	what=$1 name=$2 mode=${3:-}
	rc=$(cat "$tmp/$name.rc")
	grep -E '^(PASS|FAIL|SKIP|XFAIL|XPASS|SUMMARY)' "$tmp/$name" | sed 's/^/# /'
	fails=$(grep -c '^FAIL' "$tmp/$name")
	summary=$(grep -m 1 '^SUMMARY' "$tmp/$name" | tr -d '\r')
	if [ "$mode" = tsc ]; then
		absent=$(grep -c '^rdtscp not supported\|^rdpid not supported' "$tmp/$name")
		want=$((3 * (2 - absent)))
		grep -m 2 '^rdtsc after wrtsc' "$tmp/$name" | sed 's/^/# /'
		if [ "$absent" = 2 ] && [ "$rc" = 77 ] && [ "$summary" = "SUMMARY: 0 tests" ]; then
			skip "$what" "the guest's CPUID has neither RDTSCP nor RDPID (this host's KVM offers neither), so tsc.flat has no test to run"
		elif [ "$rc" = 1 ] && [ "$fails" = 0 ] && [ "$summary" = "SUMMARY: $want tests" ]; then
			ok "$what: $summary"
		else
			not_ok "$what: status $rc, $fails FAIL lines, '$summary' where $want tests should run ($(grep -m 2 '^pmvm:\|^FAIL' "$tmp/$name" | tr '\n' ' '))"
		fi
		return
	fi
	if [ "$mode" = skipped ]; then
		if [ "$rc" = 77 ] && [ "$fails" = 0 ] && grep -q '^SKIP' "$tmp/$name"; then
			ok "$what: $(grep -m 1 '^SKIP' "$tmp/$name"), status 77"
		else
			not_ok "$what: status $rc, not its SKIP (77): $(grep -m 2 '^pmvm:\|^FAIL\|^SUMMARY' "$tmp/$name" | tr '\n' ' ')"
		fi
	elif [ "$rc" = 1 ] && [ "$fails" = 0 ] && [ -n "$summary" ]; then
		ok "$what: $summary"
	else
		not_ok "$what: status $rc, $fails FAIL lines ($(grep -m 2 '^pmvm:\|^FAIL' "$tmp/$name" | tr '\n' ' '))"
	fi
}

# The runs, $jobs at a time; pmu.flat counts about a billion instructions.
set --
for cpu in $models; do
	for pol in $policies; do
		set -- "$@" "pmu.$cpu.$pol:$cpu:$pol:pmu.flat"
	done
	set -- "$@" "lbr.$cpu:$cpu:native:pmu_lbr.flat" "pebs.$cpu:$cpu:native:pmu_pebs.flat"
done
# The platform beyond the PMU: msr.flat passes as pmu.flat does, and
# tsc.flat runs what the guest's CPUID lets it.
# tsc_adjust.flat and rdpru.flat only in the engine: nested PVM's KVM fails
# one of tsc_adjust's checks and cannot emulate RDPRU (docs/cli.md).
images="msr.flat tsc.flat"
[ "$accel" = kvm ] || images="$images tsc_adjust.flat rdpru.flat"
for image in $images; do
	[ -f "$dir/$image" ] && set -- "$@" "${image%.flat}.sapphire-rapids:sapphire-rapids:native:$image"
done
if [ -n "${KUT_RUNS:-}" ]; then
	for job in "$@"; do
		shift
		case " $KUT_RUNS " in *" ${job%%:*} "*) set -- "$@" "$job" ;; esac
	done
fi
if [ -z "$why" ]; then
	running=0 started=0 t0=$(date +%s)
	for job in "$@"; do
		IFS=: read -r name cpu pol image <<EOF
$job
EOF
		run "$name" "$dir/$image" --cpu "$cpu" --policy "$pol" &
		running=$((running + 1)) started=$((started + 1))
		if [ "$running" -ge "$jobs" ]; then
			wait
			running=0
			# Progress, a line a batch: the results come at the end.
			echo "# kut.sh: $started of $# runs done, $(($(date +%s) - t0)) s"
		fi
	done
	wait
fi

for job in "$@"; do
	IFS=: read -r name cpu pol image <<EOF
$job
EOF
	what="$image on $cpu, $pol"
	[ "$accel" = kvm ] || what="$what, --accel=$accel"
	if [ -n "$why" ]; then skip "$what" "$why"; continue; fi
	case $image in
	pmu.flat) report "$what" "$name" ;;
	pmu_*) report "$what" "$name" skipped ;;
	tsc.flat) report "$what" "$name" tsc ;;
	*) report "$what" "$name" ;;
	esac
done

# QEMU's TCG has no PMU: pmu.flat finds no architectural PMU there (once:
# with KVM).
[ "$accel" = kvm ] || exit $status
if ! command -v "$qemu" >/dev/null 2>&1; then
	skip "pmu.flat under QEMU TCG" "$qemu not installed"
	exit $status
fi
timeout 300 "$qemu" --no-reboot -nodefaults -device pc-testdev \
	-device isa-debug-exit,iobase=0xf4,iosize=0x4 -display none \
	-serial stdio -device pci-testdev -machine accel=tcg -m 128 \
	-kernel "$dir/pmu.flat" -smp 1 -cpu max >"$tmp/qemu" 2>&1 </dev/null
qrc=$?
# side NAME STATUS: "N PASS, M FAIL, status S: the summary or abort line"
side() {
	echo "$(grep -c '^PASS' "$1") PASS, $(grep -c '^FAIL' "$1") FAIL," \
		"status $2: $(grep -m 1 '^SUMMARY\|assert failed\|^pmvm:' "$1")"
}
echo "# pmu.flat side by side (sapphire-rapids, native):"
if [ -n "$why" ]; then echo "#   pmvm: not run: $why"
elif [ ! -f "$tmp/pmu.sapphire-rapids.native.rc" ]; then echo "#   pmvm: not run (KUT_RUNS)"
else echo "#   pmvm: $(side "$tmp/pmu.sapphire-rapids.native" "$(cat "$tmp/pmu.sapphire-rapids.native.rc")")"; fi
echo "#   QEMU TCG: $(side "$tmp/qemu" "$qrc")"
if [ "$qrc" = 124 ]; then
	not_ok "pmu.flat under QEMU TCG ended within 300 s"
else
	ok "pmu.flat ran under QEMU TCG for comparison (status $qrc)"
fi
exit $status
