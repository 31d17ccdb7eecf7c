#!/bin/sh
# json.sh: --format=json of cpuid and explain, read back by a JSON parser (jq): the schema's fields, values from the spec and the dumps.
. tests/integration/lib.sh

if ! command -v jq >/dev/null 2>&1; then
	skip "--format=json" "jq not installed"
	exit 0
fi

# check WHAT JQ-EXPRESSION PMVM-ARGS...: the output parses and the
# expression holds.
check() {
	what=$1 expr=$2
	shift 2
	out=$("$pmvm" "$@" 2>&1)
	if printf '%s\n' "$out" | jq -e "$expr" >/dev/null 2>&1; then
		ok "$what"
	else
		not_ok "$what: $(printf '%s' "$out" | head -c 300 | tr '\n' ' ')"
	fi
}

# Skymont's leaf 0x23.2 from the Lunar Lake dump: 000000FC-00000003-000000FC-00000003
check "cpuid --format=json: lunar-lake:atom leaf 0x23.2 as the dump" \
	'.schema == "pmvm.cpuid/1" and .model == "lunar-lake:atom" and .policy == "native" and
	 ([.leaves[] | select(.leaf == 35 and .subleaf == 2)] | .[0] |
	  .eax == 252 and .ebx == 3 and .ecx == 252 and .edx == 3)' \
	cpuid --cpu lunar-lake:atom --format=json
# Sapphire Rapids' leaf 0xA: 08300805-00000000-0000000F-00008604, PERF_CAPABILITIES 0xA000
check "cpuid --format=json: sapphire-rapids leaf 0xA and PERF_CAPABILITIES" \
	'([.leaves[] | select(.leaf == 10)] | .[0] | .eax == 137365509 and .ecx == 15 and .edx == 34308)
	 and .perf_capabilities == "0xa000" and .vendor == "GenuineIntel"' \
	cpuid --cpu sapphire-rapids --format=json
# kvm-legacy on a hybrid host: no PMU, no PERF_CAPABILITIES (pmu-spec 2.1)
check "cpuid --format=json: no PERF_CAPABILITIES without PDCM (null)" \
	'.perf_capabilities == null and .policy == "kvm-legacy"' \
	cpuid --cpu lunar-lake:core --policy kvm-legacy --format=json
# Clearwater Forest has no PERF_METRICS: RDPMC 0x20000000 #GPs (checklist)
check "explain --format=json: rdpmc 0x20000000 on clearwater-forest is #GP, no value" \
	'.schema == "pmvm.explain/1" and .access == "rdpmc" and .ecx == 536870912 and
	 .result == "#GP" and .value == null and (.rule | length) > 0' \
	explain --cpu clearwater-forest rdpmc 0x20000000 --format=json
check "explain --format=json: wrmsr GLOBAL_CTRL read back, 64 bits as a string" \
	'.access == "wrmsr" and .msr == 911 and .written == "0x70000000f" and
	 .result == "ok" and .read_back == "0x70000000f"' \
	explain --cpu sapphire-rapids wrmsr 0x38f 0x70000000f --format=json
# EFER is no MSR of the PMU model: KVM answers a read in a run, and the
# guest reads it (no #GP); the rule says who.
check "explain --format=json: rdmsr EFER is KVM's, no value" \
	'.access == "rdmsr" and .msr == 3221225600 and .result == "kvm" and
	 .value == null and (.rule | test("KVM"))' \
	explain rdmsr 0xc0000080 --format=json
out=$("$pmvm" cpuid --format=yaml 2>&1)
if [ $? = 64 ] && [ "$out" = "pmvm: --format yaml: text or json" ]; then
	ok "--format=yaml: refused, '$out'"
else
	not_ok "--format=yaml: '$out'"
fi
exit $status
