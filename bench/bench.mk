# bench/bench.mk: `make bench`: the performance figures as ratios taken in one run (bench/, docs/performance.md).
#
# Builds pmvm and its probes, the raw-KVM floor (bench/raw_kvm), the
# benchmark guests (bench/guests/*.S: one multiboot ELF for pmvm and the
# same bytes as a flat binary for raw_kvm) and the driver (bench/bench),
# then runs the driver: BENCH lines on stdout and in $(BUILD)/bench.txt.

BENCH_DIR := $(BUILD)/bench
BENCH_GUEST_NAMES := exit msr rdpmc step
BENCH_GUESTS := $(BENCH_GUEST_NAMES:%=$(BENCH_DIR)/guests/%.elf) \
	$(BENCH_GUEST_NAMES:%=$(BENCH_DIR)/guests/%.bin)
BENCH_TOOLS := $(BENCH_DIR)/raw_kvm $(BENCH_DIR)/bench \
	$(BENCH_DIR)/engine_core

.PHONY: bench bench-build
bench: deps bench-build
	@$(BENCH_DIR)/bench $(BUILD)

bench-build: all $(BENCH_TOOLS) $(BENCH_GUESTS)

$(BENCH_DIR)/raw_kvm: $(BUILD)/bench/raw_kvm.o
	$(CC) $(LDFLAGS) -o $@ $^

# The engine and the PMU model alone, against the host CPU: no KVM.
$(BENCH_DIR)/engine_core: $(BUILD)/bench/engine_core.o \
		$(BUILD)/bench/engine_loop.o $(BUILD)/bench/stats.o \
		$(BUILD)/tests/engine/machine.o $(ENGINE_LIB) $(PMU_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm
$(BUILD)/bench/engine_loop.o: bench/engine_loop.S
	@mkdir -p $(@D)
	$(CC) -c -o $@ $<

$(BENCH_DIR)/bench: $(BUILD)/bench/bench.o $(BUILD)/bench/spawn.o \
		$(BUILD)/bench/stats.o
	$(CC) $(LDFLAGS) -o $@ $^

# Hand-written guests, built as tests/tests.mk builds its images; boot.o
# goes first so the multiboot header and entry64 lead the image.
$(BENCH_DIR)/guests/%.o: bench/guests/%.S bench/guests/bench.h
	@mkdir -p $(@D)
	$(CC) -c -m64 -o $@ $<

$(BENCH_DIR)/guests/%.elf64: $(BENCH_DIR)/guests/boot.o \
		$(BENCH_DIR)/guests/%.o
	ld -m elf_x86_64 -static -nostdlib --build-id=none -z noseparate-code \
		-Ttext=0x100000 --section-start=.sites=0x100800 \
		-o $@ $^

$(BENCH_DIR)/guests/%.elf: $(BENCH_DIR)/guests/%.elf64
	objcopy -O elf32-i386 $< $@

$(BENCH_DIR)/guests/%.bin: $(BENCH_DIR)/guests/%.elf64
	objcopy -O binary $< $@

# The engine's loop, on the guest runtime (guest/guest.mk), at CPL0 and
# at CPL3.
# And as one long run (icount.elf), timed against QEMU's -icount.
BENCH_ENGINE_GUESTS := $(BENCH_DIR)/guests/engine0.elf \
	$(BENCH_DIR)/guests/engine3.elf $(BENCH_DIR)/guests/icount.elf
bench-build: $(BENCH_ENGINE_GUESTS)
$(BENCH_DIR)/guests/engine%.o: bench/guests/engine.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) -DBENCH_CPL=$* -c $< -o $@
$(BENCH_DIR)/guests/icount.o: bench/guests/engine.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) -DBENCH_ICOUNT=1 -c $< -o $@
$(BENCH_DIR)/guests/icount.elf: $(BENCH_DIR)/guests/icount.o \
		$(GUEST_LIB_OBJS) guest/guest.ld
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@.64 $(GUEST_LIB_OBJS) $<
	$(GUEST_OBJCOPY) -O elf32-i386 --strip-debug $@.64 $@
$(BENCH_DIR)/guests/engine%.elf: $(BENCH_DIR)/guests/engine%.o \
		$(GUEST_LIB_OBJS) guest/guest.ld
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@.64 $(GUEST_LIB_OBJS) $<
	$(GUEST_OBJCOPY) -O elf32-i386 --strip-debug $@.64 $@

.SECONDARY: $(BENCH_GUEST_NAMES:%=$(BENCH_DIR)/guests/%.o) \
	$(BENCH_DIR)/guests/boot.o \
	$(BENCH_GUEST_NAMES:%=$(BENCH_DIR)/guests/%.elf64)
