#!/bin/sh
# completion.sh: bash completion offers every command, every option of pmvm --help, option values (models, policies, probes, formats) and files, without the bash-completion package or extglob.
. tests/integration/lib.sh

if ! command -v bash >/dev/null 2>&1; then
	skip "bash completion" "no bash"
	exit 0
fi
comp=$PWD/scripts/pmvm.bash-completion
bin=$(cd "$(dirname "$pmvm")" && pwd)

# offers WHAT WANTED WORDS...: completing the command line WORDS (the
# last word being completed) offers every word of WANTED.
offers() {
	what=$1 wanted=$2
	shift 2
	got=$(PATH="$bin:$PATH" bash --norc --noprofile -c '
		. "$0"; shopt -u extglob
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _pmvm
		printf "%s\n" "${COMPREPLY[@]}"' "$comp" "$@" 2>/dev/null)
	missing=
	for w in $wanted; do
		printf '%s\n' "$got" | grep -qxF -- "$w" || missing="$missing $w"
	done
	if [ -z "$missing" ]; then
		ok "$what"
	else
		not_ok "$what: lacks$missing (got: $(printf '%s' "$got" | tr '\n' ' '))"
	fi
}

offers "commands" "run cpuid explain model models diff --help --version" pmvm ""
offers "--cpu NAME: a model" clearwater-forest pmvm run --cpu clear
offers "--cpu=NAME as bash splits it: a model" clearwater-forest pmvm cpuid --cpu = clear
offers "--cpu=: the host" "host host:core host:atom" pmvm model --cpu = ho
offers "--policy: every policy" "native kvm-legacy kvm-mediated" pmvm explain --policy ""
offers "--format=: text and json" "text json" pmvm cpuid --format = ""
offers "--trap values" "auto bp step" pmvm run --trap ""
offers "--trace=: all" "all" pmvm run --trace = ""
offers "--trace then a word: the image, not a value" rdpmc pmvm run --trace rdp
offers "--exit-code values" "pmvm qemu" pmvm run --exit-code ""
offers "--cpl0 values" "auto kvm engine" pmvm run --cpl0 ""
offers "--count values" "engine step" pmvm run --count ""
offers "--machine values" "pmvm pc linux" pmvm run --machine ""
offers "explain's operations" "rdpmc rdmsr wrmsr" pmvm explain ""
offers "run IMAGE: a probe by name" rdpmc pmvm run rdp
offers "run IMAGE: an image file, not the 64-bit copy" "$build/guest/hello.elf" pmvm run "$build/guest/hel"
offers "run IMAGE: a directory to go on into" "$build/guest/" pmvm run "$build/gue"
offers "--cpu-dump FILE: any file" "tests/data/" pmvm model --cpu-dump tests/da
offers "diff -- COMMAND: a command" bash pmvm diff rdpmc -- bas
offers "diff's options" "--log --pmvm-log --timeout --accel --format --policy" pmvm diff --

# Every option --help lists is offered by some command.
for opt in $("$pmvm" --help | sed -n 's/^  \(--[a-z0-9-]*\).*/\1/p' | sort -u); do
	found=
	for cmd in run cpuid explain model diff; do
		got=$(PATH="$bin:$PATH" bash --norc -c '. "$0"; COMP_WORDS=(pmvm "$1" --); COMP_CWORD=2; _pmvm; printf "%s\n" "${COMPREPLY[@]}"' "$comp" "$cmd" 2>/dev/null)
		printf '%s\n' "$got" | grep -qxF -- "$opt" && { found=$cmd; break; }
	done
	if [ -n "$found" ]; then ok "$opt (pmvm --help) is offered ($found)"
	else not_ok "$opt (pmvm --help) is offered by no command"
	fi
done
exit $status
