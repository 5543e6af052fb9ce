# Test guests for the kvm backend (tests/guests/kvm/*.S), run by
# tests/kvm/run.sh under out/axv-run. Included by the Makefile, which defines
# O, GEN and GEN_STAMP. x86_64 host with gcc and binutils only.
#
#   out/guests/kvm/NAME.bin   flat image at 0x100000 (guest.ld), every guest
#   out/guests/kvm/NAME.elf   the same link as an ELF64 (hello: the ELF demo)
#   out/guests/kvm/elf.elf    ELF64 with several segments (elf.ld)
#   out/guests/kvm/multiboot-elf.elf   ELF32 multiboot kernel (no a.out kludge)

KVM_GUEST_SRC := tests/guests/kvm
KVM_GUEST_OUT := $(O)/guests/kvm
KVM_GUEST_CC ?= gcc
KVM_GUEST_LD ?= ld
KVM_GUEST_OBJCOPY ?= objcopy

# Flat images: every guest but elf.S (which needs its own link).
KVM_GUEST_FLAT := hello mmio string_io msr msr_gp hypercall smp halt triple npf exitcode multiboot
KVM_GUESTS := $(KVM_GUEST_FLAT:%=$(KVM_GUEST_OUT)/%.bin) \
              $(KVM_GUEST_OUT)/hello.elf $(KVM_GUEST_OUT)/elf.elf \
              $(KVM_GUEST_OUT)/multiboot-elf.elf

# Warnings are errors, from cpp, as and ld alike.
KVM_GUEST_ASFLAGS := -nostdinc -ffreestanding -Wall -Wextra -Werror -Wa,--fatal-warnings \
                     -I$(GEN)/include -Iexamples/axv-run -I$(KVM_GUEST_SRC) -MMD -MP
KVM_GUEST_LDFLAGS := -nostdlib -static --build-id=none -z max-page-size=0x1000 --fatal-warnings

$(KVM_GUEST_OUT)/%.o: $(KVM_GUEST_SRC)/%.S $(GEN_STAMP)
	@mkdir -p $(@D)
	$(KVM_GUEST_CC) $(KVM_GUEST_ASFLAGS) -c $< -o $@

$(KVM_GUEST_OUT)/%.elf: $(KVM_GUEST_OUT)/%.o $(KVM_GUEST_SRC)/guest.ld
	$(KVM_GUEST_LD) -m elf_x86_64 $(KVM_GUEST_LDFLAGS) -T $(KVM_GUEST_SRC)/guest.ld -o $@ $<

$(KVM_GUEST_OUT)/%.bin: $(KVM_GUEST_OUT)/%.elf
	$(KVM_GUEST_OBJCOPY) -O binary $< $@

$(KVM_GUEST_OUT)/elf.elf: $(KVM_GUEST_OUT)/elf.o $(KVM_GUEST_SRC)/elf.ld
	$(KVM_GUEST_LD) -m elf_x86_64 $(KVM_GUEST_LDFLAGS) -T $(KVM_GUEST_SRC)/elf.ld -o $@ $<

$(KVM_GUEST_OUT)/multiboot-elf.o: $(KVM_GUEST_SRC)/multiboot.S $(GEN_STAMP)
	@mkdir -p $(@D)
	$(KVM_GUEST_CC) -m32 -DMULTIBOOT_ELF $(KVM_GUEST_ASFLAGS) -c $< -o $@

$(KVM_GUEST_OUT)/multiboot-elf.elf: $(KVM_GUEST_OUT)/multiboot-elf.o $(KVM_GUEST_SRC)/guest.ld
	$(KVM_GUEST_LD) -m elf_i386 $(KVM_GUEST_LDFLAGS) -T $(KVM_GUEST_SRC)/guest.ld -o $@ $<

# Keep the objects and ELF links (make would delete them as intermediates).
.SECONDARY: $(patsubst %,$(KVM_GUEST_OUT)/%.o,$(KVM_GUEST_FLAT) elf multiboot-elf) \
            $(patsubst %,$(KVM_GUEST_OUT)/%.elf,$(KVM_GUEST_FLAT))

.PHONY: kvm-guests
kvm-guests: $(KVM_GUESTS)
