#!/bin/sh
# mkiso.sh: a bootable ISO of pmvm's probe images (GRUB, BIOS and where available UEFI), one menu entry per probe, output on COM1 and the VGA screen.
# usage: scripts/mkiso.sh OUT.iso IMAGE.elf...
set -eu
out=$1
shift
for tool in grub-mkrescue xorriso mformat; do
	command -v $tool >/dev/null 2>&1 || {
		echo "mkiso.sh: $tool is missing (Debian: grub-common grub-pc-bin xorriso mtools; scripts/deps.sh installs them)" >&2
		exit 1
	}
done
[ -d /usr/lib/grub/i386-pc ] || {
	echo "mkiso.sh: no GRUB for BIOS (/usr/lib/grub/i386-pc): install grub-pc-bin" >&2
	exit 1
}
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/boot/grub" "$tree/boot/pmvm"
cfg=$tree/boot/grub/grub.cfg
# COM1 at 115200 8N1 (the probes only write bytes; GRUB sets the UART up),
# and the screen: the menu and the probes' KTAP on both.
cat >"$cfg" <<CFG
# pmvm probes. Each entry boots one probe; its KTAP output goes to COM1
# (115200 8N1) and the VGA text screen. Capture COM1 (or photograph the
# screen) and compare with: pmvm diff --cpu MODEL PROBE --log CAPTURE
serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1
terminal_input console serial
terminal_output console serial
set timeout=5
set default=0
CFG
for img in "$@"; do
	name=$(basename "$img" .elf)
	cp "$img" "$tree/boot/pmvm/$name.elf"
	cat >>"$cfg" <<CFG
menuentry "pmvm probe: $name" {
	multiboot /boot/pmvm/$name.elf $name
	boot
}
CFG
done
# grub-mkrescue adds UEFI when grub-efi-amd64-bin is installed. Multiboot
# v1 boots from UEFI GRUB too; the VGA text screen needs BIOS or CSM.
grub-mkrescue --output="$out" "$tree" -- -quiet >/dev/null 2>&1 ||
	grub-mkrescue --output="$out" "$tree"
