#!/bin/sh
# iso.sh: make iso, then the ISO booted under QEMU (-cdrom): GRUB starts the default probe (cpuid), its KTAP reaches COM1 and the VGA text screen.
. tests/integration/lib.sh

qemu=qemu-system-x86_64
for tool in "$qemu" grub-mkrescue xorriso mformat; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		skip "make iso, booted under QEMU" "$tool not installed"
		exit 0
	fi
done
san=
[ "$build" = build/san ] && san=SAN=1
tmp=$(mktemp -d)
trap 'kill $qpid 2>/dev/null; rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
if make --no-print-directory -s iso $san >"$tmp/log" 2>&1 && [ -s "$build/pmvm-probes.iso" ]; then
	ok "make iso: $build/pmvm-probes.iso"
else
	not_ok "make iso: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
	exit 1
fi

# No isa-debug-exit: the probe ends halted, as on a real machine, and the
# monitor then reads the screen's memory.
mkfifo "$tmp/mon.in" "$tmp/mon.out"
"$qemu" -accel tcg -m 256 -display none -no-reboot -cdrom "$build/pmvm-probes.iso" \
	-serial "file:$tmp/com1" -monitor "pipe:$tmp/mon" </dev/null >/dev/null 2>&1 &
qpid=$!
exec 3>"$tmp/mon.in"
cat "$tmp/mon.out" >/dev/null &
# GRUB waits 5 s on its menu; TCG is slow: up to 180 s for the last line.
i=0
while [ $i -lt 180 ]; do
	[ -f "$tmp/com1" ] || { sleep 1; i=$((i + 1)); continue; }
	plan=$(tr -d '\r' <"$tmp/com1" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p' | head -n 1)
	[ -n "$plan" ] && tr -d '\r' <"$tmp/com1" | grep -aq "^\(not \)\{0,1\}ok $plan " && break
	sleep 1
	i=$((i + 1))
done
sleep 1
echo "pmemsave 0xb8000 4000 \"$tmp/vga\"" >&3
sleep 2
echo quit >&3
exec 3>&-
wait $qpid 2>/dev/null
tr -d '\r' <"$tmp/com1" >"$tmp/serial"

# QEMU TCG has no PMU: leaf 0xA reads zero, no PDCM (as tests/integration/diff.sh)
if grep -q '^KTAP version 1$' "$tmp/serial" && grep -q '^# obs cpuid 0x1: pdcm 0$' "$tmp/serial" &&
	grep -q '^# obs cpuid 0xa: version 0 gp 0 ' "$tmp/serial" && [ -n "$plan" ] &&
	grep -q "^ok $plan " "$tmp/serial" && ! grep -q '^not ok' "$tmp/serial"; then
	ok "the ISO under QEMU: GRUB booted the cpuid probe, KTAP 1..$plan on COM1, QEMU's PMU-less leaves"
else
	not_ok "the ISO under QEMU: COM1 has: $(grep -a -m 4 'KTAP\|obs\|not ok' "$tmp/serial" | tr '\n' ' ')"
fi
# The screen: character bytes of 80x25 cells; the last KTAP line is there.
last=$(grep -a . "$tmp/serial" | tail -n 1)
if [ -s "$tmp/vga" ] && od -An -v -tu1 -w2 "$tmp/vga" |
	awk '{ printf "%c", ($1 >= 32 && $1 < 127) ? $1 : 32 } NR % 80 == 0 { print "" }' |
	grep -qF -- "$(printf '%s' "$last" | cut -c 1-60)"; then
	# The screen's KTAP line quoted without its '#', which would make
	# this result read as a SKIP.
	ok "the ISO under QEMU: the VGA text screen shows '$(printf '%s' "$last" | cut -c 1-60 | tr -d '#')'"
else
	not_ok "the ISO under QEMU: the VGA text screen lacks the last line '$last'"
fi
exit $status
