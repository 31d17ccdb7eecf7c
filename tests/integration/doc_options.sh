#!/bin/sh
# doc_options.sh: each command takes exactly the options its --help lists (cli/help.c's one table), pmvm --help lists them all, and docs/cli.md's option tables name the same ones.
. tests/integration/lib.sh

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The option names a --help lists, one a line: "  --name" at a line's start.
help_options() {
	"$pmvm" "$@" --help | grep -o '^  --[a-z0-9-]*' | sed 's/^  //' | sort -u
}
help_options >"$tmp/all"
if [ "$(wc -l <"$tmp/all")" -ge 20 ]; then
	ok "pmvm --help lists $(wc -l <"$tmp/all") options"
else
	not_ok "pmvm --help lists only $(wc -l <"$tmp/all") options"
fi

# How COMMAND takes --NAME with no value after it: getopt's answers tell
# a known option (a value missing, or a later error) from an unknown one.
taken() {
	"$pmvm" "$1" "$2" >/dev/null 2>"$tmp/err" </dev/null
	! grep -q "unknown or ambiguous option '$2'" "$tmp/err"
}

for cmd in run cpuid explain model diff; do
	help_options "$cmd" >"$tmp/$cmd"
	if [ ! -s "$tmp/$cmd" ]; then
		not_ok "pmvm $cmd --help lists no option"
		continue
	fi
	wrong=
	for o in $(cat "$tmp/$cmd"); do
		grep -qxF -- "$o" "$tmp/all" || wrong="$wrong $o(not in pmvm --help)"
		taken "$cmd" "$o" || wrong="$wrong $o(refused)"
	done
	# The rest of pmvm --help's options are refused, unless getopt takes
	# one as an abbreviation of an option of this command (--cpl, --cpl0).
	for o in $(grep -vxF -f "$tmp/$cmd" "$tmp/all"); do
		grep -q -- "^$o" "$tmp/$cmd" && continue
		# refused with its own reason (cpu_sources.sh checks it)
		[ "$cmd $o" = "model --policy" ] && continue
		taken "$cmd" "$o" && wrong="$wrong $o(taken, not in its --help)"
	done
	if [ -z "$wrong" ]; then
		ok "pmvm $cmd takes the $(wc -l <"$tmp/$cmd") options its --help lists, and no other"
	else
		not_ok "pmvm $cmd --help and its options disagree:$wrong"
	fi
done

# docs/cli.md: the options of its tables' first column.
grep '^| `--' docs/cli.md | sed 's/^| \([^|]*\) |.*/\1/' |
	grep -o -- '--[a-z0-9-]*' | sort -u >"$tmp/doc"
if cmp -s "$tmp/all" "$tmp/doc"; then
	ok "docs/cli.md's option tables name the $(wc -l <"$tmp/doc") options of pmvm --help"
else
	not_ok "docs/cli.md's option tables and pmvm --help differ: $(diff "$tmp/all" "$tmp/doc" | grep '^[<>]' | tr '\n' ' ')"
fi
exit $status
