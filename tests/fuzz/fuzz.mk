# tests/fuzz/fuzz.mk: libFuzzer harnesses (make fuzz, clang) and their replay by make check (gcc, no clang needed).
#
#   make fuzz                                   each harness for 60 s
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS=pmu  one harness, longer
#
# Harnesses: tests/fuzz/fuzz_NAME.c. Seed corpora: tests/fuzz/corpus/NAME/.
# Inputs that crashed a harness, kept as regressions: tests/fuzz/regress/NAME/.
# libFuzzer's working corpus and crash artifacts go to build/fuzz/.

FUZZ_NAMES := loader model pmu insn engine
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_SECONDS ?= 60
FUZZ_BUILD := build/fuzz
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=c11 -O1 -g -D_GNU_SOURCE -I. -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	$(shell $(PKG_CONFIG) --cflags inih 2>/dev/null)
FUZZ_LIBS := $(shell $(PKG_CONFIG) --libs inih 2>/dev/null) -lZydis -lZycore

# Every harness links the code it drives and the PMU library (the decoder
# uses its instruction classes); the engine's harness, the engine and the
# engine tests' small machine.
FUZZ_LIB_SRCS := vmm/loader.c vmm/reason.c vmm/vpmu/insn.c $(wildcard pmu/*.c) \
	$(wildcard engine/*.c) tests/engine/machine.c
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)

.PHONY: fuzz fuzz-deps fuzz-build
fuzz: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-deps:
	@tests/fuzz/deps.sh

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ $(FUZZ_LIBS)

# make check: each harness, built with gcc (and ASan/UBSan in SAN=1) and
# a small driver instead of libFuzzer, replays its seeds and regressions.
# run.sh runs it as a unit test: $(BUILD)/tests/test_fuzz_NAME.
FUZZ_REPLAYS := $(FUZZ_NAMES:%=$(BUILD)/tests/test_fuzz_%)
tests: $(FUZZ_REPLAYS)

$(BUILD)/tests/fuzz/replay_%.o: tests/fuzz/replay.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DFUZZ_NAME='"$*"' -c $< -o $@

$(BUILD)/tests/test_fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o \
		$(BUILD)/tests/fuzz/replay_%.o $(BUILD)/vmm/loader.o $(BUILD)/vmm/reason.o \
		$(BUILD)/vmm/vpmu/insn.o $(BUILD)/tests/engine/machine.o \
		$(ENGINE_LIB) $(PMU_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
