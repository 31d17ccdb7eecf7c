# Makefile: builds pmvm (build/pmvm), its PMU library, the guest images and the tests.
#
#   make            build/pmvm, build/libpmu.a, build/guest/NAME.elf
#   make run        install missing Debian packages, build, run the probe suite
#                   (CPUS=all or CPUS=M1,M2: on those CPU models)
#   make check      unit tests (cmocka) and integration tests (guests on
#                   /dev/kvm, or in the test VM where it cannot run them)
#   make check-vm   the KVM integration tests in the test VM (docs/testing.md)
#   make SAN=1 ...  the same with ASan and UBSan, under build/san/
#   make bench      performance figures, as ratios within one run (bench/)
#   make fuzz       libFuzzer harnesses for a bounded time (tests/fuzz/)
#   make difftest   the counting engine against the host CPU, 1M sequences
#                   of 64-bit, 1M of 32-bit (compatibility-mode) code and
#                   1M that switch between the two modes
#   make iso        build/pmvm-probes.iso: the probes on bare metal (GRUB)
#   make install    pmvm, its models, probe images, man page and bash
#                   completion under DESTDIR/PREFIX (/usr/local); uninstall

BUILD ?= build
ifeq ($(SAN),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
else
HARDEN := -D_FORTIFY_SOURCE=2
endif

VERSION := 0.2.0
PREFIX ?= /usr/local
DATADIR ?= $(PREFIX)/share/pmvm

CC := gcc
PKG_CONFIG ?= pkg-config
PKGS := libcap libseccomp inih json-c zlib liblzma libzstd liblz4

WARN := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-qual \
	-Wwrite-strings -Wmissing-prototypes -Wstrict-prototypes \
	-Wformat=2 -Wformat-security -Wundef -Wvla -Wimplicit-fallthrough
CFLAGS := -std=c11 -O2 -g $(WARN) -D_GNU_SOURCE $(HARDEN) \
	-fstack-protector-strong -fstack-clash-protection -fPIE -MMD -MP \
	$(SANFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) -I. \
	-DPMVM_VERSION='"$(VERSION)"'
LDFLAGS := -pie -Wl,-z,relro,-z,now,-z,noexecstack $(SANFLAGS)
LDLIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lZydis -lZycore

.PHONY: all deps run check check-vm clean difftest install uninstall man iso \
	linux-guest
all: $(BUILD)/pmvm guests

-include pmu/pmu.mk
include engine/engine.mk
include vmm/vmm.mk
-include guest/guest.mk
-include tests/tests.mk
-include tests/fuzz/fuzz.mk
-include bench/bench.mk

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/suite.sh $(BUILD) $(if $(CPUS),--cpus=$(CPUS))

check: deps
	@$(MAKE) --no-print-directory all man tests
	@tests/run.sh $(BUILD)

# The KVM integration scripts in a throw-away VM, Debian 12's kernel under
# QEMU TCG with KVM nested inside (scripts/testvm.sh, docs/testing.md):
# for machines without a usable /dev/kvm. Fails if a test fails or the VM
# does not run to its end.
check-vm: deps
	@$(MAKE) --no-print-directory all man tests
	@mkdir -p $(BUILD)/testvm; log=$(BUILD)/testvm/check-vm.log; \
	{ scripts/testvm.sh $(BUILD); echo $$? >$$log.rc; } | tee $$log; \
	rc=$$(cat $$log.rc); \
	p=$$(grep '^ok ' $$log | grep -vc '# SKIP'); \
	s=$$(grep -c '^ok .*# SKIP' $$log); \
	f=$$(grep -c '^not ok' $$log); \
	echo "$$p passed, $$f failed, $$s skipped in the test VM"; \
	[ "$$f" = 0 ] && [ "$$rc" = 0 ]

# Debian's kernel and an initramfs with busybox, perf and a counted
# program, fetched with apt-get into $(BUILD)/linux-guest (never
# committed): the Linux guest of docs/cli.md's "Linux kernels".
linux-guest: deps
	@$(MAKE) --no-print-directory all
	@scripts/linux_guest.sh $(BUILD)

# The counting engine against the host CPU, DIFFTEST_SEEDS sequences
# (docs/counting.md has the figures).
DIFFTEST_SEEDS ?= 1000000
difftest: deps
	@$(MAKE) --no-print-directory $(BUILD)/tests/difftest
	@$(BUILD)/tests/difftest --seeds=$(DIFFTEST_SEEDS)

clean:
	rm -rf build

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
# The compiler writes them; nothing remakes them (else make's built-in
# "%: %.o" links engine0.d from engine0.d.o, which bench.mk's engine%.o
# compiles with -DBENCH_CPL=0.d, and so on with every build).
$(BUILD)/%.d: ;

# pmvm(1) from `pmvm --help` and `--version` (help2man), so the two agree.
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
# --help's examples, one a line, as they are: help2man would fill them
# into one paragraph.
man: $(BUILD)/pmvm.1
$(BUILD)/pmvm.1: $(BUILD)/pmvm docs/pmvm.h2m
	{ cat docs/pmvm.h2m; printf '\n[=EXAMPLES]\n.nf\n'; \
	  $(BUILD)/pmvm --help | sed -n '/^Examples:$$/,$$p' | sed '1d; s/\\/\\e/g'; \
	  printf '.fi\n'; } >$(BUILD)/pmvm.h2m
	help2man --no-info --no-discard-stderr --include=$(BUILD)/pmvm.h2m \
		--name="a userspace VMM with a modelled Intel PMU" \
		--output=$@ $(BUILD)/pmvm

install: all man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/configs \
		$(DESTDIR)$(DATADIR)/guest $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(COMPLETIONDIR)
	install -m 755 $(BUILD)/pmvm $(DESTDIR)$(BINDIR)/pmvm
	install -m 644 $(MODEL_FILES) $(DESTDIR)$(DATADIR)/configs/
	install -m 644 $(GUEST_ELFS) $(DESTDIR)$(DATADIR)/guest/
	install -m 644 $(BUILD)/pmvm.1 $(DESTDIR)$(MANDIR)/man1/pmvm.1
	install -m 644 scripts/pmvm.bash-completion $(DESTDIR)$(COMPLETIONDIR)/pmvm

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pmvm $(DESTDIR)$(MANDIR)/man1/pmvm.1 \
		$(DESTDIR)$(COMPLETIONDIR)/pmvm
	rm -rf $(DESTDIR)$(DATADIR)

# The probes for bare metal: a GRUB ISO, one menu entry per conformance
# probe first (cpuid, the default, then msr and rdpmc), then the rest.
ISO_PROBES := cpuid msr rdpmc hello count count_user selftest
iso: $(BUILD)/pmvm-probes.iso
$(BUILD)/pmvm-probes.iso: $(ISO_PROBES:%=$(BUILD)/guest/%.elf) scripts/mkiso.sh
	scripts/mkiso.sh $@ $(ISO_PROBES:%=$(BUILD)/guest/%.elf)
