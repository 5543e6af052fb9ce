/*
 * The `riscv64` backend: a bare-metal RISC-V hypervisor backend (HS-mode,
 * H extension 1.0) running VS-mode guests.
 *
 * Exits come from the scause table (spec/arch/riscv64/exits.yaml): SBI
 * calls (spec/arch/riscv64/calls.yaml: HSM hart_start/stop/suspend are
 * cpu_up/cpu_down/halt, SRST shutdown/reboot are system_down/shutdown, IPI
 * is send_ipi, the vendor EID range 0x09000000..0x09ffffff is hypercalls
 * (nr = EID << 32 | FID, args a0..a5, result a0), BASE, TIME and RFENCE are
 * answered here, anything else gets SBI_ERR_NOT_SUPPORTED); load/store
 * guest-page faults are MMIO, decoded from htinst or from the instruction
 * read with HLVX (all widths, sign extension, compressed forms), or
 * nested_page_fault when not a plain load/store; WFI (a virtual
 * instruction with hstatus.VTW) is halt; host interrupts are
 * external_interrupt. HLVX reads as the guest fetches (its page tables,
 * the privilege it trapped from); when that read faults (the guest changed
 * its page tables under a running instruction), a load/store fault is
 * nested_page_fault and a virtual instruction internal_error
 * (undecodable_insn, detail AXV_RISCV64_INSN_UNREADABLE), the guest's pc
 * unchanged.
 *
 * Interrupt injection is paravirtual: an injected vector raises VSEIP
 * (hvip, set at the next entry, and set afresh for the vCPU loaded on a
 * hart); the guest's handler calls the IRQ_ACK SBI function and gets the
 * vector in a1. The VS timer is the guest's own stimecmp (Sstc).
 *
 * The round trip VMMs see most, a hypercall, is filled in by the exit path
 * in assembly; every other exit is decoded in C, off that path.
 *
 * State switching: all GPRs and sepc on every exit (assembly), and the
 * privilege the guest trapped from (VS or VU: sstatus.SPP, hstatus.SPVP),
 * which it is resumed in; the VS CSRs and, when the hart has F/D (sstatus.FS
 * on in HS), the 32 FP registers and fcsr only when another vCPU is loaded
 * on the hart: the HS host never uses FP (built for an integer ABI), so FP
 * state survives exits untouched. Each vCPU has its own VMID, so the
 * G-stage TLB is flushed only when a VMID is reused.
 */
#ifndef AXV_RISCV64_H
#define AXV_RISCV64_H

#include <stdint.h>

#include "axv/gen/riscv64_calls.h"
#include "axv/gen/riscv64_exits.h"
#include "axv/gen/riscv64_sysregs.h"
#include "axv/vcpu.h"

/* internal_error's detail when the instruction could not be read: no
 * instruction is 64 bits of ones. */
#define AXV_RISCV64_INSN_UNREADABLE (~UINT64_C(0))

/* ops->setup's config (may be NULL). */
struct axv_riscv64_setup {
    uint64_t a1;             /* the guest's a1 at entry (DTB or HSM opaque); a0 is the hart id */
};

extern const struct axv_arch_ops axv_riscv64_ops;

/* Reads a guest register x0..x31 (x0 is 0), for VMMs and tests. */
uint64_t axv_riscv64_get_gpr(const struct axv_vcpu *v, uint32_t reg);
/* The guest's PC (sepc at the last exit). */
uint64_t axv_riscv64_get_pc(const struct axv_vcpu *v);

#endif /* AXV_RISCV64_H */
