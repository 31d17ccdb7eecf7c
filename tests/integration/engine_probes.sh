#!/bin/sh
# engine_probes.sh: every probe image of boot_probes.sh, with pmvm's engine as the CPU (--accel=engine): the same KTAP and status checks, on any machine, /dev/kvm or not.
PMVM_ACCEL=engine exec sh tests/integration/boot_probes.sh "$@"
