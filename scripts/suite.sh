#!/bin/sh
# suite.sh: runs every probe image under pmvm, one per CPU at a time, and prints the results as one nested KTAP document.
# usage: scripts/suite.sh [BUILD_DIR] [pmvm run options...]
set -u
build=${1:-build}
[ $# -gt 0 ] && shift
probes=$(ls "$build"/guest/*.elf)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Each probe's output and status into $tmp/NAME.{out,rc}, in parallel;
# the report below keeps the probes' order.
printf '%s\n' $probes | xargs -P "$(nproc 2>/dev/null || echo 1)" -I {} \
	sh -c 'n=$(basename "$1" .elf); shift; "$@" "$0" >"'"$tmp"'/$n.out" 2>&1;
		echo $? >"'"$tmp"'/$n.rc"' {} {} "$build/pmvm" run "$@"

echo "KTAP version 1"
echo "1..$(echo "$probes" | wc -l)"
i=0 failed=0
for img in $probes; do
	i=$((i + 1))
	name=$(basename "$img" .elf)
	sed 's/^/    /' "$tmp/$name.out"
	rc=$(cat "$tmp/$name.rc")
	if [ "$rc" = 0 ]; then echo "ok $i $name"
	else echo "not ok $i $name # exit status $rc"; failed=$((failed + 1)); fi
done
[ $failed = 0 ]
