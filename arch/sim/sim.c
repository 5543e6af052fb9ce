/*
 * The sim backend: executes axv_sim_insn programs and reports exits through
 * the generated descriptors, so it needs no change when exit kinds are added.
 */
#include <stdbool.h>
#include <string.h>

#include "axv/backend.h"
#include "axv/sim.h"

struct axv_sim_vcpu {
    uint64_t regs[AXV_SIM_NUM_GPRS];
    uint32_t pc;
    uint64_t hpa;                         /* of this struct, to free it */
    struct axv_sim_config cfg;
    struct axv_npt_config npt;
    struct axv_irq_pending pending;
    uint32_t loaded_cpu;                  /* UINT32_MAX when not bound */
    enum axv_err fail[AXV_ARCH_OP__COUNT];
    enum axv_err fail_complete;
};

/*
 * The op log lives outside the vCPU's backend state so it survives destroy,
 * which frees that state. One per thread: a test thread reads what it did.
 */
struct axv_sim_log_entry {
    const struct axv_vcpu *v;
    enum axv_arch_op op;
};
static _Thread_local struct axv_sim_log_entry axv_sim_log[AXV_SIM_OP_LOG];
static _Thread_local uint32_t axv_sim_nlog;

#define AXV_SIM_NOT_LOADED UINT32_MAX

static _Thread_local enum axv_err axv_sim_global_fail[AXV_SIM_GLOBAL_OPS];
static bool axv_sim_hw_on[AXV_MAX_CPUS];

static struct axv_sim_vcpu *sim_of(const struct axv_vcpu *v)
{
    return (struct axv_sim_vcpu *)v->arch;
}

void axv_sim_fail_global(enum axv_sim_global_op op, enum axv_err err)
{
    if ((unsigned)op < AXV_SIM_GLOBAL_OPS)
        axv_sim_global_fail[op] = err;
}

static enum axv_err sim_take_global(enum axv_sim_global_op op)
{
    enum axv_err err = axv_sim_global_fail[op];
    axv_sim_global_fail[op] = AXV_OK;
    return err;
}

/* Every vCPU op starts here: it is logged, then fails if the test asked. */
static enum axv_err sim_enter(struct axv_vcpu *v, enum axv_arch_op op)
{
    struct axv_sim_vcpu *s = sim_of(v);
    enum axv_err err = s->fail[op];

    if (axv_sim_nlog < AXV_SIM_OP_LOG)
        axv_sim_log[axv_sim_nlog++] = (struct axv_sim_log_entry){v, op};
    s->fail[op] = AXV_OK;
    return err;
}

/* ------------------------------------------------------------------ per CPU */
static enum axv_err sim_percpu_init(struct axv_percpu *pc)
{
    (void)pc;
    return sim_take_global(AXV_SIM_FAIL_PERCPU_INIT);
}

static enum axv_err sim_hardware_enable(struct axv_percpu *pc)
{
    enum axv_err err = sim_take_global(AXV_SIM_FAIL_HW_ENABLE);
    if (err)
        return err;
    if (axv_sim_hw_on[pc->cpu_id])
        return AXV_ERR_RESOURCE_BUSY;
    axv_sim_hw_on[pc->cpu_id] = true;
    return AXV_OK;
}

static enum axv_err sim_hardware_disable(struct axv_percpu *pc)
{
    enum axv_err err = sim_take_global(AXV_SIM_FAIL_HW_DISABLE);
    if (err)
        return err;
    if (!axv_sim_hw_on[pc->cpu_id])
        return AXV_ERR_BAD_STATE;
    axv_sim_hw_on[pc->cpu_id] = false;
    return AXV_OK;
}

static bool sim_is_enabled(const struct axv_percpu *pc)
{
    return axv_sim_hw_on[pc->cpu_id];
}

/* ------------------------------------------------------------------ per vCPU */
static enum axv_err sim_create(struct axv_vcpu *v, const void *config)
{
    const struct axv_sim_config *cfg = config;
    enum axv_err err = sim_take_global(AXV_SIM_FAIL_CREATE);

    if (err)
        return err;
    if (!cfg || (!cfg->prog && cfg->len))
        return AXV_ERR_INVALID_INPUT;
    uint64_t hpa;
    struct axv_sim_vcpu *s = axv_backend_alloc(v->hal, sizeof(*s), &hpa);
    if (!s)
        return AXV_ERR_NO_MEMORY;
    s->hpa = hpa;
    s->cfg = *cfg;
    s->loaded_cpu = AXV_SIM_NOT_LOADED;
    v->arch = s;
    return AXV_OK;
}

static enum axv_err sim_set_entry(struct axv_vcpu *v, uint64_t gpa)
{
    enum axv_err err = sim_enter(v, AXV_ARCH_OP_SET_ENTRY);
    if (err)
        return err;
    if (gpa > UINT32_MAX)
        return AXV_ERR_INVALID_INPUT;
    sim_of(v)->pc = (uint32_t)gpa;
    return AXV_OK;
}

static enum axv_err sim_set_npt(struct axv_vcpu *v, const struct axv_npt_config *npt)
{
    enum axv_err err = sim_enter(v, AXV_ARCH_OP_SET_NPT);
    if (err)
        return err;
    if (npt->levels < 2 || npt->levels > 5 || npt->gpa_bits < 12 || npt->gpa_bits > 64)
        return AXV_ERR_INVALID_INPUT;
    sim_of(v)->npt = *npt;
    return AXV_OK;
}

static enum axv_err sim_setup(struct axv_vcpu *v, const void *config)
{
    (void)config;
    return sim_enter(v, AXV_ARCH_OP_SETUP);
}

static enum axv_err sim_bind(struct axv_vcpu *v)
{
    enum axv_err err = sim_enter(v, AXV_ARCH_OP_BIND);
    if (err)
        return err;
    struct axv_sim_vcpu *s = sim_of(v);
    if (s->loaded_cpu != AXV_SIM_NOT_LOADED)
        return AXV_ERR_BAD_STATE;
    s->loaded_cpu = v->hal->cpu_id(v->hal->ctx);
    return AXV_OK;
}

static enum axv_err sim_unbind(struct axv_vcpu *v)
{
    enum axv_err err = sim_enter(v, AXV_ARCH_OP_UNBIND);
    if (err)
        return err;
    sim_of(v)->loaded_cpu = AXV_SIM_NOT_LOADED;
    return AXV_OK;
}

/* Stores one value into a field element of the exit, by descriptor. */
static void sim_store_field(struct axv_exit *e, const struct axv_exit_field_desc *d, uint32_t elem, uint64_t val)
{
    unsigned char *p = (unsigned char *)e + d->offset + (size_t)elem * d->size;

    switch (d->size) {
    case 1: {
        uint8_t b = (uint8_t)val;
        if (d->type == AXV_FIELD_BOOL)
            b = val != 0;
        memcpy(p, &b, 1);
        break;
    }
    case 2: {
        uint16_t h = (uint16_t)val;
        memcpy(p, &h, 2);
        break;
    }
    case 4: {
        uint32_t w = (uint32_t)val;
        memcpy(p, &w, 4);
        break;
    }
    default:
        memcpy(p, &val, 8);
        break;
    }
}

static void sim_raw(struct axv_exit *e, const struct axv_sim_vcpu *s, uint32_t pc)
{
    e->raw.source = AXV_RAW_SOURCE_SIM;
    e->raw.code = s->cfg.prog && pc < s->cfg.len ? s->cfg.prog[pc].op : UINT64_MAX;
    e->raw.qual = pc;
    e->raw.addr = 0;
    e->raw.insn = pc;
}

static void sim_internal_error(struct axv_exit *e, const struct axv_sim_vcpu *s, uint32_t pc, uint32_t sub,
                               uint64_t detail)
{
    memset(e, 0, sizeof(*e));
    axv_exit_make_internal_error(e, sub, detail);
    sim_raw(e, s, pc);
}

static void sim_exit_from_insn(struct axv_exit *e, const struct axv_sim_vcpu *s, uint32_t pc)
{
    const struct axv_sim_insn *in = &s->cfg.prog[pc];
    const struct axv_exit_kind_desc *k = in->kind < AXV_EXIT__LIMIT ? &axv_exit_kinds[in->kind] : NULL;
    uint32_t n = 0;

    if (!k || !k->name) {
        sim_internal_error(e, s, pc, AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_EXIT, in->kind);
        return;
    }
    memset(e, 0, sizeof(*e));
    e->kind = (enum axv_exit_kind)in->kind;
    for (uint32_t f = 0; f < k->n_fields; f++) {
        for (uint32_t i = 0; i < k->fields[f].count; i++) {
            if (n >= AXV_SIM_MAX_VALS) {
                sim_internal_error(e, s, pc, AXV_INTERNAL_ERROR_SUBCODE_EMULATION_FAILED, n);
                return;
            }
            sim_store_field(e, &k->fields[f], i, in->vals[n++]);
        }
    }
    sim_raw(e, s, pc);
}

static enum axv_err sim_run(struct axv_vcpu *v, struct axv_exit *e)
{
    enum axv_err err = sim_enter(v, AXV_ARCH_OP_RUN);
    if (err)
        return err;
    struct axv_sim_vcpu *s = sim_of(v);

    for (uint32_t budget = AXV_SIM_RUN_BUDGET; budget; budget--) {
        uint32_t pc = s->pc;
        if (pc >= s->cfg.len) {
            /* The guest ran off its program: a misbehaving guest, not a host crash. */
            sim_internal_error(e, s, pc, AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_TRAP, pc);
            return AXV_OK;
        }
        const struct axv_sim_insn *in = &s->cfg.prog[pc];
        uint64_t *reg = &s->regs[in->reg % AXV_SIM_NUM_GPRS];
        switch ((enum axv_sim_opcode)in->op) {
        case AXV_SIM_OP_EXIT:
            s->pc = pc + 1;
            sim_exit_from_insn(e, s, pc);
            return AXV_OK;
        case AXV_SIM_OP_MOV:
            *reg = in->vals[0];
            break;
        case AXV_SIM_OP_EXPECT:
            if (*reg != in->vals[0]) {
                s->pc = pc + 1;
                sim_internal_error(e, s, pc, AXV_INTERNAL_ERROR_SUBCODE_EMULATION_FAILED, *reg);
                return AXV_OK;
            }
            break;
        case AXV_SIM_OP_WAIT_IRQ: {
            int vector = axv_irq_pending_take(&s->pending);
            if (vector < 0) {
                memset(e, 0, sizeof(*e));
                axv_exit_make_halt(e);
                sim_raw(e, s, pc);
                return AXV_OK; /* pc stays: the guest waits again when resumed */
            }
            *reg = (uint64_t)vector;
            break;
        }
        case AXV_SIM_OP_JUMP:
            s->pc = (uint32_t)in->vals[0];
            continue;
        case AXV_SIM_OP_LOOP:
            if (--*reg != 0) {
                s->pc = (uint32_t)in->vals[0];
                continue;
            }
            break;
        case AXV_SIM_OP_HOOK:
            s->pc = pc + 1;
            if (s->cfg.hook)
                s->cfg.hook(v, in->vals[0], s->cfg.hook_ctx);
            continue;
        default:
            s->pc = pc + 1;
            sim_internal_error(e, s, pc, AXV_INTERNAL_ERROR_SUBCODE_UNDECODABLE_INSN, in->op);
            return AXV_OK;
        }
        s->pc = pc + 1;
    }
    memset(e, 0, sizeof(*e));
    axv_exit_make_preemption_timer(e);
    sim_raw(e, s, s->pc);
    return AXV_OK;
}

/*
 * run_handled as a hardware backend's fast path does it: the handler is
 * asked here for hypercalls, an ANSWER goes into regs[0] and the guest runs
 * on; any other verdict comes back for the runtime to carry out, any other
 * exit unasked. The trusted table has it, so the host tests run the
 * runtime's handler loop both ways.
 */
static enum axv_err sim_run_handled(struct axv_vcpu *v, struct axv_exit *e, struct axv_exit_verdict *verdict)
{
    for (;;) {
        enum axv_err err = sim_run(v, e);
        if (err || e->kind != AXV_EXIT_HYPERCALL)
            return err;
        struct axv_exit_verdict said = v->on_exit(v->on_exit_ctx, v, e);
        /* A handler that attached a trace: the runtime takes over from here. */
        if (said.action != AXV_EXIT_ANSWER || v->run_checks) {
            /* A handler's own UNASKED would read as "not asked": it is a delivery. */
            if (said.action == AXV_EXIT_UNASKED)
                said.action = AXV_EXIT_DELIVER;
            *verdict = said;
            return AXV_OK;
        }
        sim_of(v)->regs[0] = said.value;
    }
}

static enum axv_err sim_set_gpr(struct axv_vcpu *v, uint32_t reg, uint64_t value)
{
    enum axv_err err = sim_enter(v, AXV_ARCH_OP_SET_GPR);
    if (err)
        return err;
    sim_of(v)->regs[reg % AXV_SIM_NUM_GPRS] = value;
    return AXV_OK;
}

static enum axv_err sim_inject_interrupt(struct axv_vcpu *v, uint32_t vector)
{
    enum axv_err err = sim_enter(v, AXV_ARCH_OP_INJECT_INTERRUPT);
    if (err)
        return err;
    return (enum axv_err)axv_irq_pending_set(&sim_of(v)->pending, vector);
}

static enum axv_err sim_set_return_value(struct axv_vcpu *v, uint64_t value)
{
    enum axv_err err = sim_enter(v, AXV_ARCH_OP_SET_RETURN_VALUE);
    if (err)
        return err;
    sim_of(v)->regs[0] = value;
    return AXV_OK;
}

static enum axv_err sim_complete_read(struct axv_vcpu *v, const struct axv_exit_read_shape *shape, uint64_t value)
{
    struct axv_sim_vcpu *s = sim_of(v);
    enum axv_err err = s->fail_complete;

    s->fail_complete = AXV_OK;
    if (err)
        return err;
    if (shape->has_reg) {
        s->regs[shape->reg % AXV_SIM_NUM_GPRS] = value;
    } else if (shape->width >= 4) {
        s->regs[0] = value; /* like x86: a 32-bit write zero-extends */
    } else {
        uint64_t mask = (UINT64_C(1) << (8u * shape->width)) - 1;
        s->regs[0] = (s->regs[0] & ~mask) | (value & mask);
    }
    return AXV_OK;
}

static enum axv_err sim_destroy(struct axv_vcpu *v)
{
    enum axv_err err = sim_enter(v, AXV_ARCH_OP_DESTROY);
    if (err)
        return err;
    struct axv_sim_vcpu *s = sim_of(v);
    v->arch = NULL;
    axv_backend_free(v->hal, s->hpa, sizeof(*s));
    return AXV_OK;
}

#define SIM_OPS                                 \
    .num_gprs = AXV_SIM_NUM_GPRS,               \
    .percpu_init = sim_percpu_init,             \
    .hardware_enable = sim_hardware_enable,     \
    .hardware_disable = sim_hardware_disable,   \
    .is_enabled = sim_is_enabled,               \
    .create = sim_create,                       \
    .set_entry = sim_set_entry,                 \
    .set_npt = sim_set_npt,                     \
    .setup = sim_setup,                         \
    .bind = sim_bind,                           \
    .unbind = sim_unbind,                       \
    .run = sim_run,                             \
    .set_gpr = sim_set_gpr,                     \
    .inject_interrupt = sim_inject_interrupt,   \
    .set_return_value = sim_set_return_value,   \
    .complete_read = sim_complete_read,         \
    .destroy = sim_destroy

const struct axv_arch_ops axv_sim_ops = {.name = "sim", SIM_OPS};
const struct axv_arch_ops axv_sim_trusted_ops = {.name = "sim-trusted",
                                                 .trusted_exits = true,
                                                 .run_handled = sim_run_handled,
                                                 SIM_OPS};

/* ------------------------------------------------------------- inspection */
void axv_sim_fail_op(struct axv_vcpu *v, enum axv_arch_op op, enum axv_err err)
{
    if (v->arch && (unsigned)op < AXV_ARCH_OP__COUNT)
        sim_of(v)->fail[op] = err;
}

void axv_sim_fail_complete(struct axv_vcpu *v, enum axv_err err)
{
    if (v->arch)
        sim_of(v)->fail_complete = err;
}

uint64_t axv_sim_gpr(const struct axv_vcpu *v, uint32_t reg)
{
    return v->arch ? sim_of(v)->regs[reg % AXV_SIM_NUM_GPRS] : 0;
}

uint32_t axv_sim_pc(const struct axv_vcpu *v)
{
    return v->arch ? sim_of(v)->pc : 0;
}

uint32_t axv_sim_op_log(const struct axv_vcpu *v, enum axv_arch_op *out, uint32_t max)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < axv_sim_nlog && n < max; i++)
        if (axv_sim_log[i].v == v)
            out[n++] = axv_sim_log[i].op;
    return n;
}

void axv_sim_op_log_clear(void)
{
    axv_sim_nlog = 0;
}

struct axv_npt_config axv_sim_npt(const struct axv_vcpu *v)
{
    struct axv_npt_config none = {0};
    return v->arch ? sim_of(v)->npt : none;
}
