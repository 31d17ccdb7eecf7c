# tests/tests.mk: builds the cmocka unit tests, $(BUILD)/tests/test_*, one per tests/unit/test_*.c.
TEST_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
TEST_LDLIBS := $(shell $(PKG_CONFIG) --libs cmocka inih 2>/dev/null)

UNIT_TEST_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(UNIT_TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
PMU_TESTS := $(filter $(BUILD)/tests/test_pmu_%,$(UNIT_TESTS))

.PHONY: tests
tests: $(UNIT_TESTS)

$(BUILD)/tests/unit/%.o: CFLAGS += $(TEST_CFLAGS)

$(BUILD)/tests/test_loader: $(BUILD)/tests/unit/test_loader.o \
		$(BUILD)/vmm/loader.o $(BUILD)/vmm/reason.o
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

$(BUILD)/tests/test_linux_image: $(BUILD)/tests/unit/test_linux_image.o \
		$(BUILD)/vmm/linux_image.o $(BUILD)/vmm/reason.o \
		$(BUILD)/tests/linux/pack.o
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) $(LDLIBS)

# Linux boot (linux_boot.sh): a stand-in kernel, linked as a vmlinux is,
# and the tool that packs it into bzImages as the kernel's build does.
tests: $(BUILD)/tests/linux/stub.elf $(BUILD)/tests/linux/mkbzimage
$(BUILD)/tests/linux/stub.o: tests/linux/stub.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) -c $< -o $@
$(BUILD)/tests/linux/stub.elf: $(BUILD)/tests/linux/stub.o tests/linux/stub.ld
	$(GUEST_LD) -m elf_x86_64 -static -nostdlib -no-pie --build-id=none \
		-z max-page-size=0x1000 -z noexecstack -T tests/linux/stub.ld \
		-o $@ $<
$(BUILD)/tests/linux/mkbzimage: $(BUILD)/tests/linux/mkbzimage.o \
		$(BUILD)/tests/linux/pack.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_cli_num: $(BUILD)/tests/unit/test_cli_num.o \
		$(BUILD)/cli/options.o
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

$(BUILD)/tests/test_sandbox: $(BUILD)/tests/unit/test_sandbox.o \
		$(BUILD)/vmm/sandbox.o
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) $(LDLIBS)

$(BUILD)/tests/test_msr_file: $(BUILD)/tests/unit/test_msr_file.o \
		$(BUILD)/vmm/engine_cpu/msr_file.o $(BUILD)/vmm/engine_cpu/msr_mce.o
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

$(BUILD)/tests/test_apic: $(BUILD)/tests/unit/test_apic.o \
		$(BUILD)/devices/apic.o $(BUILD)/devices/apic_timer.o
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

$(BUILD)/tests/test_pic: $(BUILD)/tests/unit/test_pic.o \
		$(BUILD)/devices/pic.o $(BUILD)/devices/serial.o \
		$(BUILD)/devices/bus.o
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

$(BUILD)/tests/test_linux_platform: \
		$(BUILD)/tests/unit/test_linux_platform.o $(BUILD)/vmm/mptable.o \
		$(BUILD)/devices/rtc.o $(BUILD)/devices/i8042.o $(BUILD)/devices/bus.o
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

# Runs a program on a /dev/kvm that lacks one capability (bad_input.sh).
tests: $(BUILD)/tests/kvm_without
$(BUILD)/tests/kvm_without: $(BUILD)/tests/kvm_without.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# How the host CPU raises ICEBP and an INT n #GP (hostile.sh).
tests: $(BUILD)/tests/cpu_events
$(BUILD)/tests/cpu_events: $(BUILD)/tests/cpu_events.o
	$(CC) $(LDFLAGS) -o $@ $^

$(PMU_TESTS): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o \
		$(BUILD)/tests/unit/pmu_test.o $(PMU_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

# Hand-written images that exercise pmvm's platform: exit port, halt,
# triple fault, watchdog, command line.
TEST_IMAGE_SRCS := $(wildcard tests/images/*.S)
TEST_IMAGES := $(TEST_IMAGE_SRCS:tests/images/%.S=$(BUILD)/tests/images/%.elf)
tests: $(TEST_IMAGES)

$(BUILD)/tests/images/%.elf: tests/images/%.S tests/images/mb.h
	@mkdir -p $(@D)
	$(CC) -c -m64 -o $(@:.elf=.o) $<
	ld -m elf_x86_64 -static -nostdlib --build-id=none -Ttext=0x100000 \
		-o $(@:.elf=.elf64) $(@:.elf=.o)
	objcopy -O elf32-i386 $(@:.elf=.elf64) $@

# Guests of the test scripts, linked with the guest runtime as the probes
# are (guest/guest.mk), but not probes: they end in ways a probe must
# not (a HLT with interrupts off, a wait for the timeout).
TEST_GUEST_SRCS := $(wildcard tests/guests/*.c)
TEST_GUESTS := $(TEST_GUEST_SRCS:tests/guests/%.c=$(BUILD)/tests/guests/%.elf)
tests: $(TEST_GUESTS)

$(BUILD)/tests/guests/%.o: tests/guests/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) -c $< -o $@
$(BUILD)/tests/guests/%.elf: $(BUILD)/tests/guests/%.o $(GUEST_LIB_OBJS) \
		guest/guest.ld
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@.64 $(GUEST_LIB_OBJS) $<
	$(GUEST_OBJCOPY) -O elf32-i386 --strip-debug $@.64 $@

# The counting engine's tests: hand-written snippets on a small machine.
ENGINE_TEST_OBJS := $(BUILD)/tests/engine/machine.o
$(BUILD)/tests/engine/%.o: CFLAGS += $(TEST_CFLAGS)
tests: $(BUILD)/tests/test_engine
$(BUILD)/tests/test_engine: $(BUILD)/tests/engine/test_engine.o \
		$(ENGINE_TEST_OBJS) $(ENGINE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) -lZydis -lZycore

tests: $(BUILD)/tests/test_debug
$(BUILD)/tests/test_debug: $(BUILD)/tests/engine/test_debug.o \
		$(ENGINE_TEST_OBJS) $(ENGINE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) -lZydis -lZycore

tests: $(BUILD)/tests/test_machine
$(BUILD)/tests/test_machine: $(BUILD)/tests/engine/test_machine.o \
		$(ENGINE_TEST_OBJS) $(ENGINE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) -lZydis -lZycore

tests: $(BUILD)/tests/test_machine64
$(BUILD)/tests/test_machine64: $(BUILD)/tests/engine/test_machine64.o \
		$(ENGINE_TEST_OBJS) $(ENGINE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) -lZydis -lZycore

tests: $(BUILD)/tests/test_xstate
$(BUILD)/tests/test_xstate: $(BUILD)/tests/engine/test_xstate.o \
		$(ENGINE_TEST_OBJS) $(ENGINE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) -lZydis -lZycore

tests: $(BUILD)/tests/test_trace
$(BUILD)/tests/test_trace: $(BUILD)/tests/engine/test_trace.o \
		$(BUILD)/tests/unit/pmu_test.o $(ENGINE_TEST_OBJS) $(ENGINE_LIB) \
		$(PMU_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) -lZydis -lZycore

tests: $(BUILD)/tests/test_decode
$(BUILD)/tests/test_decode: $(BUILD)/tests/engine/test_decode.o $(ENGINE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) -lZydis -lZycore

# The engine against the host CPU (tests/engine/difftest.c).
tests: $(BUILD)/tests/difftest
$(BUILD)/tests/difftest: $(BUILD)/tests/engine/difftest.o \
		$(BUILD)/tests/engine/gen.o $(BUILD)/tests/engine/gen_emit.o \
		$(BUILD)/tests/engine/gen32.o $(BUILD)/tests/engine/gen_modes.o \
		$(BUILD)/tests/engine/native.o \
		$(ENGINE_TEST_OBJS) $(ENGINE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lZydis -lZycore
$(BUILD)/tests/engine/native.o: tests/engine/native.S
	@mkdir -p $(@D)
	$(CC) -c -o $@ $<
