#!/bin/sh
# engine_kut.sh: kvm-unit-tests' images (kut.sh) with pmvm's engine as the CPU (--accel=engine), on any machine: pmu.flat on a big core natively and on Clearwater Forest under kvm-legacy, pmu_lbr and pmu_pebs, msr, tsc, tsc_adjust and rdpru.
PMVM_ACCEL=engine exec sh tests/integration/kut.sh "$@"
