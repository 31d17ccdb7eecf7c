#!/bin/sh
# linux_guest.sh: Debian's kernel under pmvm (make linux-guest): it boots to its initramfs on --machine=linux, its perf driver sees the model, and perf stat counts the hand-counted program exactly, twice, and with timer interrupts landing in it; its topdown metrics match the core model's hand count.
# needs: /dev/kvm
. tests/integration/lib.sh

why=$(kvm_unusable)
if [ -n "$why" ]; then
	skip "Debian's kernel under pmvm" "$why"
	exit 0
fi
# The test VM (QEMU TCG with KVM nested inside) ran this guest for 900 s
# without reaching its initramfs: a TCG-emulated CPU running KVM's guest.
if [ -n "${PMVM_TESTVM:-}" ]; then
	skip "Debian's kernel under pmvm" "in the test VM a Linux guest does not reach its initramfs within 15 minutes (nested KVM under QEMU TCG)"
	exit 0
fi
# A host whose KVM cannot run Linux user space says so when it boots a
# kernel (vmm/host_probe.c asks): the stand-in kernel's boot asks it.
cant=$("$pmvm" run --timeout=20 "$build/tests/linux/stub.elf" 2>&1 >/dev/null </dev/null |
	sed -n 's/^pmvm: \(.*does not take a SYSCALL.*\)/\1/p')
if [ -n "$cant" ]; then
	skip "Debian's kernel under pmvm" "$cant"
	exit 0
fi
guest=$build/linux-guest
# made anew when what goes into it changed since
stale=
for f in guest/linux/init scripts/linux_guest.sh "$build/guest/linux/count" \
	"$build/guest/linux/count_long"; do
	[ "$f" -nt "$guest/initramfs.cpio" ] && stale=1
done
if [ ! -f "$guest/vmlinuz" ] || [ ! -f "$guest/initramfs.cpio" ] || [ -n "$stale" ]; then
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

APPEND="console=ttyS0 acpi=off pci=off nmi_watchdog=0 panic=-1 mitigations=off cryptomgr.notests rodata=off"

# boot WHAT PMVM-OPTIONS...: the guest's console in $tmp/out, its
# "pmvm-guest: " lines in $tmp/guest; status 0 (the reset) and init's
# end checked.
boot() {
	what=$1
	shift
	"$pmvm" run "$@" --mem=512M --timeout="${LINUX_GUEST_TIMEOUT:-900}" \
		--initrd "$guest/initramfs.cpio" --append "$APPEND" \
		"$guest/vmlinuz" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	tr -d '\r' <"$tmp/out" >"$tmp/console"
	sed -n 's/^pmvm-guest: //p' "$tmp/console" >"$tmp/guest"
	if [ $rc != 0 ] || ! grep -qx done "$tmp/guest"; then
		not_ok "$what: status $rc, $(grep -v '^ ' "$tmp/err" | head -n 1)$(grep -m 1 'Kernel panic' "$tmp/console")"
		tail -n 15 "$tmp/console" | sed 's/^/# /'
		return 1
	fi
	ok "$what: boots to its initramfs and resets (status 0)"
}

# driver WHAT LINE VERSION GENERIC FIXED PMU_NAME: the perf driver's
# lines on the guest's console and its pmu_name.
driver() {
	what=$1
	got=$(sed -n 's/^\[ *[0-9.]*\] Performance Events: //p' "$tmp/console" | head -n 1)
	case $got in
	*"$2"*"Intel PMU driver.") ok "$what: the driver says 'Performance Events: $got'" ;;
	*) not_ok "$what: the driver says '$got', not '$2 ... Intel PMU driver.'" ;;
	esac
	for f in "version:$3" "generic registers:$4" "fixed-purpose events:$5"; do
		key=${f%:*} want=${f##*:}
		v=$(sed -n "s/^\[ *[0-9.]*\] \.\.\. $key: *//p" "$tmp/console" | head -n 1)
		if [ "$v" = "$want" ]; then
			ok "$what: ... $key $v"
		else
			not_ok "$what: ... $key '$v', want $want"
		fi
	done
	if grep -qx "pmu_name $6" "$tmp/guest"; then
		ok "$what: pmu_name $6"
	else
		not_ok "$what: $(grep '^pmu_name' "$tmp/guest"), want $6"
	fi
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

# perf WHAT EVENT: the count perf stat's CSV line of EVENT gives, in the
# guest's output lines that begin with WHAT.
perf_count() {
	sed -n "s/^$1: \([0-9]*\),[^,]*,$2,.*/\1/p" "$tmp/guest" | head -n 1
}

# long WHAT: perf stat of count_long (N = 25000000: 50000004 instructions,
# 25000001 branches) with the local timer's interrupts counted while it
# ran: at least one lands in it, and the counts are still the hand count
# (docs/counting.md, "The user/kernel boundary": an interrupt is no
# instruction, and the one it interrupts counts once).
long() {
	i=$(perf_count "perf stat long" instructions:u)
	b=$(perf_count "perf stat long" branches:u)
	t=$(perf_count "perf stat long" irq_vectors:local_timer_entry)
	if [ "${t:-0}" -gt 0 ] && [ "$i" = 50000004 ] && [ "$b" = 25000001 ]; then
		ok "$1: perf stat of count_long: 50000004 instructions, 25000001 branches at CPL3 with $t timer interrupts in it"
	else
		not_ok "$1: perf stat of count_long: instructions '$i', branches '$b', timer interrupts '$t' (want 50000004, 25000001 and at least 1)"
	fi
}

# topdown WHAT SLOTS_PER_CYCLE: the topdown events of count (N = 100000)
# against the core model's hand count (docs/counting.md, "The core
# model"): MOV, DEC, JNZ, MOV, XOR at 1 cycle and 1 uop, SYSCALL (FAR) at
# 30 cycles and 10 uops; a correctly predicted taken JNZ adds a 1-cycle
# fetch bubble, a mispredicted one 15 cycles. The JNZ's 2-bit counter
# comes in at some state: the last, not-taken JNZ mispredicts, and 0-2
# taken ones before the counter says taken, so with m mispredicts:
#   cycles = 1 + N + N + (N - m) + 15m + 2 + 30 = 3N + 33 + 14m,
#   slots = SLOTS_PER_CYCLE x cycles, retiring = 2N + 13,
#   bad speculation = branch mispredicts = 15m x SLOTS_PER_CYCLE,
#   frontend bound = fetch latency = (N - m) x SLOTS_PER_CYCLE,
#   backend bound = the rest, heavy operations = SYSCALL's 10 uops,
#   memory bound = 0 (no loads).
# perf gives each metric as slots x byte / 0xFF (pmu-spec.md 3.5), so
# each is held to within slots / 255 of the hand count.
topdown() {
	w=$2 N=100000
	m=$(perf_count topdown branch-misses:u)
	c=$(perf_count topdown cycles:u)
	s=$(perf_count topdown slots)
	if [ -z "$m" ] || [ "$m" -lt 1 ] || [ "$m" -gt 3 ] ||
		[ "$c" != $((3 * N + 33 + 14 * m)) ] || [ "$s" != $((w * c)) ]; then
		not_ok "$1: topdown: cycles '$c', slots '$s' with $m mispredicts (want 3N + 33 + 14m and $w x that)"
		return
	fi
	ok "$1: topdown: $c cycles, $s slots ($w a cycle) with $m mispredicts, as counted by hand"
	ret=$((2 * N + 13)) bad=$((15 * m * w)) fe=$(((N - m) * w))
	be=$((s - ret - bad - fe))
	for want in topdown-retiring:$ret topdown-bad-spec:$bad \
		topdown-fe-bound:$fe topdown-be-bound:$be topdown-heavy-ops:10 \
		topdown-br-mispredict:$bad topdown-fetch-lat:$fe topdown-mem-bound:0; do
		ev=${want%:*} h=${want#*:}
		v=$(perf_count topdown "$ev")
		d=$((${v:-0} - h))
		if [ -n "$v" ] && [ "${d#-}" -le $((s / 255)) ]; then
			ok "$1: topdown: $ev $v, the hand count $h within slots / 255"
		else
			not_ok "$1: topdown: $ev '$v', the hand count $h (within $((s / 255)))"
		fi
	done
}

# Sapphire Rapids, native: Linux 6.1 knows the model (0x8F) and the
# issue's lines are its; version 5, 8 GP and 4 fixed counters are the
# part's CPUID leaf 0xA (docs/cpu-models.md).
if boot "sapphire-rapids native" --cpu sapphire-rapids; then
	driver "sapphire-rapids native" "Sapphire Rapids events" 5 8 4 sapphire_rapids
	counts "sapphire-rapids native"
	long "sapphire-rapids native"
	# 6 slots a cycle: pmu-spec.md's table for Golden Cove
	topdown "sapphire-rapids native" 6
fi
# Under KVM's policies the driver must see what KVM gives (pmu-spec.md,
# "what KVM does": version min(host, 2), the host's GP counters, fixed
# counters min(host, 3), 4 with the mediated vPMU's topdown slot, which
# Clearwater Forest's bitmap 0x77 lacks; Ice Lake server and Clearwater
# Forest have 8 GP counters), by model name where Linux 6.1
# knows the model (Ice Lake server, 0x6A: "Icelake events", pmu_name
# icelake), else the architectural driver (Clearwater Forest, 0xDD, is
# newer than 6.1). Not in the sanitizer build, where each boot takes
# minutes: one guest is enough for ASan and LeakSanitizer to see.
case $build in */san) exit $status ;; esac
if boot "icelake kvm-legacy" --cpu icelake --policy kvm-legacy; then
	driver "icelake kvm-legacy" "Icelake events" 2 8 3 icelake
	counts "icelake kvm-legacy"
	long "icelake kvm-legacy"
fi
if boot "clearwater-forest kvm-mediated" --cpu clearwater-forest --policy kvm-mediated; then
	driver "clearwater-forest kvm-mediated" "generic architected perfmon" 2 8 3 "generic_arch_v2+"
	counts "clearwater-forest kvm-mediated"
	long "clearwater-forest kvm-mediated"
fi
exit $status
