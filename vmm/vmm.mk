# vmm/vmm.mk: builds pmvm, $(BUILD)/pmvm, from cli/, cpu/, devices/, vmm/ and vmm/vpmu/, the engine and the PMU library.
VMM_SRCS := $(wildcard cli/*.c cpu/*.c devices/*.c vmm/*.c vmm/vpmu/*.c \
	vmm/engine_cpu/*.c)
VMM_OBJS := $(VMM_SRCS:%.c=$(BUILD)/%.o)

# The CPU models, built in so that pmvm finds them from anywhere.
MODEL_FILES := $(sort $(wildcard configs/*.ini))
$(BUILD)/gen/models.S: $(MODEL_FILES) scripts/embed_models.sh
	@mkdir -p $(@D)
	scripts/embed_models.sh $(MODEL_FILES) >$@
$(BUILD)/gen/models.o: $(BUILD)/gen/models.S $(MODEL_FILES)
	$(CC) -c -o $@ $<
$(BUILD)/cpu/model_find.o: CFLAGS += -DPMVM_DATADIR='"$(DATADIR)"'

$(BUILD)/pmvm: $(VMM_OBJS) $(BUILD)/gen/models.o $(ENGINE_LIB) $(PMU_LIB)
	$(CC) $(LDFLAGS) -o $@ $(VMM_OBJS) $(BUILD)/gen/models.o $(ENGINE_LIB) \
		$(PMU_LIB) $(LDLIBS)
