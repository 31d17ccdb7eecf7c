# lib.sh: shared helpers for the integration scripts (sourced, not run).
# Each script prints `ok N - what`, `not ok N - what` or `ok N - what # SKIP why`.

build=${1:-build}
pmvm="$build/pmvm"
n=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; status=1; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
status=0

# Why /dev/kvm cannot run guests here, or nothing if it can.
kvm_unusable() {
	if [ ! -e /dev/kvm ]; then echo "/dev/kvm does not exist"; return; fi
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "no read/write permission on /dev/kvm"; return
	fi
	out=$("$pmvm" run --timeout=20 "$build/guest/hello.elf" 2>&1 >/dev/null)
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
