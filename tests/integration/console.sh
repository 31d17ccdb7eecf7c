#!/bin/sh
# console.sh: the guest's console on stdout: a write that fails ends the run with 74 and one line, a closed stdout is refused, and a reader that never reads does not outlast --timeout.
# needs: /dev/kvm
. tests/integration/lib.sh

why=$(kvm_unusable)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hello="$build/guest/hello.elf"

# console WHAT STATUS WORDS -- SHELL-COMMAND: runs the command (with
# $pmvm and $hello), wants that status and one stderr line saying WORDS.
console() {
	what=$1 want=$2 words=$3
	shift 4
	if [ -n "$why" ]; then skip "$what" "$why"; return; fi
	pmvm=$pmvm hello=$hello timeout -s KILL 60 sh -c "$1" 2>"$tmp/err"
	rc=$(cat "$tmp/rc" 2>/dev/null || echo "none")
	rm -f "$tmp/rc"
	if [ "$rc" = "$want" ] && grep -q -- "$words" "$tmp/err"; then
		ok "$what: $rc, '$(head -n 1 "$tmp/err")'"
	else
		not_ok "$what: status $rc, want $want saying '$words' ($(head -n 1 "$tmp/err"))"
	fi
}
export tmp build

console "stdout on a full device" 74 "cannot write the guest's console to standard output: No space left on device" -- \
	'"$pmvm" run "$hello" >/dev/full; echo $? >"$tmp/rc"'
console "stdout closed" 74 "standard output is closed" -- \
	'"$pmvm" run "$hello" >&-; echo $? >"$tmp/rc"'
# (a guest that writes more than a pipe holds: one that writes less may
# be done before the reader has gone, on a loaded machine)
console "a reader that stops after one line" 74 "Broken pipe" -- \
	'{ "$pmvm" run --timeout=20 "$build/tests/guests/flood.elf"; echo $? >"$tmp/rc"; } | head -n 1 >/dev/null'
# A FIFO held open but never read: the guest's output fills it, and the
# write blocks until --timeout ends the run (timeout's KILL, 137, if not).
mkfifo "$tmp/fifo"

console "a reader that never reads, --timeout=1" 124 "guest still running after the 1 s timeout" -- \
	'exec 3<>"$tmp/fifo"; "$pmvm" run --timeout=1 "$build/tests/guests/flood.elf" >"$tmp/fifo"; echo $? >"$tmp/rc"'
exit $status
