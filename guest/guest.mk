# guest.mk: builds the guest runtime (guest/lib) and one image per probe, $(BUILD)/guest/NAME.elf.
#
# Each probe guest/probes/NAME.c is linked with the whole runtime as x86-64
# at 1 MiB (guest/guest.ld), kept as $(BUILD)/guest/NAME.elf64 (symbols and
# debug info, for objdump and gdb), and converted to an ELF32 multiboot
# image, $(BUILD)/guest/NAME.elf, which pmvm and QEMU's -kernel both boot.
# Own flags: the host CFLAGS (hardening, PIE, sanitizers) do not apply.

BUILD ?= build
GUEST_CC ?= gcc
GUEST_LD ?= ld
GUEST_OBJCOPY ?= objcopy
GUEST_OBJDUMP ?= objdump

GUEST_PROBES := $(wildcard guest/probes/*.c)
GUEST_NAMES := $(patsubst guest/probes/%.c,%,$(GUEST_PROBES))
# The images, for pmvm's suite and the tests.
GUEST_ELFS := $(GUEST_NAMES:%=$(BUILD)/guest/%.elf)
GUEST_ELF64S := $(GUEST_NAMES:%=$(BUILD)/guest/%.elf64)

GUEST_LIB_SRCS := $(wildcard guest/lib/*.c guest/lib/*.S)
GUEST_LIB_OBJS := $(patsubst guest/%,$(BUILD)/guest/%,\
	$(addsuffix .o,$(basename $(GUEST_LIB_SRCS))))

# gcc's own freestanding headers (stdint.h, stdarg.h, ...) and no others.
GUEST_CPPFLAGS := -nostdinc -isystem $(shell $(GUEST_CC) -print-file-name=include) \
	-Iguest/lib -MMD -MP
GUEST_CFLAGS := -std=c11 -O2 -g -ffreestanding -fno-pic -fno-pie \
	-mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-avx \
	-fno-stack-protector -fcf-protection=none \
	-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
	-fno-strict-aliasing -fno-common \
	-Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes
GUEST_ASFLAGS := -g -D__ASSEMBLER__
GUEST_LDFLAGS := -m elf_x86_64 -static -nostdlib -no-pie --build-id=none \
	-z max-page-size=0x1000 -z noexecstack -T guest/guest.ld

GUEST_PROBE_OBJS := $(GUEST_NAMES:%=$(BUILD)/guest/probes/%.o)
# Keep the objects make would otherwise delete as intermediates.
.SECONDARY: $(GUEST_LIB_OBJS) $(GUEST_PROBE_OBJS)

.PHONY: guests guest-elfs
guests: $(GUEST_ELFS) $(GUEST_ELF64S)

# Print the image paths, one a line, for scripts: make -s guest-elfs
guest-elfs:
	@printf '%s\n' $(GUEST_ELFS)

# More specific than the top-level $(BUILD)/%.o rule, so it wins here.
$(BUILD)/guest/%.o: guest/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guest/%.o: guest/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CPPFLAGS) $(GUEST_ASFLAGS) -c $< -o $@

# pmvm traps RDPMC sites with hardware breakpoints (four at most): refuse
# an image with more than the runtime's two rdpmcs (rdpmc_safe's and the
# sweep's).
$(BUILD)/guest/%.elf64: $(BUILD)/guest/probes/%.o $(GUEST_LIB_OBJS) guest/guest.ld
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@ $(GUEST_LIB_OBJS) $<
	@n=$$($(GUEST_OBJDUMP) -d $@ | grep -c '	rdpmc *$$'); \
	if [ "$$n" != 2 ]; then \
		echo "$@: $$n rdpmc instructions; use rdpmc_safe()" >&2; \
		rm -f $@; exit 1; \
	fi

# QEMU's multiboot loader takes only ELF32; the code inside stays 64-bit.
$(BUILD)/guest/%.elf: $(BUILD)/guest/%.elf64
	$(GUEST_OBJCOPY) -O elf32-i386 --strip-debug $< $@

# The Linux guest's counted program (guest/linux/count.S): a static
# x86-64 Linux executable, no C library; count_long is the same loop 250
# times as long, long enough for the guest's timer to interrupt it.
guests: $(BUILD)/guest/linux/count $(BUILD)/guest/linux/count_long
$(BUILD)/guest/linux/count: guest/linux/count.S
	@mkdir -p $(@D)
	$(GUEST_CC) -nostdlib -static -no-pie -Wl,--build-id=none -o $@ $<
$(BUILD)/guest/linux/count_long: guest/linux/count.S
	@mkdir -p $(@D)
	$(GUEST_CC) -nostdlib -static -no-pie -Wl,--build-id=none -DN=25000000 -o $@ $<
