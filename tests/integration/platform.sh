#!/bin/sh
# platform.sh: pmvm's exit port, halt, triple fault, watchdog, unexpected exits, emulation failures and command line, on hand-written images.
# needs: /dev/kvm
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

# results_hold WHAT N [SKIPPED-WHY]: the last run's KTAP has N "ok"
# results and no "not ok"; with SKIPPED-WHY some may be skipped, and the
# line says how many and why.
results_hold() {
	if [ -n "$why" ]; then skip "$1" "$why"; return; fi
	skipped=$(grep -c '# SKIP' /tmp/pmvm-out.$$)
	if [ "$(grep -c '^ok [0-9]' /tmp/pmvm-out.$$)" = "$2" ] &&
		! grep -q '^not ok' /tmp/pmvm-out.$$ &&
		{ [ "$skipped" = 0 ] || [ -n "${3:-}" ]; }; then
		ok "$1${3:+ ($skipped skipped: $3)}"
	else
		not_ok "$1: $(grep -m 2 '^not ok' /tmp/pmvm-out.$$ | tr '\n' ' ')($skipped skipped)"
	fi
}

expect 42 "exit port: a write of 42 ends pmvm with 42" -- run "$img/exit42.elf"
expect 85 "exit port, --exit-code=qemu: (42 << 1) | 1" -- run --exit-code=qemu "$img/exit42.elf"
expect 0 "HLT with interrupts off ends cleanly" -- run "$img/halt.elf"
if [ -n "$why" ]; then
	skip "COM1 output reaches stdout" "$why"
elif [ "$(cat /tmp/pmvm-out.$$)" = "bye" ]; then
	ok "COM1 output reaches stdout"
else
	not_ok "COM1 output reaches stdout (got: $(cat /tmp/pmvm-out.$$))"
fi
expect 124 "HLT with interrupts on waits for an interrupt, as on hardware" -- run --timeout=0.5 "$img/halt_if.elf"
expect 0 "the local APIC timer wakes HLT (one-shot, periodic, TSC-deadline) and interrupts a loop" -- run --timeout=20 "$build/tests/guests/apic_timer.elf"
results_hold "the timer's results hold" 5 "TSC-deadline where KVM offers none"
# The 8259 on IRQ 4, the UART's transmitter-empty interrupt, through
# LINT0 as ExtINT (tests/guests/pic_serial.c): pmvm's 8259, KVM_INTERRUPT;
# whoever runs the guest's CPL0 code (where nested PVM interprets it, the
# engine runs the guest while a request waits for its STI).
for mode in "" --cpl0=kvm --count=step --trap=step; do
	with=${mode:+" with $mode"}
	# shellcheck disable=SC2086
	expect 0 "the UART's interrupt through the 8259$with: masked, delivered after STI, in service until EOI, waking HLT" -- run $mode --timeout=20 "$build/tests/guests/pic_serial.elf"
	results_hold "the 8259's six results hold$with" 6
done
expect 125 "a triple fault ends with 125" -- run "$img/triple.elf"
# KVM on SVM resets the vCPU when it intercepts the shutdown: there the
# registers are gone, and pmvm's line says so instead.
if [ -n "$why" ]; then
	skip "the triple-fault dump shows the code bytes at RIP (ud2)" "$why"
elif grep -q "code at 0x10000c: 0f 0b" /tmp/pmvm-err.$$; then
	ok "the triple-fault dump shows the code bytes at RIP (ud2)"
elif head -n 1 /tmp/pmvm-err.$$ | grep -q "this host's KVM reset the vCPU, so the registers below are the reset state" &&
	grep -q "rip=0x000000000000fff0" /tmp/pmvm-err.$$; then
	ok "the triple-fault dump says this host's KVM reset the vCPU (SVM), and shows that state"
else
	not_ok "the triple-fault dump shows the code bytes at RIP"
fi
expect 124 "the watchdog stops a spinning guest" -- run --timeout=0.5 "$img/spin.elf"
if [ -n "$why" ]; then
	skip "the watchdog's dump shows the spinning jmp at RIP" "$why"
elif grep -q "code at 0x10000c: eb fe" /tmp/pmvm-err.$$; then
	ok "the watchdog's dump shows the spinning jmp at RIP"
else
	not_ok "the watchdog's dump shows the spinning jmp at RIP"
fi
expect 124 "the watchdog interrupts a VMCALL" -- run --timeout=0.5 "$img/vmcall.elf"
expect 126 "an MMIO read outside RAM (an exit pmvm does not expect) ends with 126" -- run "$img/mmio.elf"
if [ -n "$why" ]; then
	skip "the unexpected exit is named in one line, then the dump with the code at RIP" "$why"
else
	first=$(head -n 1 /tmp/pmvm-err.$$)
	if [ "$first" = "pmvm: unexpected exit MMIO (6): read of 4 bytes at guest-physical 0xd0000000, outside RAM" ] &&
		grep -q "code at 0x10000c: a1 00 00 00 d0" /tmp/pmvm-err.$$; then
		ok "the unexpected exit is named in one line, then the dump with the code at RIP"
	else
		not_ok "the unexpected exit is named in one line, then the dump (got: $first)"
	fi
fi
# INT3 at CPL0 in 32-bit mode with no IDT: #BP, then (the gate beyond the
# IDT's limit) #GP and #DF, a triple fault (125), as on hardware: KVM's
# shutdown, or, where nested PVM's KVM cannot emulate INT3 at CPL0,
# pmvm's engine's (vmm/vpmu/rescue.c). One line says which, then the
# dump.
if [ -n "$why" ]; then
	skip "INT3 at CPL0 with no IDT: a triple fault (125)" "$why"
	skip "INT3 at CPL0: the dump follows" "$why"
else
	"$pmvm" run "$img/int3.elf" >/dev/null 2>/tmp/pmvm-err.$$
	rc=$?
	first=$(head -n 1 /tmp/pmvm-err.$$)
	case $first in
	"pmvm: guest triple-faulted (KVM_EXIT_SHUTDOWN)"* | "pmvm: guest triple-faulted (in pmvm's engine: a fault while delivering #DF)")
		line=yes ;;
	*) line= ;;
	esac
	if [ "$rc" = 125 ] && [ -n "$line" ]; then
		ok "INT3 at CPL0 with no IDT: a triple fault, 125 and one line ($first)"
	else
		not_ok "INT3 at CPL0 with no IDT: status $rc, want 125 and a triple fault's line (got: $first)"
	fi
	# After a triple fault RIP may have moved past the trap; the dump is
	# there either way.
	if grep -q "^  rip=0x" /tmp/pmvm-err.$$; then
		ok "INT3 at CPL0: the dump follows"
	else
		not_ok "INT3 at CPL0: the dump follows"
	fi
fi
# ICEBP, INT3, INTO, INT n, UD2 and bytes that are no instruction at
# CPL0 in 32-bit protected mode, through the guest's own IDT, each
# handler returning with a 32-bit IRET (tests/images/events32.S: it
# exits with the sum of its vectors' weights, 47), whoever runs the
# guest. Nested PVM's KVM can emulate none of these but UD2: pmvm's
# engine runs them there. Elsewhere KVM leaves them to the CPU, and one
# that raises #UD for ICEBP (QEMU 7.2's TCG, the test VM's:
# tests/cpu_events) cannot give the guest its #DB.
icebp_why=$(cpu_icebp_ud)
icebp_why=${icebp_why:+"$icebp_why, and KVM leaves the guest's ICEBP to it"}
for mode in "" --cpl0=kvm --cpl0=engine --count=step --trap=step; do
	what="32-bit ICEBP, INT3, INTO, INT n and #UD at CPL0 through the guest's IDT and back with IRETD${mode:+ ($mode)}"
	if [ -z "$why" ] && [ -n "$icebp_why" ]; then
		skip "$what" "$icebp_why"
	else
		expect 47 "$what" -- run $mode "$img/events32.elf"
	fi
done
# An image without RDPMC needs no breakpoint of pmvm's: guest debug is
# off and the guest's own DR0 breakpoint fires (its #DB handler exits 7),
# where this host's KVM fires hardware breakpoints at all (not under QEMU
# TCG's nested SVM: pmvm's --trace says which).
if [ -z "$why" ] && "$pmvm" run --trace "$build/guest/hello.elf" 2>&1 >/dev/null |
	grep -q "does not fire hardware breakpoints"; then
	skip "the guest's own DR0 breakpoint fires where pmvm sets none" "this host's KVM does not fire hardware breakpoints"
else
	expect 7 "the guest's own DR0 breakpoint fires where pmvm sets none" -- run "$img/guest_bp.elf"
fi
expect 0 "the command line reaches the guest" -- run "$img/cmdline.elf" -- one two
if [ -n "$why" ]; then
	skip "the command line is the image path and the words after --" "$why"
else
	got=$(cat /tmp/pmvm-out.$$)
	if [ "$got" = "$img/cmdline.elf one two" ]; then
		ok "the command line is the image path and the words after --"
	else
		not_ok "the command line is the image path and the words after -- (got: $got)"
	fi
fi
# Options may stand anywhere before "--", as GNU getopt permutes them;
# the words after it are the guest's, options or not.
expect 0 "an option after the image: pmvm run rdpmc --timeout=5" -- run rdpmc --timeout=5
expect 0 "options after the image, guest words after --" -- run "$img/cmdline.elf" --timeout=5 -- one --two
if [ -n "$why" ]; then
	skip "a word after -- that looks like an option is the guest's" "$why"
else
	got=$(cat /tmp/pmvm-out.$$)
	if [ "$got" = "$img/cmdline.elf one --two" ]; then
		ok "a word after -- that looks like an option is the guest's"
	else
		not_ok "a word after -- that looks like an option is the guest's (got: $got)"
	fi
fi
# --trace folds a sweep of RDPMCs into a line for the rest; --trace=all
# lists every one. Each folded line must add up (first + (N - 1) * step =
# last), and the two traces must hold the same RDPMCs.
if [ -n "$why" ]; then
	skip "--trace folds the rdpmc probe's sweep, --trace=all lists it" "$why"
else
	"$pmvm" run --trace "$build/guest/rdpmc.elf" 2>/tmp/pmvm-err.$$ >/dev/null
	folded=$(grep -c 'trace: rdpmc' /tmp/pmvm-err.$$)
	sums=$(awk 'function hex(s, v, i) { sub(/^0x/, "", s); sub(/,$/, "", s)
			v = 0; for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v }
		/trace: rdpmc and [0-9]+ more at/ {
		n = $5; a = hex($10); b = hex($12); st = hex($16)
		if (n < 3 || a + (n - 1) * st != b) bad++
		more += n; lines++ }
		/trace: rdpmc 0x/ { single++ }
		END { printf "%d %d %d\n", bad, single + more, lines }' /tmp/pmvm-err.$$)
	"$pmvm" run --trace=all "$build/guest/rdpmc.elf" 2>/tmp/pmvm-err.$$ >/dev/null
	all=$(grep -c 'trace: rdpmc 0x' /tmp/pmvm-err.$$)
	set -- $sums
	if [ "$1" = 0 ] && [ "$2" = "$all" ] && [ "$3" -gt 0 ] && [ "$folded" -lt 200 ]; then
		ok "--trace: $folded RDPMC lines for the rdpmc probe's $all (--trace=all), $3 of them folded sweeps that add up"
	else
		not_ok "--trace: $folded lines, $1 folded lines that do not add up, $2 RDPMCs in them, $all with --trace=all"
	fi
fi
rm -f /tmp/pmvm-out.$$ /tmp/pmvm-err.$$
exit $status
