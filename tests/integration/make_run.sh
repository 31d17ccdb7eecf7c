#!/bin/sh
# make_run.sh: scripts/suite.sh (make run) nests each model's probe KTAP and ends with one summary line per model and the totals, counted by hand here.
. tests/integration/lib.sh

# A stand-in for pmvm that needs no KVM: "good" prints two results, one
# skipped, and exits 0; "bad" prints one ok and one not ok, and exits 1.
fake=$(mktemp -d) || exit 1
mkdir -p "$fake/guest"
: >"$fake/guest/bad.elf"
: >"$fake/guest/good.elf"
cat >"$fake/pmvm" <<'FAKE'
#!/bin/sh
for a; do img=$a; done
case $img in
*good.elf) printf 'KTAP version 1\n1..2\nok 1 a\nok 2 b # SKIP why\n'
	echo "pmvm: a line of pmvm's own" >&2; exit 0 ;;
*) printf 'KTAP version 1\n1..2\nok 1 a\nnot ok 2 b\n'; exit 1 ;;
esac
FAKE
chmod +x "$fake/pmvm"

out=$(scripts/suite.sh "$fake" --cpus=icelake,lunar-lake:atom)
rc=$?
expect='# summary:
#   icelake: 1 of 2 probes passed; 2 tests ok, 1 skipped, 1 failed
#   lunar-lake:atom: 1 of 2 probes passed; 2 tests ok, 1 skipped, 1 failed
# 2 of 4 probe runs passed; 4 tests ok, 2 skipped, 2 failed'
got=$(printf '%s\n' "$out" | tail -n 4)
if [ "$got" = "$expect" ]; then ok "two models: one summary line each, then the totals"
else not_ok "two models: summary (got: $got)"; fi
if [ $rc != 0 ]; then ok "a failed probe fails the suite (status $rc)"
else not_ok "a failed probe fails the suite (status 0)"; fi
if printf '%s\n' "$out" | grep -qx 'not ok 1 icelake' &&
   printf '%s\n' "$out" | grep -qx '    not ok 1 bad # exit status 1'; then
	ok "the failed probe and its model are 'not ok' in the KTAP"
else
	not_ok "the failed probe and its model are 'not ok' in the KTAP"
fi

# pmvm's stderr (the engine chosen where KVM is not, a warning) is a KTAP
# diagnostic in the probe's block, never a line KTAP would misread.
if printf '%s\n' "$out" | grep -qx "        # pmvm: a line of pmvm's own" &&
   ! printf '%s\n' "$out" | grep -q '^ *pmvm:'; then
	ok "pmvm's own stderr lines are KTAP diagnostics in the probe's block"
else
	not_ok "pmvm's own stderr lines are KTAP diagnostics: $(printf '%s\n' "$out" | grep -m 1 'pmvm:')"
fi

rm "$fake/guest/bad.elf"
out=$(scripts/suite.sh "$fake")
rc=$?
expect='# summary:
#   the default model: 1 of 1 probes passed; 1 tests ok, 1 skipped, 0 failed
# 1 of 1 probe runs passed; 1 tests ok, 1 skipped, 0 failed'
got=$(printf '%s\n' "$out" | tail -n 3)
if [ "$got" = "$expect" ] && [ $rc = 0 ]; then
	ok "one model: its line and the totals, status 0"
else
	not_ok "one model: summary and status 0 (status $rc, got: $got)"
fi
rm -rf "$fake"
exit $status
