#!/bin/sh
# bad_input.sh: every bad input (options, numbers, images, CPU models, a missing or wrong /dev/kvm) gets one clear line on stderr and its documented status; kvm_caps.sh does a /dev/kvm that lacks what pmvm needs.
. tests/integration/lib.sh

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Cut 2 bytes into the end of exit42.elf's text: the header survives.
head -c 4112 "$build/tests/images/exit42.elf" >"$tmp/cut.elf"
head -c $((3 << 20)) /dev/zero >"$tmp/big.elf"

refused 64 "no command" --
refused 64 "unknown command 'frobnicate'" -- frobnicate
# One line for every command, not getopt's own and then pmvm's, naming
# that command's --help; a missing value is said as such.
refused 64 "unknown or ambiguous option '--bogus' (see pmvm run --help)" -- run --bogus x.elf
for cmd in cpuid explain model diff; do
	refused 64 "unknown or ambiguous option '--bogus' (see pmvm $cmd --help)" -- $cmd --bogus
done
refused 64 "option '--mem' needs a value (see pmvm run --help)" -- run x.elf --mem
refused 64 "option '--cpu' needs a value (see pmvm cpuid --help)" -- cpuid --cpu
refused 64 "no image given" -- run
refused 64 "--mem: '12q' is not a size" -- run --mem=12q x.elf
refused 64 "outside 2 MiB .. 3 GiB" -- run --mem=1 x.elf
refused 64 "outside 2 MiB .. 3 GiB" -- run --mem=99999 x.elf
refused 64 "--timeout: '-1' is not a number" -- run --timeout=-1 x.elf
refused 64 "--timeout: 'soon' is not a number" -- run --timeout=soon x.elf
refused 64 "--exit-code: 'bash' is neither" -- run --exit-code=bash x.elf
refused 64 "unexpected 'extra' after the image" -- run x.elf extra
refused 64 "unexpected 'extra' after the image" -- run x.elf --timeout=5 extra -- arg
refused 64 "--timeout: 'soon' is not a number" -- run x.elf --timeout=soon
refused 64 "diff: unexpected 'extra' after the image" -- diff rdpmc extra --log x.log
refused 64 "--cpl0: 'user' is not auto, kvm or engine" -- run --cpl0=user x.elf
refused 64 "--cpl0=engine and --count=step disagree: with --count=step KVM runs the guest's CPL0 code" -- run --cpl0=engine --count=step x.elf
refused 64 "--accel: 'tcg' is not auto, kvm or engine" -- run --accel=tcg x.elf
refused 64 "--count=step is KVM's, which --accel=engine leaves out" -- run --accel=engine --count=step x.elf
refused 64 "--cpl0=kvm is KVM's, which --accel=engine leaves out" -- run --accel=engine --cpl0=kvm x.elf
refused 64 "--trap=bp is KVM's, which --accel=engine leaves out" -- run --accel=engine --trap=bp x.elf
refused 66 "cannot open image $tmp/none.elf" -- run "$tmp/none.elf"
refused 66 "is not a regular file" -- run "$tmp"
# A FIFO nobody writes: refused at once, not waited on in open().
mkfifo "$tmp/fifo"
refused_cmd 66 "image $tmp/fifo is not a regular file" -- timeout 10 "$pmvm" run "$tmp/fifo"
refused_cmd 66 "initrd $tmp/fifo is not a regular file" -- timeout 10 "$pmvm" run --initrd="$tmp/fifo" "$build/guest/hello.elf"
refused 65 "no multiboot header" -- run /etc/passwd
refused 65 "larger than guest RAM" -- run --mem=2 "$tmp/big.elf"
refused 65 "reaches past the end of the file (0x1010 bytes): truncated image" -- run "$tmp/cut.elf"

# CPU models and config files: one line, naming the file and line.
model() { printf "$2" >"$tmp/$1.ini"; }
model key '[cpu]\nvendor = GenuineIntel\n[pmu]\nversion = 5\nbogus_key = 1\n'
model value '[pmu]\nversion = five\n'
model range '[pmu]\nversion = 5\ngp_counters = 99\n'
model hex '[pmu]\nversion = 5\ngp_width = 0x\n'
model huge '[pmu]\nversion = 99999999999999999999999\n'
model section '[pmu]\nversion = 5\n[uncore]\nx = 1\n'
model syntax '[pmu]\nversion = 5\nthis is not ini\n'
model twice '[pmu]\nversion = 5\nversion = 4\n'
model noversion '[cpu]\nfamily = 6\n'
refused 65 "unknown CPU model" -- run --cpu=nosuch x.elf
refused 65 "$tmp/key.ini:5: pmu.bogus_key: unknown key" -- run --cpu="$tmp/key.ini" x.elf
refused 65 "$tmp/value.ini:2: pmu.version: \"five\" is not a number" -- run --cpu="$tmp/value.ini" x.elf
refused 65 "$tmp/range.ini:3: pmu.gp_counters: 99 is above" -- run --cpu="$tmp/range.ini" x.elf
refused 65 "$tmp/hex.ini:3: pmu.gp_width: \"0x\" is not a number" -- run --cpu="$tmp/hex.ini" x.elf
refused 65 "$tmp/huge.ini:2: pmu.version: \"99999999999999999999999\" is not a number" -- run --cpu="$tmp/huge.ini" x.elf
refused 65 "$tmp/section.ini:4: unknown section \[uncore\]" -- run --cpu="$tmp/section.ini" x.elf
refused 65 "$tmp/syntax.ini:3: not \"key = value\"" -- run --cpu="$tmp/syntax.ini" x.elf
refused 65 "$tmp/twice.ini:3: pmu.version: set twice (first at line 2)" -- run --cpu="$tmp/twice.ini" x.elf
refused 65 "$tmp/noversion.ini: pmu.version is missing" -- run --cpu="$tmp/noversion.ini" x.elf
refused 66 "\-\-cpu $tmp/none.ini: No such file" -- run --cpu="$tmp/none.ini" x.elf
: >"$tmp/empty.ini"
refused 65 "$tmp/empty.ini: empty: no \"key = value\" line" -- run --cpu="$tmp/empty.ini" x.elf
refused 65 "\-\-set: pmu.version: \"abc\" is not a number" -- run --set=pmu.version=abc x.elf
refused 65 "\-\-set: pmu.nokey: unknown key" -- run --set=pmu.nokey=1 x.elf
refused 65 "unknown CPU model" -- cpuid --cpu=nosuch
# A typo gets the nearest name, case aside.
refused 65 "unknown CPU model; did you mean icelake?" -- cpuid --cpu Icelake
refused 65 "unknown CPU model; did you mean sapphire-rapids?" -- cpuid --cpu sapphire-rapid
mkdir "$tmp/dir.ini"
refused 66 "\-\-cpu $tmp/dir.ini: Is a directory" -- cpuid --cpu="$tmp/dir.ini"
refused 65 "choose a core type (lunar-lake:core or lunar-lake:atom)" -- cpuid --cpu=lunar-lake
refused 65 "no core type 'atom' (not a hybrid CPU)" -- cpuid --cpu=skylake:atom
refused 64 "--cpu skylake:big: core type 'big': core or atom" -- cpuid --cpu=skylake:big
refused 64 "--policy: 'kvm' is not native, kvm-legacy or kvm-mediated" -- cpuid --policy=kvm
refused 64 "--core-type: 'big' is neither core nor atom" -- model --cpu=host --core-type=big

# An image pmvm may not read, and /dev/kvm missing or not permitted: run
# as an unprivileged user (setpriv) or with /dev hidden in a private mount
# namespace (unshare). Both need root; nothing in pmvm is told about it.
pub=$(public_copy "$build/guest/hello.elf")
trap 'rm -rf "$tmp" "$pub"' EXIT
cp "$pub/hello.elf" "$pub/secret.elf"
chmod 000 "$pub/secret.elf"
nobody="env -u PMVM_CONFIG_DIR setpriv --reuid=65534 --regid=65534 --clear-groups"
if [ "$(id -u)" != 0 ] || ! $nobody true 2>/dev/null; then
	skip "an unreadable image: 66" "needs root and setpriv to become another user"
	skip "/dev/kvm not permitted: 69" "needs root and setpriv to become another user"
else
	refused_cmd 66 "cannot open image $pub/secret.elf: Permission denied" -- $nobody "$pub/pmvm" run "$pub/secret.elf"
	if [ -e /dev/kvm ] && [ "$(stat -c %a /dev/kvm)" != 666 ]; then
		refused_cmd 69 "cannot open /dev/kvm: Permission denied" -- $nobody "$pub/pmvm" run --accel=kvm "$pub/hello.elf"
	else
		skip "/dev/kvm not permitted: 69" "/dev/kvm is missing or open to everyone here"
	fi
fi
# Where models are found (docs/cpu-models.md): from any directory, as any
# user, a copy of pmvm with no configs/ near it uses the models built into
# it; a model file or directory pmvm cannot read is named with its errno.
out=$(cd / && env -u PMVM_CONFIG_DIR "$pub/pmvm" cpuid --cpu skylake 2>&1)
if printf '%s\n' "$out" | grep -q '^model skylake, policy native'; then
	ok "a copy of pmvm far from any configs/ finds skylake built in"
else
	not_ok "a copy of pmvm far from any configs/ finds skylake built in: $(printf '%s' "$out" | head -n 1)"
fi
if [ "$(id -u)" != 0 ] || ! $nobody true 2>/dev/null; then
	for t in "an unreadable model file" "an unreadable model directory" \
		"the model list as another user"; do
		skip "$t: 65" "needs root and setpriv to become another user"
	done
else
	cp configs/skylake.ini "$pub/mine.ini"
	chmod 000 "$pub/mine.ini"
	mkdir -m 700 "$pub/cfg"
	cp configs/skylake.ini "$pub/cfg/"
	refused_cmd 66 "--cpu $pub/mine.ini: Permission denied" -- $nobody "$pub/pmvm" cpuid --cpu "$pub/mine.ini"
	refused_cmd 65 "$pub/cfg/skylake.ini: Permission denied" -- env PMVM_CONFIG_DIR="$pub/cfg" setpriv --reuid=65534 --regid=65534 --clear-groups "$pub/pmvm" cpuid --cpu skylake
	refused_cmd 65 "unknown CPU model (models: arch-max, arrow-lake, clearwater-forest," -- $nobody "$pub/pmvm" cpuid --cpu nosuch
fi
if [ "$(id -u)" != 0 ] || ! unshare --mount true 2>/dev/null; then
	skip "no /dev/kvm: 69" "needs root and unshare --mount"
	skip "/dev/kvm is not KVM: 69" "needs root and unshare --mount"
	skip "no /dev/kvm and --count=step: 69" "needs root and unshare --mount"
else
	refused_cmd 69 "cannot open /dev/kvm: No such file or directory" -- unshare --mount sh -c 'mount -t tmpfs tmpfs /dev && exec "$0" run --accel=kvm "$1"' "$pmvm" "$build/guest/hello.elf"
	# A private /dev holding a null device named kvm: works whether or not
	# this machine has a /dev/kvm to bind over.
	refused_cmd 69 "/dev/kvm is not a KVM device" -- unshare --mount sh -c 'mount -t tmpfs tmpfs /dev && mknod /dev/kvm c 1 3 && exec "$0" run --accel=kvm "$1"' "$pmvm" "$build/guest/hello.elf"
	# --accel=auto (the default) without KVM: KVM's own options are
	# refused, naming why KVM is not there.
	refused_cmd 69 "cannot open /dev/kvm: No such file or directory (KVM is not available: load the kvm module or enable virtualization), and --count=step needs KVM" -- unshare --mount sh -c 'mount -t tmpfs tmpfs /dev && exec "$0" run --count=step "$1"' "$pmvm" "$build/guest/hello.elf"
fi

exit $status
