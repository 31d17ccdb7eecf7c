# doc_lib.sh: runs the commands of README.md, docs/cli.md and pmvm --help as written (sourced by doc_commands.sh and doc_guests.sh).
# In a scratch directory that holds build/, tests/ and configs/ of this
# tree, with this build's pmvm first on PATH as `pmvm`; in document order,
# so a command may use a file an earlier one wrote (doc_commands.sh's and
# doc_guests.sh's alike: each makes the other's files too). A command's expected
# status is the "status N" of its comment, else 0. A command that needs
# what this machine lacks is skipped, saying what.

# doc_needs COMMAND: what the command needs that is missing here, if any.
doc_needs() {
	case $1 in
	make\ *) echo "a make target; make check does not run make inside itself (install: install.sh, iso: iso.sh, run: make_run.sh)"; return ;;
	esac
	for tool in qemu-system-x86_64 cpuid jq; do
		case " $1 " in *" $tool "*)
			command -v $tool >/dev/null 2>&1 ||
				{ echo "needs $tool, not installed here"; return; } ;;
		esac
	done
	case $1 in *'$KUT_DIR'*)
		[ -f "$KUT_DIR/pmu.flat" ] || { echo "needs kvm-unit-tests' x86 images in \$KUT_DIR ($KUT_DIR)"; return; }
		case $build in */san) echo "a pmu.flat run takes minutes under the sanitizer build (kut.sh runs two there)"; return ;; esac
		[ -z "${PMVM_TESTVM:-}" ] || { echo "pmu.flat takes about 17 minutes in the test VM (nested KVM on QEMU TCG), past the documented --timeout (kut.sh runs it there with --timeout=3000)"; return; } ;;
	esac
	case $1 in *build/linux-guest/*)
		case $build in */san) echo "a Linux boot takes minutes under the sanitizer build (linux_guest.sh boots one there)"; return ;; esac
		# made here as make linux-guest makes them, where apt can
		if [ ! -f "$build/linux-guest/vmlinuz" ] || [ ! -f "$build/linux-guest/initramfs.cpio" ]; then
			out=$(scripts/linux_guest.sh "$build" 2>&1) ||
				{ echo "needs make linux-guest's kernel and initramfs: $out"; return; }
		fi
		cant=$("$pmvm" run --timeout=20 "$build/tests/linux/stub.elf" 2>&1 >/dev/null </dev/null |
			sed -n 's/^pmvm: \(.*does not take a SYSCALL.*\)/\1/p')
		[ -z "$cant" ] || { echo "$cant"; return; } ;;
	esac
	case $1 in *"--cpu host"*)
		grep -q GenuineIntel /proc/cpuinfo || { echo "needs an Intel host (--cpu host)"; return; } ;;
	esac
	# cpuid -r dumps this host's CPU, which pmvm refuses unless it is an
	# Intel one (its files then never exist for the commands after it)
	case $1 in *"cpuid -r"*)
		grep -q GenuineIntel /proc/cpuinfo || { echo "needs an Intel host (cpuid -r dumps this host's CPU; pmvm models Intel's PMU only)"; return; } ;;
	esac
	case $1 in *"-accel kvm"*)
		ls -d /sys/bus/event_source/devices/cpu* >/dev/null 2>&1 ||
			{ echo "needs a host whose KVM has a hardware PMU for QEMU's -cpu host,pmu=on (this host has no perf 'cpu' PMU)"; return; } ;;
	esac
	case $1 in *"--cpu host --policy kvm-mediated"*)
		v=$(cpuid -1 -l 0xa -r 2>/dev/null | sed -n 's/.*eax=0x\([0-9a-f]*\).*/\1/p')
		[ $(( 0x${v:-0} & 0xff )) -ge 4 ] ||
			{ echo "needs a host PMU of version 4 or later (CPUID.0xA:EAX[7:0] here: $(( 0x${v:-0} & 0xff )))"; return; } ;;
	esac
	for opt in --log --cpu-dump --cpu; do
		case $1 in *"$opt "*)
			f=${1#*"$opt "}; f=${f%% *}
			# --cpu: only a model file (an earlier command may make it)
			case $opt:$f in --cpu:*.ini) ;; --cpu:*) continue ;; esac
			case $1 in *"> $f "*) continue ;; esac
			[ -e "$scratch/$f" ] || [ -e "$f" ] ||
				{ echo "needs $f, a file of the reader's own ($opt)"; return; } ;;
		esac
	done
}

# doc_guest_ready COMMAND: it boots a guest and needs nothing else that
# is missing here: doc_guests.sh's (a KVM test skips only for KVM).
doc_guest_ready() {
	doc_runs_guest "$1" && [ -z "$(doc_needs "$1")" ]
}

# doc_run SELECT: runs every command for which SELECT COMMAND is true.
doc_run() {
	select=$1
	scratch=$(mktemp -d) || exit 1
	# build/ is the build under test (build/san under SAN=1).
	ln -s "$PWD/$build" "$scratch/build"
	ln -s "$PWD/tests" "$PWD/configs" "$scratch/"
	mkdir "$scratch/bin"
	ln -s "$PWD/$pmvm" "$scratch/bin/pmvm"
	export KUT_DIR="${KUT_DIR:-$(cd .. && pwd)/shared/kvm-unit-tests/x86}"
	why_kvm=$(kvm_unusable)
	for f in README.md docs/cli.md; do
		[ -f "$f" ] || not_ok "$f is missing"
	done
	{ doc_commands README.md docs/cli.md; help_examples; } >"$scratch/list"
	while IFS='	' read -r loc cmd com; do
		if ! $select "$cmd"; then
			# Still make the files the other half's commands write, for
			# the commands after them (my-cpu.ini).
			case $cmd in *'>'*)
				doc_runs_guest "$cmd" || [ -n "$(doc_needs "$cmd")" ] ||
					(cd "$scratch" && PATH="$scratch/bin:$PATH" sh -c "$cmd") \
						>/dev/null 2>&1 </dev/null ;;
			esac
			continue
		fi
		what="$loc: $cmd"
		want=$(printf '%s\n' "$com" | sed -n 's/.*status \([0-9][0-9]*\).*/\1/p')
		need=$(doc_needs "$cmd")
		if [ -z "$need" ] && doc_runs_guest "$cmd" && [ -n "$why_kvm" ]; then
			need=$why_kvm
		fi
		if [ -n "$need" ]; then skip "$what" "$need"; continue; fi
		(cd "$scratch" && PATH="$scratch/bin:$PATH" timeout 900 sh -c "$cmd") \
			>"$scratch/out" 2>"$scratch/err" </dev/null
		rc=$?
		if [ "$rc" = "${want:-0}" ]; then
			ok "$what (status $rc)"
		else
			not_ok "$what: status $rc, want ${want:-0}: $(head -n 2 "$scratch/err" | tr '\n' ' ')"
		fi
	done <"$scratch/list"
	rm -rf "$scratch"
}
