/*
 * The x86_64 backend's ops: VMXON per CPU, one VMCS per vCPU, the run loop
 * and exit decode. VMCS encodings, control bits, exit reasons and their
 * routes come from the generated tables (the YAML under spec/arch/x86_64/).
 */
#include <stdbool.h>
#include <stddef.h>

#include "axv/backend.h"
#include "axv/x86_64.h"
#include "context.h"
#include "decode.h"

#define X(name) AXV_X86_64_##name
#define VMCS(field) AXV_X86_64_##field##_VMCS
#define GET(reg, field, v) AXV_X86_64_FIELD_GET(reg, field, v)
#define PREP(reg, field, v) AXV_X86_64_FIELD_PREP(reg, field, v)

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_VMXE (1ull << 13)
#define CR4_OSXSAVE (1ull << 18)
#define XCR0_X87 1ull
#define RFLAGS_IF (1ull << 9)
#define CPUID1_ECX_VMX (1u << 5)
#define CPUID1_ECX_HYPERVISOR (1u << 31)

#define GDT_CODE64 0x08
#define GDT_DATA 0x10
#define VEC_GP 13

/* Real mode: a segment's base is its selector * 16, and it reaches the first MiB. */
#define REAL_SEG_SHIFT 4
#define REAL_MODE_END 0x100000ull
#define REAL_SEG_LIMIT 0xffff

/* APIC ids whose INIT a vCPU remembers: every xAPIC id (8 bits); higher x2APIC ids get the plain exit. */
#define APIC_IDS 256

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

struct axv_vmx_cpu {
    struct axv_vmx_vcpu *loaded;
    uint64_t vmxon_hpa;
    uint32_t revision;
    uint32_t pin, proc, proc2, exit, entry; /* controls, adjusted to what the CPU allows */
    uint32_t proc2_real;            /* proc2 with unrestricted guest, for real-mode vCPUs */
    bool unrestricted;              /* proc2_real is allowed */
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t host_xcr0, cur_xcr0;   /* XCR0 is not in the VMCS: switched by hand */
    bool enabled;
    uint64_t hpa;
};

enum vmx_read { READ_NONE, READ_IO, READ_MSR, READ_MMIO };

/*
 * Bits of the frame's slow word: why the next run cannot take the short
 * path (axv_vmx_run, and axv_vmx_run_handled, which also looks before each
 * entry after its handler answered: switch.S). Whoever changes a condition sets its bit;
 * only the general path clears them, after looking (vmx_slow_refresh,
 * vmx_events), so a bit set too often costs one general run and never a
 * wrong entry. SLOW_STATE stays set until the VMCS is launched, so the
 * short path's VMRESUME needs no test.
 */
#define SLOW_IRQ 1u   /* a vector may be pending (inject_interrupt, from any CPU) */
#define SLOW_STATE 2u /* VMCS not current or not launched, XCR0 to switch, an event to inject, a read open */

struct axv_vmx_vcpu {
    struct axv_vmx_frame frame;  /* first: the world switch's hot data */
    uint64_t vmcs_hpa;
    uint32_t *vmcs;
    bool vmcs_ready;             /* the VMCS holds our guest and host state */
    uint64_t rip;                /* the state the first entry starts from */
    struct axv_x86_64_setup boot;
    uint64_t eptp;
    uint64_t ept_root;
    enum vmx_read read;          /* what complete_read finishes */
    bool injecting;              /* VM_ENTRY_INTR_INFO holds an event for the next entry */
    uint64_t xcr0;               /* the guest's, loaded while it runs */
    struct axv_irq_pending pending;
    struct axv_vcpu *vcpu;       /* back from the frame axv_vmx_enter returns */
    struct axv_vmx_cpu *cpu;     /* where it is bound (NULL when not) */
    struct axv_exit *out;        /* the caller's exit record during run */
    uint64_t hpa;
    /* IPIs (vmx_icr): targets sent an INIT and no STARTUP since, one bit per
     * APIC id; and the xAPIC ICR high half (destination) for the next low write. */
    uint64_t wait_sipi[APIC_IDS / 64];
    uint32_t xapic_icr_high;
};

/* axv_vmx_run and axv_vmx_run_handled (switch.S) take v->arch as the frame's address. */
_Static_assert(offsetof(struct axv_vmx_vcpu, frame) == 0, "the frame comes first");

static struct axv_vmx_vcpu *vmx_of(const struct axv_vcpu *v)
{
    return (struct axv_vmx_vcpu *)v->arch;
}

static struct axv_vmx_cpu *vmx_cpu(const struct axv_vcpu *v)
{
    return v->pcpu ? (struct axv_vmx_cpu *)v->pcpu->arch : NULL;
}

/* Whether x's VMCS is built and current here, so its fields are read and written in place. */
static bool vmcs_live(const struct axv_vcpu *v, const struct axv_vmx_vcpu *x)
{
    const struct axv_vmx_cpu *c = vmx_cpu(v);
    return x->vmcs_ready && c && c->loaded == x;
}

static void slow_set(struct axv_vmx_vcpu *x, uint32_t bits)
{
    __atomic_fetch_or(&x->frame.slow, bits, __ATOMIC_SEQ_CST);
}

/* Every change of the CPU's current VMCS goes here: the one that stops being current loses the short path. */
static void set_loaded(struct axv_vmx_cpu *c, struct axv_vmx_vcpu *x)
{
    if (c->loaded && c->loaded != x)
        slow_set(c->loaded, SLOW_STATE);
    c->loaded = x;
}

/* ------------------------------------------------------------ instructions */
/*
 * VMREAD/VMWRITE for the exit path, where the VMCS is current (the exit
 * just left it) and every field named exists: they cannot fail, so no
 * zeroed result and no SETC/SETZ of a status nobody reads (the generated
 * helpers' safety costs three instructions a call).
 */
static inline uint64_t vmread_cur(uint64_t field)
{
    uint64_t v;
    __asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(field) : "cc");
    return v;
}

static inline void vmwrite_cur(uint64_t field, uint64_t v)
{
    __asm__ volatile("vmwrite %0, %1" : : "r"(v), "r"(field) : "cc");
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static uint64_t read_cr0(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static uint64_t read_cr3(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static uint64_t read_cr4(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static void write_cr0(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static void write_cr4(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* VMXON, VMCLEAR and VMPTRLD take a memory operand holding the address. */
#define VMX_PTR_INSN(name, insn)                                                        \
    static bool name(uint64_t hpa)                                                      \
    {                                                                                   \
        uint8_t fail;                                                                   \
        __asm__ volatile(insn " %1\n\tsetbe %0" : "=qm"(fail) : "m"(hpa) : "cc", "memory"); \
        return !fail;                                                                   \
    }
VMX_PTR_INSN(vmxon, "vmxon")
VMX_PTR_INSN(vmclear, "vmclear")
VMX_PTR_INSN(vmptrld, "vmptrld")

/* Drops every EPT-derived translation: a root address may be reused by a new table. */
static void invept_all(void)
{
    struct {
        uint64_t eptp, zero;
    } desc = {0, 0};
    __asm__ volatile("invept %0, %1" : : "m"(desc), "r"(UINT64_C(2)) : "cc", "memory");
}

/* XSETBV needs CR4.OSXSAVE; a host without it gets the bit for the one instruction. */
static void xcr0_write(uint64_t value)
{
    uint64_t cr4 = read_cr4();
    if (!(cr4 & CR4_OSXSAVE))
        write_cr4(cr4 | CR4_OSXSAVE);
    __asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
    if (!(cr4 & CR4_OSXSAVE))
        write_cr4(cr4);
}

static uint64_t xcr0_read(void)
{
    uint32_t lo, hi;
    if (!(read_cr4() & CR4_OSXSAVE))
        return XCR0_X87; /* unreadable, and nothing has set it: the reset value */
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

static void vmxoff(void)
{
    __asm__ volatile("vmxoff" ::: "cc", "memory");
}

static uint16_t read_seg(int which)
{
    uint16_t s = 0;
    switch (which) {
    case 0: __asm__ volatile("mov %%cs, %0" : "=r"(s)); break;
    case 1: __asm__ volatile("mov %%ss, %0" : "=r"(s)); break;
    case 2: __asm__ volatile("mov %%ds, %0" : "=r"(s)); break;
    case 3: __asm__ volatile("mov %%es, %0" : "=r"(s)); break;
    case 4: __asm__ volatile("mov %%fs, %0" : "=r"(s)); break;
    case 5: __asm__ volatile("mov %%gs, %0" : "=r"(s)); break;
    default: __asm__ volatile("str %0" : "=r"(s)); break;
    }
    return s;
}

/* ----------------------------------------------------------------- per CPU */
/* desired | must-be-one, refused if a desired bit may not be one. */
static bool vmx_adjust(uint32_t msr, uint32_t desired, uint32_t *out)
{
    uint64_t cap = axv_x86_64_rdmsr(msr);
    uint32_t must = (uint32_t)cap, may = (uint32_t)(cap >> 32);

    *out = (desired | must) & may;
    return (desired & ~may) == 0;
}

static enum axv_err vmx_controls(struct axv_vmx_cpu *c)
{
    bool true_ctls = (axv_x86_64_read_ia32_vmx_basic() & X(IA32_VMX_BASIC_TRUE_CONTROLS_MASK)) != 0;
    uint32_t pin_msr = true_ctls ? X(IA32_VMX_TRUE_PINBASED_CTLS_MSR) : X(IA32_VMX_PINBASED_CTLS_MSR);
    uint32_t proc_msr = true_ctls ? X(IA32_VMX_TRUE_PROCBASED_CTLS_MSR) : X(IA32_VMX_PROCBASED_CTLS_MSR);
    uint32_t exit_msr = true_ctls ? X(IA32_VMX_TRUE_EXIT_CTLS_MSR) : X(IA32_VMX_EXIT_CTLS_MSR);
    uint32_t entry_msr = true_ctls ? X(IA32_VMX_TRUE_ENTRY_CTLS_MSR) : X(IA32_VMX_ENTRY_CTLS_MSR);
    bool ok = true;

    ok &= vmx_adjust(pin_msr, X(PIN_BASED_VM_EXEC_CONTROL_EXTERNAL_INTERRUPT_EXITING_MASK), &c->pin);
    ok &= vmx_adjust(proc_msr,
                     X(CPU_BASED_VM_EXEC_CONTROL_HLT_EXITING_MASK) |
                         X(CPU_BASED_VM_EXEC_CONTROL_UNCONDITIONAL_IO_EXITING_MASK) |
                         X(CPU_BASED_VM_EXEC_CONTROL_ACTIVATE_SECONDARY_CONTROLS_MASK),
                     &c->proc);
    ok &= vmx_adjust(X(IA32_VMX_PROCBASED_CTLS2_MSR), X(SECONDARY_VM_EXEC_CONTROL_ENABLE_EPT_MASK), &c->proc2);
    /* Optional: only a real-mode vCPU (a SIPI target) needs it, and bind refuses that one without it. */
    c->unrestricted = vmx_adjust(X(IA32_VMX_PROCBASED_CTLS2_MSR),
                                 X(SECONDARY_VM_EXEC_CONTROL_ENABLE_EPT_MASK) |
                                     X(SECONDARY_VM_EXEC_CONTROL_UNRESTRICTED_GUEST_MASK),
                                 &c->proc2_real);
    ok &= vmx_adjust(exit_msr,
                     X(VM_EXIT_CONTROLS_HOST_ADDRESS_SPACE_SIZE_MASK) |
                         X(VM_EXIT_CONTROLS_ACKNOWLEDGE_INTERRUPT_ON_EXIT_MASK) |
                         X(VM_EXIT_CONTROLS_SAVE_IA32_EFER_MASK) | X(VM_EXIT_CONTROLS_LOAD_IA32_EFER_MASK),
                     &c->exit);
    ok &= vmx_adjust(entry_msr,
                     X(VM_ENTRY_CONTROLS_IA32E_MODE_GUEST_MASK) | X(VM_ENTRY_CONTROLS_LOAD_IA32_EFER_MASK),
                     &c->entry);
    /* Interrupt-window exiting is switched on per entry; it must be allowed. */
    uint32_t window;
    ok &= vmx_adjust(proc_msr, X(CPU_BASED_VM_EXEC_CONTROL_INTERRUPT_WINDOW_EXITING_MASK), &window);
    return ok ? AXV_OK : AXV_ERR_UNSUPPORTED;
}

static enum axv_err vmx_percpu_init(struct axv_percpu *pc)
{
    uint64_t hpa;
    struct axv_vmx_cpu *c = axv_backend_alloc(pc->hal, sizeof(*c), &hpa);

    if (!c)
        return AXV_ERR_NO_MEMORY;
    c->hpa = hpa;
    if (!axv_backend_alloc(pc->hal, 4096, &c->vmxon_hpa)) {
        axv_backend_free(pc->hal, hpa, sizeof(*c));
        return AXV_ERR_NO_MEMORY;
    }
    pc->arch = c;
    return AXV_OK;
}

static void vmx_percpu_fini(struct axv_percpu *pc)
{
    struct axv_vmx_cpu *c = pc->arch;
    pc->arch = NULL;
    if (c) {
        axv_backend_free(pc->hal, c->vmxon_hpa, 4096);
        axv_backend_free(pc->hal, c->hpa, sizeof(*c));
    }
}

static enum axv_err vmx_hardware_enable(struct axv_percpu *pc)
{
    struct axv_vmx_cpu *c = pc->arch;
    uint32_t r[4];

    cpuid(1, 0, r);
    if (!(r[2] & CPUID1_ECX_VMX))
        return AXV_ERR_UNSUPPORTED;
    if (read_cr4() & CR4_VMXE)
        return AXV_ERR_RESOURCE_BUSY; /* VMX is on already: another per-CPU object or hypervisor owns it */
    uint64_t fc = axv_x86_64_read_ia32_feature_control();
    if (!(fc & X(IA32_FEATURE_CONTROL_LOCK_MASK))) {
        fc |= X(IA32_FEATURE_CONTROL_LOCK_MASK) | X(IA32_FEATURE_CONTROL_VMXON_OUTSIDE_SMX_MASK);
        axv_x86_64_write_ia32_feature_control(fc);
    } else if (!(fc & X(IA32_FEATURE_CONTROL_VMXON_OUTSIDE_SMX_MASK))) {
        return AXV_ERR_UNSUPPORTED; /* firmware locked VMX off */
    }
    enum axv_err err = vmx_controls(c);
    if (err != AXV_OK)
        return err;

    c->cr0_fixed0 = axv_x86_64_read_ia32_vmx_cr0_fixed0();
    c->cr0_fixed1 = axv_x86_64_read_ia32_vmx_cr0_fixed1();
    c->cr4_fixed0 = axv_x86_64_read_ia32_vmx_cr4_fixed0();
    c->cr4_fixed1 = axv_x86_64_read_ia32_vmx_cr4_fixed1();
    write_cr0((read_cr0() | c->cr0_fixed0) & c->cr0_fixed1);
    write_cr4((read_cr4() | c->cr4_fixed0 | CR4_VMXE) & c->cr4_fixed1);

    c->host_xcr0 = c->cur_xcr0 = xcr0_read();
    c->revision = (uint32_t)(axv_x86_64_read_ia32_vmx_basic() & X(IA32_VMX_BASIC_REVISION_ID_MASK));
    *(uint32_t *)pc->hal->phys_to_virt(pc->hal->ctx, c->vmxon_hpa) = c->revision;
    if (!vmxon(c->vmxon_hpa)) {
        write_cr4(read_cr4() & ~CR4_VMXE);
        return AXV_ERR_IO;
    }
    c->enabled = true;
    return AXV_OK;
}

static enum axv_err vmx_hardware_disable(struct axv_percpu *pc)
{
    struct axv_vmx_cpu *c = pc->arch;

    if (c->loaded) {
        vmclear(c->loaded->vmcs_hpa);
        c->loaded->frame.launched = 0;
        set_loaded(c, NULL);
    }
    vmxoff();
    write_cr4(read_cr4() & ~CR4_VMXE);
    c->enabled = false;
    return AXV_OK;
}

static bool vmx_is_enabled(const struct axv_percpu *pc)
{
    const struct axv_vmx_cpu *c = pc->arch;
    /* Ask the CPU: VMX operation needs CR4.VMXE, which nothing else clears. */
    return c && c->enabled && (read_cr4() & CR4_VMXE);
}

/* -------------------------------------------------------------- VMCS setup */
static void vmcs_host_state(struct axv_vmx_vcpu *x)
{
    struct desc_ptr gdt, idt;
    __asm__ volatile("sgdt %0" : "=m"(gdt));
    __asm__ volatile("sidt %0" : "=m"(idt));
    /* For the exit path (switch.S), which reloads them: a VM exit sets both limits to 0xffff. */
    x->frame.host_gdt.limit = gdt.limit;
    x->frame.host_gdt.base = gdt.base;
    x->frame.host_idt.limit = idt.limit;
    x->frame.host_idt.base = idt.base;
    x->frame.host_rsp = 0; /* HOST_RSP is written again at the next entry */
    uint16_t tr = read_seg(6);
    /* A 64-bit TSS descriptor: base 31:0 scattered in the first 8 bytes, 63:32 in the next. */
    const uint8_t *d = (const uint8_t *)(uintptr_t)(gdt.base + (tr & ~7u));
    uint64_t tr_base = (uint64_t)d[2] | (uint64_t)d[3] << 8 | (uint64_t)d[4] << 16 | (uint64_t)d[7] << 24 |
                       (uint64_t)(*(const uint32_t *)(d + 8)) << 32;

    axv_x86_64_vmwrite(VMCS(HOST_CR0), read_cr0());
    axv_x86_64_vmwrite(VMCS(HOST_CR3), read_cr3());
    axv_x86_64_vmwrite(VMCS(HOST_CR4), read_cr4());
    axv_x86_64_vmwrite(VMCS(HOST_CS_SELECTOR), read_seg(0) & 0xf8u);
    axv_x86_64_vmwrite(VMCS(HOST_SS_SELECTOR), read_seg(1) & 0xf8u);
    axv_x86_64_vmwrite(VMCS(HOST_DS_SELECTOR), read_seg(2) & 0xf8u);
    axv_x86_64_vmwrite(VMCS(HOST_ES_SELECTOR), read_seg(3) & 0xf8u);
    axv_x86_64_vmwrite(VMCS(HOST_FS_SELECTOR), read_seg(4) & 0xf8u);
    axv_x86_64_vmwrite(VMCS(HOST_GS_SELECTOR), read_seg(5) & 0xf8u);
    axv_x86_64_vmwrite(VMCS(HOST_TR_SELECTOR), tr & 0xf8u);
    axv_x86_64_vmwrite(VMCS(HOST_FS_BASE), axv_x86_64_read_ia32_fs_base());
    axv_x86_64_vmwrite(VMCS(HOST_GS_BASE), axv_x86_64_read_ia32_gs_base());
    axv_x86_64_vmwrite(VMCS(HOST_TR_BASE), tr_base);
    axv_x86_64_vmwrite(VMCS(HOST_GDTR_BASE), gdt.base);
    axv_x86_64_vmwrite(VMCS(HOST_IDTR_BASE), idt.base);
    axv_x86_64_vmwrite(VMCS(HOST_IA32_SYSENTER_CS), axv_x86_64_read_ia32_sysenter_cs());
    axv_x86_64_vmwrite(VMCS(HOST_IA32_SYSENTER_ESP), axv_x86_64_read_ia32_sysenter_esp());
    axv_x86_64_vmwrite(VMCS(HOST_IA32_SYSENTER_EIP), axv_x86_64_read_ia32_sysenter_eip());
    axv_x86_64_vmwrite(VMCS(HOST_IA32_EFER), axv_x86_64_read_ia32_efer());
    axv_x86_64_vmwrite(VMCS(HOST_RIP), (uint64_t)(uintptr_t)axv_vmx_exit);
}

static void vmcs_segment(uint64_t sel_field, uint16_t sel, uint32_t ar)
{
    /* Selector, base, limit and access rights sit at fixed offsets from the selector's encoding. */
    axv_x86_64_vmwrite(sel_field, sel);
    axv_x86_64_vmwrite(sel_field - VMCS(GUEST_ES_SELECTOR) + VMCS(GUEST_ES_BASE), 0);
    axv_x86_64_vmwrite(sel_field - VMCS(GUEST_ES_SELECTOR) + VMCS(GUEST_ES_LIMIT), 0xffffffff);
    axv_x86_64_vmwrite(sel_field - VMCS(GUEST_ES_SELECTOR) + VMCS(GUEST_ES_AR_BYTES), ar);
}

/* CS:IP of a real-mode entry: CS = entry / 16, IP = the rest, as a SIPI's V << 12 gives CS = V << 8, IP = 0. */
static uint16_t real_cs(uint64_t entry)
{
    return (uint16_t)(entry >> REAL_SEG_SHIFT);
}

static uint64_t entry_ip(const struct axv_vmx_vcpu *x)
{
    return x->boot.real_mode ? x->rip - ((uint64_t)real_cs(x->rip) << REAL_SEG_SHIFT) : x->rip;
}

/* The entry point into a current VMCS: RIP, and CS too in real mode. */
static void vmcs_entry(const struct axv_vmx_vcpu *x)
{
    if (x->boot.real_mode) {
        axv_x86_64_vmwrite(VMCS(GUEST_CS_SELECTOR), real_cs(x->rip));
        axv_x86_64_vmwrite(VMCS(GUEST_CS_BASE), (uint64_t)real_cs(x->rip) << REAL_SEG_SHIFT);
    }
    axv_x86_64_vmwrite(VMCS(GUEST_RIP), entry_ip(x));
}

/*
 * A real-mode guest, as INIT leaves a CPU and a STARTUP IPI starts it
 * (unrestricted guest: CR0.PE and PG may be 0). VMX keeps CR0.NE and
 * CR4.VMXE set underneath; the read shadows show the guest ET and 0.
 */
static void vmcs_guest_state_real(const struct axv_vmx_cpu *c, const struct axv_vmx_vcpu *x)
{
    uint64_t cr0 = ((CR0_ET | c->cr0_fixed0) & ~(CR0_PE | CR0_PG)) & c->cr0_fixed1;

    axv_x86_64_vmwrite(VMCS(GUEST_CR0), cr0);
    axv_x86_64_vmwrite(VMCS(CR0_READ_SHADOW), CR0_ET);
    axv_x86_64_vmwrite(VMCS(CR0_GUEST_HOST_MASK), c->cr0_fixed0 | CR0_PG | CR0_PE);
    axv_x86_64_vmwrite(VMCS(GUEST_CR4), (c->cr4_fixed0 & c->cr4_fixed1) | CR4_VMXE);
    axv_x86_64_vmwrite(VMCS(CR4_READ_SHADOW), 0);
    axv_x86_64_vmwrite(VMCS(CR4_GUEST_HOST_MASK), c->cr4_fixed0 | CR4_VMXE);
    axv_x86_64_vmwrite(VMCS(GUEST_CR3), 0);
    axv_x86_64_vmwrite(VMCS(GUEST_IA32_EFER), 0);

    /* 16-bit segments of limit 0xffff: accessed read/write data (0x93), accessed code (0x9b). */
    vmcs_segment(VMCS(GUEST_CS_SELECTOR), 0, 0x9b);
    vmcs_segment(VMCS(GUEST_SS_SELECTOR), 0, 0x93);
    vmcs_segment(VMCS(GUEST_DS_SELECTOR), 0, 0x93);
    vmcs_segment(VMCS(GUEST_ES_SELECTOR), 0, 0x93);
    vmcs_segment(VMCS(GUEST_FS_SELECTOR), 0, 0x93);
    vmcs_segment(VMCS(GUEST_GS_SELECTOR), 0, 0x93);
    vmcs_segment(VMCS(GUEST_LDTR_SELECTOR), 0, 0x10000); /* unusable */
    vmcs_segment(VMCS(GUEST_TR_SELECTOR), 0, 0x8b); /* VM entry wants a usable busy TSS even here */
    static const uint64_t limits[] = {VMCS(GUEST_ES_LIMIT), VMCS(GUEST_CS_LIMIT), VMCS(GUEST_SS_LIMIT),
                                      VMCS(GUEST_DS_LIMIT), VMCS(GUEST_FS_LIMIT), VMCS(GUEST_GS_LIMIT),
                                      VMCS(GUEST_TR_LIMIT)};
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
        axv_x86_64_vmwrite(limits[i], REAL_SEG_LIMIT);
    axv_x86_64_vmwrite(VMCS(GUEST_GDTR_BASE), 0);
    axv_x86_64_vmwrite(VMCS(GUEST_GDTR_LIMIT), REAL_SEG_LIMIT);
    axv_x86_64_vmwrite(VMCS(GUEST_IDTR_BASE), 0);
    axv_x86_64_vmwrite(VMCS(GUEST_IDTR_LIMIT), REAL_SEG_LIMIT); /* the real-mode vector table at 0 */
    vmcs_entry(x);
}

/* A flat 64-bit guest: paging on (its CR3), long mode, CS/DS from a GDT it may replace. */
static void vmcs_guest_state_long(const struct axv_vmx_cpu *c, const struct axv_vmx_vcpu *x)
{
    uint64_t cr0 = ((CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG) | c->cr0_fixed0) & c->cr0_fixed1;
    uint64_t cr4 = (CR4_PAE | c->cr4_fixed0) & c->cr4_fixed1;

    axv_x86_64_vmwrite(VMCS(GUEST_CR0), cr0);
    axv_x86_64_vmwrite(VMCS(CR0_READ_SHADOW), cr0);
    axv_x86_64_vmwrite(VMCS(CR0_GUEST_HOST_MASK), c->cr0_fixed0 | CR0_PG | CR0_PE);
    axv_x86_64_vmwrite(VMCS(GUEST_CR4), cr4 | CR4_VMXE);
    axv_x86_64_vmwrite(VMCS(CR4_READ_SHADOW), cr4 & ~CR4_VMXE);
    axv_x86_64_vmwrite(VMCS(CR4_GUEST_HOST_MASK), c->cr4_fixed0 | CR4_VMXE);
    axv_x86_64_vmwrite(VMCS(GUEST_CR3), x->boot.cr3);
    axv_x86_64_vmwrite(VMCS(GUEST_IA32_EFER), X(IA32_EFER_LME_MASK) | X(IA32_EFER_LMA_MASK));

    vmcs_segment(VMCS(GUEST_CS_SELECTOR), GDT_CODE64, 0xa09b);
    vmcs_segment(VMCS(GUEST_SS_SELECTOR), GDT_DATA, 0xc093);
    vmcs_segment(VMCS(GUEST_DS_SELECTOR), GDT_DATA, 0xc093);
    vmcs_segment(VMCS(GUEST_ES_SELECTOR), GDT_DATA, 0xc093);
    vmcs_segment(VMCS(GUEST_FS_SELECTOR), GDT_DATA, 0xc093);
    vmcs_segment(VMCS(GUEST_GS_SELECTOR), GDT_DATA, 0xc093);
    vmcs_segment(VMCS(GUEST_LDTR_SELECTOR), 0, 0x10000); /* unusable */
    vmcs_segment(VMCS(GUEST_TR_SELECTOR), x->boot.tr_selector, 0x8b); /* busy 64-bit TSS */
    axv_x86_64_vmwrite(VMCS(GUEST_TR_BASE), x->boot.tr_base);
    axv_x86_64_vmwrite(VMCS(GUEST_TR_LIMIT), 0x67);
    axv_x86_64_vmwrite(VMCS(GUEST_GDTR_BASE), x->boot.gdtr_base);
    axv_x86_64_vmwrite(VMCS(GUEST_GDTR_LIMIT), x->boot.gdtr_base ? x->boot.gdtr_limit : 0xffff);
    axv_x86_64_vmwrite(VMCS(GUEST_IDTR_BASE), 0);
    axv_x86_64_vmwrite(VMCS(GUEST_IDTR_LIMIT), 0xffff);
    vmcs_entry(x);
}

static void vmcs_guest_state(const struct axv_vmx_cpu *c, const struct axv_vmx_vcpu *x)
{
    if (x->boot.real_mode)
        vmcs_guest_state_real(c, x);
    else
        vmcs_guest_state_long(c, x);
    axv_x86_64_vmwrite(VMCS(GUEST_RSP), x->boot.rsp);
    axv_x86_64_vmwrite(VMCS(GUEST_RFLAGS), 0x2);
    axv_x86_64_vmwrite(VMCS(GUEST_DR7), 0x400);
    axv_x86_64_vmwrite(VMCS(GUEST_IA32_DEBUGCTL), 0);
    axv_x86_64_vmwrite(VMCS(GUEST_SYSENTER_CS), 0);
    axv_x86_64_vmwrite(VMCS(GUEST_SYSENTER_ESP), 0);
    axv_x86_64_vmwrite(VMCS(GUEST_SYSENTER_EIP), 0);
    axv_x86_64_vmwrite(VMCS(GUEST_ACTIVITY_STATE), 0);
    axv_x86_64_vmwrite(VMCS(GUEST_INTERRUPTIBILITY_INFO), 0);
    axv_x86_64_vmwrite(VMCS(GUEST_PENDING_DBG_EXCEPTIONS), 0);
    axv_x86_64_vmwrite(VMCS(VMCS_LINK_POINTER), ~UINT64_C(0));
}

static void vmcs_controls(const struct axv_vmx_cpu *c, const struct axv_vmx_vcpu *x)
{
    axv_x86_64_vmwrite(VMCS(PIN_BASED_VM_EXEC_CONTROL), c->pin);
    axv_x86_64_vmwrite(VMCS(CPU_BASED_VM_EXEC_CONTROL), c->proc);
    /* A real-mode guest: unrestricted, and not in IA-32e mode (EFER.LMA = 0). */
    axv_x86_64_vmwrite(VMCS(SECONDARY_VM_EXEC_CONTROL), x->boot.real_mode ? c->proc2_real : c->proc2);
    axv_x86_64_vmwrite(VMCS(VM_EXIT_CONTROLS), c->exit);
    axv_x86_64_vmwrite(VMCS(VM_ENTRY_CONTROLS),
                       x->boot.real_mode ? c->entry & ~(uint32_t)X(VM_ENTRY_CONTROLS_IA32E_MODE_GUEST_MASK)
                                         : c->entry);
    axv_x86_64_vmwrite(VMCS(EXCEPTION_BITMAP), 0);
    axv_x86_64_vmwrite(VMCS(CR3_TARGET_COUNT), 0);
    axv_x86_64_vmwrite(VMCS(VM_EXIT_MSR_STORE_COUNT), 0);
    axv_x86_64_vmwrite(VMCS(VM_EXIT_MSR_LOAD_COUNT), 0);
    axv_x86_64_vmwrite(VMCS(VM_ENTRY_MSR_LOAD_COUNT), 0);
    axv_x86_64_vmwrite(VMCS(VM_ENTRY_INTR_INFO_FIELD), 0);
    axv_x86_64_vmwrite(VMCS(EPT_POINTER), x->eptp);
}

/* ------------------------------------------------------------------- vCPU */
static enum axv_err vmx_create(struct axv_vcpu *v, const void *config)
{
    uint64_t hpa;
    struct axv_vmx_vcpu *x = axv_backend_alloc(v->hal, sizeof(*x), &hpa);

    (void)config;
    if (!x)
        return AXV_ERR_NO_MEMORY;
    x->hpa = hpa;
    x->vmcs = axv_backend_alloc(v->hal, 4096, &x->vmcs_hpa);
    if (!x->vmcs) {
        axv_backend_free(v->hal, hpa, sizeof(*x));
        return AXV_ERR_NO_MEMORY;
    }
    x->frame.r[AXV_X86_64_RDI] = v->vcpu_id; /* first argument: which vCPU this is */
    x->vcpu = v;
    x->frame.slow = SLOW_STATE;
    x->xcr0 = XCR0_X87;
    v->arch = x;
    v->ret_reg = &x->frame.r[AXV_X86_64_RAX]; /* what vmx_set_return_value writes */
    return AXV_OK;
}

static enum axv_err vmx_set_entry(struct axv_vcpu *v, uint64_t gpa)
{
    struct axv_vmx_vcpu *x = vmx_of(v);
    if (x->boot.real_mode && gpa >= REAL_MODE_END)
        return AXV_ERR_INVALID_INPUT;
    x->rip = gpa;
    if (vmcs_live(v, x))
        vmcs_entry(x);
    else
        x->vmcs_ready = false; /* rebuilt at the next bind */
    slow_set(x, SLOW_STATE);
    return AXV_OK;
}

/* EPT: 4 levels, 48-bit guest-physical, write-back paging structures. */
static enum axv_err vmx_set_npt(struct axv_vcpu *v, const struct axv_npt_config *npt)
{
    if (npt->levels != 4 || npt->gpa_bits != 48 || (npt->root & 0xfff))
        return AXV_ERR_INVALID_INPUT;
    vmx_of(v)->ept_root = npt->root;
    vmx_of(v)->eptp = npt->root | (3u << 3) | 6u;
    return AXV_OK;
}

static enum axv_err vmx_setup(struct axv_vcpu *v, const void *config)
{
    const struct axv_x86_64_setup *cfg = config;
    if (!cfg)
        return AXV_ERR_INVALID_INPUT; /* a 64-bit guest needs page tables */
    if (cfg->real_mode ? vmx_of(v)->rip >= REAL_MODE_END : (cfg->cr3 & 0xfff) || (cfg->tr_selector & 7))
        return AXV_ERR_INVALID_INPUT; /* real mode reaches 1 MiB; TR must name a GDT entry at CPL 0 */
    vmx_of(v)->boot = *cfg;
    vmx_of(v)->vmcs_ready = false; /* rebuilt from it at the next bind */
    slow_set(vmx_of(v), SLOW_STATE);
    return AXV_OK;
}

static enum axv_err vmx_bind(struct axv_vcpu *v)
{
    struct axv_vmx_cpu *c = axv_percpu_find(v->hal->cpu_id(v->hal->ctx), &axv_x86_64_ops)->arch;
    struct axv_vmx_vcpu *x = vmx_of(v);

    if (x->boot.real_mode && !c->unrestricted)
        return AXV_ERR_UNSUPPORTED; /* VMX runs real mode only as an unrestricted guest */
    if (!x->vmcs_ready) {
        x->vmcs[0] = c->revision;
        if (!vmclear(x->vmcs_hpa))
            return AXV_ERR_IO;
        x->frame.launched = 0;
        if (c->loaded == x)
            set_loaded(c, NULL); /* VMCLEAR left no current VMCS */
    }
    slow_set(x, SLOW_STATE); /* the first run looks at everything */
    if (c->loaded != x && !vmptrld(x->vmcs_hpa))
        return AXV_ERR_IO;
    set_loaded(c, x);
    x->cpu = c;
    /* Host state is per CPU: written on every bind, as the vCPU may have moved. */
    vmcs_host_state(x);
    if (!x->vmcs_ready) {
        vmcs_controls(c, x);
        vmcs_guest_state(c, x);
        invept_all();
        x->vmcs_ready = true;
    }
    return AXV_OK;
}

static enum axv_err vmx_unbind(struct axv_vcpu *v)
{
    struct axv_vmx_cpu *c = vmx_cpu(v);
    struct axv_vmx_vcpu *x = vmx_of(v);

    /* VMCLEAR writes the VMCS back to memory so another CPU may load it. */
    if (c && c->loaded == x) {
        vmclear(x->vmcs_hpa);
        x->frame.launched = 0;
        set_loaded(c, NULL);
    }
    slow_set(x, SLOW_STATE);
    x->cpu = NULL;
    return AXV_OK;
}

/* ------------------------------------------------------- guest memory walk */
#define PTE_ADDR 0x000ffffffffff000ull
#define PTE_P 1ull
#define PTE_PS (1ull << 7)
#define EPT_RWX 7ull

/* Guest-physical to host-physical through the EPT; ~0 when unmapped. */
static uint64_t ept_translate(const struct axv_vcpu *v, uint64_t gpa)
{
    uint64_t table = vmx_of(v)->ept_root;

    for (int level = 3; level >= 0; level--) {
        const uint64_t *t = v->hal->phys_to_virt(v->hal->ctx, table);
        uint64_t e = t[(gpa >> (12 + 9 * level)) & 511];
        if (!(e & EPT_RWX))
            return ~UINT64_C(0);
        if (level == 0 || (e & PTE_PS)) {
            uint64_t span = UINT64_C(1) << (12 + 9 * level);
            return (e & PTE_ADDR & ~(span - 1)) | (gpa & (span - 1));
        }
        table = e & PTE_ADDR;
    }
    return ~UINT64_C(0);
}

/* Guest-linear to host-physical: the guest's 4-level tables, each through the EPT. */
static uint64_t guest_translate(const struct axv_vcpu *v, uint64_t gla)
{
    uint64_t table = axv_x86_64_vmread(VMCS(GUEST_CR3)) & PTE_ADDR;

    for (int level = 3; level >= 0; level--) {
        uint64_t hpa = ept_translate(v, table);
        if (hpa == ~UINT64_C(0))
            return hpa;
        const uint64_t *t = v->hal->phys_to_virt(v->hal->ctx, hpa);
        uint64_t e = t[(gla >> (12 + 9 * level)) & 511];
        if (!(e & PTE_P))
            return ~UINT64_C(0);
        if (level == 0 || (level < 3 && (e & PTE_PS))) {
            uint64_t span = UINT64_C(1) << (12 + 9 * level);
            return ept_translate(v, (e & PTE_ADDR & ~(span - 1)) | (gla & (span - 1)));
        }
        table = e & PTE_ADDR;
    }
    return ~UINT64_C(0);
}

/* Copies up to n bytes of guest code at rip; returns how many it could read. */
static size_t guest_fetch(const struct axv_vcpu *v, uint64_t rip, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        uint64_t hpa = guest_translate(v, rip + got);
        if (hpa == ~UINT64_C(0))
            break;
        const uint8_t *p = v->hal->phys_to_virt(v->hal->ctx, hpa);
        size_t in_page = 4096 - ((rip + got) & 4095);
        for (size_t i = 0; i < in_page && got < n; i++)
            buf[got++] = p[i];
    }
    return got;
}

/* ---------------------------------------------------------------- decode */
static uint64_t gpr(const struct axv_vmx_vcpu *x, uint8_t reg)
{
    return reg == AXV_X86_64_RSP ? axv_x86_64_vmread(VMCS(GUEST_RSP)) : x->frame.r[reg];
}

/* Only after an exit, with the VMCS current. */
static inline void advance_rip(uint64_t len)
{
    vmwrite_cur(VMCS(GUEST_RIP), vmread_cur(VMCS(GUEST_RIP)) + len);
    /* An emulated instruction ends STI/MOV SS blocking, as executing it would. */
    uint64_t intr = vmread_cur(VMCS(GUEST_INTERRUPTIBILITY_INFO));
    if (__builtin_expect(intr & 3, 0))
        vmwrite_cur(VMCS(GUEST_INTERRUPTIBILITY_INFO), intr & ~UINT64_C(3));
}

static inline void skip_insn(void)
{
    advance_rip(vmread_cur(VMCS(VM_EXIT_INSTRUCTION_LEN)));
}

static void inject_event(struct axv_vmx_vcpu *x, uint64_t info)
{
    axv_x86_64_vmwrite(VMCS(VM_ENTRY_INTR_INFO_FIELD), info);
    x->injecting = true;
}

static void inject_gp(struct axv_vmx_vcpu *x)
{
    axv_x86_64_vmwrite(VMCS(VM_ENTRY_EXCEPTION_ERROR_CODE), 0);
    inject_event(x, VEC_GP | X(VM_ENTRY_INTR_INFO_FIELD_TYPE_HARDWARE_EXCEPTION) << 8 |
                        X(VM_ENTRY_INTR_INFO_FIELD_ERROR_CODE_VALID_MASK) | X(VM_ENTRY_INTR_INFO_FIELD_VALID_MASK));
}

static void vmx_cpuid(struct axv_vmx_vcpu *x)
{
    uint32_t r[4];
    cpuid((uint32_t)x->frame.r[AXV_X86_64_RAX], (uint32_t)x->frame.r[AXV_X86_64_RCX], r);
    if ((uint32_t)x->frame.r[AXV_X86_64_RAX] == 1)
        r[2] = (r[2] & ~CPUID1_ECX_VMX) | CPUID1_ECX_HYPERVISOR; /* no nested VMX */
    x->frame.r[AXV_X86_64_RAX] = r[0];
    x->frame.r[AXV_X86_64_RBX] = r[1];
    x->frame.r[AXV_X86_64_RCX] = r[2];
    x->frame.r[AXV_X86_64_RDX] = r[3];
    skip_insn();
}

static void vmx_xsetbv(struct axv_vmx_vcpu *x)
{
    uint32_t r[4];
    uint64_t value = (x->frame.r[AXV_X86_64_RDX] << 32) | (uint32_t)x->frame.r[AXV_X86_64_RAX];

    cpuid(0xd, 0, r);
    uint64_t supported = ((uint64_t)r[3] << 32) | r[0];
    /* XCR0 only; x87 must stay on, AVX needs SSE, nothing the CPU lacks. */
    if ((uint32_t)x->frame.r[AXV_X86_64_RCX] != 0 || !(value & 1) || (value & ~supported) ||
        ((value & 4) && !(value & 2))) {
        inject_gp(x);
        return;
    }
    x->xcr0 = value; /* loaded at the next entry; the host's comes back at the next delivered exit */
    skip_insn();
}

/* MOV to CR0/CR4 of bits we own: keep the VMX-required ones, show the guest its own. */
static bool vmx_cr_access(const struct axv_vmx_cpu *c, struct axv_vmx_vcpu *x, uint64_t qual)
{
    uint64_t cr = GET(EXIT_QUAL_CR, CR, qual), type = GET(EXIT_QUAL_CR, ACCESS_TYPE, qual);
    uint64_t value = gpr(x, (uint8_t)GET(EXIT_QUAL_CR, GPR, qual));

    if (type != X(EXIT_QUAL_CR_ACCESS_TYPE_MOV_TO_CR) || (cr != 0 && cr != 4))
        return false;
    if (cr == 0) {
        uint64_t real = (value | c->cr0_fixed0) & c->cr0_fixed1;
        if ((value & (CR0_PG | CR0_PE)) != (CR0_PG | CR0_PE)) {
            inject_gp(x); /* leaving long mode is not supported */
            return true;
        }
        axv_x86_64_vmwrite(VMCS(GUEST_CR0), real);
        axv_x86_64_vmwrite(VMCS(CR0_READ_SHADOW), value);
    } else {
        if (value & CR4_VMXE || !(value & CR4_PAE)) {
            inject_gp(x); /* no nested VMX; long mode needs PAE */
            return true;
        }
        axv_x86_64_vmwrite(VMCS(GUEST_CR4), ((value | c->cr4_fixed0) & c->cr4_fixed1) | CR4_VMXE);
        axv_x86_64_vmwrite(VMCS(CR4_READ_SHADOW), value);
    }
    skip_insn();
    return true;
}

/* The hypercall convention's arguments: rdi, rsi, rdx, rcx, r8, r9 (nr in rax). */
static inline void vmx_hypercall_args(const uint64_t *r, uint64_t args[6])
{
    args[0] = r[AXV_X86_64_RDI], args[1] = r[AXV_X86_64_RSI], args[2] = r[AXV_X86_64_RDX];
    args[3] = r[AXV_X86_64_RCX], args[4] = r[AXV_X86_64_R8], args[5] = r[AXV_X86_64_R9];
}

static void vmx_vmcall(struct axv_vmx_vcpu *x, struct axv_exit *e)
{
    const uint64_t *r = x->frame.r;
    uint64_t nr = r[AXV_X86_64_RAX];
    uint64_t args[6];
    vmx_hypercall_args(r, args);
    const struct axv_x86_64_call_info *call = axv_x86_64_call_find(nr);

    skip_insn();
    if (!call || call->exit == AXV_EXIT_HYPERCALL)
        axv_exit_make_hypercall(e, nr, args);
    else if (call->exit == AXV_EXIT_CPU_UP)
        axv_exit_make_cpu_up(e, args[0], args[1], args[2]);
    else if (call->exit == AXV_EXIT_CPU_DOWN)
        axv_exit_make_cpu_down(e, args[0]);
    else if (call->exit == AXV_EXIT_SYSTEM_DOWN)
        axv_exit_make_system_down(e);
    else if (call->exit == AXV_EXIT_SHUTDOWN)
        axv_exit_make_shutdown(e, AXV_SHUTDOWN_REASON_RESET_REQUEST);
    else if (call->exit == AXV_EXIT_SEND_IPI)
        axv_exit_make_send_ipi(e, args[0], 0, args[0] == ~UINT64_C(0), false, args[1]);
    else
        axv_exit_make_hypercall(e, nr, args);
}

/* What a write of the interrupt command register became. */
enum icr_outcome {
    ICR_PLAIN,    /* not an IPI decoded here: the caller makes the plain write exit */
    ICR_EXIT,     /* cpu_up or send_ipi made */
    ICR_ABSORBED, /* INIT, or a STARTUP the target ignores: the guest goes on, no exit */
};

/*
 * An IPI the guest sent: icr in the x2APIC layout (the xAPIC one widened to
 * it); broadcast is the destination that names every APIC in this mode.
 * INIT and STARTUP are remembered and matched here, per target, because no
 * generic exit says "INIT" and a STARTUP needs the INIT before it: only the
 * STARTUP that would start a CPU reaches the VMM, as cpu_up.
 */
static enum icr_outcome vmx_icr(struct axv_vmx_vcpu *x, struct axv_exit *e, uint64_t icr, uint64_t broadcast)
{
    uint64_t mode = GET(IA32_X2APIC_ICR, DELIVERY_MODE, icr);
    uint64_t vector = GET(IA32_X2APIC_ICR, VECTOR, icr);
    uint64_t shorthand = GET(IA32_X2APIC_ICR, DESTINATION_SHORTHAND, icr);
    uint64_t dest = GET(IA32_X2APIC_ICR, DESTINATION, icr);
    bool physical = GET(IA32_X2APIC_ICR, DESTINATION_MODE, icr) == X(IA32_X2APIC_ICR_DESTINATION_MODE_PHYSICAL);
    bool none = shorthand == X(IA32_X2APIC_ICR_DESTINATION_SHORTHAND_NONE);
    bool one = none && physical && dest != broadcast; /* one target, by APIC id */

    if (mode == X(IA32_X2APIC_ICR_DELIVERY_MODE_FIXED)) {
        if (one)
            axv_exit_make_send_ipi(e, dest, 0, false, false, vector);
        else if (shorthand == X(IA32_X2APIC_ICR_DESTINATION_SHORTHAND_SELF))
            axv_exit_make_send_ipi(e, ~UINT64_C(0), 0, false, true, vector);
        else if (shorthand == X(IA32_X2APIC_ICR_DESTINATION_SHORTHAND_ALL_EXCLUDING_SELF))
            axv_exit_make_send_ipi(e, ~UINT64_C(0), 0, true, false, vector);
        else if (physical) /* all including self, by shorthand or broadcast */
            axv_exit_make_send_ipi(e, ~UINT64_C(0), 0, true, true, vector);
        else
            return ICR_PLAIN; /* a logical destination: only the VMM's APIC model knows who */
        return ICR_EXIT;
    }
    bool init = mode == X(IA32_X2APIC_ICR_DELIVERY_MODE_INIT);
    if ((!init && mode != X(IA32_X2APIC_ICR_DELIVERY_MODE_STARTUP)) || !one || dest >= APIC_IDS)
        return ICR_PLAIN;
    uint64_t *waiting = &x->wait_sipi[dest / 64], bit = UINT64_C(1) << (dest % 64);
    if (init) {
        /* The legacy INIT level de-assert (level 0, level-triggered) resets nothing. */
        if (GET(IA32_X2APIC_ICR, LEVEL, icr) != X(IA32_X2APIC_ICR_LEVEL_DEASSERT) ||
            GET(IA32_X2APIC_ICR, TRIGGER_MODE, icr) != X(IA32_X2APIC_ICR_TRIGGER_MODE_LEVEL))
            *waiting |= bit;
        return ICR_ABSORBED;
    }
    if (!(*waiting & bit))
        return ICR_ABSORBED; /* no INIT before it, or its SIPI came already: a running CPU ignores SIPIs */
    *waiting &= ~bit;
    axv_exit_make_cpu_up(e, dest, PREP(SIPI_START_ADDRESS, PAGE, vector), 0);
    return ICR_EXIT;
}

static void vmx_port_io(struct axv_vmx_vcpu *x, struct axv_exit *e, uint64_t qual)
{
    static const uint8_t widths[8] = {1, 2, 0, 4, 0, 0, 0, 0};
    uint8_t width = widths[GET(EXIT_QUAL_IO, SIZE, qual) & 7];
    uint16_t port = (uint16_t)GET(EXIT_QUAL_IO, PORT, qual);

    if ((qual & (X(EXIT_QUAL_IO_STRING_MASK) | X(EXIT_QUAL_IO_REP_MASK))) || !width) {
        axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_UNDECODABLE_INSN, qual);
        return; /* INS/OUTS are not emulated; RIP stays on the instruction */
    }
    skip_insn();
    if (GET(EXIT_QUAL_IO, DIRECTION, qual) == X(EXIT_QUAL_IO_DIRECTION_IN)) {
        axv_exit_make_io_read(e, port, width);
        x->read = READ_IO;
    } else {
        uint64_t data = x->frame.r[AXV_X86_64_RAX];
        axv_exit_make_io_write(e, port, width, data & ((UINT64_C(1) << (8 * width)) - 1));
    }
}

/*
 * A store to the xAPIC page (the default one: a guest that moves it through
 * IA32_APIC_BASE gets plain MMIO there): the ICR high half is remembered,
 * the low half sends. False when the store is an IPI absorbed here.
 */
static bool vmx_xapic_store(struct axv_vmx_vcpu *x, struct axv_exit *e, uint64_t gpa, uint64_t data)
{
    uint64_t offset = GET(XAPIC_MMIO_ADDRESS, OFFSET, gpa);

    if (offset == X(XAPIC_MMIO_ADDRESS_OFFSET_ICR_HIGH)) {
        x->xapic_icr_high = (uint32_t)data; /* and the VMM sees the write too */
    } else if (offset == X(XAPIC_MMIO_ADDRESS_OFFSET_ICR_LOW)) {
        uint64_t icr = PREP(IA32_X2APIC_ICR, DESTINATION, GET(XAPIC_ICR_HIGH, DESTINATION, x->xapic_icr_high)) |
                       (uint32_t)data;
        enum icr_outcome o = vmx_icr(x, e, icr, X(XAPIC_ICR_HIGH_DESTINATION_BROADCAST));
        if (o != ICR_PLAIN)
            return o == ICR_EXIT;
    }
    axv_exit_make_mmio_write(e, gpa, sizeof(uint32_t), data);
    return true;
}

/* False when the exit was handled here (an absorbed xAPIC IPI); *gpa: the faulting address. */
static bool vmx_ept_violation(const struct axv_vcpu *v, struct axv_vmx_vcpu *x, struct axv_exit *e, uint64_t qual,
                              uint64_t *gpa_out)
{
    uint64_t gpa = *gpa_out = axv_x86_64_vmread(VMCS(GUEST_PHYSICAL_ADDRESS));
    bool write = (qual & X(EXIT_QUAL_EPT_WRITE_MASK)) != 0;
    uint32_t flags = write ? AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_WRITE : AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_READ;
    uint8_t bytes[15];
    struct axv_vmx_mov m;

    if (qual & X(EXIT_QUAL_EPT_FETCH_MASK)) {
        axv_exit_make_nested_page_fault(e, gpa, AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_EXECUTE);
        return true;
    }
    if (x->boot.real_mode) {
        /* The decoder and the page walk are 64-bit mode's. */
        axv_exit_make_nested_page_fault(e, gpa, flags);
        return true;
    }
    uint64_t rip = axv_x86_64_vmread(VMCS(GUEST_RIP));
    size_t n = guest_fetch(v, rip, bytes, sizeof(bytes));
    if (!axv_vmx_decode_mov(bytes, n, &m) || m.store != write) {
        axv_exit_make_nested_page_fault(e, gpa, flags); /* not an access we emulate */
        return true;
    }
    advance_rip(m.len);
    if (m.store) {
        uint64_t data = m.has_imm ? m.imm : gpr(x, m.reg);
        if (m.width < 8)
            data &= (UINT64_C(1) << (8 * m.width)) - 1;
        if (m.width == sizeof(uint32_t) && GET(XAPIC_MMIO_ADDRESS, PAGE, gpa) == X(XAPIC_MMIO_ADDRESS_PAGE_RESET))
            return vmx_xapic_store(x, e, gpa, data);
        axv_exit_make_mmio_write(e, gpa, m.width, data);
    } else {
        axv_exit_make_mmio_read(e, gpa, m.width, m.reg, m.reg_width, m.sign_extend);
        x->read = READ_MMIO;
    }
    return true;
}

/* gpa: the EPT path's (the only exits that have one), else 0. */
static void vmx_raw(struct axv_exit *e, uint64_t reason, uint64_t qual, uint64_t gpa)
{
    e->raw.source = AXV_RAW_SOURCE_VMX;
    e->raw.code = reason;
    e->raw.qual = qual;
    e->raw.addr = gpa;
    /* Undefined for VMCALL: 0 there, as the short path (switch.S) gives. */
    e->raw.insn = (reason & X(VM_EXIT_REASON_BASIC_MASK)) == X(EXIT_VMCALL)
                      ? 0
                      : axv_x86_64_vmread(VMCS(VMX_INSTRUCTION_INFO));
}

static void window_exiting(const struct axv_vmx_cpu *c, bool on)
{
    uint32_t proc = c->proc | (on ? (uint32_t)X(CPU_BASED_VM_EXEC_CONTROL_INTERRUPT_WINDOW_EXITING_MASK) : 0);
    axv_x86_64_vmwrite(VMCS(CPU_BASED_VM_EXEC_CONTROL), proc);
}

/* False when the exit was handled here and the guest re-enters. */
static bool vmx_decode(struct axv_vcpu *v, const struct axv_vmx_cpu *c, struct axv_vmx_vcpu *x, struct axv_exit *e,
                       uint64_t reason)
{
    uint64_t basic = reason & X(VM_EXIT_REASON_BASIC_MASK);
    uint64_t qual = axv_x86_64_vmread(VMCS(EXIT_QUALIFICATION));
    uint64_t gpa = 0;
    bool deliver = true;

    switch (axv_x86_64_exit_route(basic)) {
    case AXV_X86_64_ROUTE_VMCALL:
        vmx_vmcall(x, e);
        break;
    case AXV_X86_64_ROUTE_PORT_IO:
        vmx_port_io(x, e, qual);
        break;
    case AXV_X86_64_ROUTE_EPT_VIOLATION:
        deliver = vmx_ept_violation(v, x, e, qual, &gpa);
        break;
    case AXV_X86_64_ROUTE_MSR_READ:
        axv_exit_make_sys_reg_read(e, (uint32_t)x->frame.r[AXV_X86_64_RCX], AXV_X86_64_RAX);
        x->read = READ_MSR;
        skip_insn();
        break;
    case AXV_X86_64_ROUTE_MSR_WRITE: {
        uint32_t msr = (uint32_t)x->frame.r[AXV_X86_64_RCX];
        uint64_t value = (x->frame.r[AXV_X86_64_RDX] << 32) | (uint32_t)x->frame.r[AXV_X86_64_RAX];
        enum icr_outcome o = msr == X(IA32_X2APIC_ICR_MSR)
                                 ? vmx_icr(x, e, value, X(IA32_X2APIC_ICR_DESTINATION_BROADCAST))
                                 : ICR_PLAIN;
        if (o == ICR_PLAIN)
            axv_exit_make_sys_reg_write(e, msr, value);
        deliver = o != ICR_ABSORBED;
        skip_insn();
        break;
    }
    case AXV_X86_64_ROUTE_EXT_INT: {
        uint64_t info = axv_x86_64_vmread(VMCS(VM_EXIT_INTR_INFO));
        axv_exit_make_external_interrupt(e, (info & X(VM_EXIT_INTR_INFO_VALID_MASK))
                                                 ? info & X(VM_EXIT_INTR_INFO_VECTOR_MASK)
                                                 : (v->hal->irq_fetch ? v->hal->irq_fetch(v->hal->ctx) : 0));
        break;
    }
    case AXV_X86_64_ROUTE_TRIPLE_FAULT:
        axv_exit_make_shutdown(e, AXV_SHUTDOWN_REASON_TRIPLE_FAULT);
        break;
    case AXV_X86_64_ROUTE_FAIL_ENTRY:
        axv_exit_make_fail_entry(e, reason);
        break;
    case AXV_X86_64_ROUTE_CPUID:
        vmx_cpuid(x);
        deliver = false;
        break;
    case AXV_X86_64_ROUTE_XSETBV:
        vmx_xsetbv(x);
        deliver = false;
        break;
    case AXV_X86_64_ROUTE_CR_ACCESS:
        deliver = !vmx_cr_access(c, x, qual);
        if (deliver)
            axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_EMULATION_FAILED, qual);
        break;
    case AXV_X86_64_ROUTE_INTERRUPT_WINDOW:
        window_exiting(c, false); /* the pending interrupt goes in at the next entry */
        deliver = false;
        break;
    case AXV_X86_64_ROUTE_SIPI:
        axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_EXIT, reason);
        break;
    case AXV_X86_64_ROUTE_DIRECT:
        e->kind = axv_x86_64_exit_direct(basic);
        if (e->kind == AXV_EXIT_HALT)
            skip_insn();
        break;
    case AXV_X86_64_ROUTE_UNHANDLED:
        axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_EXIT, reason);
        break;
    }
    if (deliver)
        vmx_raw(e, reason, qual, gpa);
    return deliver;
}

/* After an exit during event delivery: the event goes in again at the next entry. */
static void vmx_redeliver(struct axv_vmx_vcpu *x)
{
    uint64_t idt = axv_x86_64_vmread(VMCS(IDT_VECTORING_INFO_FIELD));

    if (!(idt & X(IDT_VECTORING_INFO_FIELD_VALID_MASK)))
        return;
    inject_event(x, idt & ~X(VM_EXIT_INTR_INFO_NMI_UNBLOCKING_IRET_MASK));
    if (idt & X(IDT_VECTORING_INFO_FIELD_ERROR_CODE_VALID_MASK))
        axv_x86_64_vmwrite(VMCS(VM_ENTRY_EXCEPTION_ERROR_CODE), axv_x86_64_vmread(VMCS(IDT_VECTORING_ERROR_CODE)));
    axv_x86_64_vmwrite(VMCS(VM_ENTRY_INSTRUCTION_LEN), axv_x86_64_vmread(VMCS(VM_EXIT_INSTRUCTION_LEN)));
}

/* Injects a pending interrupt when the guest can take it, else asks for the interrupt-window exit. */
static void vmx_events(const struct axv_vmx_cpu *c, struct axv_vmx_vcpu *x)
{
    /* The hint goes down before the vectors are looked at (a full barrier):
     * a vector set meanwhile raises it again, and the next entry comes here. */
    __atomic_fetch_and(&x->frame.slow, ~SLOW_IRQ, __ATOMIC_SEQ_CST);
    if (!axv_irq_pending_any(&x->pending))
        return;
    if (!x->injecting) {
        bool open = (axv_x86_64_vmread(VMCS(GUEST_RFLAGS)) & RFLAGS_IF) &&
                    !(axv_x86_64_vmread(VMCS(GUEST_INTERRUPTIBILITY_INFO)) & 3);
        if (!open) {
            window_exiting(c, true);
        } else {
            int vector = axv_irq_pending_take(&x->pending);
            if (vector >= 0)
                inject_event(x, (uint32_t)vector | X(VM_ENTRY_INTR_INFO_FIELD_VALID_MASK));
        }
    }
    if (axv_irq_pending_any(&x->pending))
        slow_set(x, SLOW_IRQ); /* still waiting: every entry looks again */
}

/* Gives the host back its XCR0 (the descriptor-table limits are the exit path's, in switch.S). */
static void host_state_restore(struct axv_vmx_cpu *c)
{
    if (c->cur_xcr0 != c->host_xcr0) {
        xcr0_write(c->host_xcr0);
        c->cur_xcr0 = c->host_xcr0;
    }
}

/* Before going back to the caller: whether the next run may take the short path. */
static void vmx_slow_refresh(const struct axv_vmx_cpu *c, struct axv_vmx_vcpu *x)
{
    if (c->loaded == x && x->frame.launched && x->xcr0 == c->host_xcr0 && !x->injecting && x->read == READ_NONE)
        __atomic_fetch_and(&x->frame.slow, ~SLOW_STATE, __ATOMIC_SEQ_CST);
    else
        slow_set(x, SLOW_STATE);
}

/* An exit goes to the caller: the host's XCR0 back, and whether the next run may take the short path. */
static void vmx_exit_deliver(struct axv_vmx_cpu *c, struct axv_vmx_vcpu *x)
{
    host_state_restore(c);
    vmx_slow_refresh(c, x);
}

static struct axv_vmx_vcpu *vmx_of_frame(uintptr_t frame)
{
    return (struct axv_vmx_vcpu *)(frame - offsetof(struct axv_vmx_vcpu, frame));
}

/* VMfail: nothing ran; the VM-instruction error says why. */
static __attribute__((noinline, cold)) enum axv_err vmx_entry_failed(struct axv_vmx_vcpu *x)
{
    struct axv_exit *e = x->out;
    uint64_t err = axv_x86_64_vmread(VMCS(VM_INSTRUCTION_ERROR));

    axv_exit_make_fail_entry(e, err);
    e->raw.source = AXV_RAW_SOURCE_VMX;
    e->raw.code = ~UINT64_C(0);
    e->raw.qual = err;
    vmx_exit_deliver(x->cpu, x);
    return AXV_OK;
}

/* After a real exit (not a failed entry, which neither launches the VMCS nor delivers the event). */
static void vmx_exit_entered(struct axv_vmx_vcpu *x)
{
    x->frame.launched = 1;
    if (x->injecting) {
        axv_x86_64_vmwrite(VMCS(VM_ENTRY_INTR_INFO_FIELD), 0); /* delivered by the entry */
        x->injecting = false;
    }
    vmx_redeliver(x); /* the fields an event's delivery writes are only valid after a real exit */
}

/* Any exit: true when it goes to the caller (x->out filled, host state back), false to re-enter. */
static __attribute__((noinline)) bool vmx_exit(struct axv_vmx_vcpu *x, uint64_t reason)
{
    if (!(reason & X(VM_EXIT_REASON_ENTRY_FAILURE_MASK)))
        vmx_exit_entered(x);
    if (!vmx_decode(x->vcpu, x->cpu, x, x->out, reason))
        return false;
    vmx_exit_deliver(x->cpu, x);
    return true;
}

/*
 * The general run loop: loads the VMCS, injects, switches XCR0, and
 * re-enters after exits handled here. ops->run (axv_vmx_run, switch.S)
 * and ops->run_handled (axv_vmx_run_handled) come here whenever the slow
 * word is not 0, and otherwise take the short path: the VMCS is current here and launched, no interrupt waits, nothing
 * is being injected, no read is open, and the guest's XCR0 is the host's,
 * so nothing is switched either way; it hands every exit but a plain
 * hypercall to axv_vmx_run_exit. switch.S finishes a plain hypercall (the
 * exit a VMM loop sees most) on either path, as vmx_vmcall would: here
 * axv_vmx_enter returns 0 for it, and only the bookkeeping is left.
 */
enum axv_err axv_vmx_run_slow(struct axv_vcpu *v, struct axv_exit *e)
{
    struct axv_vmx_vcpu *x = vmx_of(v);
    struct axv_vmx_cpu *c = vmx_cpu(v);

    if (!c)
        return AXV_ERR_BAD_STATE;
    if (c->loaded != x) { /* another vCPU bound to this CPU ran last */
        if (!vmptrld(x->vmcs_hpa))
            return AXV_ERR_IO;
        set_loaded(c, x);
    }
    x->cpu = c;
    x->read = READ_NONE;
    x->out = e;
    for (;;) {
        vmx_events(c, x);
        if (x->xcr0 != c->cur_xcr0) {
            xcr0_write(x->xcr0);
            c->cur_xcr0 = x->xcr0;
        }
        uintptr_t r = axv_vmx_enter(&x->frame, e);
        if (r == 0) { /* a plain hypercall, finished in switch.S */
            vmx_exit_entered(x);
            vmx_exit_deliver(c, x);
            return AXV_OK;
        }
        if (r & 1)
            return vmx_entry_failed(x);
        if (vmx_exit(x, vmread_cur(VMCS(VM_EXIT_REASON))))
            return AXV_OK;
    }
}

/* An exit of the short path but a plain hypercall: vmx_exit, then the general loop if it re-enters. */
enum axv_err axv_vmx_run_exit(struct axv_vmx_frame *frame, struct axv_exit *e, uint64_t reason)
{
    struct axv_vmx_vcpu *x = vmx_of_frame((uintptr_t)frame);

    x->out = e;
    if (vmx_exit(x, reason))
        return AXV_OK;
    return axv_vmx_run_slow(x->vcpu, e);
}

enum axv_err axv_vmx_run_failed(struct axv_vmx_frame *frame, struct axv_exit *e)
{
    struct axv_vmx_vcpu *x = vmx_of_frame((uintptr_t)frame);

    x->out = e;
    return vmx_entry_failed(x);
}

static enum axv_err vmx_set_gpr(struct axv_vcpu *v, uint32_t reg, uint64_t value)
{
    struct axv_vmx_vcpu *x = vmx_of(v);
    if (reg == AXV_X86_64_RSP) {
        if (vmcs_live(v, x))
            axv_x86_64_vmwrite(VMCS(GUEST_RSP), value);
        else
            x->boot.rsp = value;
        return AXV_OK;
    }
    x->frame.r[reg] = value;
    return AXV_OK;
}

static enum axv_err vmx_set_return_value(struct axv_vcpu *v, uint64_t value)
{
    vmx_of(v)->frame.r[AXV_X86_64_RAX] = value;
    return AXV_OK;
}

static enum axv_err vmx_inject_interrupt(struct axv_vcpu *v, uint32_t vector)
{
    struct axv_vmx_vcpu *x = vmx_of(v);
    if (vector < 32)
        return AXV_ERR_INVALID_INPUT; /* 0..31 are exceptions, not interrupts */
    enum axv_err err = (enum axv_err)axv_irq_pending_set(&x->pending, vector);
    if (err == AXV_OK)
        slow_set(x, SLOW_IRQ); /* after the vector: see vmx_events */
    return err;
}

/* Writes a loaded value the way the instruction would: 32-bit results zero bits 63:32. */
static void merge_reg(uint64_t *reg, uint8_t reg_width, uint64_t value)
{
    if (reg_width >= 4) {
        *reg = reg_width == 4 ? (uint32_t)value : value;
    } else {
        uint64_t mask = (UINT64_C(1) << (8 * reg_width)) - 1;
        *reg = (*reg & ~mask) | (value & mask);
    }
}

static enum axv_err vmx_complete_read(struct axv_vcpu *v, const struct axv_exit_read_shape *shape, uint64_t value)
{
    struct axv_vmx_vcpu *x = vmx_of(v);
    uint64_t *r = x->frame.r;

    switch (x->read) {
    case READ_IO:
        merge_reg(&r[AXV_X86_64_RAX], shape->width, value);
        break;
    case READ_MSR:
        r[AXV_X86_64_RAX] = (uint32_t)value;
        r[AXV_X86_64_RDX] = value >> 32;
        break;
    case READ_MMIO:
        if (shape->reg == AXV_X86_64_RSP) {
            uint64_t rsp = axv_x86_64_vmread(VMCS(GUEST_RSP));
            merge_reg(&rsp, shape->reg_width, value);
            axv_x86_64_vmwrite(VMCS(GUEST_RSP), rsp);
        } else {
            merge_reg(&r[shape->reg & 15], shape->reg_width, value);
        }
        break;
    case READ_NONE:
        return AXV_ERR_BAD_STATE;
    }
    x->read = READ_NONE;
    return AXV_OK;
}

static enum axv_err vmx_destroy(struct axv_vcpu *v)
{
    struct axv_vmx_vcpu *x = vmx_of(v);
    struct axv_vmx_cpu *c = vmx_cpu(v);

    if (c && c->loaded == x) {
        vmclear(x->vmcs_hpa);
        set_loaded(c, NULL);
    }
    v->arch = NULL;
    axv_backend_free(v->hal, x->vmcs_hpa, 4096);
    axv_backend_free(v->hal, x->hpa, sizeof(*x));
    return AXV_OK;
}

uint64_t axv_x86_64_get_gpr(const struct axv_vcpu *v, uint32_t reg)
{
    if (!v || !v->arch || reg >= 16)
        return 0;
    const struct axv_vmx_vcpu *x = vmx_of(v);
    if (reg == AXV_X86_64_RSP)
        return vmcs_live(v, x) ? axv_x86_64_vmread(VMCS(GUEST_RSP)) : x->boot.rsp;
    return x->frame.r[reg];
}

uint64_t axv_x86_64_get_rip(const struct axv_vcpu *v)
{
    if (!v || !v->arch)
        return 0;
    const struct axv_vmx_vcpu *x = vmx_of(v);
    return vmcs_live(v, x) ? axv_x86_64_vmread(VMCS(GUEST_RIP)) : entry_ip(x);
}

const struct axv_arch_ops axv_x86_64_ops = {
    .name = "x86_64",
    .num_gprs = 16,
    .trusted_exits = true, /* widths from tables (1/2/4/8), registers from 4-bit fields: always valid shapes */
    .percpu_init = vmx_percpu_init,
    .hardware_enable = vmx_hardware_enable,
    .hardware_disable = vmx_hardware_disable,
    .is_enabled = vmx_is_enabled,
    .percpu_fini = vmx_percpu_fini,
    .create = vmx_create,
    .set_entry = vmx_set_entry,
    .set_npt = vmx_set_npt,
    .setup = vmx_setup,
    .bind = vmx_bind,
    .unbind = vmx_unbind,
    .run = axv_vmx_run,
    .run_handled = axv_vmx_run_handled,
    .set_gpr = vmx_set_gpr,
    .inject_interrupt = vmx_inject_interrupt,
    .set_return_value = vmx_set_return_value,
    .complete_read = vmx_complete_read,
    .destroy = vmx_destroy,
};
