#!/bin/sh
# suite.sh: runs every probe image under pmvm and prints the results as one nested KTAP document.
# usage: scripts/suite.sh [BUILD_DIR] [pmvm run options...]
set -u
build=${1:-build}
[ $# -gt 0 ] && shift
probes=$(ls "$build"/guest/*.elf)
echo "KTAP version 1"
echo "1..$(echo "$probes" | wc -l)"
i=0 failed=0
for img in $probes; do
	i=$((i + 1))
	name=$(basename "$img" .elf)
	out=$("$build/pmvm" run "$@" "$img" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	if [ $rc = 0 ]; then echo "ok $i $name"
	else echo "not ok $i $name # exit status $rc"; failed=$((failed + 1)); fi
done
[ $failed = 0 ]
