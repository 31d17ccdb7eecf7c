#!/bin/sh
# doc_guests.sh: every documented command that boots a guest and needs nothing this machine lacks but KVM (README.md, docs/cli.md, pmvm --help's examples) runs as written, with its documented status.
# needs: /dev/kvm
. tests/integration/lib.sh
. tests/integration/doc_lib.sh

doc_run doc_guest_ready
[ $n -gt 10 ] || not_ok "found only $n documented guest commands (the extraction broke?)"
exit $status
