#!/bin/sh
# engine_hostile.sh: the hostile-guest checks of hostile.sh (no #DB, TF or breakpoint of pmvm's, CPL0 exceptions, RDPMC anywhere, the guest's own debug features, HLT) with pmvm's engine as the CPU (--accel=engine), on any machine.
PMVM_ACCEL=engine exec sh tests/integration/hostile.sh "$@"
