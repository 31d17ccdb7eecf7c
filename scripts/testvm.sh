#!/bin/sh
# testvm.sh: runs pmvm's KVM integration scripts in a throw-away VM, for machines without a usable /dev/kvm: Debian 12's kernel under QEMU TCG (-cpu max, whose SVM lets KVM run nested), with a busybox initramfs that carries the build and the tests (docs/testing.md).
# usage: scripts/testvm.sh BUILD_DIR [SCRIPT...]   (from anywhere; SCRIPT:
#   NAME, NAME.sh or tests/integration/NAME.sh; none: the default subset,
#   or for a sanitizer build, such as build/san, boot_probes only)
# Prints, for each script, "# integration (test VM): tests/integration/NAME.sh"
# and the script's own lines, then "# test VM: done"; status 0 if the VM ran
# to its end, whatever the results. Otherwise one line "testvm: ..." on
# stderr and status 69 (cannot be had on this machine: no QEMU, cpio or
# apt, or Debian's packages cannot be downloaded) or 1 (anything else).
# Everything lands in BUILD_DIR/testvm/: kit/ (the kernel, its KVM modules
# and busybox, from Debian's packages, fetched again when Debian has newer
# ones), initramfs.cpio (made anew from the build every run), console.log
# (the VM's whole console).
# TESTVM_TIMEOUT: seconds the VM may take, boot to end (default 3600).
# TESTVM_SHELL=1: instead of the scripts, a busybox shell in the VM on this
# terminal (or reading commands from standard input), in the tree's root.
# KUT_RUNS, KUT_PMVM_OPTS, KUT_JOBS, CONFORMANCE_JOBS: passed to the
# scripts in the VM when set here (the VM's own defaults are below).
set -u

# Bump when the kit's layout changes: an older kit is then built again.
KIT_FORMAT=1

# The default subset (default_scripts below): every script whose third
# line is "# needs: /dev/kvm" (tests/run.sh's KVM tests: the trap paths,
# each --cpl0 and --count mode, the sandbox, the platform, the conformance
# tables, /dev/kvm's capabilities, ...) and bad_input.sh (a /dev/kvm not
# permitted); kut.sh last, with one pmu.flat run (about 17 minutes under
# TCG). docs/testing.md says why.
# For a sanitizer build: one script, so that ASan and LeakSanitizer see
# real guests in the VM.
SAN_SCRIPTS="boot_probes"
# kut.sh in the VM: one pmu.flat, the LBR and PEBS skips, tsc.flat; not
# msr.flat, which fails under TCG whatever pmvm does (docs/testing.md).
VM_KUT_RUNS="pmu.sapphire-rapids.native lbr.sapphire-rapids pebs.sapphire-rapids tsc.sapphire-rapids"

# die STATUS WHY: the one line, and out.
die() {
	echo "testvm: $2" >&2
	exit "$1"
}

# sq WORD: WORD quoted for sh.
sq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
	echo "usage: scripts/testvm.sh BUILD_DIR [SCRIPT...]" >&2
	exit 64
fi
bd=$(cd "$1" 2>/dev/null && pwd) || die 1 "no build directory $1"
shift
root=$(cd "$(dirname "$0")/.." && pwd) || die 1 "cannot find the source tree"
cd "$root" || exit 1
# The build directory inside the VM: where it is in the tree, else build.
case $bd in
"$root"/*) rel=${bd#"$root"/} ;;
*) rel=build ;;
esac
tv=$bd/testvm
kit=$tv/kit

for f in pmvm guest/hello.elf; do
	[ -f "$bd/$f" ] || die 1 "$bd/$f is missing (make all man tests first)"
done
for tool in qemu-system-x86_64:qemu-system-x86 cpio:cpio \
	apt-get:apt dpkg-deb:dpkg ldd:libc-bin timeout:coreutils; do
	command -v "${tool%%:*}" >/dev/null 2>&1 ||
		die 69 "no ${tool%%:*} on this machine (Debian package ${tool#*:})"
done

# The scripts to run.
san=
ldd "$bd/pmvm" 2>/dev/null | grep -q 'libasan\|libubsan' && san=1
default_scripts() {
	for f in tests/integration/*.sh; do
		n=${f##*/}
		n=${n%.sh}
		[ "$(sed -n 3p "$f")" = "# needs: /dev/kvm" ] || [ "$n" = bad_input ] || continue
		[ "$n" = kut ] || echo "$n"
	done
	[ "$(sed -n 3p tests/integration/kut.sh 2>/dev/null)" = "# needs: /dev/kvm" ] && echo kut
}
if [ $# = 0 ]; then
	# shellcheck disable=SC2046,SC2086
	if [ -n "$san" ]; then set -- $SAN_SCRIPTS; else set -- $(default_scripts); fi
fi
scripts=
for s; do
	s=${s##*/}
	s=${s%.sh}
	[ -f "tests/integration/$s.sh" ] && [ "$s" != lib ] ||
		die 1 "no integration script tests/integration/$s.sh"
	scripts="$scripts $s"
done

now() { date +%s; }

# ---- The kit: kernel, KVM modules, busybox ----------------------------

# The packages Debian would give now: linux-image-amd64's versioned
# kernel package, and busybox-static; empty if apt does not know them.
candidates() {
	k=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	[ -n "$k" ] || return 0
	kv=$(apt-cache show --no-all-versions "$k" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
	bv=$(apt-cache show --no-all-versions busybox-static 2>/dev/null | awk '/^Version:/ { print $2; exit }')
	[ -n "$kv" ] && [ -n "$bv" ] && echo "$k=$kv busybox-static=$bv kit=$KIT_FORMAT"
}

kit_ok() {
	[ -f "$kit/stamp" ] && [ -f "$kit/vmlinuz" ] && [ -x "$kit/busybox" ] &&
		[ -f "$kit/modules/kvm.ko" ]
}

# ko_depends FILE: the modules FILE needs (its .modinfo "depends=").
ko_depends() {
	tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
}

# load_order MODULE: MODULE's dependencies, depth first, then MODULE, by
# file name (kvm_amd is kvm-amd.ko); fails naming one not in the kit.
load_order() {
	f=$kit/modules/$(echo "$1" | tr _ -).ko
	[ -f "$f" ] || { echo "$1.ko" >"$kit/missing"; return 1; }
	for d in $(ko_depends "$f"); do
		load_order "$d" || return 1
	done
	echo "$1" | tr _ -
}

build_kit() {
	want=$1
	rm -rf "$kit" "$tv/dl"
	mkdir -p "$kit/modules" "$tv/dl/x" || die 1 "cannot create $kit"
	# shellcheck disable=SC2086
	set -- $want
	log=$tv/dl/apt.log
	if ! (cd "$tv/dl" && apt-get download "$1" "$2") >"$log" 2>&1; then
		why=$(grep -m 1 '^E:' "$log" || tail -n 1 "$log")
		rm -rf "$tv/dl"
		die 69 "apt-get download $1 $2 failed: $why"
	fi
	kdeb=$(ls "$tv/dl"/linux-image-*.deb) && bdeb=$(ls "$tv/dl"/busybox-static_*.deb) ||
		die 1 "apt-get download left no .deb in $tv/dl"
	# Only what the VM needs from the kernel package (dpkg -x would
	# unpack all its 400 MB of modules).
	m='./lib/modules/*/kernel'
	dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$tv/dl/x" --wildcards \
		'./boot/vmlinuz-*' "$m/arch/x86/kvm/kvm*.ko" "$m/virt/lib/irqbypass.ko" \
		"$m/drivers/crypto/ccp/ccp.ko" 2>"$log" ||
		die 1 "cannot unpack $kdeb: $(head -n 1 "$log")"
	dpkg-deb -x "$bdeb" "$tv/dl/x" 2>"$log" || die 1 "cannot unpack $bdeb: $(head -n 1 "$log")"
	mv "$tv/dl"/x/boot/vmlinuz-* "$kit/vmlinuz" &&
		find "$tv/dl/x/lib/modules" -name '*.ko' -exec mv {} "$kit/modules/" \; &&
		mv "$tv/dl/x/bin/busybox" "$kit/busybox" || die 1 "$kdeb or $bdeb lacks what the VM needs"
	# The load order, from the modules' own dependencies.
	for v in amd intel; do
		load_order "kvm-$v" >"$kit/$v.all" ||
			die 1 "$(cat "$kit/missing") is missing from $kdeb"
		awk '!seen[$0]++' "$kit/$v.all" >"$kit/$v.order" && rm "$kit/$v.all"
	done
	rm -rf "$tv/dl"
	echo "$want" >"$kit/stamp"
}

t0=$(now)
mkdir -p "$tv" || die 1 "cannot create $tv"
want=$(candidates)
if [ -z "$want" ] && [ "$(id -u)" = 0 ] && ! kit_ok; then
	apt-get update -qq >/dev/null 2>&1
	want=$(candidates)
fi
if [ -z "$want" ]; then
	kit_ok || die 69 "apt does not know linux-image-amd64 or busybox-static (as root: apt-get update)"
	want=$(cat "$kit/stamp") # apt cannot tell: the kit as it is
fi
if ! kit_ok || [ "$(cat "$kit/stamp")" != "$want" ]; then
	build_kit "$want"
	echo "# test VM: kit ($want) fetched in $(($(now) - t0))s"
fi

# ---- The initramfs: busybox, pmvm and its libraries, the tests ----------

t0=$(now)
r=$tv/root
rm -rf "$r"
mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/lib/modules" \
	"$r/main/$rel/tests" "$r/main/tests" || die 1 "cannot create $r"
cp "$kit/busybox" "$r/bin/busybox"
for a in $("$kit/busybox" --list-full); do
	[ -e "$r/$a" ] || [ -L "$r/$a" ] && continue
	mkdir -p "$r/${a%/*}" && ln -s /bin/busybox "$r/$a"
done
cp "$kit"/modules/*.ko "$r/lib/modules/"
# The users the scripts name (bad_input.sh also reads /etc/passwd as an
# image that is no Multiboot image).
mkdir -p "$r/etc"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"

# copy_bin FILE...: each at the same path under /main, with every
# library ldd lists at its own path (and the dynamic loader).
copy_bin() {
	for f; do
		d="$r/main/$rel/${f#"$bd"/}"
		mkdir -p "${d%/*}" && cp "$f" "$d" || die 1 "cannot copy $f"
		ldd "$f" >"$tv/ldd" 2>&1 || die 1 "ldd $f: $(head -n 1 "$tv/ldd")"
		if grep -q 'not found' "$tv/ldd"; then
			die 1 "ldd $f: $(grep -m 1 'not found' "$tv/ldd" | tr -d '\t')"
		fi
		for l in $(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' "$tv/ldd"); do
			[ -e "$r$l" ] && continue
			mkdir -p "$r${l%/*}" && cp -L "$l" "$r$l" || die 1 "cannot copy $l ($f needs it)"
		done
	done
}
copy_bin "$bd/pmvm"
for t in kvm_without cpu_events linux/mkbzimage; do
	[ ! -x "$bd/tests/$t" ] || copy_bin "$bd/tests/$t"
done
# Every guest image of the build, at its own path.
(cd "$bd" && find guest tests -name '*.elf') | while read -r f; do
	mkdir -p "$r/main/$rel/${f%/*}" && cp "$bd/$f" "$r/main/$rel/$f" || exit 1
done || die 1 "cannot copy $bd's guest images"
mkdir -p "$r/main/docs"
cp -R tests/integration tests/expect "$r/main/tests/" && cp -R configs "$r/main/" &&
	cp README.md "$r/main/" && cp docs/cli.md "$r/main/docs/" ||
	die 1 "cannot copy the tests into $r"

# kut.sh's images, when it runs.
kut=
case " $scripts " in
*" kut "*)
	kd=${KUT_DIR:-../shared/kvm-unit-tests/x86}
	mkdir -p "$r/kut"
	for f in pmu.flat pmu_lbr.flat pmu_pebs.flat msr.flat tsc.flat; do
		[ -f "$kd/$f" ] && cp "$kd/$f" "$r/kut/"
	done
	kut=1 ;;
esac

{
	echo "build=$(sq "$rel")"
	echo "scripts=$(sq "${scripts# }")"
	echo "amd=$(sq "$(paste -s -d " " "$kit/amd.order")")"
	echo "intel=$(sq "$(paste -s -d " " "$kit/intel.order")")"
	echo "shell=$(sq "${TESTVM_SHELL:-}")"
	echo "export PMVM_CONFIG_DIR=/main/configs"
	# for the tests that must know they run in this stand-in, ten times
	# slower than the hosts whose timings the docs give
	echo "export PMVM_TESTVM=1"
	# One pmvm at a time: -smp 1 gains nothing from more, and many at once
	# have frozen this guest kernel.
	echo "export CONFORMANCE_JOBS=$(sq "${CONFORMANCE_JOBS:-1}")"
	if [ -n "$kut" ]; then
		echo "export KUT_DIR=/kut KUT_JOBS=$(sq "${KUT_JOBS:-1}")"
		echo "export KUT_RUNS=$(sq "${KUT_RUNS:-$VM_KUT_RUNS}")"
		echo "export KUT_PMVM_OPTS=$(sq "${KUT_PMVM_OPTS:---timeout=3000}")"
	fi
} >"$r/testvm.conf"
cp scripts/testvm/init "$r/init" && chmod 755 "$r/init" || die 1 "cannot copy scripts/testvm/init"

(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$tv/initramfs.cpio" ||
	die 1 "cpio cannot write $tv/initramfs.cpio"
rm -rf "$r" "$tv/ldd"
size=$(($(wc -c <"$tv/initramfs.cpio") >> 20))
echo "# test VM: initramfs ($size MiB) made in $(($(now) - t0))s; booting $(sed 's/=.*//; s/ .*//' "$kit/stamp") under QEMU TCG"

# ---- The run ------------------------------------------------------------

limit=${TESTVM_TIMEOUT:-3600}
log=$tv/console.log
rm -f "$tv/qemu.rc"
qemu() {
	timeout -k 10 "$limit" qemu-system-x86_64 -accel tcg -cpu max -m 2048 \
		-smp 1 -nographic -no-reboot -nodefaults -serial stdio \
		-kernel "$kit/vmlinuz" -initrd "$tv/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 mitigations=off quiet" 2>"$tv/qemu.err"
}
if [ -n "${TESTVM_SHELL:-}" ]; then
	qemu
	exit
fi
{
	qemu </dev/null
	echo $? >"$tv/qemu.rc"
} | awk -v file="$log" '
	{ gsub(/\r|\033(c|\[[0-9;?]*[A-Za-z])/, ""); print >file }
	done || /^\[ *[0-9]+\.[0-9]+\] / { next }   # the end, or the kernel'"'"'s
	/^# test VM: failed: / { next }             # said on stderr below
	/^# test VM: / { print; fflush(); done = $0 == "# test VM: done"; next }
	/^# integration \(test VM\): / { on = 1 }
	on { print; fflush() }'
rc=$(cat "$tv/qemu.rc" 2>/dev/null || echo "?")

grep -qx '# test VM: done' "$log" && exit 0
why=$(sed -n 's/^# test VM: failed: //p' "$log" | head -n 1)
[ -n "$why" ] && die 1 "$why"
last=$(sed -n 's/^# integration (test VM): //p' "$log" | tail -n 1)
where=${last:+during $last}
where=${where:-before pmvm ran a guest}
panic=$(grep -m 1 'Kernel panic\|BUG:\|soft lockup\|hung_task' "$log" | sed 's/^\[ *[0-9.]*\] //')
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	die 1 "the VM did not reach its end within ${limit}s (TESTVM_TIMEOUT), $where${panic:+; kernel: $panic}; console: $log"
elif [ ! -s "$log" ]; then
	die 1 "qemu-system-x86_64 failed (status $rc): $(head -n 1 "$tv/qemu.err")"
fi
die 1 "the VM stopped $where (QEMU status $rc)${panic:+; kernel: $panic}; console: $log"
