# lib.sh: shared helpers for the integration scripts (sourced, not run).
# Each script prints `ok N - what`, `not ok N - what` or `ok N - what # SKIP why`.

build=${1:-build}
pmvm="$build/pmvm"
n=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; status=1; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
status=0

# Why this machine's CPU cannot give a guest ICEBP's #DB where KVM leaves
# the ICEBP to it, or nothing: it raises #UD instead (tests/cpu_events
# asks it in user space; QEMU 7.2's TCG, the test VM's, has no ICEBP).
cpu_icebp_ud() {
	if "$build/tests/cpu_events" 2>/dev/null | grep -qx 'icebp #UD'; then
		echo "this machine's CPU raises #UD for ICEBP (tests/cpu_events; QEMU 7.2's TCG has no ICEBP)"
	fi
}

# Why /dev/kvm cannot run guests here, or nothing if it can.
kvm_unusable() {
	if [ ! -e /dev/kvm ]; then echo "/dev/kvm does not exist"; return; fi
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "no read/write permission on /dev/kvm"; return
	fi
	out=$("$pmvm" run --accel=kvm --timeout=20 "$build/guest/hello.elf" 2>&1 >/dev/null)
	[ $? = 69 ] && echo "$out"
}

# public_copy FILE...: a new directory every user can enter, holding pmvm
# and copies of the files, for runs as another user: the checkout may be
# in a directory only its owner can enter (mkdir -m 700). The copied pmvm
# finds its models built in. Prints the directory.
public_copy() {
	d=$(mktemp -d) && chmod 755 "$d" && cp "$pmvm" "$@" "$d/" &&
		chmod -R a+rX "$d" && echo "$d"
}

# obs_matches WHAT TABLE OUT PMVM-RUN-ARGS...: runs pmvm with the arguments
# and compares its '# obs' lines with tests/expect/TABLE (OUT: a scratch
# file prefix); one KTAP result.
obs_matches() {
	what=$1 table=$2 out=$3
	shift 3
	"$pmvm" run "$@" >"$out.out" 2>"$out.err"
	rc=$?
	grep '^# obs ' "$out.out" | sed 's/^# obs //' >"$out.obs"
	if [ $rc != 0 ]; then
		not_ok "$what: status $rc: $(head -n 1 "$out.err")$(grep -m 1 '^not ok' "$out.out")"
	elif ! diff -u "tests/expect/$table" "$out.obs" >"$out.diff"; then
		not_ok "$what"; sed -n '3,12s/^/# /p' "$out.diff"
	else
		ok "$what"
	fi
}

# refused_cmd STATUS WORDS -- COMMAND...: status, one stderr line, the
# words ($tmp: the caller's scratch directory).
refused_cmd() {
	want=$1 words=$2
	shift 3
	"$@" >/dev/null 2>"$tmp/err"
	rc=$?
	lines=$(wc -l <"$tmp/err")
	what=$(printf '%s ' "$@" | sed "s|$pmvm|pmvm|; s|$tmp/|TMP/|g; s| \$||")
	if [ "$rc" != "$want" ]; then
		not_ok "$what: status $rc, want $want ($(head -n 1 "$tmp/err"))"
	elif [ "$lines" != 1 ]; then
		not_ok "$what: $lines lines on stderr, want 1"
	elif ! grep -q -- "$words" "$tmp/err"; then
		not_ok "$what: '$(cat "$tmp/err")' does not say '$words'"
	else
		ok "$what: $want, '$(cat "$tmp/err")'"
	fi
}

# refused STATUS WORDS -- PMVM-ARGS...
refused() {
	want=$1 words=$2
	shift 3
	refused_cmd "$want" "$words" -- "$pmvm" "$@"
}

# doc_commands FILE...: every command of the files' ```sh blocks, one a
# line as "FILE:LINE<TAB>COMMAND<TAB>COMMENT": continuation lines joined,
# comment-only lines left out, the comment after " #" apart.
doc_commands() {
	for f; do
		awk -v f="$f" '
			/^```sh$/ { inb = 1; next }
			/^```/ { inb = 0; next }
			!inb { next }
			{
				line = $0
				if (cmd == "") start = NR
				if (line ~ /^[ \t]*#/ && cmd == "") next
				c = ""
				if (match(line, /[ \t]#[ \t]/)) {
					c = substr(line, RSTART + 3)
					line = substr(line, 1, RSTART - 1)
				}
				sub(/[ \t]+$/, "", line)
				if (line ~ /\\$/) {
					cmd = cmd substr(line, 1, length(line) - 1)
					if (c != "") com = c
					next
				}
				cmd = cmd line
				if (c != "") com = c
				gsub(/[ \t]+/, " ", cmd); sub(/^ /, "", cmd)
				printf "%s:%d\t%s\t%s\n", f, start, cmd, com
				cmd = ""; com = ""
			}' "$f"
	done
}

# help_examples: the command lines of pmvm --help's "Examples:", in the
# same form (the location is "--help"; a comment after " # " apart).
help_examples() {
	"$pmvm" --help | awk '
		/^Examples:/ { on = 1; next }
		!on { next }
		/^  pmvm / || cont {
			line = $0
			sub(/^[ \t]+/, "", line)
			if (match(line, /[ \t]#[ \t]/)) {
				com = substr(line, RSTART + 3)
				line = substr(line, 1, RSTART - 1)
				sub(/[ \t]+$/, "", line)
			}
			if (line ~ /\\$/) {
				cmd = cmd substr(line, 1, length(line) - 1); cont = 1; next
			}
			cmd = cmd line; cont = 0
			gsub(/[ \t]+/, " ", cmd)
			printf "--help\t%s\t%s\n", cmd, com
			cmd = ""; com = ""
		}'
}

# doc_runs_guest COMMAND: true if the command boots a guest (needs KVM).
doc_runs_guest() {
	case $1 in
	*"pmvm run "* | *"pmvm diff "*) case $1 in *--pmvm-log*) return 1 ;; esac; return 0 ;;
	esac
	return 1
}
