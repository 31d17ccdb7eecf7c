#!/bin/sh
# layout.sh: the rooms of the source keep their arrows (docs/architecture.md): who may include whom, no command-line word below cli/, an opening comment in every file, each header implemented by the file of its name.
. tests/integration/lib.sh

# includes DIR: every '#include "..."' of the files directly in DIR (or,
# for vmm, in vmm/ and vmm/vpmu/), as "file: header".
includes() {
	for f in $1; do
		[ -f "$f" ] || continue
		sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" | sed "s|^|$f: |"
	done
}

# only WHAT GLOB ALLOWED-REGEX: every include of the files must match.
only() {
	bad=$(includes "$2" | grep -Ev ": ($3)")
	if [ -z "$bad" ]; then ok "$1"; else not_ok "$1: $(echo $bad | head -c 300)"; fi
}

only "cpu/ includes only cpu/, pmu/ and vmm/status.h" 'cpu/*.[ch]' 'cpu/|pmu/pmu\.h|vmm/status\.h'
only "devices/ includes only devices/" 'devices/*.[ch]' 'devices/'
only "vmm/ includes neither cli/ nor cpu/" 'vmm/*.[ch] vmm/vpmu/*.[ch] vmm/engine_cpu/*.[ch]' 'vmm/|devices/|pmu/pmu\.h|engine/engine\.h|arch/'
only "pmu/ includes only pmu/" 'pmu/*.[ch]' 'pmu/'
only "engine/ includes only engine/, pmu/pmu.h and arch/" 'engine/*.[ch]' 'engine/|pmu/pmu\.h|arch/'
only "arch/ includes nothing of pmvm's" 'arch/*.h' 'arch/'

kvm=$(grep -l '#include <linux/kvm\.h>\|ioctl(' pmu/*.[ch] engine/*.[ch] arch/*.h cpu/*.[ch] devices/*.[ch] 2>/dev/null)
if [ -z "$kvm" ]; then ok "pmu/, engine/, arch/, cpu/ and devices/ know nothing of KVM"
else not_ok "KVM outside vmm/ and cli/: $kvm"; fi

words=$(grep -ln 'getopt\|optarg\|argv\|_parse(const char \*' cpu/*.[ch] vmm/*.[ch] vmm/vpmu/*.[ch] vmm/engine_cpu/*.[ch])
if [ -z "$words" ]; then ok "no file under cpu/ or vmm/ parses a command-line word"
else not_ok "command-line parsing under cpu/ or vmm/: $words"; fi

nocomment=
for f in cli/*.[ch] cpu/*.[ch] devices/*.[ch] vmm/*.[ch] vmm/vpmu/*.[ch] vmm/engine_cpu/*.[ch] \
	pmu/*.[ch] engine/*.[ch] arch/*.h; do
	head -n 1 "$f" | grep -q "^/\* $(basename "$f"): ." || nocomment="$nocomment $f"
done
if [ -z "$nocomment" ]; then ok "every source file opens with '/* NAME: what it is'"
else not_ok "no opening comment naming the file:$nocomment"; fi

# Header-only by design: statuses, the run's state and its configuration,
# the exit handlers' table, the architecture, a library's internals.
orphans=
for h in cli/*.h cpu/*.h devices/*.h vmm/*.h vmm/vpmu/*.h vmm/engine_cpu/*.h; do
	case $h in vmm/status.h | vmm/pmvm.h | vmm/config.h | vmm/exits.h | cli/cli.h) continue ;; esac
	[ -f "${h%.h}.c" ] || orphans="$orphans $h"
done
if [ -z "$orphans" ]; then ok "each header is implemented by the file of its name"
else not_ok "headers without a file of their name:$orphans"; fi
exit $status
