#!/bin/sh
# deps.sh: installs the Debian 12 packages pmvm needs to build and test (or those named), if any are missing.
# usage: scripts/deps.sh [PACKAGE...]
set -eu
# qemu-system-x86: the tests and the benchmark that compare pmvm with QEMU;
# cpuid: the test that reads this machine's CPUID both ways (--cpu host).
# help2man: the man page, pmvm(1), from pmvm --help.
# jq: the tests that read --format=json with a JSON parser.
# grub-*, xorriso, mtools: make iso, the probes on bare metal.
# cpio: the test VM's initramfs (scripts/testvm.sh, docs/testing.md).
# strace: the test that --accel=engine makes no KVM call (engine_boot.sh).
# zlib, liblzma, libzstd, liblz4: a Linux kernel's payload (vmm/linux_image.c).
PKGS="${*:-gcc make pkg-config binutils linux-libc-dev libcap-dev libseccomp-dev \
libinih-dev libcmocka-dev libzydis-dev libjson-c-dev qemu-system-x86 cpuid \
help2man jq grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools cpio strace \
zlib1g-dev liblzma-dev libzstd-dev liblz4-dev}"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing Debian packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
