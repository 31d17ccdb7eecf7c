# engine/engine.mk: the counting engine library, $(BUILD)/libengine.a (pure C and Zydis, no KVM headers).
ENGINE_SRCS := $(wildcard engine/*.c)
ENGINE_OBJS := $(ENGINE_SRCS:%.c=$(BUILD)/%.o)
ENGINE_LIB := $(BUILD)/libengine.a

$(ENGINE_LIB): $(ENGINE_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
