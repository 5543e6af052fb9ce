/*
 * The `aarch64` backend: a bare-metal ARMv8-A EL2 (non-VHE) hypervisor
 * backend running EL1 guests.
 *
 * Exits come from the ESR_EL2 class table (spec/arch/aarch64/exits.yaml):
 * data aborts with a valid syndrome are MMIO (width, register, register
 * width and sign extension from the ISS; a store of xzr writes 0), without
 * one they are nested_page_fault; HVC and trapped SMC are PSCI
 * (spec/arch/aarch64/calls.yaml) or hypercalls (x0 = nr, x1..x6 = args,
 * result in x0); trapped MSR/MRS are sys_reg_read/write (address = the
 * packed key op0<<14 | op1<<11 | CRn<<7 | CRm<<3 | op2), ICC_SGI1R_EL1
 * writes are send_ipi; WFI is halt, WFE idle; a physical IRQ is
 * external_interrupt (number from hal->irq_fetch).
 *
 * Interrupt injection is paravirtual and needs no GIC: an injected vector
 * raises the virtual IRQ line (HCR_EL2.VI); the guest's IRQ handler calls
 * HVC AXV_AARCH64_CALL_IRQ_ACK and gets the vector in x0.
 *
 * State switching: all GPRs and the guest's PC (ELR_EL2) on every exit
 * (assembly); SPSR_EL2, SP_EL0, HCR_EL2, the EL1 system registers and
 * FP/SIMD state only when another vCPU is loaded on the CPU, at unbind and
 * at hardware disable (the EL2 host never uses FP: it is built with
 * -mgeneral-regs-only). Each vCPU has its own VMID, so TLBs are flushed
 * only when a VMID is reused, never on entry.
 *
 * So between axv_percpu_enable and axv_percpu_disable the backend owns
 * VBAR_EL2, HCR_EL2, ELR_EL2, SPSR_EL2 and SP_EL0 on that CPU: the host
 * runs on SP_EL2, writes none of them, and takes no exception at EL2 (the
 * backend's vectors treat one as a host bug: axv_aarch64_host_exception;
 * a host that goes on after it unbinds and binds the loaded vCPU before
 * running it again, and that vCPU's PSTATE is then EL1h, DAIF masked).
 */
#ifndef AXV_AARCH64_H
#define AXV_AARCH64_H

#include <stdint.h>

#include "axv/gen/aarch64_calls.h"
#include "axv/gen/aarch64_exits.h"
#include "axv/gen/aarch64_sysregs.h"
#include "axv/vcpu.h"

/* ops->create's config (may be NULL: MPIDR affinity = vCPU id). */
struct axv_aarch64_vcpu_config {
    uint64_t mpidr;          /* what the guest reads in MPIDR_EL1 (affinity fields) */
};

/* ops->setup's config (may be NULL). */
struct axv_aarch64_setup {
    uint64_t x0;             /* the guest's x0 at entry (DTB, PSCI context id) */
    uint64_t hcr_extra;      /* more HCR_EL2 trap bits, e.g. TID3 or TVM */
};

extern const struct axv_arch_ops axv_aarch64_ops;

/* Reads a guest register x0..x30 (31: 0, as xzr), for VMMs and tests. */
uint64_t axv_aarch64_get_gpr(const struct axv_vcpu *v, uint32_t reg);
/* The guest's PC (ELR_EL2 at the last exit). */
uint64_t axv_aarch64_get_pc(const struct axv_vcpu *v);

/* Called for an exception taken at EL2 itself while the backend's vectors
 * are installed (a host bug); the harness may override this weak symbol. */
void axv_aarch64_host_exception(uint64_t esr, uint64_t elr, uint64_t far);

#endif /* AXV_AARCH64_H */
