#!/bin/sh
# linux_guest.sh: Debian's kernel under pmvm (make linux-guest): it boots to its initramfs on --machine=linux, its perf driver sees the model, and perf stat counts the hand-counted program exactly, twice.
# needs: /dev/kvm
. tests/integration/lib.sh

why=$(kvm_unusable)
if [ -n "$why" ]; then
	skip "Debian's kernel under pmvm" "$why"
	exit 0
fi
# A host whose KVM cannot run Linux user space says so when it boots a
# kernel (vmm/host_probe.c asks): the stand-in kernel's boot asks it.
cant=$("$pmvm" run --timeout=20 "$build/tests/linux/stub.elf" 2>&1 >/dev/null </dev/null |
	sed -n 's/^pmvm: \(.*does not take a SYSCALL.*\)/\1/p')
if [ -n "$cant" ]; then
	skip "Debian's kernel under pmvm" "$cant; make check-vm runs it in the test VM"
	exit 0
fi
guest=$build/linux-guest
if [ ! -f "$guest/vmlinuz" ] || [ ! -f "$guest/initramfs.cpio.gz" ]; then
	out=$(scripts/linux_guest.sh "$build" 2>&1)
	rc=$?
	if [ $rc = 69 ]; then
		skip "Debian's kernel under pmvm" "$out"
		exit 0
	elif [ $rc != 0 ]; then
		not_ok "make linux-guest: $out"
		exit 1
	fi
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# boot WHAT PMVM-OPTIONS...: the guest's console in $tmp/out, its lines
# in $tmp/guest; status and the end checked.
boot() {
	what=$1
	shift
	"$pmvm" run "$@" --mem=512M --timeout="${LINUX_GUEST_TIMEOUT:-900}" \
		--initrd "$guest/initramfs.cpio.gz" \
		--append "console=ttyS0 acpi=off pci=off nmi_watchdog=0 panic=-1" \
		"$guest/vmlinuz" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	tr -d '\r' <"$tmp/out" | sed -n 's/^pmvm-guest: //p' >"$tmp/guest"
	sed 's/^/# /' "$tmp/guest"
	if [ $rc != 0 ] || ! grep -qx done "$tmp/guest"; then
		not_ok "$what: status $rc, $(grep -v '^ ' "$tmp/err" | head -n 1)$(tr -d '\r' <"$tmp/out" | grep -m 1 'Kernel panic')"
		return 1
	fi
	ok "$what: boots to its initramfs and resets (status 0)"
}

# counts WHAT: perf stat of count (guest/linux/count.S: 2N + 4 = 200004
# instructions, N + 1 = 100001 branches at CPL3), twice, the same.
counts() {
	for run in 1 2; do
		i=$(sed -n "s/^perf stat $run: \([0-9]*\),,instructions:u,.*/\1/p" "$tmp/guest")
		b=$(sed -n "s/^perf stat $run: \([0-9]*\),,branches:u,.*/\1/p" "$tmp/guest")
		if [ "$i" = 200004 ] && [ "$b" = 100001 ]; then
			ok "$1: perf stat, run $run: 200004 instructions, 100001 branches at CPL3, as counted by hand"
		else
			not_ok "$1: perf stat, run $run: instructions '$i', branches '$b' (want 200004 and 100001)"
		fi
	done
}

if boot "sapphire-rapids native" --cpu sapphire-rapids; then
	line=$(grep -m 1 '^dmesg: Performance Events:' "$tmp/guest")
	case $line in
	*"Sapphire Rapids events"*"Intel PMU driver."*) ok "sapphire-rapids native: the driver's line: ${line#dmesg: }" ;;
	*) not_ok "sapphire-rapids native: the driver says '${line#dmesg: }'" ;;
	esac
	for want in "version: *5" "generic registers: *8" "fixed-purpose events: *4"; do
		if grep -q "^dmesg: \.\.\. $want\$" "$tmp/guest"; then
			ok "sapphire-rapids native: ... $want"
		else
			not_ok "sapphire-rapids native: no '... $want' from the driver"
		fi
	done
	if grep -qx 'pmu_name sapphire_rapids' "$tmp/guest"; then
		ok "sapphire-rapids native: pmu_name sapphire_rapids"
	else
		not_ok "sapphire-rapids native: $(grep '^pmu_name' "$tmp/guest")"
	fi
	counts "sapphire-rapids native"
fi
exit $status
