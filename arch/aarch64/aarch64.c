/*
 * The aarch64 backend's ops: per-CPU EL2 setup, vCPU state, the run loop
 * and exit decode. Register layouts and exception classes come from the
 * generated tables (the YAML under spec/arch/aarch64/), never from literals.
 */
#include <stdbool.h>
#include <stddef.h>

#include "axv/aarch64.h"
#include "axv/backend.h"
#include "context.h"

#define R(reg, field) AXV_AARCH64_##reg##_##field
#define GET(reg, field, v) AXV_AARCH64_FIELD_GET(reg, field, v)
#define PREP(reg, field, v) AXV_AARCH64_FIELD_PREP(reg, field, v)

_Static_assert(offsetof(struct axv_a64_frame, host_sp) % 16 == 0 && offsetof(struct axv_a64_frame, host_regs) % 16 == 0,
               "the frame's register pairs are 16-byte aligned (EL2 data accesses are to Device memory)");
_Static_assert(sizeof(struct axv_a64_frame) <= 504, "switch.S reaches every frame field with an ldp/stp offset");

/* EL1 (and EL0 thread) state switched when another vCPU is loaded. */
struct axv_a64_el1 {
    uint64_t sctlr, cpacr, ttbr0, ttbr1, tcr, esr, afsr0, afsr1, far, par, mair, amair, vbar;
    uint64_t contextidr, tpidr_el1, tpidr_el0, tpidrro, cntkctl, sp_el1, elr_el1, spsr_el1;
    uint64_t cntv_ctl, cntv_cval;
    uint64_t fp[66];
};

/* Bits of frame.work: why the next entry cannot go straight in. */
#define A64_WORK_LOAD 1u /* not loaded on its CPU (or may not be): EL1 state, stage 2 and the
                          * registers context.h keeps live (ELR, SPSR, SP_EL0, HCR) must be written */
#define A64_WORK_IRQ 2u  /* the pending set changed: HCR_EL2.VI (frame.hcr) must be recomputed */
#define A64_WORK_PC 4u   /* frame.elr changed off the exit path: ELR_EL2 must be written */

struct axv_a64_vcpu {
    struct axv_a64_frame frame;  /* first (page aligned): the world switch's hot data, SP while in the guest */
    struct axv_vcpu *v;          /* back from the frame the exit handlers get */
    uint64_t vttbr;
    uint64_t vtcr;
    uint64_t vmpidr;
    uint64_t hcr_base;
    struct axv_irq_pending pending; /* injected, not yet acknowledged */
    uint64_t hpa;
    struct axv_a64_el1 el1;
};

/* Per physical CPU: what the backend changed, and which vCPU is loaded (its
 * EL1 state, stage 2, and what context.h keeps in registers). */
struct axv_a64_cpu {
    uint64_t saved_vbar;
    uint64_t saved_hcr;
    uint64_t saved_cptr;
    struct axv_a64_vcpu *loaded;
    uint16_t next_vmid;
    uint16_t vmid_limit;
    uint64_t hpa;
};

/* The EL2 configuration every guest runs with (more per vCPU via setup). */
#define A64_HCR_GUEST (R(HCR_EL2, VM_MASK) | R(HCR_EL2, RW_MASK) | R(HCR_EL2, IMO_MASK) | R(HCR_EL2, FMO_MASK) | \
                       R(HCR_EL2, AMO_MASK) | R(HCR_EL2, TSC_MASK) | R(HCR_EL2, TWI_MASK) | R(HCR_EL2, TWE_MASK) | \
                       R(HCR_EL2, FB_MASK) | R(HCR_EL2, BSU_MASK))
void __attribute__((weak)) axv_aarch64_host_exception(uint64_t esr, uint64_t elr, uint64_t far)
{
    (void)esr, (void)elr, (void)far;
}

static void a64_unload(struct axv_a64_cpu *c);

static struct axv_a64_vcpu *a64_of(const struct axv_vcpu *v)
{
    return (struct axv_a64_vcpu *)v->arch;
}

/* ----------------------------------------------------------------- per CPU */
static enum axv_err a64_percpu_init(struct axv_percpu *pc)
{
    uint64_t hpa;
    struct axv_a64_cpu *c = axv_backend_alloc(pc->hal, sizeof(*c), &hpa);

    if (!c)
        return AXV_ERR_NO_MEMORY;
    c->hpa = hpa;
    c->next_vmid = 1; /* VMID 0 is left to the host */
    c->vmid_limit = GET(ID_AA64MMFR1_EL1, VMIDBITS, axv_aarch64_read_id_aa64mmfr1_el1()) == 2 ? 0xffff : 0xff;
    pc->arch = c;
    return AXV_OK;
}

static void a64_percpu_fini(struct axv_percpu *pc)
{
    struct axv_a64_cpu *c = pc->arch;

    pc->arch = NULL;
    if (c)
        axv_backend_free(pc->hal, c->hpa, sizeof(*c));
}

static enum axv_err a64_hardware_enable(struct axv_percpu *pc)
{
    struct axv_a64_cpu *c = pc->arch;

    __asm__ volatile("mrs %0, CurrentEL" : "=r"(c->saved_hcr));
    if (((c->saved_hcr >> 2) & 3) != 2)
        return AXV_ERR_UNSUPPORTED; /* not at EL2: no virtualization here */
    c->saved_vbar = axv_aarch64_read_vbar_el2();
    c->saved_hcr = axv_aarch64_read_hcr_el2();
    c->saved_cptr = axv_aarch64_read_cptr_el2();
    /* No vCPU is loaded here (init leaves none, disable unloads and a
     * second enable is refused), so nothing relies on the HCR_EL2 below. */
    axv_aarch64_write_vbar_el2((uint64_t)(uintptr_t)axv_a64_vectors);
    /* EL1 and EL2 may use FP/SIMD: guests' FP state is switched with their EL1 state. */
    axv_aarch64_write_cptr_el2(R(CPTR_EL2, RES1));
    /* The guest may read the physical counter and use the physical timer. */
    axv_aarch64_write_cnthctl_el2(R(CNTHCTL_EL2, EL1PCTEN_MASK) | R(CNTHCTL_EL2, EL1PCEN_MASK));
    axv_aarch64_write_cntvoff_el2(0);
    axv_aarch64_write_mdcr_el2(0);
    axv_aarch64_write_hcr_el2(R(HCR_EL2, RW_MASK));
    __asm__ volatile("isb");
    return AXV_OK;
}

static enum axv_err a64_hardware_disable(struct axv_percpu *pc)
{
    struct axv_a64_cpu *c = pc->arch;

    /* First, while FP is still untrapped: the loaded vCPU keeps its EL1 and
     * FP state, and its next entry (after an enable) loads it again. */
    a64_unload(c);
    axv_aarch64_write_hcr_el2(c->saved_hcr);
    axv_aarch64_write_cptr_el2(c->saved_cptr);
    axv_aarch64_write_vttbr_el2(0);
    axv_aarch64_write_vbar_el2(c->saved_vbar);
    __asm__ volatile("isb");
    return AXV_OK;
}

static bool a64_is_enabled(const struct axv_percpu *pc)
{
    (void)pc;
    return axv_aarch64_read_vbar_el2() == (uint64_t)(uintptr_t)axv_a64_vectors;
}

/* --------------------------------------------------------------- EL1 state */
static void a64_el1_save(struct axv_a64_el1 *s)
{
    s->sctlr = axv_aarch64_read_sctlr_el1();
    s->cpacr = axv_aarch64_read_cpacr_el1();
    s->ttbr0 = axv_aarch64_read_ttbr0_el1();
    s->ttbr1 = axv_aarch64_read_ttbr1_el1();
    s->tcr = axv_aarch64_read_tcr_el1();
    s->esr = axv_aarch64_read_esr_el1();
    s->afsr0 = axv_aarch64_read_afsr0_el1();
    s->afsr1 = axv_aarch64_read_afsr1_el1();
    s->far = axv_aarch64_read_far_el1();
    s->par = axv_aarch64_read_par_el1();
    s->mair = axv_aarch64_read_mair_el1();
    s->amair = axv_aarch64_read_amair_el1();
    s->vbar = axv_aarch64_read_vbar_el1();
    s->contextidr = axv_aarch64_read_contextidr_el1();
    s->tpidr_el1 = axv_aarch64_read_tpidr_el1();
    s->tpidr_el0 = axv_aarch64_read_tpidr_el0();
    s->tpidrro = axv_aarch64_read_tpidrro_el0();
    s->cntkctl = axv_aarch64_read_cntkctl_el1();
    s->sp_el1 = axv_aarch64_read_sp_el1();
    s->elr_el1 = axv_aarch64_read_elr_el1();
    s->spsr_el1 = axv_aarch64_read_spsr_el1();
    s->cntv_ctl = axv_aarch64_read_cntv_ctl_el0();
    s->cntv_cval = axv_aarch64_read_cntv_cval_el0();
    axv_a64_fp_save(s->fp);
}

static void a64_el1_load(const struct axv_a64_el1 *s)
{
    axv_aarch64_write_sctlr_el1(s->sctlr);
    axv_aarch64_write_cpacr_el1(s->cpacr);
    axv_aarch64_write_ttbr0_el1(s->ttbr0);
    axv_aarch64_write_ttbr1_el1(s->ttbr1);
    axv_aarch64_write_tcr_el1(s->tcr);
    axv_aarch64_write_esr_el1(s->esr);
    axv_aarch64_write_afsr0_el1(s->afsr0);
    axv_aarch64_write_afsr1_el1(s->afsr1);
    axv_aarch64_write_far_el1(s->far);
    axv_aarch64_write_par_el1(s->par);
    axv_aarch64_write_mair_el1(s->mair);
    axv_aarch64_write_amair_el1(s->amair);
    axv_aarch64_write_vbar_el1(s->vbar);
    axv_aarch64_write_contextidr_el1(s->contextidr);
    axv_aarch64_write_tpidr_el1(s->tpidr_el1);
    axv_aarch64_write_tpidr_el0(s->tpidr_el0);
    axv_aarch64_write_tpidrro_el0(s->tpidrro);
    axv_aarch64_write_cntkctl_el1(s->cntkctl);
    axv_aarch64_write_sp_el1(s->sp_el1);
    axv_aarch64_write_elr_el1(s->elr_el1);
    axv_aarch64_write_spsr_el1(s->spsr_el1);
    axv_aarch64_write_cntv_ctl_el0(s->cntv_ctl);
    axv_aarch64_write_cntv_cval_el0(s->cntv_cval);
    axv_a64_fp_restore(s->fp);
}

/* Saves the loaded vCPU's EL1 state and the guest registers it keeps live
 * (SPSR_EL2, SP_EL0: context.h), if any, and leaves none loaded; its next
 * entry reloads it (A64_WORK_LOAD). ELR and HCR need no saving: the frame
 * has them. */
static void a64_unload(struct axv_a64_cpu *c)
{
    struct axv_a64_vcpu *old = c->loaded;

    if (old) {
        a64_el1_save(&old->el1);
        old->frame.spsr = axv_aarch64_read_spsr_el2();
        old->frame.sp_el0 = axv_aarch64_read_sp_el0();
        __atomic_fetch_or(&old->frame.work, A64_WORK_LOAD, __ATOMIC_RELAXED);
        c->loaded = NULL;
    }
}

/* Makes vCPU a the one whose EL1 state, stage 2 and live guest registers
 * are in the hardware. */
static void a64_load(struct axv_a64_cpu *c, struct axv_a64_vcpu *a)
{
    if (c->loaded != a) {
        a64_unload(c);
        a64_el1_load(&a->el1);
        axv_aarch64_write_vtcr_el2(a->vtcr);
        axv_aarch64_write_vttbr_el2(a->vttbr);
        axv_aarch64_write_vmpidr_el2(a->vmpidr);
        axv_aarch64_write_vpidr_el2(GET(MIDR_EL1, MIDR, axv_aarch64_read_midr_el1()));
        axv_aarch64_write_spsr_el2(a->frame.spsr);
        axv_aarch64_write_sp_el0(a->frame.sp_el0);
        axv_aarch64_write_elr_el2(a->frame.elr);
        axv_aarch64_write_hcr_el2(a->frame.hcr);
        __asm__ volatile("isb");
        c->loaded = a;
    }
    __atomic_fetch_and(&a->frame.work, ~A64_WORK_LOAD, __ATOMIC_RELAXED);
}

static struct axv_a64_cpu *a64_cpu(const struct axv_vcpu *v)
{
    return v->pcpu ? (struct axv_a64_cpu *)v->pcpu->arch : NULL;
}

/* ------------------------------------------------------------------- vCPU */
static enum axv_err a64_create(struct axv_vcpu *v, const void *config)
{
    const struct axv_aarch64_vcpu_config *cfg = config;
    uint64_t hpa;
    struct axv_a64_vcpu *a = axv_backend_alloc(v->hal, sizeof(*a), &hpa);

    if (!a)
        return AXV_ERR_NO_MEMORY;
    a->hpa = hpa;
    uint64_t aff = cfg ? cfg->mpidr : v->vcpu_id;
    a->vmpidr = R(VMPIDR_EL2, RES1) | (aff & (R(VMPIDR_EL2, AFF0_MASK) | R(VMPIDR_EL2, AFF1_MASK) |
                                               R(VMPIDR_EL2, AFF2_MASK) | R(VMPIDR_EL2, AFF3_MASK)));
    a->frame.spsr = AXV_A64_SPSR_EL1H_MASKED;
    a->hcr_base = A64_HCR_GUEST;
    a->frame.hcr = A64_HCR_GUEST;
    a->frame.work = A64_WORK_LOAD; /* not bound anywhere yet */
    a->v = v;
    /* EL1 after reset: MMU and caches off, FP usable at EL1. */
    a->el1.sctlr = 0x30d00800u; /* the architectural RES1 bits of SCTLR_EL1 */
    a->el1.cpacr = 3u << 20;    /* FPEN */
    v->arch = a;
    v->ret_reg = &a->frame.x[0]; /* what axv_a64_set_return_value writes */
    return AXV_OK;
}

static enum axv_err a64_set_entry(struct axv_vcpu *v, uint64_t gpa)
{
    struct axv_a64_vcpu *a = a64_of(v);

    if (gpa & 3)
        return AXV_ERR_INVALID_INPUT; /* A64 instructions are word aligned */
    /* The vCPU may be loaded, with its ELR_EL2 live: the next entry writes it. */
    a->frame.elr = gpa;
    __atomic_fetch_or(&a->frame.work, A64_WORK_PC, __ATOMIC_RELAXED);
    return AXV_OK;
}

/* Stage-2 geometry: 4 KiB granule, IPA 2^gpa_bits, a walk of `levels` levels. */
static enum axv_err a64_set_npt(struct axv_vcpu *v, const struct axv_npt_config *npt)
{
    struct axv_a64_vcpu *a = a64_of(v);
    uint64_t parange = GET(ID_AA64MMFR0_EL1, PARANGE, axv_aarch64_read_id_aa64mmfr0_el1());
    static const uint8_t pa_bits[] = {32, 36, 40, 42, 44, 48, 52};

    if (npt->root & 0xfff || npt->levels < 2 || npt->levels > 4 || npt->gpa_bits < 32 || npt->gpa_bits > 48)
        return AXV_ERR_INVALID_INPUT;
    if (parange >= sizeof(pa_bits) || npt->gpa_bits > pa_bits[parange])
        return AXV_ERR_UNSUPPORTED; /* the CPU cannot translate that many IPA bits */
    /* SL0 (4 KiB granule): 0 starts at level 2, 1 at level 1, 2 at level 0. */
    uint64_t sl0 = (uint64_t)npt->levels - 2;
    a->vtcr = R(VTCR_EL2, RES1) | PREP(VTCR_EL2, T0SZ, 64u - npt->gpa_bits) | PREP(VTCR_EL2, SL0, sl0) |
              PREP(VTCR_EL2, IRGN0, R(VTCR_EL2, IRGN0_WBWA)) | PREP(VTCR_EL2, ORGN0, R(VTCR_EL2, ORGN0_WBWA)) |
              PREP(VTCR_EL2, SH0, R(VTCR_EL2, SH0_INNER)) | PREP(VTCR_EL2, TG0, R(VTCR_EL2, TG0_G4K)) |
              PREP(VTCR_EL2, PS, parange);
    a->vttbr = npt->root & R(VTTBR_EL2, BADDR_MASK);
    return AXV_OK;
}

static enum axv_err a64_setup(struct axv_vcpu *v, const void *config)
{
    const struct axv_aarch64_setup *cfg = config;
    struct axv_a64_vcpu *a = a64_of(v);

    if (cfg) {
        a->frame.x[0] = cfg->x0;
        a->hcr_base |= cfg->hcr_extra;
        __atomic_fetch_or(&a->frame.work, A64_WORK_IRQ, __ATOMIC_RELAXED); /* recomputes frame.hcr */
    }
    return AXV_OK;
}

static enum axv_err a64_bind(struct axv_vcpu *v)
{
    struct axv_a64_cpu *c = axv_percpu_find(v->hal->cpu_id(v->hal->ctx), &axv_aarch64_ops)->arch;
    struct axv_a64_vcpu *a = a64_of(v);

    /* A VMID per binding; when they run out, start over with a clean TLB. */
    if (!GET(VTTBR_EL2, VMID, a->vttbr)) {
        if (c->next_vmid > c->vmid_limit) {
            c->next_vmid = 1;
            __asm__ volatile("dsb ishst; tlbi vmalls12e1is; dsb ish; isb");
        }
        a->vttbr |= PREP(VTTBR_EL2, VMID, c->next_vmid++);
    }
    a64_load(c, a);
    return AXV_OK;
}

static enum axv_err a64_unbind(struct axv_vcpu *v)
{
    struct axv_a64_cpu *c = a64_cpu(v);
    struct axv_a64_vcpu *a = a64_of(v);

    if (c && c->loaded == a)
        a64_unload(c);
    __atomic_fetch_or(&a->frame.work, A64_WORK_LOAD, __ATOMIC_RELAXED);
    return AXV_OK;
}

/* ---------------------------------------------------------------- decode */
static uint64_t a64_reg(const struct axv_a64_vcpu *a, uint64_t r)
{
    return r < 31 ? a->frame.x[r] : 0; /* 31 is xzr in these encodings */
}

static void a64_raw(struct axv_exit *e, uint64_t esr, uint64_t far, uint64_t ipa, uint64_t pc)
{
    e->raw.source = AXV_RAW_SOURCE_AARCH64;
    e->raw.code = esr;
    e->raw.qual = far;
    e->raw.addr = ipa;
    e->raw.insn = pc;
}

/* Moves the guest past the trapped instruction. Only on the exit path, on
 * the CPU where the vCPU is loaded: ELR_EL2 is live (context.h). */
static void a64_skip_insn(struct axv_a64_vcpu *a)
{
    a->frame.elr += 4;
    axv_aarch64_write_elr_el2(a->frame.elr);
}

static uint64_t a64_fault_ipa(void)
{
    uint64_t hpfar = axv_aarch64_read_hpfar_el2();
    return (GET(HPFAR_EL2, FIPA, hpfar) << 12) | (axv_aarch64_read_far_el2() & 0xfffu);
}

/* A call the backend answers itself; returns false if it is not one. */
static bool a64_answer(struct axv_a64_vcpu *a, const struct axv_aarch64_call_info *call)
{
    uint64_t *x = a->frame.x;

    switch (call->id) {
    case AXV_AARCH64_CALL_PSCI_VERSION:
        x[0] = AXV_AARCH64_PSCI_VERSION_1_1;
        return true;
    case AXV_AARCH64_CALL_PSCI_MIGRATE_INFO_TYPE:
        x[0] = 2; /* trusted OS not present */
        return true;
    case AXV_AARCH64_CALL_PSCI_FEATURES:
        x[0] = axv_aarch64_call_find(x[1]) ? AXV_AARCH64_PSCI_SUCCESS : AXV_AARCH64_PSCI_NOT_SUPPORTED;
        return true;
    case AXV_AARCH64_CALL_IRQ_ACK:
        int vector = axv_irq_pending_take(&a->pending);
        x[0] = vector < 0 ? AXV_AARCH64_PSCI_NOT_SUPPORTED : (uint64_t)vector;
        /* The virtual IRQ line drops at the next entry if that was the last. */
        __atomic_fetch_or(&a->frame.work, A64_WORK_IRQ, __ATOMIC_RELAXED);
        return true;
    default:
        x[0] = AXV_AARCH64_PSCI_NOT_SUPPORTED;
        return true;
    }
}

/* HVC or trapped SMC: a PSCI call, a call answered here, or a hypercall.
 * Returns false when answered (re-enter the guest without an exit). */
static bool a64_call(struct axv_a64_vcpu *a, struct axv_exit *e)
{
    const uint64_t *x = a->frame.x;
    const struct axv_aarch64_call_info *call = axv_aarch64_call_find(x[0]);

    if (call && call->answered)
        return !a64_answer(a, call);
    enum axv_exit_kind kind = call ? call->exit : AXV_EXIT_HYPERCALL;
    if (kind == AXV_EXIT_CPU_UP)
        axv_exit_make_cpu_up(e, x[1], x[2], x[3]);
    else if (kind == AXV_EXIT_CPU_DOWN)
        axv_exit_make_cpu_down(e, 0);
    else if (kind == AXV_EXIT_SYSTEM_DOWN)
        axv_exit_make_system_down(e);
    else if (kind == AXV_EXIT_SHUTDOWN)
        axv_exit_make_shutdown(e, AXV_SHUTDOWN_REASON_RESET_REQUEST);
    else if (kind == AXV_EXIT_HALT)
        axv_exit_make_halt(e);
    else
        axv_exit_make_hypercall(e, x[0], &x[1]);
    return true;
}

static void a64_sysreg(struct axv_a64_vcpu *a, uint64_t iss, struct axv_exit *e)
{
    uint64_t key = (GET(ISS_SYSREG, OP0, iss) << 14) | (GET(ISS_SYSREG, OP1, iss) << 11) |
                   (GET(ISS_SYSREG, CRN, iss) << 7) | (GET(ISS_SYSREG, CRM, iss) << 3) | GET(ISS_SYSREG, OP2, iss);
    uint64_t rt = GET(ISS_SYSREG, RT, iss);
    bool read = GET(ISS_SYSREG, DIRECTION, iss) == R(ISS_SYSREG, DIRECTION_READ);

    if (!read && key == AXV_AARCH64_ICC_SGI1R_EL1_KEY) {
        uint64_t v = a64_reg(a, rt);
        uint64_t target = (GET(ICC_SGI1R_EL1, AFF1, v) << 8) | (GET(ICC_SGI1R_EL1, AFF2, v) << 16) |
                          (GET(ICC_SGI1R_EL1, AFF3, v) << 32);
        axv_exit_make_send_ipi(e, target, GET(ICC_SGI1R_EL1, TARGETLIST, v), GET(ICC_SGI1R_EL1, IRM, v) != 0, false,
                               GET(ICC_SGI1R_EL1, INTID, v));
    } else if (read) {
        axv_exit_make_sys_reg_read(e, (uint32_t)key, (uint8_t)rt);
    } else {
        axv_exit_make_sys_reg_write(e, (uint32_t)key, a64_reg(a, rt));
    }
    a64_skip_insn(a);
}

static void a64_dabt(struct axv_a64_vcpu *a, uint64_t iss, struct axv_exit *e)
{
    uint64_t ipa = a64_fault_ipa();
    bool write = GET(ISS_DABT, WNR, iss);

    if (!GET(ISS_DABT, ISV, iss) || GET(ISS_DABT, S1PTW, iss)) {
        /* No syndrome (e.g. a load pair, or a stage-1 walk hit no memory): not emulable. */
        axv_exit_make_nested_page_fault(e, ipa, write ? AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_WRITE
                                                      : AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_READ);
        return;
    }
    uint8_t width = (uint8_t)(1u << GET(ISS_DABT, SAS, iss));
    uint64_t srt = GET(ISS_DABT, SRT, iss);
    if (write) {
        uint64_t data = a64_reg(a, srt);
        if (width < 8)
            data &= (UINT64_C(1) << (8 * width)) - 1;
        axv_exit_make_mmio_write(e, ipa, width, data);
    } else {
        axv_exit_make_mmio_read(e, ipa, width, (uint8_t)srt, GET(ISS_DABT, SF, iss) ? 8 : 4,
                                GET(ISS_DABT, SSE, iss) != 0);
    }
    a64_skip_insn(a);
}

/* One exit's decode; false when handled here and the guest should re-enter. */
static bool a64_decode_sync(struct axv_a64_vcpu *a, struct axv_exit *e, uint64_t esr)
{
    uint64_t ec = GET(ESR_EL2, EC, esr);
    uint64_t iss = GET(ESR_EL2, ISS, esr);
    uint64_t pc = a->frame.elr;
    bool deliver = true;

    switch (axv_aarch64_exit_route(ec)) {
    case AXV_AARCH64_ROUTE_WFX:
        if (GET(ISS_WFX, TI, iss) == R(ISS_WFX, TI_WFI))
            axv_exit_make_halt(e);
        else
            axv_exit_make_idle(e);
        a64_skip_insn(a);
        break;
    case AXV_AARCH64_ROUTE_SMC:
        a64_skip_insn(a); /* a trapped SMC returns to itself; HVC already points past */
        deliver = a64_call(a, e);
        break;
    case AXV_AARCH64_ROUTE_HVC:
        deliver = a64_call(a, e);
        break;
    case AXV_AARCH64_ROUTE_SYSREG:
        a64_sysreg(a, iss, e);
        break;
    case AXV_AARCH64_ROUTE_DABT:
        a64_dabt(a, iss, e);
        break;
    case AXV_AARCH64_ROUTE_IABT:
        axv_exit_make_nested_page_fault(e, a64_fault_ipa(), AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_EXECUTE);
        break;
    case AXV_AARCH64_ROUTE_UNDEFINED_INSN:
        axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_UNDECODABLE_INSN, esr);
        break;
    case AXV_AARCH64_ROUTE_DIRECT:
        e->kind = axv_aarch64_exit_direct(ec);
        break;
    case AXV_AARCH64_ROUTE_UNHANDLED:
        axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_TRAP, esr);
        break;
    }
    /* FAR_EL2 holds an address only for aborts and PC alignment faults (it is
     * UNKNOWN otherwise); HPFAR_EL2 only for stage-2 aborts. */
    bool abort = ec == AXV_AARCH64_EXIT_DABT_LOW || ec == AXV_AARCH64_EXIT_IABT_LOW;
    uint64_t far = abort || ec == AXV_AARCH64_EXIT_PC_ALIGN ? axv_aarch64_read_far_el2() : 0;
    a64_raw(e, esr, far, abort ? a64_fault_ipa() : 0, pc);
    return deliver;
}

static struct axv_a64_vcpu *a64_of_frame(struct axv_a64_frame *f)
{
    _Static_assert(offsetof(struct axv_a64_vcpu, frame) == 0, "the frame is the vCPU's first member");
    return (struct axv_a64_vcpu *)(void *)f;
}

/* Whatever A64_WORK_* asks before an entry: load the vCPU, write ELR_EL2,
 * recompute HCR_EL2.VI. Off the hot path (work is 0 almost always). Runs
 * on the CPU the vCPU is bound to (run's), so what it writes is live. */
static enum axv_err a64_prepare(struct axv_a64_vcpu *a)
{
    /* Clear the bits before reading the pending set (a full barrier between):
     * an injection whose bit this read misses sets A64_WORK_IRQ after the
     * exchange, so the next entry comes here again. */
    uint32_t work = __atomic_exchange_n(&a->frame.work, 0, __ATOMIC_SEQ_CST);

    if (work & A64_WORK_LOAD) {
        struct axv_a64_cpu *c = a64_cpu(a->v);
        if (!c) {
            __atomic_fetch_or(&a->frame.work, work, __ATOMIC_RELAXED);
            return AXV_ERR_BAD_STATE; /* not bound */
        }
        a64_load(c, a); /* another vCPU ran here since, or the first entry */
    }
    /* Whatever the bits: this path is cold, and one write covers A64_WORK_PC. */
    axv_aarch64_write_elr_el2(a->frame.elr);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    bool irq = axv_irq_pending_any(&a->pending);
    a->frame.hcr = a->hcr_base | (irq ? R(HCR_EL2, VI_MASK) : 0);
    axv_aarch64_write_hcr_el2(a->frame.hcr); /* the ERET synchronizes it */
    return AXV_OK;
}

/*
 * A synchronous exit other than a hypercall outside the call table's id
 * span (switch.S fills those in itself), entered from the vector with
 * axv_a64_run's caller's registers and stack back in place and ESR_EL2 as
 * the vector read it. Returns to that caller, or resumes the guest when
 * the exit was answered here.
 */
enum axv_err axv_a64_exit_sync(struct axv_a64_frame *f, struct axv_exit *e, uint64_t esr)
{
    struct axv_a64_vcpu *a = a64_of_frame(f);

    if (a64_decode_sync(a, e, esr))
        return AXV_OK;
    if (__atomic_load_n(&f->work, __ATOMIC_RELAXED)) {
        enum axv_err err = a64_prepare(a);
        if (err)
            return err;
    }
    axv_a64_resume(f);
}

/* Entered from the IRQ, FIQ and SError guest-exit vectors, like axv_a64_exit_sync. */
enum axv_err axv_a64_exit_async(struct axv_a64_frame *f, struct axv_exit *e, enum axv_a64_reason why)
{
    const struct axv_hal *hal = a64_of_frame(f)->v->hal;

    if (why == AXV_A64_IRQ || why == AXV_A64_FIQ) {
        uint64_t n = hal->irq_fetch ? hal->irq_fetch(hal->ctx) : 0;
        axv_exit_make_external_interrupt(e, n);
    } else {
        axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_TRAP, axv_aarch64_read_esr_el2());
    }
    a64_raw(e, axv_aarch64_read_esr_el2(), 0, 0, f->elr);
    return AXV_OK;
}

/* axv_a64_run_op found work to do before the entry. */
enum axv_err axv_a64_run_slow(struct axv_a64_frame *f, struct axv_exit *e)
{
    enum axv_err err = a64_prepare(a64_of_frame(f));

    return err ? err : axv_a64_run(f, e);
}

static enum axv_err a64_set_gpr(struct axv_vcpu *v, uint32_t reg, uint64_t value)
{
    if (reg < 31)
        a64_of(v)->frame.x[reg] = value; /* 31 is xzr: writes vanish */
    return AXV_OK;
}

static enum axv_err a64_inject_interrupt(struct axv_vcpu *v, uint32_t vector)
{
    struct axv_a64_vcpu *a = a64_of(v);
    int err = axv_irq_pending_set(&a->pending, vector);

    if (!err) {
        /* After the bit (see a64_prepare): the next entry raises HCR_EL2.VI. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        __atomic_fetch_or(&a->frame.work, A64_WORK_IRQ, __ATOMIC_SEQ_CST);
    }
    return (enum axv_err)err;
}

static enum axv_err a64_complete_read(struct axv_vcpu *v, const struct axv_exit_read_shape *shape, uint64_t value)
{
    struct axv_a64_vcpu *a = a64_of(v);

    if (shape->has_reg && shape->reg < 31)
        a->frame.x[shape->reg] = value; /* reads into xzr are discarded */
    return AXV_OK;
}

static enum axv_err a64_destroy(struct axv_vcpu *v)
{
    struct axv_a64_vcpu *a = a64_of(v);
    struct axv_a64_cpu *c = a64_cpu(v);

    if (c && c->loaded == a)
        c->loaded = NULL;
    v->arch = NULL;
    axv_backend_free(v->hal, a->hpa, sizeof(*a));
    return AXV_OK;
}

uint64_t axv_aarch64_get_gpr(const struct axv_vcpu *v, uint32_t reg)
{
    return v && v->arch ? a64_reg(a64_of(v), reg) : 0;
}

uint64_t axv_aarch64_get_pc(const struct axv_vcpu *v)
{
    return v && v->arch ? a64_of(v)->frame.elr : 0;
}

const struct axv_arch_ops axv_aarch64_ops = {
    .name = "aarch64",
    .num_gprs = 32,
    .trusted_exits = true, /* built by constructors from ISS fields that are in range by width */
    .percpu_init = a64_percpu_init,
    .hardware_enable = a64_hardware_enable,
    .hardware_disable = a64_hardware_disable,
    .is_enabled = a64_is_enabled,
    .percpu_fini = a64_percpu_fini,
    .create = a64_create,
    .set_entry = a64_set_entry,
    .set_npt = a64_set_npt,
    .setup = a64_setup,
    .bind = a64_bind,
    .unbind = a64_unbind,
    .run = axv_a64_run_op,
    .set_gpr = a64_set_gpr,
    .inject_interrupt = a64_inject_interrupt,
    .set_return_value = axv_a64_set_return_value,
    .complete_read = a64_complete_read,
    .destroy = a64_destroy,
};
