#!/bin/sh
# kvm_caps.sh: a /dev/kvm that lacks a capability pmvm needs gets one clear line and status 69, one that lacks an optional one still runs a guest, and hardware breakpoints are used only where they fire.
# needs: /dev/kvm
. tests/integration/lib.sh

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A /dev/kvm without a capability pmvm needs: kvm_without makes the
# kernel answer KVM_CHECK_EXTENSION with 0 for it, as a kernel without
# it does (tests/kvm_without.c). pmvm names the capability and stops.
why=$(kvm_unusable)
for cap in KVM_CAP_USER_MEMORY KVM_CAP_EXT_CPUID KVM_CAP_IMMEDIATE_EXIT \
	KVM_CAP_X86_USER_SPACE_MSR KVM_CAP_X86_MSR_FILTER \
	KVM_CAP_SET_GUEST_DEBUG KVM_CAP_IRQCHIP KVM_CAP_SIGNAL_MSI \
	KVM_CAP_MP_STATE; do
	if [ -n "$why" ]; then skip "a /dev/kvm without $cap: 69" "$why"; continue; fi
	refused_cmd 69 "/dev/kvm lacks $cap, which pmvm needs for" -- "$build/tests/kvm_without" "$cap" "$pmvm" run "$build/guest/hello.elf"
done
# Capabilities pmvm can do without: it still runs the guest.
for cap in KVM_CAP_SYNC_REGS KVM_CAP_PMU_CAPABILITY; do
	if [ -n "$why" ]; then skip "a /dev/kvm without $cap still runs hello" "$why"; continue; fi
	out=$("$build/tests/kvm_without" "$cap" "$pmvm" run "$build/guest/hello.elf" 2>"$tmp/err")
	rc=$?
	if [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -qx 'ok 1 hello'; then
		ok "a /dev/kvm without $cap (optional) still runs hello"
	else
		not_ok "a /dev/kvm without $cap (optional) still runs hello: status $rc, $(head -n 1 "$tmp/err")"
	fi
done

# Hardware breakpoints that never fire (KVM under QEMU TCG's nested SVM):
# --trap=auto says so and single-steps; --trap=bp, which would trap no
# RDPMC there, is refused. Where they fire, --trap=bp runs.
if [ -n "$why" ]; then
	skip "--trap=bp where this host's breakpoints do not fire: 69" "$why"
else
	"$pmvm" run --trace --cpl0=kvm "$build/guest/hello.elf" >/dev/null 2>"$tmp/trace"
	if grep -q "does not fire hardware breakpoints" "$tmp/trace"; then
		refused 69 "--trap=bp: this host's KVM does not fire hardware breakpoints" -- run --trap=bp "$build/guest/hello.elf"
	elif grep -q "trapping RDPMC with hardware breakpoints" "$tmp/trace"; then
		if "$pmvm" run --trap=bp "$build/guest/hello.elf" >/dev/null 2>&1; then
			ok "--trap=bp runs hello where this host's breakpoints fire"
		else
			not_ok "--trap=bp does not run hello, though this host's breakpoints fire"
		fi
	else
		not_ok "--trace names no RDPMC trap for hello: $(grep 'RDPMC site' "$tmp/trace")"
	fi
fi
exit $status
