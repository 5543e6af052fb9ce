/*
 * The riscv64 backend's ops: HS-mode setup, vCPU state, the run loop and
 * exit decode. CSR layouts, trap causes and SBI ids come from the generated
 * tables (the YAML under spec/arch/riscv64/).
 */
#include <stdbool.h>
#include <stddef.h>

#include "axv/backend.h"
#include "axv/riscv64.h"
#include "context.h"

#define R(reg, field) AXV_RISCV64_##reg##_##field
#define GET(reg, field, v) AXV_RISCV64_FIELD_GET(reg, field, v)
#define PREP(reg, field, v) AXV_RISCV64_FIELD_PREP(reg, field, v)

#define SBI_KEY(eid, fid) (((uint64_t)(eid) << 32) | (uint32_t)(fid))
#define GPR_A0 10
#define GPR_A6 16
#define GPR_A7 17

/* Off the round trip: kept out of line, away from the hot code. */
#define RV_COLD __attribute__((noinline, cold))

/* Exceptions the guest handles itself (hedeleg): misaligned fetch,
 * illegal instruction, breakpoint, misaligned and faulting loads/stores,
 * U-mode ecall, page faults. */
#define RV_HEDELEG ((1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 6) | (1u << 8) | (1u << 12) | \
                    (1u << 13) | (1u << 15))
/* VS-level interrupts go straight to the guest. */
#define RV_HIDELEG ((1u << 2) | (1u << 6) | (1u << 10))

struct axv_rv_vs {
    uint64_t vsstatus, vsie, vstvec, vsscratch, vsepc, vscause, vstval, vsatp, vstimecmp;
    uint64_t fp[33];              /* f0..f31, fcsr */
};

/* Bits of frame.work: why the next entry cannot go straight in (one load
 * per entry instead of the loaded check and all of pending's words). */
#define RV_WORK_LOAD 1u /* not loaded on its hart (or may not be): VS state, hgatp, hvip.VSEIP */
#define RV_WORK_IRQ 2u  /* set (after the bit) by every injection: hvip.VSEIP must be synced */
#define RV_WORK_VU 4u   /* resumed in VU-mode: a hypercall exit must put VS back (rv_resume_in) */

struct axv_rv_vcpu {
    struct axv_rv_frame frame;    /* first: the world switch's hot data */
    uint64_t hgatp;
    struct axv_irq_pending pending; /* injected, not yet acknowledged */
    struct axv_vcpu *vcpu;        /* the owner, for the out-of-line decode */
    uint64_t hpa;
    struct axv_rv_vs vs;
};
_Static_assert(offsetof(struct axv_rv_vcpu, frame) == 0, "axv_rv_run_slow gets r from its frame");

struct axv_rv_cpu {
    struct axv_rv_vcpu *loaded;
    uint16_t next_vmid;
    bool enabled;
    bool sstc;
    bool fp;                      /* the hart has F/D: guests' FP state is switched */
    uint64_t hpa;
};

static struct axv_rv_vcpu *rv_of(const struct axv_vcpu *v)
{
    return (struct axv_rv_vcpu *)v->arch;
}

/* c's loaded vCPU, if any, is no longer: its next entry loads it again. */
static void rv_unload(struct axv_rv_cpu *c)
{
    if (c->loaded) {
        __atomic_fetch_or(&c->loaded->frame.work, RV_WORK_LOAD, __ATOMIC_RELAXED);
        c->loaded = NULL;
    }
}

/* ----------------------------------------------------------------- per CPU */
static enum axv_err rv_percpu_init(struct axv_percpu *pc)
{
    uint64_t hpa;
    struct axv_rv_cpu *c = axv_backend_alloc(pc->hal, sizeof(*c), &hpa);

    if (!c)
        return AXV_ERR_NO_MEMORY;
    c->hpa = hpa;
    c->next_vmid = 1;
    pc->arch = c;
    return AXV_OK;
}

static void rv_percpu_fini(struct axv_percpu *pc)
{
    struct axv_rv_cpu *c = pc->arch;
    pc->arch = NULL;
    if (c)
        axv_backend_free(pc->hal, c->hpa, sizeof(*c));
}

static enum axv_err rv_hardware_enable(struct axv_percpu *pc)
{
    struct axv_rv_cpu *c = pc->arch;

    /* Without the H extension hgatp reads as zero whatever is written. */
    axv_riscv64_write_hgatp(PREP(HGATP, MODE, R(HGATP, MODE_SV39X4)));
    if (GET(HGATP, MODE, axv_riscv64_read_hgatp()) != R(HGATP, MODE_SV39X4))
        return AXV_ERR_UNSUPPORTED;
    axv_riscv64_write_hgatp(0);
    axv_riscv64_write_hedeleg(RV_HEDELEG);
    axv_riscv64_write_hideleg(RV_HIDELEG);
    axv_riscv64_write_hvip(0);
    /* The guest reads time itself (else rdtime traps) and owns its timer (Sstc). */
    axv_riscv64_write_hcounteren(R(HCOUNTEREN, CY_MASK) | R(HCOUNTEREN, TM_MASK) | R(HCOUNTEREN, IR_MASK));
    axv_riscv64_write_henvcfg(R(HENVCFG, STCE_MASK));
    c->sstc = (axv_riscv64_read_henvcfg() & R(HENVCFG, STCE_MASK)) != 0;
    axv_riscv64_write_htimedelta(0);
    /* FP state is switched only if FS is on for HS (OpenSBI leaves it on when the hart has F/D). */
    c->fp = GET(SSTATUS, FS, axv_riscv64_read_sstatus()) != 0;
    c->enabled = true;
    return AXV_OK;
}

static enum axv_err rv_hardware_disable(struct axv_percpu *pc)
{
    struct axv_rv_cpu *c = pc->arch;

    axv_riscv64_write_hgatp(0);
    axv_riscv64_write_hedeleg(0);
    axv_riscv64_write_hideleg(0);
    axv_riscv64_write_hvip(0);
    axv_riscv64_write_henvcfg(0);
    c->enabled = false;
    rv_unload(c); /* none is: disable needs every vCPU unbound */
    return AXV_OK;
}

static bool rv_is_enabled(const struct axv_percpu *pc)
{
    const struct axv_rv_cpu *c = pc->arch;
    /* Ask the hart: our delegation must still be in place. */
    return c && c->enabled && axv_riscv64_read_hedeleg() == RV_HEDELEG;
}

/* ---------------------------------------------------------------- VS state */
static void rv_vs_save(struct axv_rv_vs *s, bool sstc, bool fp)
{
    if (fp)
        axv_rv_fp_save(s->fp);
    s->vsstatus = axv_riscv64_read_vsstatus();
    s->vsie = axv_riscv64_read_vsie();
    s->vstvec = axv_riscv64_read_vstvec();
    s->vsscratch = axv_riscv64_read_vsscratch();
    s->vsepc = axv_riscv64_read_vsepc();
    s->vscause = axv_riscv64_read_vscause();
    s->vstval = axv_riscv64_read_vstval();
    s->vsatp = axv_riscv64_read_vsatp();
    if (sstc)
        s->vstimecmp = axv_riscv64_read_vstimecmp();
}

static void rv_vs_load(const struct axv_rv_vs *s, bool sstc, bool fp)
{
    if (fp)
        axv_rv_fp_restore(s->fp);
    axv_riscv64_write_vsstatus(s->vsstatus);
    axv_riscv64_write_vsie(s->vsie);
    axv_riscv64_write_vstvec(s->vstvec);
    axv_riscv64_write_vsscratch(s->vsscratch);
    axv_riscv64_write_vsepc(s->vsepc);
    axv_riscv64_write_vscause(s->vscause);
    axv_riscv64_write_vstval(s->vstval);
    axv_riscv64_write_vsatp(s->vsatp);
    if (sstc)
        axv_riscv64_write_vstimecmp(s->vstimecmp);
}

/* hvip.VSEIP as r's pending vectors say. hvip belongs to the hart, not to
 * a vCPU, so it is set afresh whenever another vCPU is loaded; after that
 * only an injection (RV_WORK_IRQ) or the guest's IRQ_ACK can change it. */
static void rv_sync_vseip(struct axv_rv_vcpu *r)
{
    uint64_t hvip = axv_riscv64_read_hvip();
    if (axv_irq_pending_any(&r->pending))
        axv_riscv64_write_hvip(hvip | R(HVIP, VSEIP_MASK));
    else
        axv_riscv64_write_hvip(hvip & ~R(HVIP, VSEIP_MASK));
}

/* An injection since the last entry. The read-modify-write orders the
 * clear before the reads of pending: an injection those reads miss sets
 * RV_WORK_IRQ again after its bit, so the next entry sees it. */
static RV_COLD void rv_irq_kicked(struct axv_rv_vcpu *r)
{
    (void)__atomic_fetch_and(&r->frame.work, ~(uint64_t)RV_WORK_IRQ, __ATOMIC_SEQ_CST);
    rv_sync_vseip(r);
}

static RV_COLD void rv_switch_to(struct axv_rv_cpu *c, struct axv_rv_vcpu *r)
{
    if (c->loaded)
        rv_vs_save(&c->loaded->vs, c->sstc, c->fp);
    rv_unload(c);
    rv_vs_load(&r->vs, c->sstc, c->fp);
    axv_riscv64_write_hgatp(r->hgatp);
    c->loaded = r;
    rv_irq_kicked(r); /* the previous vCPU's VSEIP is not this one's */
}

/* Inline: every bind checks, and may find the vCPU loaded. */
static inline void rv_load(struct axv_rv_cpu *c, struct axv_rv_vcpu *r)
{
    if (c->loaded != r)
        rv_switch_to(c, r);
    __atomic_fetch_and(&r->frame.work, ~(uint64_t)RV_WORK_LOAD, __ATOMIC_RELAXED);
}

static struct axv_rv_cpu *rv_cpu(const struct axv_vcpu *v)
{
    return v->pcpu ? (struct axv_rv_cpu *)v->pcpu->arch : NULL;
}

/* ------------------------------------------------------------------- vCPU */
static enum axv_err rv_create(struct axv_vcpu *v, const void *config)
{
    uint64_t hpa;
    struct axv_rv_vcpu *r = axv_backend_alloc(v->hal, sizeof(*r), &hpa);

    (void)config;
    if (!r)
        return AXV_ERR_NO_MEMORY;
    r->hpa = hpa;
    r->vcpu = v;
    r->frame.exit_vec = (uint64_t)(uintptr_t)axv_rv_exit;
    r->frame.x[GPR_A0] = v->vcpu_id; /* a0 = hart id at entry */
    /* sret enters VS-mode: SPP = S, and with hstatus.SPV the virtualization mode. */
    /* FS stays as the host has it: on (the guest may use FP, switched per vCPU) or off (it traps). */
    r->frame.sstatus = R(SSTATUS, SPP_MASK) | (axv_riscv64_read_sstatus() & R(SSTATUS, FS_MASK));
    r->frame.hstatus = R(HSTATUS, SPV_MASK) | R(HSTATUS, SPVP_MASK) | R(HSTATUS, VTW_MASK) |
                       PREP(HSTATUS, VSXL, 2);
    r->vs.vstimecmp = ~UINT64_C(0); /* no timer until the guest sets one */
    r->frame.work = RV_WORK_LOAD;   /* not bound anywhere yet */
    v->arch = r;
    v->ret_reg = &r->frame.x[GPR_A0]; /* what rv_set_return_value writes */
    return AXV_OK;
}

static enum axv_err rv_set_entry(struct axv_vcpu *v, uint64_t gpa)
{
    if (gpa & 1)
        return AXV_ERR_INVALID_INPUT;
    rv_of(v)->frame.sepc = gpa;
    return AXV_OK;
}

/* G-stage: Sv39x4 (3 levels, 41-bit guest-physical) with a 16 KiB root. */
static enum axv_err rv_set_npt(struct axv_vcpu *v, const struct axv_npt_config *npt)
{
    if (npt->levels != 3 || npt->gpa_bits != 41 || (npt->root & 0x3fff))
        return AXV_ERR_INVALID_INPUT; /* only Sv39x4 so far */
    rv_of(v)->hgatp = PREP(HGATP, MODE, R(HGATP, MODE_SV39X4)) | PREP(HGATP, PPN, npt->root >> 12);
    return AXV_OK;
}

static enum axv_err rv_setup(struct axv_vcpu *v, const void *config)
{
    const struct axv_riscv64_setup *cfg = config;
    if (cfg)
        rv_of(v)->frame.x[GPR_A0 + 1] = cfg->a1;
    return AXV_OK;
}

static enum axv_err rv_bind(struct axv_vcpu *v)
{
    struct axv_rv_cpu *c = axv_percpu_find(v->hal->cpu_id(v->hal->ctx), &axv_riscv64_ops)->arch;
    struct axv_rv_vcpu *r = rv_of(v);

    if (!GET(HGATP, VMID, r->hgatp)) {
        if (c->next_vmid > 0x3fff) { /* 14-bit VMIDs ran out: start over with a clean TLB */
            c->next_vmid = 1;
            axv_rv_hfence_gvma_all();
        }
        r->hgatp |= PREP(HGATP, VMID, c->next_vmid++);
    }
    rv_load(c, r);
    return AXV_OK;
}

static enum axv_err rv_unbind(struct axv_vcpu *v)
{
    struct axv_rv_cpu *c = rv_cpu(v);
    struct axv_rv_vcpu *r = rv_of(v);

    if (c && c->loaded == r) {
        rv_vs_save(&r->vs, c->sstc, c->fp);
        c->loaded = NULL;
    }
    __atomic_fetch_or(&r->frame.work, RV_WORK_LOAD, __ATOMIC_RELAXED);
    return AXV_OK;
}

/* ---------------------------------------------------------------- decode */
static void rv_raw(struct axv_exit *e, const struct axv_rv_frame *f, uint64_t scause)
{
    e->raw.source = AXV_RAW_SOURCE_RISCV64;
    e->raw.code = scause;
    e->raw.qual = f->stval;
    e->raw.addr = f->htval << 2;
    e->raw.insn = f->htinst;
}

static inline bool rv_is_hypercall_eid(uint64_t eid)
{
    return eid - AXV_RISCV64_HYPERCALL_EID_FIRST <= AXV_RISCV64_HYPERCALL_EID_LAST - AXV_RISCV64_HYPERCALL_EID_FIRST;
}

/* SBI calls answered here: a0 = error, a1 = value. */
static void rv_answer(struct axv_rv_vcpu *r, const struct axv_riscv64_call_info *call, bool sstc)
{
    uint64_t *x = r->frame.x;
    uint64_t err = 0, val = 0;

    switch (call->id) {
    case AXV_RISCV64_CALL_BASE_GET_SPEC_VERSION:
        val = AXV_RISCV64_SBI_SPEC_VERSION;
        break;
    case AXV_RISCV64_CALL_BASE_GET_IMPL_ID:
        val = AXV_RISCV64_SBI_IMPL_ID;
        break;
    case AXV_RISCV64_CALL_BASE_PROBE_EXTENSION: {
        uint64_t eid = x[GPR_A0];
        val = eid >> 32 ? 0
                        : (rv_is_hypercall_eid(eid) || axv_riscv64_call_find(SBI_KEY(eid, 0)) ||
                           axv_riscv64_call_find(SBI_KEY(eid, 2)));
        break;
    }
    case AXV_RISCV64_CALL_TIME_SET_TIMER:
        if (sstc)
            axv_riscv64_write_vstimecmp(x[GPR_A0]);
        else
            err = AXV_RISCV64_SBI_ERR_NOT_SUPPORTED;
        break;
    case AXV_RISCV64_CALL_RFENCE_FENCE_I:
        __asm__ volatile("fence.i" ::: "memory");
        break;
    case AXV_RISCV64_CALL_RFENCE_SFENCE_VMA:
    case AXV_RISCV64_CALL_RFENCE_SFENCE_VMA_ASID:
        __asm__ volatile(".insn r 0x73, 0x0, 0x11, x0, x0, x0" ::: "memory"); /* hfence.vvma */
        break;
    case AXV_RISCV64_CALL_IRQ_ACK:
        int vector = axv_irq_pending_take(&r->pending);
        val = vector < 0 ? AXV_RISCV64_SBI_ERR_NOT_SUPPORTED : (uint64_t)vector;
        if (!axv_irq_pending_any(&r->pending)) /* a racing injection sets RV_WORK_IRQ after its bit */
            axv_riscv64_write_hvip(axv_riscv64_read_hvip() & ~R(HVIP, VSEIP_MASK));
        break;
    default:
        break; /* get_impl_version, mvendorid, marchid, mimpid: 0 */
    }
    x[GPR_A0] = err;
    x[GPR_A0 + 1] = val;
}

/* An ecall from VS other than the vendor range (the exit path takes that
 * one), sepc already past it: false when answered here (re-enter without
 * an exit). */
static bool rv_sbi(struct axv_rv_vcpu *r, struct axv_exit *e, bool sstc)
{
    uint64_t *x = r->frame.x;
    uint64_t eid = x[GPR_A7], fid = x[GPR_A6];
    uint64_t key = SBI_KEY(eid, fid);

    /* SBI ids are 32 bits: a7 with more would alias another EID in the key. */
    const struct axv_riscv64_call_info *call = eid >> 32 ? NULL : axv_riscv64_call_find(key);
    if (!call) {
        x[GPR_A0] = AXV_RISCV64_SBI_ERR_NOT_SUPPORTED;
        return false;
    }
    if (call->answered) {
        rv_answer(r, call, sstc);
        return false;
    }
    const uint64_t *a = &x[GPR_A0];
    if (call->exit == AXV_EXIT_CPU_UP)
        axv_exit_make_cpu_up(e, a[0], a[1], a[2]);
    else if (call->exit == AXV_EXIT_CPU_DOWN)
        axv_exit_make_cpu_down(e, 0);
    else if (call->exit == AXV_EXIT_HALT)
        axv_exit_make_halt(e);
    else if (call->exit == AXV_EXIT_SEND_IPI)
        axv_exit_make_send_ipi(e, a[1], a[0], a[1] == ~UINT64_C(0), false, 0);
    else if (call->exit == AXV_EXIT_SYSTEM_DOWN && call->id == AXV_RISCV64_CALL_SRST_SYSTEM_RESET && a[0] != 0)
        axv_exit_make_shutdown(e, AXV_SHUTDOWN_REASON_RESET_REQUEST); /* cold or warm reboot */
    else if (call->exit == AXV_EXIT_SYSTEM_DOWN)
        axv_exit_make_system_down(e);
    else
        axv_exit_make_hypercall(e, key, a);
    return true;
}

/* A decoded load or store: width, register, sign, length. */
struct rv_access {
    uint8_t width;
    uint8_t reg;
    bool store;
    bool sign;
    uint8_t len;
};

/* Decodes a (possibly compressed) load or store; false for anything else. */
static bool rv_decode_access(uint64_t insn, struct rv_access *a)
{
    if ((insn & 3) != 3) { /* compressed */
        uint32_t c = (uint32_t)insn & 0xffff, op = c & 3, f3 = c >> 13;
        a->len = 2;
        a->sign = true;
        if (op == 0 && (f3 == 2 || f3 == 3 || f3 == 6 || f3 == 7)) { /* C.LW C.LD C.SW C.SD */
            a->width = (f3 & 1) ? 8 : 4;
            a->store = f3 >= 6;
            a->reg = (uint8_t)(((c >> 2) & 7) + 8);
            return true;
        }
        if (op == 2 && (f3 == 2 || f3 == 3 || f3 == 6 || f3 == 7)) { /* C.LWSP C.LDSP C.SWSP C.SDSP */
            a->width = (f3 & 1) ? 8 : 4;
            a->store = f3 >= 6;
            a->reg = (uint8_t)(a->store ? (c >> 2) & 31 : (c >> 7) & 31);
            return true;
        }
        return false;
    }
    uint32_t i = (uint32_t)insn, opcode = i & 0x7f, f3 = (i >> 12) & 7;
    a->len = 4;
    if (opcode == 0x03 && f3 != 7) { /* LB LH LW LD LBU LHU LWU */
        a->width = (uint8_t)(1u << (f3 & 3));
        a->sign = f3 < 4;
        a->store = false;
        a->reg = (uint8_t)((i >> 7) & 31);
        return true;
    }
    if (opcode == 0x23 && f3 < 4) { /* SB SH SW SD */
        a->width = (uint8_t)(1u << f3);
        a->sign = false;
        a->store = true;
        a->reg = (uint8_t)((i >> 20) & 31);
        return true;
    }
    return false;
}

/* The instruction at the guest's pc, read as the guest fetched it: its
 * page tables, the privilege it trapped from (the frame's hstatus.SPVP,
 * saved by the exit path). False when that read faults: the guest changed
 * its page tables under the instruction (on another hart, or without a
 * fence on this one). Each half is read on its own, as a fetch crosses a
 * page there. */
static bool rv_fetch_insn(const struct axv_rv_frame *f, uint64_t *insn)
{
    uint64_t lo = axv_rv_fetch_hu(f->sepc, f->hstatus), hi = 0;

    if (lo == AXV_RV_FETCH_FAULT)
        return false;
    if ((lo & 3) == 3) {
        hi = axv_rv_fetch_hu(f->sepc + 2, f->hstatus);
        if (hi == AXV_RV_FETCH_FAULT)
            return false;
    }
    *insn = lo | hi << 16;
    return true;
}

static void rv_guest_access(struct axv_rv_vcpu *r, struct axv_exit *e, bool store)
{
    struct axv_rv_frame *f = &r->frame;
    uint64_t gpa = (f->htval << 2) | (f->stval & 3);
    uint64_t insn = f->htinst;
    struct rv_access a;

    if (insn) {
        /* A transformed instruction: bit 1 clear means the original was compressed. */
        if (!(insn & 2)) {
            insn |= 3; /* decode the standard form; it was 2 bytes long */
            if (!rv_decode_access(insn, &a))
                goto not_mmio;
            a.len = 2;
        } else if (!rv_decode_access(insn, &a)) {
            goto not_mmio;
        }
    } else if (!rv_fetch_insn(f, &insn) || !rv_decode_access(insn, &a)) {
        goto not_mmio; /* unreadable: the pc stays, the VMM sees the fault */
    }
    if (a.store != store)
        goto not_mmio;
    if (store) {
        uint64_t data = a.reg ? f->x[a.reg] : 0;
        if (a.width < 8)
            data &= (UINT64_C(1) << (8 * a.width)) - 1;
        axv_exit_make_mmio_write(e, gpa, a.width, data);
    } else {
        axv_exit_make_mmio_read(e, gpa, a.width, a.reg, 8, a.sign && a.width < 8);
    }
    f->sepc += a.len;
    return;
not_mmio:
    /* An AMO, a vector access or anything but a plain load/store: not emulable. */
    axv_exit_make_nested_page_fault(e, gpa, store ? AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_WRITE
                                                  : AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_READ);
}

static void rv_virtual_insn(struct axv_rv_vcpu *r, struct axv_exit *e)
{
    struct axv_rv_frame *f = &r->frame;
    uint64_t insn = f->stval;

    if (!insn && !rv_fetch_insn(f, &insn))
        insn = AXV_RISCV64_INSN_UNREADABLE; /* undecodable, and the VMM can tell why */
    if ((uint32_t)insn == 0x10500073u) { /* wfi */
        axv_exit_make_halt(e);
        f->sepc += 4;
    } else {
        axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_UNDECODABLE_INSN, insn);
    }
}

/*
 * The guest is resumed in the privilege it trapped from, VS or VU: sret
 * takes it from sstatus.SPP (a trap from V=1 sets SPP and hstatus.SPVP
 * alike), and HLVX reads with hstatus.SPVP. The exit path saves hstatus
 * for every exit but an SBI call, and an SBI call comes from VS-mode. A
 * hypercall's exit path (assembly, no C) saves nothing, so while the frame
 * says VU, RV_WORK_VU sends every entry through rv_enter, which puts VS
 * back after a hypercall.
 */
static RV_COLD void rv_resume_in(struct axv_rv_frame *f, bool vu)
{
    if (vu) {
        f->hstatus &= ~R(HSTATUS, SPVP_MASK);
        f->sstatus &= ~R(SSTATUS, SPP_MASK);
        __atomic_fetch_or(&f->work, RV_WORK_VU, __ATOMIC_RELAXED);
    } else {
        f->hstatus |= R(HSTATUS, SPVP_MASK);
        f->sstatus |= R(SSTATUS, SPP_MASK);
        __atomic_fetch_and(&f->work, ~(uint64_t)RV_WORK_VU, __ATOMIC_RELAXED);
    }
}

/* Every exit but a vendor-range SBI call: false when answered here. */
static RV_COLD bool rv_decode(struct axv_rv_vcpu *r, struct axv_exit *e, uint64_t scause)
{
    struct axv_vcpu *v = r->vcpu;
    const struct axv_riscv64_exit_info *info = axv_riscv64_exit_info(scause);
    bool deliver = true;
    bool vu = info->route != AXV_RISCV64_ROUTE_SBI && !(r->frame.hstatus & R(HSTATUS, SPVP_MASK));

    if (vu || (__atomic_load_n(&r->frame.work, __ATOMIC_RELAXED) & RV_WORK_VU))
        rv_resume_in(&r->frame, vu);
    switch (info->route) {
    case AXV_RISCV64_ROUTE_SBI:
        /* The exit path leaves these unread for an ecall, which sets them zero. */
        r->frame.stval = r->frame.htval = r->frame.htinst = 0;
        deliver = rv_sbi(r, e, rv_cpu(v)->sstc);
        break;
    case AXV_RISCV64_ROUTE_GUEST_LOAD_FAULT:
        rv_guest_access(r, e, false);
        break;
    case AXV_RISCV64_ROUTE_GUEST_STORE_FAULT:
        rv_guest_access(r, e, true);
        break;
    case AXV_RISCV64_ROUTE_GUEST_FETCH_FAULT:
        axv_exit_make_nested_page_fault(e, (r->frame.htval << 2) | (r->frame.stval & 3),
                                        AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_EXECUTE);
        break;
    case AXV_RISCV64_ROUTE_VIRTUAL_INSN:
        rv_virtual_insn(r, e);
        break;
    case AXV_RISCV64_ROUTE_HOST_IRQ:
        axv_exit_make_external_interrupt(e, v->hal->irq_fetch ? v->hal->irq_fetch(v->hal->ctx)
                                                              : GET(SCAUSE, CODE, scause));
        break;
    case AXV_RISCV64_ROUTE_DIRECT:
        e->kind = info->exit;
        break;
    case AXV_RISCV64_ROUTE_UNHANDLED:
        axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_TRAP, scause);
        break;
    }
    if (deliver)
        rv_raw(e, &r->frame, scause);
    return deliver;
}

/* One guest entry that returns (off the round trip's path, which uses
 * axv_rv_run and leaves enter_returns 0). */
static inline struct axv_rv_entered rv_enter(struct axv_rv_vcpu *r)
{
    if (__atomic_load_n(&r->frame.work, __ATOMIC_RELAXED) & RV_WORK_IRQ)
        rv_irq_kicked(r);
    r->frame.enter_returns = 1;
    struct axv_rv_entered in = axv_rv_enter(&r->frame);
    r->frame.enter_returns = 0;
    if (!in.decode && (__atomic_load_n(&r->frame.work, __ATOMIC_RELAXED) & RV_WORK_VU))
        rv_resume_in(&r->frame, false); /* a hypercall: an ecall, which only VS-mode makes here */
    return in;
}

/* Any exit but a hypercall: decoded, and the guest run again while its
 * calls are answered here. axv_rv_run's exit path jumps here. */
RV_COLD enum axv_err axv_rv_run_slow(struct axv_rv_frame *f, uint64_t scause)
{
    struct axv_rv_vcpu *r = (struct axv_rv_vcpu *)f; /* the frame is r's first member */

    while (!rv_decode(r, f->exit, scause)) {
        struct axv_rv_entered in = rv_enter(r);
        if (!in.decode)
            break;
        scause = in.scause;
    }
    return AXV_OK;
}

/* Entry after a vCPU switch or an injection: axv_rv_run_op found frame.work
 * set (it also is while the vCPU is not bound). */
RV_COLD enum axv_err axv_rv_run_prepared(struct axv_rv_frame *f, struct axv_exit *e)
{
    struct axv_rv_vcpu *r = (struct axv_rv_vcpu *)f; /* the frame is r's first member */
    struct axv_percpu *pc = r->vcpu->pcpu;

    if (!pc)
        return AXV_ERR_BAD_STATE;
    rv_load(pc->arch, r); /* pc->arch: set by rv_percpu_init before any bind */
    f->exit = e;
    struct axv_rv_entered in = rv_enter(r);
    return in.decode ? axv_rv_run_slow(in.decode, in.scause) : AXV_OK;
}

static enum axv_err rv_set_gpr(struct axv_vcpu *v, uint32_t reg, uint64_t value)
{
    if (reg != 0)
        rv_of(v)->frame.x[reg] = value; /* x0 is zero */
    return AXV_OK;
}

static enum axv_err rv_set_return_value(struct axv_vcpu *v, uint64_t value)
{
    rv_of(v)->frame.x[GPR_A0] = value;
    return AXV_OK;
}

static enum axv_err rv_inject_interrupt(struct axv_vcpu *v, uint32_t vector)
{
    struct axv_rv_vcpu *r = rv_of(v);
    enum axv_err err = (enum axv_err)axv_irq_pending_set(&r->pending, vector);

    if (err == AXV_OK)
        __atomic_fetch_or(&r->frame.work, RV_WORK_IRQ, __ATOMIC_SEQ_CST); /* after the bit: see rv_irq_kicked */
    return err;
}

static enum axv_err rv_complete_read(struct axv_vcpu *v, const struct axv_exit_read_shape *shape, uint64_t value)
{
    if (shape->has_reg && shape->reg != 0)
        rv_of(v)->frame.x[shape->reg] = value; /* loads into x0 are discarded */
    return AXV_OK;
}

static enum axv_err rv_destroy(struct axv_vcpu *v)
{
    struct axv_rv_vcpu *r = rv_of(v);
    struct axv_rv_cpu *c = rv_cpu(v);

    if (c && c->loaded == r)
        c->loaded = NULL;
    v->arch = NULL;
    axv_backend_free(v->hal, r->hpa, sizeof(*r));
    return AXV_OK;
}

uint64_t axv_riscv64_get_gpr(const struct axv_vcpu *v, uint32_t reg)
{
    return v && v->arch && reg < 32 ? rv_of(v)->frame.x[reg] : 0;
}

uint64_t axv_riscv64_get_pc(const struct axv_vcpu *v)
{
    return v && v->arch ? rv_of(v)->frame.sepc : 0;
}

const struct axv_arch_ops axv_riscv64_ops = {
    .name = "riscv64",
    .num_gprs = 32,
    .trusted_exits = true, /* widths come from opcodes, registers from 5-bit fields */
    .percpu_init = rv_percpu_init,
    .hardware_enable = rv_hardware_enable,
    .hardware_disable = rv_hardware_disable,
    .is_enabled = rv_is_enabled,
    .percpu_fini = rv_percpu_fini,
    .create = rv_create,
    .set_entry = rv_set_entry,
    .set_npt = rv_set_npt,
    .setup = rv_setup,
    .bind = rv_bind,
    .unbind = rv_unbind,
    .run = axv_rv_run_op,
    .set_gpr = rv_set_gpr,
    .inject_interrupt = rv_inject_interrupt,
    .set_return_value = rv_set_return_value,
    .complete_read = rv_complete_read,
    .destroy = rv_destroy,
};
