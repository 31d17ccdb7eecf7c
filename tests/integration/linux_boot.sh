#!/bin/sh
# linux_boot.sh: pmvm run on a Linux kernel: the 64-bit boot protocol's hand-over to a stand-in kernel (tests/linux/stub.c), as a vmlinux and as bzImages of each compression, on KVM and in the engine; --machine=linux's platform and reset; the kernels it refuses, in one line.
# needs: /dev/kvm
. tests/integration/lib.sh

stub="$build/tests/linux/stub.elf"
mkbz="$build/tests/linux/mkbzimage"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
why=$(kvm_unusable)
mem=$((64 << 20))

# An initrd of 3,000 known bytes (printable, so that awk writes them as
# they are), and what the stand-in must see of it: its size, its end
# where the initrd sits at the top of RAM on a page boundary (as QEMU and
# kvmtool put it), the hash sum * 31 + byte (mod 2^32).
LC_ALL=C awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%c", 32 + (i * 7 + 3) % 95 }' >"$tmp/initrd"
rd_len=$(wc -c <"$tmp/initrd")
rd_hash=$(od -An -tu1 -v "$tmp/initrd" |
	awk '{ for (i = 1; i <= NF; i++) h = (h * 31 + $i) % 4294967296 } END { printf "%#x", h }')
rd_end=$(( (mem - rd_len) / 4096 * 4096 + rd_len ))
rd_expect=$(printf 'initrd_size %#x\ninitrd_page_aligned 0x1\ninitrd_end %#x\ninitrd_hash %s' \
	"$rd_len" "$rd_end" "$rd_hash")

# What Documentation/arch/x86/boot.rst's 64-bit boot protocol gives the
# kernel: __BOOT_CS and __BOOT_DS, long mode, interrupts off, the setup
# header (boot_flag, "HdrS", the image's protocol), type_of_loader 0xFF
# (a loader without an ID), the kernel's bss cleared, and docs/cli.md's
# e820 map of --mem.
cat >"$tmp/expect" <<EOF
cs 0x10
ds 0x18
ss 0x18
long_mode 0x1
interrupts 0x0
boot_flag 0xaa55
header 0x53726448
version 0x20f
type_of_loader 0xff
bss 0x0
e820_entries 0x3
e820 0x0 0x9fc00 0x1
e820 0x9fc00 0x60400 0x2
e820 0x100000 $(printf '%#x' $((mem - 0x100000))) 0x1
cmdline 'pmvm-test one two'
$rd_expect
EOF
# --machine=linux's platform, then the reset: on KVM its MP table and
# KVM's PIT; the engine as the CPU has neither (docs/cli.md).
platform() {
	printf 'mp_table %s\nrtc_register_d 0x80\nkbc_self_test 0x55\npit_counts %s\ncpuid_hypervisor 0x1\n' "$1" "$1"
}
cp "$tmp/expect" "$tmp/expect.engine"
platform 0x1 >>"$tmp/expect"
platform 0x0 >>"$tmp/expect.engine"

for how in gzip xz zstd lz4; do
	"$mkbz" "$how" "$stub" "$tmp/$how.bzImage" || not_ok "mkbzimage $how"
done

# boots WHAT KERNEL EXPECT ACCEL...
boots() {
	what=$1 kernel=$2 expect=$3
	shift 3
	"$pmvm" run "$@" --mem=64M --timeout=20 --initrd "$tmp/initrd" \
		--append "pmvm-test one two" "$kernel" </dev/null >"$tmp/out" \
		2>"$tmp/err"
	rc=$?
	grep -v '^zero_page ' "$tmp/out" >"$tmp/got"
	if [ $rc != 0 ]; then
		not_ok "$what: status $rc: $(head -n 1 "$tmp/err")"
	elif ! diff -u "$expect" "$tmp/got" >"$tmp/diff"; then
		not_ok "$what"; sed -n '3,12s/^/# /p' "$tmp/diff"
	else
		ok "$what: the hand-over as the boot protocol has it"
	fi
}

for accel in kvm engine; do
	if [ $accel = kvm ] && [ -n "$why" ]; then
		for k in vmlinux gzip xz zstd lz4; do
			skip "$k on KVM" "$why"
		done
		continue
	fi
	expect=$tmp/expect
	[ $accel = engine ] && expect=$tmp/expect.engine
	boots "an ELF vmlinux, --accel=$accel" "$stub" "$expect" --accel=$accel
	for how in gzip xz zstd lz4; do
		boots "a $how bzImage, --accel=$accel" "$tmp/$how.bzImage" \
			"$expect" --accel=$accel
	done
done

# COM1's input is pmvm's standard input (--machine=linux): a line, read
# by polling, with IIR saying "received data" (0x4) while a byte waits;
# what follows the line stays to be read.
for accel in kvm engine; do
	if [ $accel = kvm ] && [ -n "$why" ]; then
		skip "COM1's input on KVM" "$why"
		continue
	fi
	printf 'typed on stdin\nmore\n' | "$pmvm" run --accel=$accel \
		--timeout=20 --append input "$stub" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	got=$(grep '^input' "$tmp/out" | tr '\n' ' ')
	want="input 'typed on stdin' input_iir 0x4 input_after 0x1 "
	if [ $rc = 0 ] && [ "$got" = "$want" ]; then
		ok "COM1's input, --accel=$accel: a line from stdin"
	else
		not_ok "COM1's input, --accel=$accel: status $rc, '$got'"
	fi
done

# The same from a terminal (script(1)'s): raw for the run, in the
# sandbox, and put back as it was at the end.
if [ -n "$why" ]; then
	skip "COM1's input from a terminal" "$why"
elif ! command -v script >/dev/null; then
	skip "COM1's input from a terminal" "no script(1) here"
else
	(sleep 1; printf 'from a tty\n') | timeout 60 script -qc \
		"stty -g; '$pmvm' run --timeout=20 --append input '$stub'; echo status \$?; stty -g" \
		/dev/null 2>&1 | tr -d '\r' >"$tmp/tty"
	got=$(grep -a "^input '\|^status" "$tmp/tty" | tr '\n' ' ')
	modes=$(grep -a '^[0-9a-f]*:[0-9a-f:]*$' "$tmp/tty" | uniq | wc -l)
	if [ "$got" = "input 'from a tty' status 0 " ] && [ "$modes" = 1 ]; then
		ok "COM1's input from a terminal, which is put back after"
	else
		not_ok "COM1's input from a terminal: '$got', $modes terminal modes"
	fi
fi

# The kernels pmvm cannot boot, refused before any KVM call.
"$mkbz" raw "$stub" "$tmp/raw.bzImage"
refused 65 "compressed in a way pmvm does not know" -- run "$tmp/raw.bzImage"
"$mkbz" --version=0x206 gzip "$stub" "$tmp/old.bzImage"
refused 65 "boot protocol is 2.06; pmvm needs 2.08" -- run "$tmp/old.bzImage"
"$mkbz" --no-64 gzip "$stub" "$tmp/32.bzImage"
refused 65 "no 64-bit entry" -- run "$tmp/32.bzImage"
"$mkbz" --init-size=0x8000000 gzip "$stub" "$tmp/big.bzImage"
refused 65 "more than --mem's 64 MiB" -- run --mem=64M "$tmp/big.bzImage"
head -c $((50 << 20)) /dev/zero >"$tmp/big.initrd"
refused 65 "does not fit in RAM above the kernel" -- run --mem=64M --initrd "$tmp/big.initrd" "$tmp/gzip.bzImage"
head -c 300 "$tmp/gzip.bzImage" >"$tmp/cut.bzImage"
refused 65 "not a Multiboot v1 image, nor a Linux kernel" -- run "$tmp/cut.bzImage"
refused 64 "is a Linux kernel" -- run --env A=B "$tmp/gzip.bzImage"
refused 64 "which runs on --machine=linux" -- run --machine=pc "$tmp/gzip.bzImage"
refused 64 "is for a Linux kernel" -- run --machine=linux "$build/guest/hello.elf"
exit $status
