# The aarch64 bare-metal test image (tests/baremetal/README.md): the axvcpu
# core, the EL2 backend (whatever arch/aarch64 holds), its generated tables,
# the harness and the test guests, in one ELF that QEMU starts at EL2.
# Included by the Makefile, which defines O, GEN, GEN_STAMP, GEN_SRCS, WARN
# and gen_arch.
#
#   out/baremetal/aarch64/host.elf                    the test image
#   out/baremetal/aarch64/host-selftest-fail.elf      + deliberately failing tests
#   out/baremetal/aarch64/host-bench.elf              the harness and tests built with -DBM_BENCH
#   out/baremetal/aarch64/guests/NAME.bin             tests/guests/aarch64/NAME.S
#   out/baremetal/aarch64/include/asm_defs.h          from arch/aarch64/asm_defs.c
#
#   make baremetal-aarch64        build host.elf
#   make check-aarch64            build and run it (tests/baremetal/run.sh aarch64)
#   make check-aarch64-harness    the harness reports failures (tests/baremetal/selftest.sh)
#   make bench-aarch64            host-bench.elf under -icount shift=0 (1 instruction = 1 ns)
#   make profile-aarch64          one bench round trip's instructions per function

BM_A64_CROSS ?= aarch64-linux-gnu-
BM_A64_CC := $(BM_A64_CROSS)gcc
BM_A64_LD := $(BM_A64_CROSS)ld
BM_A64_OBJCOPY := $(BM_A64_CROSS)objcopy
BM_DIR := tests/baremetal
BM_A64_OUT := $(O)/baremetal/aarch64
BM_A64_OBJ := $(BM_A64_OUT)/obj
BM_A64_GUEST_SRC := tests/guests/aarch64
BM_A64_GUEST_OUT := $(BM_A64_OUT)/guests

# EL2 runs with the MMU off (all Device memory): no unaligned accesses, no
# FP/SIMD in compiled code, atomics inline (no libgcc helpers to call).
BM_A64_FLAGS := -ffreestanding -nostdlib -nostartfiles -static -mstrict-align -mgeneral-regs-only \
                -mno-outline-atomics -O2 -g -fno-pic -fno-pie -fno-stack-protector \
                -fno-asynchronous-unwind-tables -fno-unwind-tables
BM_A64_INCS := -Iruntime/include -I$(GEN)/include -Iarch/aarch64/include -Iarch/aarch64 \
               -I$(BM_A64_OUT)/include -I$(BM_DIR)/common -I$(BM_DIR)/aarch64
BM_A64_CFLAGS := $(WARN) $(BM_A64_FLAGS) $(BM_A64_INCS)
BM_A64_ASFLAGS := $(BM_A64_CFLAGS) -Wa,--fatal-warnings
BM_A64_LDFLAGS := -nostdlib -nostartfiles -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack \
                  -Wl,--fatal-warnings -T $(BM_DIR)/aarch64/link.ld

# ------------------------------------------------------------------ sources
# Wildcards: arch/aarch64 may be empty or half-written; asm_defs.c is only
# compiled with -S (into asm_defs.h for the backend's assembly).
BM_A64_ASM_DEFS := $(wildcard arch/aarch64/asm_defs.c)
BM_A64_ASM_DEFS_H := $(if $(BM_A64_ASM_DEFS),$(BM_A64_OUT)/include/asm_defs.h)
BM_A64_GEN_ARCH := $(call gen_arch,exits,aarch64) $(call gen_arch,calls,aarch64) \
                   $(call gen_arch,sysregs,aarch64)
BM_A64_LIB_SRCS := $(wildcard runtime/*.c) $(GEN_SRCS) $(BM_A64_GEN_ARCH) \
                   $(filter-out $(BM_A64_ASM_DEFS),$(wildcard arch/aarch64/*.c)) \
                   $(wildcard arch/aarch64/*.S)
BM_A64_HARNESS_SRCS := $(wildcard $(BM_DIR)/common/*.c) \
                       $(wildcard $(BM_DIR)/aarch64/*.c $(BM_DIR)/aarch64/*.S)
BM_A64_SRCS := $(BM_A64_LIB_SRCS) $(BM_A64_HARNESS_SRCS)
BM_A64_SELFTEST_SRCS := $(wildcard $(BM_DIR)/common/selftest/*.c)

# out/gen/src/x.c -> obj/gen/src/x.c.o, a/b.S -> obj/a/b.S.o
bm_a64_obj = $(patsubst %,$(BM_A64_OBJ)/%.o,$(patsubst $(GEN)/%,gen/%,$(1)))
BM_A64_OBJS := $(call bm_a64_obj,$(BM_A64_SRCS))
BM_A64_SELFTEST_OBJS := $(call bm_a64_obj,$(BM_A64_SELFTEST_SRCS))
# The bench image: the same library objects, the harness and tests again with -DBM_BENCH.
BM_A64_BENCH_OBJ := $(BM_A64_OUT)/obj-bench
BM_A64_BENCH_OBJS := $(call bm_a64_obj,$(BM_A64_LIB_SRCS)) \
                     $(patsubst %,$(BM_A64_BENCH_OBJ)/%.o,$(BM_A64_HARNESS_SRCS))

$(BM_A64_GEN_ARCH): $(GEN_STAMP)

# asm_defs.h is order-only for C (a C file may include it; its .d file then
# records the real dependency) and a prerequisite of all assembly.
$(BM_A64_OBJ)/gen/%.c.o: $(GEN)/%.c $(GEN_STAMP) | $(BM_A64_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_A64_CC) $(BM_A64_CFLAGS) -MMD -MP -c $< -o $@
$(BM_A64_OBJ)/%.c.o: %.c $(GEN_STAMP) | $(BM_A64_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_A64_CC) $(BM_A64_CFLAGS) -MMD -MP -c $< -o $@
$(BM_A64_OBJ)/%.S.o: %.S $(GEN_STAMP) $(BM_A64_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_A64_CC) $(BM_A64_ASFLAGS) -MMD -MP -c $< -o $@

$(BM_A64_BENCH_OBJ)/%.c.o: %.c $(GEN_STAMP) | $(BM_A64_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_A64_CC) $(BM_A64_CFLAGS) -DBM_BENCH -MMD -MP -c $< -o $@
$(BM_A64_BENCH_OBJ)/%.S.o: %.S $(GEN_STAMP) $(BM_A64_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_A64_CC) $(BM_A64_ASFLAGS) -DBM_BENCH -MMD -MP -c $< -o $@

# asm_defs.c leaves "->NAME value" lines in its assembly; they become #defines.
$(BM_A64_OUT)/include/asm_defs.h: $(BM_A64_ASM_DEFS) $(GEN_STAMP)
	@mkdir -p $(@D)
	$(BM_A64_CC) $(BM_A64_CFLAGS) -MMD -MP -MT $@ -MF $(@D)/asm_defs.d -S $< -o $(@D)/asm_defs.s
	@{ echo "/* Generated from $< by build/baremetal-aarch64.mk. Do not edit. */"; \
	   echo "#ifndef AXV_A64_ASM_DEFS_H"; echo "#define AXV_A64_ASM_DEFS_H"; \
	   sed -n 's/^[[:space:]]*->\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]\{1,\}#\{0,1\}\(-\{0,1\}[0-9][0-9a-fA-FxX]*\).*/#define \1 \2/p' \
	       $(@D)/asm_defs.s; \
	   echo "#endif"; } >$@.tmp
	@mv $@.tmp $@

# ------------------------------------------------------------------ guests
# Every tests/guests/aarch64/NAME.S is one flat image linked at 0x40000000.
BM_A64_GUESTS := $(sort $(basename $(notdir $(wildcard $(BM_A64_GUEST_SRC)/*.S))))
BM_A64_GUEST_BINS := $(BM_A64_GUESTS:%=$(BM_A64_GUEST_OUT)/%.bin)
BM_A64_GUEST_ASFLAGS := -nostdinc -ffreestanding -Wall -Wextra -Werror -Wa,--fatal-warnings \
                        -I$(BM_A64_GUEST_SRC) -MMD -MP
BM_A64_GUEST_LDFLAGS := -nostdlib -static --build-id=none -z max-page-size=0x1000 -z noexecstack \
                        --fatal-warnings

$(BM_A64_GUEST_OUT)/%.o: $(BM_A64_GUEST_SRC)/%.S
	@mkdir -p $(@D)
	$(BM_A64_CC) $(BM_A64_GUEST_ASFLAGS) -c $< -o $@
$(BM_A64_GUEST_OUT)/%.elf: $(BM_A64_GUEST_OUT)/%.o $(BM_A64_GUEST_SRC)/guest.ld
	$(BM_A64_LD) $(BM_A64_GUEST_LDFLAGS) -T $(BM_A64_GUEST_SRC)/guest.ld -o $@ $<
$(BM_A64_GUEST_OUT)/%.bin: $(BM_A64_GUEST_OUT)/%.elf
	$(BM_A64_OBJCOPY) -O binary $< $@
.SECONDARY: $(BM_A64_GUESTS:%=$(BM_A64_GUEST_OUT)/%.o) $(BM_A64_GUESTS:%=$(BM_A64_GUEST_OUT)/%.elf)

# The images and bm_guest_table; the directory is a prerequisite so that an
# added or removed guest regenerates the list.
$(BM_A64_OUT)/guests.S: $(BM_A64_GUEST_BINS) $(BM_DIR)/gen-blobs.sh $(wildcard $(BM_A64_GUEST_SRC))
	@mkdir -p $(@D)
	$(BM_DIR)/gen-blobs.sh $@ $(foreach g,$(BM_A64_GUESTS),$(g)=$(BM_A64_GUEST_OUT)/$(g).bin)
$(BM_A64_OUT)/guests.o: $(BM_A64_OUT)/guests.S $(BM_A64_GUEST_BINS)
	$(BM_A64_CC) -c -Wa,--fatal-warnings $< -o $@

# ------------------------------------------------------------------ images
$(BM_A64_OUT)/host.elf: $(BM_A64_OBJS) $(BM_A64_OUT)/guests.o $(BM_DIR)/aarch64/link.ld
	$(BM_A64_CC) $(BM_A64_LDFLAGS) -o $@ $(BM_A64_OBJS) $(BM_A64_OUT)/guests.o -lgcc
$(BM_A64_OUT)/host-selftest-fail.elf: $(BM_A64_OBJS) $(BM_A64_SELFTEST_OBJS) $(BM_A64_OUT)/guests.o \
                                      $(BM_DIR)/aarch64/link.ld
	$(BM_A64_CC) $(BM_A64_LDFLAGS) -o $@ $(BM_A64_OBJS) $(BM_A64_SELFTEST_OBJS) $(BM_A64_OUT)/guests.o -lgcc
$(BM_A64_OUT)/host-bench.elf: $(BM_A64_BENCH_OBJS) $(BM_A64_OUT)/guests.o $(BM_DIR)/aarch64/link.ld
	$(BM_A64_CC) $(BM_A64_LDFLAGS) -o $@ $(BM_A64_BENCH_OBJS) $(BM_A64_OUT)/guests.o -lgcc

-include $(shell find $(BM_A64_OUT) -name '*.d' 2>/dev/null)

.PHONY: baremetal-aarch64 check-aarch64 check-aarch64-harness bench-aarch64 profile-aarch64
baremetal-aarch64: $(BM_A64_OUT)/host.elf
check-aarch64: $(BM_A64_OUT)/host.elf
	$(BM_DIR)/run.sh aarch64
check-aarch64-harness: $(BM_A64_OUT)/host.elf $(BM_A64_OUT)/host-selftest-fail.elf
	$(BM_DIR)/selftest.sh aarch64
bench-aarch64: $(BM_A64_OUT)/host-bench.elf
	BM_IMAGE=$< BM_QEMU_EXTRA="-icount shift=0 $(BM_QEMU_EXTRA)" $(BM_DIR)/run.sh aarch64
profile-aarch64: $(BM_A64_OUT)/host-bench.elf
	$(PYTHON) $(BM_DIR)/profile.py aarch64 loop
	$(PYTHON) $(BM_DIR)/profile.py aarch64 handler
