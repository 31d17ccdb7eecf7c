#!/bin/sh
# cpu_sources.sh: models from real CPUs' CPUID (--cpu-dump in both formats, --cpu host), `pmvm model` and its round trip, and the one-line refusals.
. tests/integration/lib.sh

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dumps=tests/data/dumps
cpuid_r=tests/data/cpuid-r

# The answers without the first line ("model NAME, policy P").
answers() { "$pmvm" cpuid "$@" 2>&1 | tail -n +2; }

# same_as MODEL DUMP-ARGS...: the dump gives the model's answers. The
# model's answers are pinned to the same dump by tests/unit/test_pmu_dumps.
same_as() {
	model=$1
	shift
	if ! "$pmvm" cpuid "$@" >"$tmp/out" 2>"$tmp/err"; then
		not_ok "cpuid $*: $(cat "$tmp/err")"
		return
	fi
	answers --cpu "$model" >"$tmp/model"
	if tail -n +2 "$tmp/out" | diff -u "$tmp/model" - >"$tmp/diff"; then
		ok "cpuid $*: the answers of --cpu $model"
	else
		not_ok "cpuid $*: not the answers of --cpu $model: $(grep '^[-+]l' "$tmp/diff" | head -n 4 | tr '\n' ' ')"
	fi
}

for m in sapphire-rapids icelake skylake granite-rapids; do
	same_as "$m" --cpu-dump "$dumps/$m.txt"
done
for m in lunar-lake arrow-lake meteor-lake panther-lake; do
	for t in core atom; do
		same_as "$m:$t" --cpu-dump "$dumps/$m.txt" --core-type "$t"
	done
done
# the same CPUs in `cpuid -r` format
for t in core atom; do
	same_as "lunar-lake:$t" --cpu-dump "$cpuid_r/lunar-lake.txt" --core-type "$t"
	same_as "meteor-lake:$t" --cpu-dump "$cpuid_r/meteor-lake.txt" --core-type "$t"
done
same_as skylake --cpu-dump "$cpuid_r/skylake.txt"
# and with a policy: KVM gives a hybrid host's guests no vPMU (pmu-spec 5)
if "$pmvm" cpuid --cpu-dump "$dumps/lunar-lake.txt" --core-type core --policy kvm-legacy |
	grep -q '^leaf 0x0a: eax=0x00000000 ebx=0x00000000 ecx=0x00000000 edx=0x00000000$'; then
	ok "cpuid --cpu-dump lunar-lake --core-type core --policy kvm-legacy: leaf 0xA all zero, no vPMU on a hybrid host"
else
	not_ok "cpuid --cpu-dump lunar-lake --policy kvm-legacy: a vPMU on a hybrid host"
fi

# refused CPUID-ARGS... -- WORDS: status 65, one line on stderr naming it.
refused() {
	words=$(eval echo \"\${$#}\")
	args=$(printf '%s\n' "$@" | sed '$d' | sed '$d')
	# shellcheck disable=SC2086
	"$pmvm" cpuid $args >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" != 65 ] && [ "$rc" != 64 ]; then
		not_ok "cpuid $(echo $args): status $rc, want 64 or 65"
	elif [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -q -- "$words" "$tmp/err"; then
		not_ok "cpuid $(echo $args): '$(cat "$tmp/err")' is not one line saying '$words'"
	else
		ok "cpuid $(echo $args): $rc, '$(cat "$tmp/err")'"
	fi
}
echo 'no dump here' >"$tmp/text.txt"
refused --cpu-dump "$dumps/lunar-lake.txt" -- "a hybrid CPU"
refused --cpu-dump "$cpuid_r/lunar-lake.txt" -- "a hybrid CPU"
refused --cpu-dump "$cpuid_r/amd-epyc-zen4.txt" -- "vendor AuthenticAMD, not GenuineIntel"
refused --cpu-dump "$tmp/text.txt" -- "not a CPUID dump"
refused --cpu-dump "$dumps/skylake.txt" --core-type atom -- "not a hybrid CPU"
# A missing input file is 66 for every input, as for the image.
for f in none.txt .; do
	"$pmvm" cpuid --cpu-dump "$tmp/$f" >/dev/null 2>"$tmp/err"
	rc=$?
	want="--cpu-dump $tmp/$f: $([ $f = . ] && echo 'Is a directory' || echo 'No such file or directory')"
	if [ $rc = 66 ] && [ "$(cat "$tmp/err")" = "pmvm: $want" ]; then
		ok "cpuid --cpu-dump $f: 66, '$want'"
	else
		not_ok "cpuid --cpu-dump $f: status $rc, '$(cat "$tmp/err")' (want 66, '$want')"
	fi
done
refused --cpu-dump "$dumps/skylake.txt" --cpu icelake -- "give one of them"
refused --cpu-dump "$dumps/lunar-lake.txt" --core-type big -- "--core-type: 'big' is neither core nor atom"

# --cpu host: this machine's own CPUID. An Intel host gets its model (leaf
# 0xA as the CPUID instruction gives it, where Debian's cpuid can say);
# any other host one refusal line.
vendor=$(grep -m 1 '^vendor_id' /proc/cpuinfo | sed 's/.*: //')
if [ "$vendor" != GenuineIntel ]; then
	refused --cpu host -- "vendor $vendor, not GenuineIntel"
	refused --cpu host --policy kvm-mediated -- "vendor $vendor, not GenuineIntel"
else
	host=host
	"$pmvm" cpuid --cpu host >/dev/null 2>&1 || host=host:core
	if ! "$pmvm" cpuid --cpu $host >"$tmp/host" 2>"$tmp/err"; then
		not_ok "cpuid --cpu $host on an Intel host: $(cat "$tmp/err")"
	elif command -v cpuid >/dev/null && [ "$host" = host ]; then
		want=$(cpuid -1 -r -l 0xa | sed -n 's/.*eax=\(0x[0-9a-f]*\) ebx=\(0x[0-9a-f]*\).*/eax=\1/p')
		if grep -q "leaf 0x0a: $want" "$tmp/host"; then
			ok "cpuid --cpu host: leaf 0xA $want, as cpuid(1) reads it"
		else
			not_ok "cpuid --cpu host: leaf 0xA is not cpuid(1)'s $want: $(grep 'leaf 0x0a' "$tmp/host")"
		fi
	else
		ok "cpuid --cpu $host on an Intel host"
	fi
fi

# `pmvm model` writes what --cpu FILE.ini reads back to the same model.
values() { sed 's/ *;.*//' "$1" | grep .; }
for src in "--cpu sapphire-rapids" "--cpu lunar-lake:atom" "--cpu clearwater-forest" \
	"--cpu-dump $dumps/panther-lake.txt --core-type core" \
	"--cpu-dump $cpuid_r/skylake.txt"; do
	# shellcheck disable=SC2086
	if ! "$pmvm" model $src >"$tmp/a.ini" 2>"$tmp/err"; then
		not_ok "model $src: $(cat "$tmp/err")"
		continue
	fi
	"$pmvm" model --cpu "$tmp/a.ini" >"$tmp/b.ini" 2>"$tmp/err"
	values "$tmp/b.ini" >"$tmp/b.v"
	# shellcheck disable=SC2086
	if ! values "$tmp/a.ini" | diff -u - "$tmp/b.v" >"$tmp/diff"; then
		not_ok "model $src: read back differs: $(grep '^[-+][a-z]' "$tmp/diff" | head -n 3 | tr '\n' ' ')"
	elif [ "$(answers $src)" != "$(answers --cpu "$tmp/a.ini")" ]; then
		not_ok "model $src: cpuid of the written model differs"
	else
		ok "model $src: --cpu FILE.ini reads it back unchanged"
	fi
done
if "$pmvm" model --cpu-dump "$dumps/lunar-lake.txt" --core-type core |
	grep -q '^perf_capabilities = 0x8a000 .*\[I\]$'; then
	ok "model --cpu-dump: PERF_CAPABILITIES, not in a dump, is marked [I]"
else
	not_ok "model --cpu-dump: PERF_CAPABILITIES is not marked inferred"
fi
"$pmvm" model --cpu skylake --policy kvm-legacy >/dev/null 2>"$tmp/err"
if [ $? = 64 ] && grep -q 'model: --policy' "$tmp/err"; then
	ok "model --policy: refused, a model is the CPU's own"
else
	not_ok "model --policy: not refused: $(cat "$tmp/err")"
fi
# pmvm models marks what a name is: lunar-lake-p is an alias file
# (configs/lunar-lake-p.ini), lunar-lake a hybrid part ([cpu.atom]),
# skylake neither.
"$pmvm" models >"$tmp/models"
if grep -qx 'lunar-lake-p *alias of lunar-lake:core' "$tmp/models" &&
   grep -qx 'lunar-lake *hybrid: lunar-lake:core, lunar-lake:atom' "$tmp/models" &&
   grep -qx skylake "$tmp/models"; then
	ok "pmvm models marks the alias and the hybrid part"
else
	not_ok "pmvm models: $(tr '\n' ';' <"$tmp/models")"
fi
exit $status
