# The x86_64 bare-metal test image (tests/baremetal/README.md): the axvcpu
# core, the VMX backend (whatever arch/x86_64 holds), its generated tables,
# the harness and the test guests, in one multiboot2 ELF that GRUB 2 boots
# from an ISO under Bochs (VMX, EPT). Included by the Makefile, which
# defines O, GEN, GEN_STAMP, GEN_SRCS, WARN and gen_arch.
#
#   out/baremetal/x86_64/host.elf, host.iso           the test image, and the ISO Bochs boots
#   out/baremetal/x86_64/host-selftest-fail.{elf,iso} + deliberately failing tests
#   out/baremetal/x86_64/host-bench.{elf,iso}         the harness and tests built with -DBM_BENCH
#   out/baremetal/x86_64/guests/NAME.bin              tests/guests/x86_64/NAME.S
#   out/baremetal/x86_64/include/asm_defs.h           from arch/x86_64/asm_defs.c
#
#   make baremetal-x86_64         build host.elf and host.iso
#   make check-x86_64             build and run it (tests/baremetal/run.sh x86_64)
#   make check-x86_64-harness     the harness reports failures (tests/baremetal/selftest.sh)
#   make bench-x86_64             host-bench.iso (Bochs' TSC counts instructions: 1 tick = 1 ns)
#   make profile-x86_64           one bench round trip's instructions per function (Bochs' debugger)

BM_X86_CC ?= gcc
BM_X86_LD ?= ld
BM_X86_OBJCOPY ?= objcopy
BM_X86_MKRESCUE ?= grub-mkrescue
BM_DIR := tests/baremetal
BM_X86_OUT := $(O)/baremetal/x86_64
BM_X86_OBJ := $(BM_X86_OUT)/obj
BM_X86_GUEST_SRC := tests/guests/x86_64
BM_X86_GUEST_OUT := $(BM_X86_OUT)/guests

# Ring 0 in long mode, identity-mapped, image at 1 MiB (below 2 GiB: the
# small code model, absolute 32-bit addresses work). No red zone (the
# harness's exceptions run on their own IST stack, but a backend's may not),
# no SSE/x87 in compiled code (so the backend need not switch FP state
# around its own C code), no CET notes or stack protector.
BM_X86_FLAGS := -m64 -ffreestanding -nostdlib -nostartfiles -static -mno-red-zone -mgeneral-regs-only \
                -mcmodel=small -O2 -g -fno-pic -fno-pie -fno-stack-protector -fcf-protection=none \
                -fno-asynchronous-unwind-tables -fno-unwind-tables
BM_X86_INCS := -Iruntime/include -I$(GEN)/include -Iarch/x86_64/include -Iarch/x86_64 \
               -I$(BM_X86_OUT)/include -I$(BM_DIR)/common -I$(BM_DIR)/x86_64
BM_X86_CFLAGS := $(WARN) $(BM_X86_FLAGS) $(BM_X86_INCS)
BM_X86_ASFLAGS := $(BM_X86_CFLAGS) -Wa,--fatal-warnings
BM_X86_LDFLAGS := -nostdlib -nostartfiles -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack \
                  -Wl,-z,max-page-size=0x1000 -Wl,--fatal-warnings -T $(BM_DIR)/x86_64/link.ld

# ------------------------------------------------------------------ sources
# Wildcards: arch/x86_64 may be missing, empty or half-written; asm_defs.c
# is only compiled with -S (into asm_defs.h for the backend's assembly).
BM_X86_ASM_DEFS := $(wildcard arch/x86_64/asm_defs.c)
BM_X86_ASM_DEFS_H := $(if $(BM_X86_ASM_DEFS),$(BM_X86_OUT)/include/asm_defs.h)
BM_X86_GEN_ARCH := $(call gen_arch,exits,x86_64) $(call gen_arch,calls,x86_64) \
                   $(call gen_arch,sysregs,x86_64)
BM_X86_LIB_SRCS := $(wildcard runtime/*.c) $(GEN_SRCS) $(BM_X86_GEN_ARCH) \
                   $(filter-out $(BM_X86_ASM_DEFS),$(wildcard arch/x86_64/*.c)) \
                   $(wildcard arch/x86_64/*.S)
BM_X86_HARNESS_SRCS := $(wildcard $(BM_DIR)/common/*.c) \
                       $(wildcard $(BM_DIR)/x86_64/*.c $(BM_DIR)/x86_64/*.S)
BM_X86_SRCS := $(BM_X86_LIB_SRCS) $(BM_X86_HARNESS_SRCS)
BM_X86_SELFTEST_SRCS := $(wildcard $(BM_DIR)/common/selftest/*.c)

# out/gen/src/x.c -> obj/gen/src/x.c.o, a/b.S -> obj/a/b.S.o
bm_x86_obj = $(patsubst %,$(BM_X86_OBJ)/%.o,$(patsubst $(GEN)/%,gen/%,$(1)))
BM_X86_OBJS := $(call bm_x86_obj,$(BM_X86_SRCS))
BM_X86_SELFTEST_OBJS := $(call bm_x86_obj,$(BM_X86_SELFTEST_SRCS))
# The bench image: the same library objects, the harness and tests again with -DBM_BENCH.
BM_X86_BENCH_OBJ := $(BM_X86_OUT)/obj-bench
BM_X86_BENCH_OBJS := $(call bm_x86_obj,$(BM_X86_LIB_SRCS)) \
                     $(patsubst %,$(BM_X86_BENCH_OBJ)/%.o,$(BM_X86_HARNESS_SRCS))

$(BM_X86_GEN_ARCH): $(GEN_STAMP)

# asm_defs.h is order-only for C (a C file may include it; its .d file then
# records the real dependency) and a prerequisite of all assembly.
$(BM_X86_OBJ)/gen/%.c.o: $(GEN)/%.c $(GEN_STAMP) | $(BM_X86_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_X86_CC) $(BM_X86_CFLAGS) -MMD -MP -c $< -o $@
$(BM_X86_OBJ)/%.c.o: %.c $(GEN_STAMP) | $(BM_X86_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_X86_CC) $(BM_X86_CFLAGS) -MMD -MP -c $< -o $@
$(BM_X86_OBJ)/%.S.o: %.S $(GEN_STAMP) $(BM_X86_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_X86_CC) $(BM_X86_ASFLAGS) -MMD -MP -c $< -o $@

$(BM_X86_BENCH_OBJ)/%.c.o: %.c $(GEN_STAMP) | $(BM_X86_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_X86_CC) $(BM_X86_CFLAGS) -DBM_BENCH -MMD -MP -c $< -o $@
$(BM_X86_BENCH_OBJ)/%.S.o: %.S $(GEN_STAMP) $(BM_X86_ASM_DEFS_H)
	@mkdir -p $(@D)
	$(BM_X86_CC) $(BM_X86_ASFLAGS) -DBM_BENCH -MMD -MP -c $< -o $@

# asm_defs.c leaves "->NAME value" lines in its assembly; they become #defines
# (GCC prints immediates as "$123" in AT&T syntax: the $ goes).
$(BM_X86_OUT)/include/asm_defs.h: $(BM_X86_ASM_DEFS) $(GEN_STAMP)
	@mkdir -p $(@D)
	$(BM_X86_CC) $(BM_X86_CFLAGS) -MMD -MP -MT $@ -MF $(@D)/asm_defs.d -S $< -o $(@D)/asm_defs.s
	@{ echo "/* Generated from $< by build/baremetal-x86_64.mk. Do not edit. */"; \
	   echo "#ifndef AXV_X86_64_ASM_DEFS_H"; echo "#define AXV_X86_64_ASM_DEFS_H"; \
	   sed -n 's/^[[:space:]]*->\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]\{1,\}[$$#]\{0,1\}\(-\{0,1\}[0-9][0-9a-fA-FxX]*\).*/#define \1 \2/p' \
	       $(@D)/asm_defs.s; \
	   echo "#endif"; } >$@.tmp
	@mv $@.tmp $@

# ------------------------------------------------------------------ guests
# Every tests/guests/x86_64/NAME.S is one flat image linked at 0 (guest.ld);
# guest.h includes the generated call ids (axv/gen/x86_64_calls.h).
BM_X86_GUESTS := $(sort $(basename $(notdir $(wildcard $(BM_X86_GUEST_SRC)/*.S))))
BM_X86_GUEST_BINS := $(BM_X86_GUESTS:%=$(BM_X86_GUEST_OUT)/%.bin)
BM_X86_GUEST_ASFLAGS := -m64 -nostdinc -ffreestanding -Wall -Wextra -Werror -Wa,--fatal-warnings \
                        -I$(BM_X86_GUEST_SRC) -I$(GEN)/include -MMD -MP
BM_X86_GUEST_LDFLAGS := -m elf_x86_64 -nostdlib -static --build-id=none -z max-page-size=0x1000 \
                        -z noexecstack --no-warn-rwx-segments --fatal-warnings

$(BM_X86_GUEST_OUT)/%.o: $(BM_X86_GUEST_SRC)/%.S $(GEN_STAMP)
	@mkdir -p $(@D)
	$(BM_X86_CC) $(BM_X86_GUEST_ASFLAGS) -c $< -o $@
$(BM_X86_GUEST_OUT)/%.elf: $(BM_X86_GUEST_OUT)/%.o $(BM_X86_GUEST_SRC)/guest.ld
	$(BM_X86_LD) $(BM_X86_GUEST_LDFLAGS) -T $(BM_X86_GUEST_SRC)/guest.ld -o $@ $<
$(BM_X86_GUEST_OUT)/%.bin: $(BM_X86_GUEST_OUT)/%.elf
	$(BM_X86_OBJCOPY) -O binary $< $@
.SECONDARY: $(BM_X86_GUESTS:%=$(BM_X86_GUEST_OUT)/%.o) $(BM_X86_GUESTS:%=$(BM_X86_GUEST_OUT)/%.elf)

# The images and bm_guest_table; the directory is a prerequisite so that an
# added or removed guest regenerates the list.
$(BM_X86_OUT)/guests.S: $(BM_X86_GUEST_BINS) $(BM_DIR)/gen-blobs.sh $(wildcard $(BM_X86_GUEST_SRC))
	@mkdir -p $(@D)
	$(BM_DIR)/gen-blobs.sh $@ $(foreach g,$(BM_X86_GUESTS),$(g)=$(BM_X86_GUEST_OUT)/$(g).bin)
$(BM_X86_OUT)/guests.o: $(BM_X86_OUT)/guests.S $(BM_X86_GUEST_BINS)
	$(BM_X86_CC) -m64 -c -Wa,--fatal-warnings $< -o $@

# ------------------------------------------------------------------ images
# No -lgcc: the compiled code needs none of it on x86_64 (and Debian's is
# built with the red zone and SSE).
$(BM_X86_OUT)/host.elf: $(BM_X86_OBJS) $(BM_X86_OUT)/guests.o $(BM_DIR)/x86_64/link.ld
	$(BM_X86_CC) $(BM_X86_LDFLAGS) -o $@ $(BM_X86_OBJS) $(BM_X86_OUT)/guests.o
$(BM_X86_OUT)/host-selftest-fail.elf: $(BM_X86_OBJS) $(BM_X86_SELFTEST_OBJS) $(BM_X86_OUT)/guests.o \
                                      $(BM_DIR)/x86_64/link.ld
	$(BM_X86_CC) $(BM_X86_LDFLAGS) -o $@ $(BM_X86_OBJS) $(BM_X86_SELFTEST_OBJS) $(BM_X86_OUT)/guests.o
$(BM_X86_OUT)/host-bench.elf: $(BM_X86_BENCH_OBJS) $(BM_X86_OUT)/guests.o $(BM_DIR)/x86_64/link.ld
	$(BM_X86_CC) $(BM_X86_LDFLAGS) -o $@ $(BM_X86_BENCH_OBJS) $(BM_X86_OUT)/guests.o

# The ISO Bochs boots: GRUB 2 (i386-pc, El Torito) with only the modules it
# needs (a full module set costs Bochs ~0.6 s more to load), a grub.cfg that
# boots host.elf through multiboot2 at once. tests/baremetal/run.sh boots
# the .iso next to the .elf it is given.
BM_X86_GRUB_MODULES := normal multiboot2 iso9660 biosdisk
$(BM_X86_OUT)/%.iso: $(BM_X86_OUT)/%.elf
	@rm -rf $@.dir && mkdir -p $@.dir/boot/grub
	@cp $< $@.dir/boot/host.elf
	@printf 'set timeout=0\nset default=0\nmenuentry "axvcpu x86_64 bare-metal" {\n\tmultiboot2 /boot/host.elf\n\tboot\n}\n' \
	    >$@.dir/boot/grub/grub.cfg
	$(BM_X86_MKRESCUE) -o $@ --install-modules="$(BM_X86_GRUB_MODULES)" --fonts= --locales= --themes= \
	    $@.dir >$@.log 2>&1 || { cat $@.log; rm -f $@; exit 1; }
	@rm -rf $@.dir $@.log

-include $(shell find $(BM_X86_OUT) -name '*.d' 2>/dev/null)

.PHONY: baremetal-x86_64 check-x86_64 check-x86_64-harness bench-x86_64 profile-x86_64
baremetal-x86_64: $(BM_X86_OUT)/host.elf $(BM_X86_OUT)/host.iso
check-x86_64: $(BM_X86_OUT)/host.elf $(BM_X86_OUT)/host.iso
	$(BM_DIR)/run.sh x86_64
check-x86_64-harness: $(BM_X86_OUT)/host.iso $(BM_X86_OUT)/host-selftest-fail.iso
	$(BM_DIR)/selftest.sh x86_64
bench-x86_64: $(BM_X86_OUT)/host-bench.iso
	BM_IMAGE=$(BM_X86_OUT)/host-bench.elf $(BM_DIR)/run.sh x86_64
profile-x86_64: $(BM_X86_OUT)/host-bench.iso $(BM_X86_GUEST_OUT)/vmcall_bench.elf
	$(PYTHON) $(BM_DIR)/profile.py x86_64
