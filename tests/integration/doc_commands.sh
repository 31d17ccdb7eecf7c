#!/bin/sh
# doc_commands.sh: every documented command that boots no guest (README.md, docs/cli.md, pmvm --help's examples) runs as written, with its documented status.
. tests/integration/lib.sh
. tests/integration/doc_lib.sh

no_guest() { ! doc_runs_guest "$1"; }
doc_run no_guest
[ $n -gt 20 ] || not_ok "found only $n documented commands (the extraction broke?)"
exit $status
