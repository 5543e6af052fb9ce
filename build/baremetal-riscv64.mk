# The riscv64 bare-metal test image (tests/baremetal/README.md): the axvcpu
# core, the HS-mode backend (whatever arch/riscv64 holds), its generated
# tables, the harness and the test guests, in one ELF that OpenSBI starts in
# HS-mode under QEMU. Included by the Makefile, which defines O, GEN,
# GEN_STAMP, GEN_SRCS, WARN and gen_arch.
#
#   out/baremetal/riscv64/host.elf                    the test image
#   out/baremetal/riscv64/host-selftest-fail.elf      + deliberately failing tests
#   out/baremetal/riscv64/host-bench.elf              the harness and tests built with -DBM_BENCH
#   out/baremetal/riscv64/guests/NAME.bin             tests/guests/riscv64/NAME.S
#   out/baremetal/riscv64/include/asm_defs.h          from arch/riscv64/asm_defs.c
#
#   make baremetal-riscv64        build host.elf
#   make check-riscv64            build and run it (tests/baremetal/run.sh riscv64)
#   make check-riscv64-harness    the harness reports failures (tests/baremetal/selftest.sh)
#   make bench-riscv64            host-bench.elf under -icount shift=0 (1 instruction = 1 ns)
#   make profile-riscv64          one bench round trip's instructions per function

BM_RV_CROSS ?= riscv64-linux-gnu-
BM_RV_CC := $(BM_RV_CROSS)gcc
BM_RV_LD := $(BM_RV_CROSS)ld
BM_RV_OBJCOPY := $(BM_RV_CROSS)objcopy
BM_DIR := tests/baremetal
BM_RV_OUT := $(O)/baremetal/riscv64
BM_RV_OBJ := $(BM_RV_OUT)/obj
BM_RV_GUEST_SRC := tests/guests/riscv64
BM_RV_GUEST_OUT := $(BM_RV_OUT)/guests

# The host runs in HS-mode with satp = 0 (no translation) at 0x80200000:
# medany code model, no FP in compiled code (integer ABI lp64, no F/D, so
# the backend need not switch FP state around its own C code), atomics
# inline (A). GCC 12 does not accept the H extension in -march, so the
# assembler gets it separately (-Wa,-march=..._h: hypervisor CSRs, hfence,
# hlv/hsv), and -mno-riscv-attribute stops GCC's .attribute arch from
# resetting the assembler's ISA to the -march one.
BM_RV_MARCH := rv64imac_zicsr_zifencei
BM_RV_FLAGS := -ffreestanding -nostdlib -nostartfiles -static -march=$(BM_RV_MARCH) -mabi=lp64 \
               -mcmodel=medany -mno-riscv-attribute -Wa,-march=$(BM_RV_MARCH)_h \
               -O2 -g -fno-pic -fno-pie -fno-stack-protector \
               -fno-asynchronous-unwind-tables -fno-unwind-tables
BM_RV_INCS := -Iruntime/include -I$(GEN)/include -Iarch/riscv64/include -Iarch/riscv64 \
              -I$(BM_RV_OUT)/include -I$(BM_DIR)/common -I$(BM_DIR)/riscv64
BM_RV_CFLAGS := $(WARN) $(BM_RV_FLAGS) $(BM_RV_INCS)
BM_RV_ASFLAGS := $(BM_RV_CFLAGS) -Wa,--fatal-warnings
BM_RV_LDFLAGS := -nostdlib -nostartfiles -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack \
                 -Wl,--fatal-warnings -T $(BM_DIR)/riscv64/link.ld

# ------------------------------------------------------------------ sources
# Wildcards: arch/riscv64 may be missing, empty or half-written; asm_defs.c
# is only compiled with -S (into asm_defs.h for the backend's assembly).
BM_RV_ASM_DEFS := $(wildcard arch/riscv64/asm_defs.c)
BM_RV_ASM_DEFS_H := $(if $(BM_RV_ASM_DEFS),$(BM_RV_OUT)/include/asm_defs.h)
BM_RV_GEN_ARCH := $(call gen_arch,exits,riscv64) $(call gen_arch,calls,riscv64) \
                  $(call gen_arch,sysregs,riscv64)
BM_RV_LIB_SRCS := $(wildcard runtime/*.c) $(GEN_SRCS) $(BM_RV_GEN_ARCH) \
                  $(filter-out $(BM_RV_ASM_DEFS),$(wildcard arch/riscv64/*.c)) \
                  $(wildcard arch/riscv64/*.S)
BM_RV_HARNESS_SRCS := $(wildcard $(BM_DIR)/common/*.c) \
                      $(wildcard $(BM_DIR)/riscv64/*.c $(BM_DIR)/riscv64/*.S)
BM_RV_SRCS := $(BM_RV_LIB_SRCS) $(BM_RV_HARNESS_SRCS)
BM_RV_SELFTEST_SRCS := $(wildcard $(BM_DIR)/common/selftest/*.c)

# out/gen/src/x.c -> obj/gen/src/x.c.o, a/b.S -> obj/a/b.S.o
bm_rv_obj = $(patsubst %,$(BM_RV_OBJ)/%.o,$(patsubst $(GEN)/%,gen/%,$(1)))
BM_RV_OBJS := $(call bm_rv_obj,$(BM_RV_SRCS))
BM_RV_SELFTEST_OBJS := $(call bm_rv_obj,$(BM_RV_SELFTEST_SRCS))
# The bench image: the same library objects, the harness and tests again with -DBM_BENCH.
BM_RV_BENCH_OBJ := $(BM_RV_OUT)/obj-bench
BM_RV_BENCH_OBJS := $(call bm_rv_obj,$(BM_RV_LIB_SRCS)) \
                    $(patsubst %,$(BM_RV_BENCH_OBJ)/%.o,$(BM_RV_HARNESS_SRCS))

$(BM_RV_GEN_ARCH): $(GEN_STAMP)

# asm_defs.h is order-only for C (a C file may include it; its .d file then
# records the real dependency) and a prerequisite of all assembly.
$(BM_RV_OBJ)/gen/%.c.o: $(GEN)/%.c $(GEN_STAMP) | $(BM_RV_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_RV_CC) $(BM_RV_CFLAGS) -MMD -MP -c $< -o $@
$(BM_RV_OBJ)/%.c.o: %.c $(GEN_STAMP) | $(BM_RV_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_RV_CC) $(BM_RV_CFLAGS) -MMD -MP -c $< -o $@
$(BM_RV_OBJ)/%.S.o: %.S $(GEN_STAMP) $(BM_RV_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_RV_CC) $(BM_RV_ASFLAGS) -MMD -MP -c $< -o $@

$(BM_RV_BENCH_OBJ)/%.c.o: %.c $(GEN_STAMP) | $(BM_RV_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_RV_CC) $(BM_RV_CFLAGS) -DBM_BENCH -MMD -MP -c $< -o $@
$(BM_RV_BENCH_OBJ)/%.S.o: %.S $(GEN_STAMP) $(BM_RV_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_RV_CC) $(BM_RV_ASFLAGS) -DBM_BENCH -MMD -MP -c $< -o $@

# asm_defs.c leaves "->NAME value" lines in its assembly; they become #defines.
$(BM_RV_OUT)/include/asm_defs.h: $(BM_RV_ASM_DEFS) $(GEN_STAMP)
	@mkdir -p $(@D)
	$(BM_RV_CC) $(BM_RV_CFLAGS) -MMD -MP -MT $@ -MF $(@D)/asm_defs.d -S $< -o $(@D)/asm_defs.s
	@{ echo "/* Generated from $< by build/baremetal-riscv64.mk. Do not edit. */"; \
	   echo "#ifndef AXV_RV64_ASM_DEFS_H"; echo "#define AXV_RV64_ASM_DEFS_H"; \
	   sed -n 's/^[[:space:]]*->\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]\{1,\}#\{0,1\}\(-\{0,1\}[0-9][0-9a-fA-FxX]*\).*/#define \1 \2/p' \
	       $(@D)/asm_defs.s; \
	   echo "#endif"; } >$@.tmp
	@mv $@.tmp $@

# ------------------------------------------------------------------ guests
# Every tests/guests/riscv64/NAME.S is one flat image linked at 0x80000000.
# Guests may use compressed instructions and FP (rv64gc, lp64d).
BM_RV_GUESTS := $(sort $(basename $(notdir $(wildcard $(BM_RV_GUEST_SRC)/*.S))))
BM_RV_GUEST_BINS := $(BM_RV_GUESTS:%=$(BM_RV_GUEST_OUT)/%.bin)
BM_RV_GUEST_ASFLAGS := -march=rv64gc -mabi=lp64d -nostdinc -ffreestanding -Wall -Wextra -Werror \
                       -Wa,--fatal-warnings -I$(BM_RV_GUEST_SRC) -MMD -MP
BM_RV_GUEST_LDFLAGS := -nostdlib -static --build-id=none -z max-page-size=0x1000 -z noexecstack \
                       --fatal-warnings

$(BM_RV_GUEST_OUT)/%.o: $(BM_RV_GUEST_SRC)/%.S
	@mkdir -p $(@D)
	$(BM_RV_CC) $(BM_RV_GUEST_ASFLAGS) -c $< -o $@
$(BM_RV_GUEST_OUT)/%.elf: $(BM_RV_GUEST_OUT)/%.o $(BM_RV_GUEST_SRC)/guest.ld
	$(BM_RV_LD) $(BM_RV_GUEST_LDFLAGS) -T $(BM_RV_GUEST_SRC)/guest.ld -o $@ $<
$(BM_RV_GUEST_OUT)/%.bin: $(BM_RV_GUEST_OUT)/%.elf
	$(BM_RV_OBJCOPY) -O binary $< $@
.SECONDARY: $(BM_RV_GUESTS:%=$(BM_RV_GUEST_OUT)/%.o) $(BM_RV_GUESTS:%=$(BM_RV_GUEST_OUT)/%.elf)

# The images and bm_guest_table; the directory is a prerequisite so that an
# added or removed guest regenerates the list.
$(BM_RV_OUT)/guests.S: $(BM_RV_GUEST_BINS) $(BM_DIR)/gen-blobs.sh $(wildcard $(BM_RV_GUEST_SRC))
	@mkdir -p $(@D)
	$(BM_DIR)/gen-blobs.sh $@ $(foreach g,$(BM_RV_GUESTS),$(g)=$(BM_RV_GUEST_OUT)/$(g).bin)
$(BM_RV_OUT)/guests.o: $(BM_RV_OUT)/guests.S $(BM_RV_GUEST_BINS)
	$(BM_RV_CC) -march=$(BM_RV_MARCH) -mabi=lp64 -c -Wa,--fatal-warnings $< -o $@

# ------------------------------------------------------------------ images
# No -lgcc: Debian's riscv64 libgcc is built for lp64d and cannot be linked
# into an lp64 image; the compiled code must not need it (rv64imac has
# multiply, divide and atomics in hardware).
$(BM_RV_OUT)/host.elf: $(BM_RV_OBJS) $(BM_RV_OUT)/guests.o $(BM_DIR)/riscv64/link.ld
	$(BM_RV_CC) $(BM_RV_LDFLAGS) -o $@ $(BM_RV_OBJS) $(BM_RV_OUT)/guests.o
$(BM_RV_OUT)/host-selftest-fail.elf: $(BM_RV_OBJS) $(BM_RV_SELFTEST_OBJS) $(BM_RV_OUT)/guests.o \
                                     $(BM_DIR)/riscv64/link.ld
	$(BM_RV_CC) $(BM_RV_LDFLAGS) -o $@ $(BM_RV_OBJS) $(BM_RV_SELFTEST_OBJS) $(BM_RV_OUT)/guests.o
$(BM_RV_OUT)/host-bench.elf: $(BM_RV_BENCH_OBJS) $(BM_RV_OUT)/guests.o $(BM_DIR)/riscv64/link.ld
	$(BM_RV_CC) $(BM_RV_LDFLAGS) -o $@ $(BM_RV_BENCH_OBJS) $(BM_RV_OUT)/guests.o

-include $(shell find $(BM_RV_OUT) -name '*.d' 2>/dev/null)

.PHONY: baremetal-riscv64 check-riscv64 check-riscv64-harness bench-riscv64 profile-riscv64
baremetal-riscv64: $(BM_RV_OUT)/host.elf
check-riscv64: $(BM_RV_OUT)/host.elf
	$(BM_DIR)/run.sh riscv64
check-riscv64-harness: $(BM_RV_OUT)/host.elf $(BM_RV_OUT)/host-selftest-fail.elf
	$(BM_DIR)/selftest.sh riscv64
bench-riscv64: $(BM_RV_OUT)/host-bench.elf
	BM_IMAGE=$< BM_QEMU_EXTRA="-icount shift=0 $(BM_QEMU_EXTRA)" $(BM_DIR)/run.sh riscv64
profile-riscv64: $(BM_RV_OUT)/host-bench.elf
	$(PYTHON) $(BM_DIR)/profile.py riscv64 loop
	$(PYTHON) $(BM_DIR)/profile.py riscv64 handler
