#!/bin/sh
# bad_input.sh: every bad input gets one clear line on stderr and its documented status.
. tests/integration/lib.sh

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Cut 2 bytes into the end of exit42.elf's text: the header survives.
head -c 4112 "$build/tests/images/exit42.elf" >"$tmp/cut.elf"
head -c $((3 << 20)) /dev/zero >"$tmp/big.elf"

# refused STATUS WORDS -- PMVM-ARGS...: status, one stderr line, the words.
refused() {
	want=$1 words=$2
	shift 3
	"$pmvm" "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" != "$want" ]; then
		not_ok "pmvm $*: status $rc, want $want ($(head -n 1 "$tmp/err"))"
	elif [ "$lines" != 1 ]; then
		not_ok "pmvm $*: $lines lines on stderr, want 1"
	elif ! grep -q -- "$words" "$tmp/err"; then
		not_ok "pmvm $*: '$(cat "$tmp/err")' does not say '$words'"
	else
		ok "pmvm $*: $want, '$(cat "$tmp/err")'"
	fi
}

refused 64 "no command" --
refused 64 "unknown command 'frobnicate'" -- frobnicate
refused 64 "unknown or incomplete option '--bogus'" -- run --bogus x.elf
refused 64 "no image given" -- run
refused 64 "--mem: '12q' is not a size" -- run --mem=12q x.elf
refused 64 "outside 2 MiB .. 3 GiB" -- run --mem=1 x.elf
refused 64 "outside 2 MiB .. 3 GiB" -- run --mem=99999 x.elf
refused 64 "--timeout: '-1' is not a number" -- run --timeout=-1 x.elf
refused 64 "--timeout: 'soon' is not a number" -- run --timeout=soon x.elf
refused 64 "--exit-code: 'bash' is neither" -- run --exit-code=bash x.elf
refused 64 "unexpected 'extra' after the image" -- run x.elf extra
refused 66 "cannot open image $tmp/none.elf" -- run "$tmp/none.elf"
refused 66 "is not a regular file" -- run "$tmp"
refused 65 "no multiboot header" -- run /etc/passwd
refused 65 "larger than guest RAM" -- run --mem=2 "$tmp/big.elf"
refused 65 "reaches past the end of the file (0x1010 bytes): truncated image" -- run "$tmp/cut.elf"
exit $status
