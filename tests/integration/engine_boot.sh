#!/bin/sh
# engine_boot.sh: pmvm with its engine as the CPU (--accel=engine) on any machine: guests boot from the Multiboot entry, the platform images end as on KVM, no KVM call is made, runs repeat byte for byte, and --accel=auto falls back to the engine without /dev/kvm.
. tests/integration/lib.sh

img="$build/tests/images"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# expect STATUS WHAT -- PMVM-RUN-ARGS...: a run with the engine as the CPU.
expect() {
	want=$1 what=$2
	shift 3
	"$pmvm" run --accel=engine "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$what (status $rc)"
	else not_ok "$what: status $rc, want $want: $(head -n 1 "$tmp/err")"
	fi
}

# stdout_is TEXT WHAT: the last run printed exactly TEXT.
stdout_is() {
	if [ "$(cat "$tmp/out")" = "$1" ]; then ok "$2"
	else not_ok "$2 (got: $(head -c 200 "$tmp/out"))"; fi
}

expect 0 "hello boots in the engine from its 32-bit entry" -- "$build/guest/hello.elf"
stdout_is "KTAP version 1
1..1
ok 1 hello" "hello's KTAP, as on KVM"
if [ -s "$tmp/err" ]; then not_ok "nothing on stderr (got: $(head -n 1 "$tmp/err"))"
else ok "nothing on stderr"; fi

# The platform images of platform.sh: 32-bit code that never enters long
# mode, with the statuses docs/guest-abi.md gives.
expect 42 "exit port: a write of 42 ends pmvm with 42" -- "$img/exit42.elf"
expect 85 "exit port, --exit-code=qemu: (42 << 1) | 1" -- --exit-code=qemu "$img/exit42.elf"
expect 0 "HLT with interrupts off ends cleanly" -- "$img/halt.elf"
stdout_is "bye" "COM1 output reaches stdout"
expect 124 "HLT with interrupts on waits for an interrupt (--timeout)" -- --timeout=0.5 "$img/halt_if.elf"
expect 124 "the watchdog stops a spinning guest" -- --timeout=0.5 "$img/spin.elf"
if grep -q "code at 0x10000c: eb fe" "$tmp/err"; then
	ok "the watchdog's dump shows the spinning jmp at RIP"
else
	not_ok "the watchdog's dump shows the spinning jmp at RIP: $(grep -m 1 'code at' "$tmp/err")"
fi
expect 125 "a fault with no IDT becomes a triple fault" -- "$img/triple.elf"
if grep -q "code at 0x10000c: 0f 0b" "$tmp/err"; then
	ok "the triple-fault dump shows the code bytes at RIP (ud2)"
else
	not_ok "the triple-fault dump shows the code bytes at RIP (ud2): $(grep -m 1 'code at' "$tmp/err")"
fi
expect 125 "INT3 at CPL0 with no IDT: #BP, then a triple fault" -- "$img/int3.elf"
expect 47 "32-bit ICEBP, INT3, INTO, INT n and #UD at CPL0 through the guest's IDT and back with IRETD (tests/images/events32.S: the sum of their vectors' weights)" -- "$img/events32.elf"
expect 7 "the guest's own DR0 breakpoint fires (its #DB handler exits 7)" -- "$img/guest_bp.elf"
# What the engine does not run: one line naming it, its address and its
# bytes, then the dump; 126.
expect 126 "a load outside RAM ends the run" -- "$img/mmio.elf"
if [ "$(head -n 1 "$tmp/err")" = "pmvm: the engine does not run mov at 0x10000c (memory outside RAM; bytes a1 00 00 00 d0)" ]; then
	ok "it is named in one line: the instruction, its address and bytes"
else
	not_ok "it is named in one line (got: $(head -n 1 "$tmp/err"))"
fi
expect 0 "the command line reaches the guest" -- "$img/cmdline.elf" -- one two
stdout_is "$img/cmdline.elf one two" "the command line is the image path and the words after --"

# The local APIC the engine's CPU has: its timer wakes HLT in each mode
# (tests/guests/apic_timer.c), the clock skipping to the expiry, and
# interrupts a loop that never halts.
expect 0 "the local APIC timer wakes HLT (one-shot, periodic, TSC-deadline) and interrupts a loop" -- --timeout=20 "$build/tests/guests/apic_timer.elf"
n_ok=$(grep -c '^ok [0-9]' "$tmp/out")
if [ "$n_ok" = 5 ] && ! grep -q '^not ok\|# SKIP' "$tmp/out"; then
	ok "the timer's five results hold"
else
	not_ok "the timer's five results hold: $n_ok ok, $(grep -m 2 '^not ok\|# SKIP' "$tmp/out" | tr '\n' ' ')"
fi

# The 8259 the engine's CPU takes ExtINT from: the UART's IRQ 4
# (tests/guests/pic_serial.c).
expect 0 "the UART's interrupt through the 8259: masked, delivered after STI, in service until EOI, waking HLT" -- --timeout=20 "$build/tests/guests/pic_serial.elf"
if [ "$(grep -c '^ok [0-9]' "$tmp/out")" = 6 ] && ! grep -q '^not ok\|# SKIP' "$tmp/out"; then
	ok "the 8259's six results hold"
else
	not_ok "the 8259's six results hold: $(grep -m 2 '^not ok\|# SKIP' "$tmp/out" | tr '\n' ' ')"
fi

# With the engine every instruction is pmvm's: the same image prints the
# same bytes every time, whatever the host does meanwhile.
"$pmvm" run --accel=engine --cpu icelake "$build/guest/rdpmc.elf" >"$tmp/a" 2>&1
"$pmvm" run --accel=engine --cpu icelake "$build/guest/rdpmc.elf" >"$tmp/b" 2>&1
if [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"; then
	ok "two runs of the rdpmc probe print the same bytes"
else
	not_ok "two runs of the rdpmc probe print the same bytes"
fi

# No KVM call: /dev/kvm is never opened and no KVM ioctl is made (the
# image's open shows strace saw pmvm's calls).
if ! command -v strace >/dev/null; then
	skip "--accel=engine opens no /dev/kvm and makes no ioctl" "strace is not installed"
elif ! strace -f -qq -o /dev/null true 2>/dev/null; then
	skip "--accel=engine opens no /dev/kvm and makes no ioctl" "strace cannot trace here (ptrace refused)"
else
	strace -f -qq -e trace=open,openat,ioctl -o "$tmp/strace" \
		"$pmvm" run --accel=engine "$build/guest/hello.elf" >/dev/null 2>&1
	if ! grep -q 'hello\.elf' "$tmp/strace"; then
		not_ok "--accel=engine opens no /dev/kvm and makes no ioctl: strace did not see the image opened"
	elif grep -q '"/dev/kvm"\|ioctl(' "$tmp/strace"; then
		not_ok "--accel=engine opens no /dev/kvm and makes no ioctl: $(grep -m 1 '"/dev/kvm"\|ioctl(' "$tmp/strace")"
	else
		ok "--accel=engine opens no /dev/kvm and makes no ioctl"
	fi
fi

# --accel=auto (the default) without /dev/kvm: the engine, said in one line.
if [ "$(id -u)" != 0 ] || ! unshare --mount true 2>/dev/null; then
	skip "no /dev/kvm: auto runs the guest in the engine, said in one line" "needs root and unshare --mount"
else
	unshare --mount sh -c 'mount -t tmpfs tmpfs /dev && exec "$0" run "$1"' \
		"$pmvm" "$build/guest/hello.elf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	want="pmvm: cannot open /dev/kvm: No such file or directory (KVM is not available: load the kvm module or enable virtualization): the guest runs in pmvm's engine (--accel=engine)"
	if [ "$rc" = 0 ] && [ "$(cat "$tmp/err")" = "$want" ] &&
		grep -q '^ok 1 hello$' "$tmp/out"; then
		ok "no /dev/kvm: auto runs the guest in the engine, said in one line"
	else
		not_ok "no /dev/kvm: auto runs the guest in the engine (status $rc: $(head -n 1 "$tmp/err"))"
	fi
fi
exit $status
