# vmm/vmm.mk: builds the VMM, $(BUILD)/pmvm, from every vmm/*.c and the PMU library.
VMM_SRCS := $(wildcard vmm/*.c)
VMM_OBJS := $(VMM_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/pmvm: $(VMM_OBJS) $(PMU_LIB)
	$(CC) $(LDFLAGS) -o $@ $(VMM_OBJS) $(PMU_LIB) $(LDLIBS)
