/*
 * The `kvm` backend: axvcpu over Linux /dev/kvm (x86_64 hosts).
 *
 * A VMM creates one struct axv_kvm_vm per guest, gives it guest memory and
 * the MMIO ranges it emulates, then creates vCPUs with axv_vcpu_create(...,
 * &axv_kvm_ops, ...) and a struct axv_kvm_vcpu_config naming the VM.
 *
 * Exits (see spec/arch/kvm/exits.yaml for the full table):
 *   port I/O            -> io_read / io_write; string and REP I/O deliver one
 *                          exit per element, in order
 *   doorbell port       -> hypercall, or a call of spec/arch/kvm/hypercalls.yaml
 *   MMIO in a range     -> mmio_read / mmio_write (KVM's emulator does widths
 *                          and sign extension; complete_read supplies the data)
 *   MMIO elsewhere      -> nested_page_fault
 *   MSRs in the filter  -> sys_reg_read / sys_reg_write
 *   HLT, SHUTDOWN, FAIL_ENTRY, INTERNAL_ERROR, SYSTEM_EVENT, INTR -> halt,
 *   shutdown, fail_entry, internal_error, system_down/shutdown, nothing.
 *
 * The hypercall convention (KVM consumes VMCALL itself, so a port is the
 * doorbell): nr in rax, arguments in rdi, rsi, rdx, rcx, r8, r9, then
 * `out %al, $AXV_KVM_DOORBELL_PORT`; the result comes back in rax.
 */
#ifndef AXV_KVM_H
#define AXV_KVM_H

#include <stdint.h>

#include "axv/gen/kvm_calls.h"
#include "axv/gen/kvm_exits.h"
#include "axv/vcpu.h"

#define AXV_KVM_MAX_SLOTS 8u
#define AXV_KVM_MAX_MMIO 16u

struct axv_kvm_mmio_range {
    uint64_t gpa;
    uint64_t size;
};

struct axv_kvm_vm_config {
    /* MSRs [msr_base, msr_base + msr_count) exit to the VMM; count 0: none. */
    uint32_t msr_base;
    uint32_t msr_count;
};

/* Owned by the caller; fill with axv_kvm_vm_init(). */
struct axv_kvm_vm {
    /* First: every MMIO exit reads the count and the first ranges. */
    uint32_t n_mmio;
    struct axv_kvm_mmio_range mmio[AXV_KVM_MAX_MMIO];
    int kvm_fd;
    int vm_fd;
    int run_size;                 /* bytes of each vCPU's struct kvm_run mapping */
    uint32_t n_slots;
    struct axv_kvm_mmio_range slots[AXV_KVM_MAX_SLOTS];
};

/* Opens /dev/kvm and creates the VM: AXV_ERR_NO_SUCH_DEVICE without
 * /dev/kvm, AXV_ERR_PERMISSION_DENIED without access, AXV_ERR_UNSUPPORTED
 * when a needed capability is missing. */
enum axv_err axv_kvm_vm_init(struct axv_kvm_vm *vm, const struct axv_kvm_vm_config *cfg);
/* Backs [gpa, gpa + size) with host memory at hva (page-aligned). */
enum axv_err axv_kvm_vm_add_memory(struct axv_kvm_vm *vm, uint64_t gpa, void *hva, uint64_t size);
/* Accesses to [gpa, gpa + size) become mmio_read / mmio_write exits. */
enum axv_err axv_kvm_vm_add_mmio(struct axv_kvm_vm *vm, uint64_t gpa, uint64_t size);
void axv_kvm_vm_destroy(struct axv_kvm_vm *vm);
/* A short reason for the last failure of axv_kvm_vm_init (for one-line errors). */
const char *axv_kvm_last_error(void);

/* ops->create's config. */
struct axv_kvm_vcpu_config {
    struct axv_kvm_vm *vm;
};

enum axv_kvm_mode {
    AXV_KVM_MODE_LONG64,   /* 64-bit, paging on; cr3 = PML4, GDT with code 0x08, data 0x10 */
    AXV_KVM_MODE_PROT32,   /* 32-bit flat protected mode, paging off (Multiboot) */
};

/* ops->setup's config. */
struct axv_kvm_setup {
    enum axv_kvm_mode mode;
    uint64_t cr3;          /* LONG64: PML4 guest-physical address */
    uint64_t gdt_base;     /* guest-physical; code selector 0x08, data 0x10 */
    uint16_t gdt_limit;
    uint64_t stack;        /* initial rsp */
};

/* x86 register numbers for axv_vcpu_set_gpr(), as in the original crate. */
enum axv_kvm_gpr {
    AXV_KVM_RAX, AXV_KVM_RCX, AXV_KVM_RDX, AXV_KVM_RBX, AXV_KVM_RSP, AXV_KVM_RBP, AXV_KVM_RSI, AXV_KVM_RDI,
    AXV_KVM_R8, AXV_KVM_R9, AXV_KVM_R10, AXV_KVM_R11, AXV_KVM_R12, AXV_KVM_R13, AXV_KVM_R14, AXV_KVM_R15,
};

extern const struct axv_arch_ops axv_kvm_ops;
/* Its run and complete_read ops, extern so that a build can name them as
 * the runtime's AXV_RUN_HINT and AXV_COMPLETE_READ_HINT (axv/arch.h). */
enum axv_err axv_kvm_run(struct axv_vcpu *v, struct axv_exit *e);
enum axv_err axv_kvm_complete_read(struct axv_vcpu *v, const struct axv_exit_read_shape *shape, uint64_t value);

/* Reads a guest register (for VMMs and tests); AXV_ERR_INVALID_INPUT for a bad number. */
enum axv_err axv_kvm_get_gpr(struct axv_vcpu *v, uint32_t reg, uint64_t *value);
/* Makes a vCPU inside axv_vcpu_run() return soon with a `nothing` exit
 * (e.g. to stop it); safe from any thread. */
void axv_kvm_kick(struct axv_vcpu *v);
/* The vCPU's KVM fd, for VMMs that need raw access. */
int axv_kvm_vcpu_fd(const struct axv_vcpu *v);

#endif /* AXV_KVM_H */
