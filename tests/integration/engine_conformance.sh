#!/bin/sh
# engine_conformance.sh: the conformance probes of conformance.sh (rdpmc, msr, cpuid on every model and policy, against tests/expect) with pmvm's engine as the CPU (--accel=engine): the same tables, on any machine, /dev/kvm or not.
PMVM_ACCEL=engine exec sh tests/integration/conformance.sh "$@"
