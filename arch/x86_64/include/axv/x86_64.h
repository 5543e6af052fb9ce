/*
 * The `x86_64` backend: a bare-metal Intel VMX hypervisor backend with EPT,
 * running 64-bit guests (tested under Bochs).
 *
 * Exits come from the VMX basic exit reasons (spec/arch/x86_64/exits.yaml):
 * VMCALL is a hypercall (rax = nr; rdi, rsi, rdx, rcx, r8, r9; result rax)
 * or a call of spec/arch/x86_64/calls.yaml; port I/O is io_read/io_write
 * (string and REP forms are internal_error: not emulated); an EPT violation
 * is MMIO when the instruction is a common MOV form (88/89/8A/8B/C6/C7,
 * MOVZX/MOVSX 0F B6/B7/BE/BF, MOVSXD 63, with 66/REX/segment prefixes),
 * nested_page_fault otherwise; RDMSR/WRMSR are sys_reg_read/write (RIP
 * advanced at the exit; the completion fills edx:eax); HLT is halt; an
 * external interrupt is external_interrupt; a triple fault is shutdown;
 * entry failures are fail_entry with the VM-instruction error or reason.
 *
 * IPIs: a write of the interrupt command register, as WRMSR to the x2APIC
 * ICR (MSR 0x830) or as a 4-byte MOV to the xAPIC ICR low half at the
 * default APIC page 0xfee00000 (only while the VMM leaves that page
 * unmapped), is decoded (spec/arch/x86_64/sysregs.yaml ia32_x2apic_icr):
 *   INIT to one APIC id (physical, no shorthand, id < 256): absorbed, no
 *     exit; remembered per target by the sending vCPU (an INIT level
 *     de-assert changes nothing);
 *   STARTUP after an INIT to the same target: cpu_up(target_cpu = APIC id,
 *     entry_point = vector << 12, arg 0), and the INIT is used up; a
 *     STARTUP without one (or a second STARTUP) is ignored, as by hardware;
 *     a later INIT + STARTUP to the same id is a cpu_up again (hardware
 *     would reset that CPU: what happens to the running vCPU is the VMM's);
 *     INIT and STARTUP must come from the same vCPU to match;
 *   fixed: send_ipi(destination, vector), or target_cpu ~0 with
 *     send_to_all / send_to_self for the shorthands and broadcast;
 *   anything else (NMI, SMI, lowest priority, logical destinations,
 *     INIT/STARTUP by shorthand or broadcast): the plain sys_reg_write or
 *     mmio_write the access is.
 * RIP is past the instruction in every case. The xAPIC ICR high half
 * (destination) is remembered for the next low write and still reported as
 * mmio_write, so that a VMM with its own APIC model keeps its copy; ICR
 * reads are plain mmio_read / sys_reg_read exits. A VMM starts the AP of a
 * cpu_up with setup .real_mode at entry_point (below).
 * CPUID (VMX hidden), XSETBV and CR4 writes are handled inside.
 *
 * Interrupts are injected through the VM-entry interruption field, with the
 * interrupt-window exit when the guest cannot take them yet.
 *
 * With an exit handler (axv_vcpu_config.on_exit), a plain hypercall is put
 * to it from the backend's own exit path (ops->run_handled) and an answer
 * goes straight back into the guest, inside the same axv_vcpu_run; the
 * handler sees the guest's registers through axv_x86_64_get_gpr and RIP
 * already past the VMCALL, as on the runtime's path.
 */
#ifndef AXV_X86_64_H
#define AXV_X86_64_H

#include <stdbool.h>
#include <stdint.h>

#include "axv/gen/x86_64_calls.h"
#include "axv/gen/x86_64_exits.h"
#include "axv/gen/x86_64_sysregs.h"
#include "axv/vcpu.h"

/*
 * ops->setup's config: a 64-bit guest starts with paging on, so the VMM
 * names its page tables; descriptor tables and the TSS are the guest
 * image's own (0 leaves GDTR/IDTR at base 0, limit 0xffff, and TR at base 0:
 * enough until the guest loads its own).
 *
 * real_mode starts the vCPU the way a STARTUP IPI starts an AP: real mode
 * (unrestricted guest; bind refuses with AXV_ERR_UNSUPPORTED where the CPU
 * lacks it), CS = entry >> 4 with base CS << 4, IP = entry & 0xf (so a
 * cpu_up entry_point V << 12 gives CS = V << 8, IP = 0), the other
 * segments 0, limits 0xffff, CR0 = ET (NE too, hidden), EFER 0; the entry
 * must be below 1 MiB. cr3, gdtr_*, tr_* are ignored then. The guest stays
 * in real mode: the CR emulation is 64-bit mode's, so a MOV to CR0 or CR4
 * there gets #GP (leaving real mode is not supported yet), and an EPT
 * violation is nested_page_fault (the MMIO decoder is 64-bit mode's).
 */
struct axv_x86_64_setup {
    uint64_t cr3;            /* guest PML4 (guest-physical, 4 KiB aligned) */
    uint64_t rsp;
    uint64_t gdtr_base;
    uint16_t gdtr_limit;
    uint16_t tr_selector;
    uint64_t tr_base;        /* a busy 64-bit TSS of limit 0x67 */
    bool real_mode;          /* start as a SIPI target does (above) */
};

/* x86 register numbers (rax = 0, rcx, rdx, rbx, rsp (not settable), rbp, rsi, rdi, r8..r15). */
enum axv_x86_64_gpr {
    AXV_X86_64_RAX, AXV_X86_64_RCX, AXV_X86_64_RDX, AXV_X86_64_RBX, AXV_X86_64_RSP, AXV_X86_64_RBP,
    AXV_X86_64_RSI, AXV_X86_64_RDI, AXV_X86_64_R8, AXV_X86_64_R9, AXV_X86_64_R10, AXV_X86_64_R11,
    AXV_X86_64_R12, AXV_X86_64_R13, AXV_X86_64_R14, AXV_X86_64_R15,
};

extern const struct axv_arch_ops axv_x86_64_ops;

uint64_t axv_x86_64_get_gpr(const struct axv_vcpu *v, uint32_t reg);
uint64_t axv_x86_64_get_rip(const struct axv_vcpu *v);

#endif /* AXV_X86_64_H */
