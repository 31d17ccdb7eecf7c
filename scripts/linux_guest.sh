#!/bin/sh
# linux_guest.sh: builds the Linux guest pmvm boots in its Linux tests: Debian's kernel (linux-image-amd64), and an initramfs of busybox-static, Debian's perf (linux-perf) with the libraries it links, and guest/linux/count and count_long, whose init reports the perf driver and runs perf stat on them (docs/cli.md, "Linux kernels").
# usage: scripts/linux_guest.sh BUILD_DIR
# Everything lands in BUILD_DIR/linux-guest/: vmlinuz, initramfs.cpio,
# and dl/ (the .deb files, fetched again when Debian has newer ones).
# Nothing of it is committed. Status 69 and one line if this machine
# cannot have it (no apt, or Debian's packages cannot be downloaded), 1
# for anything else.
set -u

die() {
	echo "linux_guest: $2" >&2
	exit "$1"
}

[ $# = 1 ] || { echo "usage: scripts/linux_guest.sh BUILD_DIR" >&2; exit 64; }
bd=$(cd "$1" 2>/dev/null && pwd) || die 1 "no build directory $1"
root=$(cd "$(dirname "$0")/.." && pwd) || die 1 "cannot find the source tree"
out=$bd/linux-guest
count=$bd/guest/linux/count
for f in "$count" "${count}_long"; do
	[ -x "$f" ] || die 1 "$f is missing (make first)"
done
for tool in apt-get:apt apt-cache:apt dpkg-deb:dpkg cpio:cpio ldd:libc-bin; do
	command -v "${tool%%:*}" >/dev/null 2>&1 ||
		die 69 "no ${tool%%:*} on this machine (Debian package ${tool#*:})"
done

# The kernel package linux-image-amd64 depends on now, and every library
# package linux-perf needs, recursively (perf's own .so files only; perl
# and python3 themselves are not needed by the perf binary).
kernel=$(apt-cache depends linux-image-amd64 2>/dev/null |
	awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
if [ -z "$kernel" ] && [ "$(id -u)" = 0 ]; then
	apt-get update -qq >/dev/null 2>&1
	kernel=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
fi
[ -n "$kernel" ] || die 69 "apt does not know linux-image-amd64 (as root: apt-get update)"
libs=$(apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances linux-perf 2>/dev/null |
	awk '/^lib|^zlib1g$/ && !/:/ { print $1 }' | sort -u)
want=$(printf '%s\n' "$kernel" busybox-static linux-perf $libs |
	while read -r p; do
		v=$(apt-cache show --no-all-versions "$p" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
		[ -n "$v" ] && echo "$p=$v"
	done)

dl=$out/dl
mkdir -p "$dl" || die 1 "cannot create $dl"
if [ "$(cat "$dl/stamp" 2>/dev/null)" != "$want" ]; then
	rm -f "$dl"/*.deb "$dl/stamp"
	# shellcheck disable=SC2086
	if ! (cd "$dl" && apt-get download $want) >"$dl/apt.log" 2>&1; then
		die 69 "apt-get download failed: $(grep -m 1 '^E:' "$dl/apt.log" || tail -n 1 "$dl/apt.log")"
	fi
	echo "$want" >"$dl/stamp"
fi

# Unpacked: the kernel's vmlinuz only (not its 400 MB of modules), the
# rest whole.
x=$out/x
rm -rf "$x" && mkdir -p "$x" || die 1 "cannot create $x"
for deb in "$dl"/*.deb; do
	case ${deb##*/} in
	linux-image-*) dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" --wildcards './boot/vmlinuz-*' ;;
	*) dpkg-deb -x "$deb" "$x" ;;
	esac || die 1 "cannot unpack $deb"
done
cp "$x"/boot/vmlinuz-* "$out/vmlinuz" || die 1 "$kernel has no vmlinuz"
# /usr/bin/perf, or where it is a wrapper choosing by kernel version,
# the perf_VERSION it runs
perf=
for f in "$x"/usr/bin/perf_* "$x/usr/bin/perf"; do
	[ -f "$f" ] && [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && { perf=$f; break; }
done
[ -n "$perf" ] || die 1 "linux-perf has no perf binary in /usr/bin"

# The initramfs: busybox's applets, perf and the libraries it loads (as
# the unpacked packages give them), count, and init.
r=$out/root
rm -rf "$r" && mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" \
	"$r/lib64" "$r/lib/x86_64-linux-gnu" || die 1 "cannot create $r"
cp "$x/bin/busybox" "$r/bin/busybox" || die 1 "busybox-static has no /bin/busybox"
for a in $("$r/bin/busybox" --list-full); do
	[ -e "$r/$a" ] || [ -L "$r/$a" ] && continue
	mkdir -p "$r/${a%/*}" && ln -s /bin/busybox "$r/$a"
done
cp "$perf" "$r/bin/perf"
cp "$count" "${count}_long" "$r/bin/"
libdirs=$x/lib/x86_64-linux-gnu:$x/usr/lib/x86_64-linux-gnu
LD_LIBRARY_PATH=$libdirs ldd "$perf" >"$out/ldd" 2>&1 || die 1 "ldd $perf failed: $(head -n 1 "$out/ldd")"
if grep -q 'not found' "$out/ldd"; then
	die 1 "perf needs a library no package gave: $(grep -m 1 'not found' "$out/ldd")"
fi
awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' "$out/ldd" |
	while read -r lib; do
		cp -L "$lib" "$r/lib/x86_64-linux-gnu/" || exit 1
	done || die 1 "cannot copy perf's libraries"
mv "$r/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$r/lib64/" || die 1 "no dynamic loader for perf"
cp "$root/guest/linux/init" "$r/init" && chmod 755 "$r/init"
# Not compressed: the kernel's inflate of it would be 600 M instructions
# of its boot, which pmvm's engine interprets where KVM cannot run CPL0
# code natively (docs/cli.md, "Linux kernels").
rm -f "$out/initramfs.cpio.gz"
(cd "$r" && find . | cpio -o -H newc 2>/dev/null) >"$out/initramfs.cpio" ||
	die 1 "cannot write $out/initramfs.cpio"
rm -rf "$x"
echo "linux_guest: $out/vmlinuz ($kernel), $out/initramfs.cpio ($(du -k "$out/initramfs.cpio" | cut -f1) KiB)"
