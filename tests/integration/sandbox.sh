#!/bin/sh
# sandbox.sh: pmvm runs its guest with no capabilities, no_new_privs and a seccomp filter, unless --no-sandbox; an unprivileged user runs sandboxed too.
# needs: /dev/kvm
. tests/integration/lib.sh

why=$(kvm_unusable)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# field PID NAME: the value of NAME in /proc/PID/status.
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null; }

# While a spinning guest runs, read pmvm's own status: set-up is over
# once the filter is in (Seccomp 2), so wait for that, up to 5 s (the
# guest's timeout is far beyond: on a slow host the 50 polls take longer
# than 5 s, and pmvm is killed once read).
# status_of_running PMVM-ARGS...: prints "CapEff CapPrm CapBnd NoNewPrivs Seccomp".
status_of_running() {
	"$pmvm" run --timeout=60 "$@" "$build/tests/images/spin.elf" \
		>/dev/null 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 50 ] && [ "$(field $pid Seccomp)" != 2 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.2 # --no-sandbox: well inside the run loop by now
	echo "$(field $pid CapEff) $(field $pid CapPrm) $(field $pid CapBnd)" \
		"$(field $pid NoNewPrivs) $(field $pid Seccomp)"
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
}

if [ -n "$why" ]; then
	skip "pmvm run is sandboxed" "$why"
	skip "--no-sandbox leaves pmvm as it was" "$why"
else
	z=0000000000000000
	got=$(status_of_running)
	# The bounding set is emptied only when pmvm may: CAP_SETPCAP (bit 8)
	# effective, as this shell has it or not.
	if [ $(( 0x$(field $$ CapEff) >> 8 & 1 )) = 1 ]; then want="$z $z $z 1 2"
	else want="$z $z $(field $$ CapBnd) 1 2"; fi
	if [ "$got" = "$want" ]; then
		ok "pmvm run is sandboxed: no capabilities, no_new_privs, seccomp filter ($got)"
	else
		not_ok "pmvm run is sandboxed: CapEff CapPrm CapBnd NoNewPrivs Seccomp: got '$got', want '$want'"
	fi
	got=$(status_of_running --no-sandbox)
	want="$(field $$ CapEff) $(field $$ CapPrm) $(field $$ CapBnd) $(field $$ NoNewPrivs) $(field $$ Seccomp)"
	if [ "$got" = "$want" ]; then
		ok "--no-sandbox leaves pmvm's capabilities and system calls as they were ($got)"
	else
		not_ok "--no-sandbox: got '$got', want the shell's '$want'"
	fi
fi

# An unprivileged user with access to /dev/kvm (the kvm group, usually):
# there is nothing to drop, and the sandbox must still go in. Simulated
# with a private mount namespace whose /dev/kvm is a node open to all.
if [ -n "$why" ]; then
	skip "an unprivileged user runs hello sandboxed" "$why"
elif [ "$(id -u)" != 0 ] || ! unshare --mount true 2>/dev/null; then
	skip "an unprivileged user runs hello sandboxed" "needs root for unshare --mount and setpriv"
elif ! setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	skip "an unprivileged user runs hello sandboxed" "this setpriv cannot change user (busybox's has no --reuid)"
else
	chmod 755 "$tmp"
	pub=$(public_copy "$build/guest/hello.elf")
	out=$(unshare --mount sh -c '
		mount -t tmpfs tmpfs "$1" &&
		mknod -m 666 "$1/kvm" c 10 232 &&
		mount --bind "$1/kvm" /dev/kvm &&
		exec env -u PMVM_CONFIG_DIR setpriv --reuid=65534 \
			--regid=65534 --clear-groups "$2/pmvm" run "$2/hello.elf"' \
		sh "$tmp" "$pub" 2>"$tmp/err")
	rc=$?
	rm -rf "$pub"
	if [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -qx 'ok 1 hello' &&
		[ ! -s "$tmp/err" ]; then
		ok "an unprivileged user runs hello sandboxed"
	else
		not_ok "an unprivileged user runs hello sandboxed: status $rc, $(head -n 1 "$tmp/err")"
	fi
fi
exit $status
