#!/bin/sh
# doc_commands.sh: every documented command that boots no guest (README.md, docs/cli.md, pmvm --help's examples) runs as written, with its documented status; one that would boot a guest but needs what this machine lacks is skipped here, saying what.
. tests/integration/lib.sh
. tests/integration/doc_lib.sh

not_guest_ready() { ! doc_guest_ready "$1"; }
doc_run not_guest_ready
[ $n -gt 20 ] || not_ok "found only $n documented commands (the extraction broke?)"
exit $status
