#!/bin/sh
# platform.sh: pmvm's exit port, halt, triple fault, watchdog and command line, on hand-written images.
. tests/integration/lib.sh

img="$build/tests/images"
why=$(kvm_unusable)

# expect STATUS WHAT -- PMVM-ARGS...
expect() {
	want=$1 what=$2
	shift 3
	if [ -n "$why" ]; then skip "$what" "$why"; return; fi
	"$pmvm" "$@" >/tmp/pmvm-out.$$ 2>/tmp/pmvm-err.$$
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$what (status $rc)"
	else not_ok "$what: status $rc, want $want: $(head -n 1 /tmp/pmvm-err.$$)"
	fi
}

expect 42 "exit port: a write of 42 ends pmvm with 42" -- run "$img/exit42.elf"
expect 85 "exit port, --exit-code=qemu: (42 << 1) | 1" -- run --exit-code=qemu "$img/exit42.elf"
expect 0 "HLT with interrupts off ends cleanly" -- run "$img/halt.elf"
if [ -z "$why" ] && [ "$(cat /tmp/pmvm-out.$$)" = "bye" ]; then
	ok "COM1 output reaches stdout"
elif [ -z "$why" ]; then
	not_ok "COM1 output reaches stdout (got: $(cat /tmp/pmvm-out.$$))"
fi
expect 124 "HLT with interrupts on waits for an interrupt, as on hardware" -- run --timeout=0.5 "$img/halt_if.elf"
expect 125 "a triple fault ends with 125" -- run "$img/triple.elf"
if [ -z "$why" ] && grep -q "code at 0x10000c: 0f 0b" /tmp/pmvm-err.$$; then
	ok "the triple-fault dump shows the code bytes at RIP (ud2)"
elif [ -z "$why" ]; then
	not_ok "the triple-fault dump shows the code bytes at RIP"
fi
expect 124 "the watchdog stops a spinning guest" -- run --timeout=0.5 "$img/spin.elf"
expect 124 "the watchdog interrupts a VMCALL" -- run --timeout=0.5 "$img/vmcall.elf"
expect 0 "the command line reaches the guest" -- run "$img/cmdline.elf" -- one two
if [ -z "$why" ]; then
	got=$(cat /tmp/pmvm-out.$$)
	if [ "$got" = "$img/cmdline.elf one two" ]; then
		ok "the command line is the image path and the words after --"
	else
		not_ok "the command line is the image path and the words after -- (got: $got)"
	fi
fi
rm -f /tmp/pmvm-out.$$ /tmp/pmvm-err.$$
exit $status
