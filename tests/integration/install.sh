#!/bin/sh
# install.sh: make install into a DESTDIR, then the installed pmvm from outside the checkout: models, images, man page, completion, --version; make uninstall.
. tests/integration/lib.sh

san=
[ "$build" = build/san ] && san=SAN=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
# shellcheck disable=SC2086
if ! make --no-print-directory -s install $san DESTDIR="$dest" PREFIX=/usr/local \
	>"$tmp/log" 2>&1; then
	not_ok "make install DESTDIR=...: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
	exit 1
fi
ok "make install DESTDIR=... PREFIX=/usr/local"

why=$(kvm_unusable)
# Out of the checkout's reach: a copy of the tree elsewhere, run from /,
# with no PMVM_CONFIG_DIR.
cp -a "$dest" "$tmp/moved"
root=$tmp/moved/usr/local
ipmvm=$root/bin/pmvm
unset PMVM_CONFIG_DIR
cd / || exit 1

for f in bin/pmvm share/pmvm/configs/icelake.ini share/pmvm/guest/rdpmc.elf \
	share/man/man1/pmvm.1 share/bash-completion/completions/pmvm; do
	if [ -f "$root/$f" ]; then ok "installed $f"; else not_ok "not installed: $f"; fi
done

v=$("$ipmvm" --version)
case $v in
"pmvm "[0-9]*) ok "pmvm --version: $v" ;;
*) not_ok "pmvm --version: '$v'" ;;
esac

# The installed share directory, not only the models built in: a model
# file dropped there is found by name.
sed 's/^model = 0x6A /model = 0x6C /' "$root/share/pmvm/configs/icelake.ini" \
	>"$root/share/pmvm/configs/my-icelake.ini"
if "$ipmvm" cpuid --cpu my-icelake 2>&1 | grep -q 'model 0x6c'; then
	ok "cpuid --cpu my-icelake: found in PREFIX/share/pmvm/configs"
else
	not_ok "cpuid --cpu my-icelake: $("$ipmvm" cpuid --cpu my-icelake 2>&1 | head -n 2)"
fi
if "$ipmvm" models | grep -qx my-icelake && "$ipmvm" models | grep -qx clearwater-forest; then
	ok "pmvm models lists the installed and built-in models"
else
	not_ok "pmvm models: $("$ipmvm" models | tr '\n' ' ')"
fi
err=$("$ipmvm" cpuid --cpu nosuchcpu 2>&1)
case $err in
*"unknown CPU model"*icelake*my-icelake*) ok "a wrong --cpu lists the names: $err" ;;
*) not_ok "a wrong --cpu: '$err'" ;;
esac

# A probe by name: the installed image (the run itself needs /dev/kvm).
out=$("$ipmvm" run --timeout=20 hello 2>&1)
rc=$?
if [ -z "$why" ] && [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q .; then
	ok "pmvm run hello: PREFIX/share/pmvm/guest/hello.elf ran"
elif [ -n "$why" ] && ! printf '%s\n' "$out" | grep -q 'cannot open image'; then
	ok "pmvm run hello: the image is found (the run: $why)"
else
	not_ok "pmvm run hello: status $rc: $(printf '%s\n' "$out" | head -n 2)"
fi

# The man page is help2man's from --help: every option --help names is in it.
man=$root/share/man/man1/pmvm.1
missing=
for o in $("$ipmvm" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	sed 's/\\-/-/g' "$man" | grep -q -- "$o" || missing="$missing $o"
done
if [ -z "$missing" ] && grep -q '^\.TH PMVM "1"' "$man"; then
	ok "pmvm(1) names every option of pmvm --help"
else
	not_ok "pmvm(1) lacks:$missing"
fi
# ... and reads as a man page: groff warns of nothing, the SYNOPSIS has
# each usage line of --help whole, each example is a line of its own.
if ! command -v groff >/dev/null 2>&1; then
	skip "pmvm(1) renders cleanly" "no groff"
else
	page=$(groff -man -Tutf8 -P-cbou -ww "$man" 2>"$tmp/groff")
	synopsis=$(printf '%s\n' "$page" | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed 's/^ *//')
	examples=$(printf '%s\n' "$page" | sed -n '/^EXAMPLES/,/^SEE ALSO/p' | sed 's/^ *//')
	bad=
	[ -s "$tmp/groff" ] && bad="$bad groff: $(head -n 1 "$tmp/groff");"
	"$ipmvm" --help | sed -n 's/^\(Usage:\|   or:\) //p' >"$tmp/usage"
	while IFS= read -r line; do
		printf '%s\n' "$synopsis" | grep -qxF -- "$line" || bad="$bad SYNOPSIS lacks '$line';"
	done <"$tmp/usage"
	"$ipmvm" --help | sed -n '/^Examples:$/,$p' | sed '1d; s/^ *//' >"$tmp/examples"
	while IFS= read -r line; do
		printf '%s\n' "$examples" | grep -qxF -- "$line" || bad="$bad EXAMPLES lacks the line '$line';"
	done <"$tmp/examples"
	if [ -z "$bad" ] && [ -s "$tmp/usage" ] && [ -s "$tmp/examples" ]; then
		ok "pmvm(1) renders cleanly: $(wc -l <"$tmp/usage") usage lines in SYNOPSIS, $(wc -l <"$tmp/examples") example lines in EXAMPLES"
	else
		not_ok "pmvm(1) does not read as --help:$bad"
	fi
fi

comp=$root/share/bash-completion/completions/pmvm
if command -v bash >/dev/null; then
	got=$(PATH="$root/bin:$PATH" bash -c ". '$comp'; COMP_WORDS=(pmvm cpuid --cpu clear); COMP_CWORD=3; _pmvm; echo \${COMPREPLY[*]}")
	case " $got " in
	*" clearwater-forest "*) ok "bash completion: --cpu clear -> $got" ;;
	*) not_ok "bash completion: --cpu clear -> '$got'" ;;
	esac
else
	skip "bash completion" "no bash"
fi

cd - >/dev/null || exit 1
# shellcheck disable=SC2086
make --no-print-directory -s uninstall $san DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1
left=$(find "$dest" -type f | sed "s|$dest||")
if [ -z "$left" ]; then ok "make uninstall removes every file"; else not_ok "make uninstall left:$left"; fi
exit $status
