# pmu/pmu.mk: the PMU model library, $(BUILD)/libpmu.a (pure C, no KVM headers).
PMU_SRCS := $(wildcard pmu/*.c)
PMU_OBJS := $(PMU_SRCS:%.c=$(BUILD)/%.o)
PMU_LIB := $(BUILD)/libpmu.a

$(PMU_LIB): $(PMU_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
