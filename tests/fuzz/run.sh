#!/bin/sh
# run.sh: runs each libFuzzer harness for a bounded time and prints one line per harness: executions, corpus, crashes.
# usage: tests/fuzz/run.sh FUZZ_BUILD SECONDS NAME...
set -u
out=$1 seconds=$2
shift 2
export PMVM_CONFIG_DIR="$PWD/configs"
failed=0
for name in "$@"; do
	corpus="$out/corpus/$name" crashes="$out/crashes/$name"
	mkdir -p "$corpus" "$crashes"
	log="$out/$name.log"
	dict=
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
	# The working corpus first (libFuzzer adds to it), the seeds second.
	"$out/fuzz_$name" $dict -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$crashes/" "$corpus" "tests/fuzz/corpus/$name" \
		>"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
	cov=$(printf '%s\n' "$done_line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	corp=$(printf '%s\n' "$done_line" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
	found=$(ls "$crashes" | wc -l)
	echo "fuzz $name: ${runs:-?} executions in ${secs:-$seconds} s," \
		"coverage ${cov:-?} edges, corpus ${corp:-?} inputs," \
		"$found crash input(s) in $crashes (exit $rc)"
	if [ "$rc" != 0 ] || [ "$found" != 0 ]; then
		failed=1
		grep -m 3 -E 'ERROR|SUMMARY|runtime error' "$log" | sed 's/^/    /'
		echo "    replay: $out/fuzz_$name $crashes/*; keep the input in tests/fuzz/regress/$name/ once fixed"
	fi
done
exit $failed
