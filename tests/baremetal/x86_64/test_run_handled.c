/*
 * ops->run_handled on VMX (axv_vmx_run_handled, switch.S): the exit
 * handler asked from the backend's own exit path, its answers to plain
 * hypercalls given and the guest entered again without going back to the
 * runtime. The guests check every register after every call; the handlers
 * check the exit records and the registers the backend keeps for them.
 */
#include "axv/x86_64.h"
#include "bm.h"
#include "bm_arch.h"
#include "bm_test.h"
#include "bm_vm.h"
#include "bm_vmm.h"
#include "guest_boot.h"

static const struct bm_backend vmx = {&axv_x86_64_ops, BM_X86_GUEST_CALL_FAIL, axv_x86_64_get_rip};

/* tests/guests/x86_64/hcall_regs.S: call i (1..REGS_CALLS) is nr REGS_NR_BASE + i
 * with REGS_K(n) + i in register n. */
#define REGS_CALLS 64
#define REGS_NR_BASE 0x40000u
#define REGS_K(n) ((uint64_t)(n) << 56 | (uint64_t)(n) << 24 | 0x5a5a00u)
#define REGS_MODE_REG AXV_X86_64_R8 /* 1 at entry: the calls below are not all answered */

/* The hypercall arguments in order, and the guest's answer: nr + the sum of each times its weight. */
static const uint32_t regs_arg_reg[6] = {AXV_X86_64_RDI, AXV_X86_64_RSI, AXV_X86_64_RDX,
                                         AXV_X86_64_RCX, AXV_X86_64_R8,  AXV_X86_64_R9};
static const uint64_t regs_weight[6] = {2, 3, 5, 7, 11, 13};

static uint64_t regs_value(uint32_t n, uint64_t i)
{
    return REGS_K(n) + i;
}

static uint64_t regs_answer(uint64_t i)
{
    uint64_t a = REGS_NR_BASE + i;
    for (int k = 0; k < 6; k++)
        a += regs_weight[k] * regs_value(regs_arg_reg[k], i);
    return a;
}

/* With REGS_MODE_REG = 1, by i & 7: delivered, resumed (rax stays nr), or
 * the handler says UNASKED (which is delivered); the rest answered. */
#define REGS_DELIVER 1
#define REGS_RESUME 2
#define REGS_UNASKED 3

/* What regs_handler saw (its context). */
struct regs_ctx {
    bool by_kind;                    /* REGS_MODE_REG = 1 */
    uint64_t break_at;               /* call whose answer goes with a control VMRESUME refuses; 0: none */
    uint64_t pin;                    /* that control's value, to put back */
    uint64_t trace_at;               /* call whose handler attaches a trace ring; 0: none */
    uint32_t calls;                  /* handler calls */
    uint32_t others;                 /* of them, for exits that are no call of the guest's */
    uint32_t seen[REGS_CALLS + 1];   /* handler calls per call i */
    unsigned bad_line;               /* the first check that failed in the handler (BM_CHECK cannot stop it) */
    uint64_t bad_i;
};

#define HANDLER_CHECK(c, cond, i)             \
    do {                                      \
        if (!(cond) && !(c)->bad_line) {      \
            (c)->bad_line = __LINE__;         \
            (c)->bad_i = (i);                 \
        }                                     \
    } while (0)

/* The guest's call index of a hypercall exit, 0 for any other exit. */
static uint64_t regs_call(const struct axv_exit *e)
{
    if (e->kind != AXV_EXIT_HYPERCALL || e->u.hypercall.nr <= REGS_NR_BASE ||
        e->u.hypercall.nr > REGS_NR_BASE + REGS_CALLS)
        return 0;
    return e->u.hypercall.nr - REGS_NR_BASE;
}

/* CR2 as a host page fault in the handler would leave it: the guest's must come back. */
static void regs_write_cr2(uint64_t value)
{
    __asm__ volatile("mov %0, %%cr2" : : "r"(value) : "memory");
}

/* Junk in every register a C handler may clobber, as some handler will: the
 * backend must reload the guest's, not find them unchanged by luck. */
static void regs_clobber_scratch(uint64_t i)
{
    __asm__ volatile("mov %0, %%rax\n\tmov %0, %%rcx\n\tmov %0, %%rdx\n\tmov %0, %%rsi\n\tmov %0, %%rdi\n\t"
                     "mov %0, %%r8\n\tmov %0, %%r9\n\tmov %0, %%r10\n\tmov %0, %%r11"
                     :
                     : "m"(i)
                     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "cc");
}

/*
 * Call i's exit record, every register as the backend keeps it (get_gpr),
 * and the host's descriptor-table limits (a VM exit leaves 0xffff).
 */
static void regs_check_exit(struct regs_ctx *c, const struct axv_vcpu *v, const struct axv_exit *e, uint64_t i)
{
    HANDLER_CHECK(c, bm_sgdt().limit == BM_X86_GDT_LIMIT && bm_sidt().limit == 256 * 16 - 1, i);
    HANDLER_CHECK(c, e->raw.source == AXV_RAW_SOURCE_VMX && e->raw.code == 18, i);
    HANDLER_CHECK(c, e->raw.qual == 0 && e->raw.addr == 0 && e->raw.insn == 0, i);
    for (int k = 0; k < 6; k++)
        HANDLER_CHECK(c, e->u.hypercall.args[k] == regs_value(regs_arg_reg[k], i), i);
    HANDLER_CHECK(c, axv_x86_64_get_gpr(v, AXV_X86_64_RAX) == REGS_NR_BASE + i, i);
    for (uint32_t n = 1; n < 16; n++)
        HANDLER_CHECK(c, n == AXV_X86_64_RSP || axv_x86_64_get_gpr(v, n) == regs_value(n, i), i);
}

#define REGS_TRACE_CAP 128
static struct axv_trace_rec regs_trace[REGS_TRACE_CAP];

static struct axv_exit_verdict regs_handler(void *ctx, struct axv_vcpu *v, const struct axv_exit *e)
{
    struct regs_ctx *c = ctx;
    uint64_t i = regs_call(e);

    c->calls++;
    if (!i) {
        c->others++;
        return axv_exit_deliver();
    }
    c->seen[i]++;
    regs_check_exit(c, v, e, i);
    regs_write_cr2(~i);
    regs_clobber_scratch(~i);
    if (c->break_at == i) {
        /* The VMCS is current in a handler: bits 1, 2 and 4 of this one must be 1. */
        c->pin = axv_x86_64_vmread(AXV_X86_64_PIN_BASED_VM_EXEC_CONTROL_VMCS);
        HANDLER_CHECK(c, axv_x86_64_vmwrite(AXV_X86_64_PIN_BASED_VM_EXEC_CONTROL_VMCS, 0) == 0, i);
    }
    if (c->trace_at == i)
        HANDLER_CHECK(c, axv_trace_attach(v, regs_trace, REGS_TRACE_CAP) == AXV_OK, i);
    if (c->by_kind) {
        switch (i & 7) {
        case REGS_DELIVER:
            return axv_exit_deliver();
        case REGS_RESUME:
            return axv_exit_resume();
        case REGS_UNASKED:
            return (struct axv_exit_verdict){AXV_EXIT_UNASKED, 0};
        default:
            break;
        }
    }
    return axv_exit_answer(regs_answer(i));
}

static struct regs_ctx regs;

static struct bm_vmm *regs_start(bool by_kind, uint64_t break_at, uint64_t trace_at)
{
    memset(&regs, 0, sizeof(regs));
    regs.by_kind = by_kind;
    regs.break_at = break_at;
    regs.trace_at = trace_at;
    struct bm_vmm *m = bm_vmm_start_handled(&vmx, "hcall_regs", NULL, &bm_x86_guest_boot, regs_handler, &regs);
    BM_CHECK_OK(axv_vcpu_set_gpr(&m->v[0], REGS_MODE_REG, by_kind));
    return m;
}

/* After the guest's end: the handler's checks held, and it saw each call once. */
static void regs_check_end(const struct axv_exit *e, uint32_t others)
{
    BM_CHECK_EXIT(e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK(regs.bad_line == 0, "handler check at line %u failed for call %llu", regs.bad_line,
             (unsigned long long)regs.bad_i);
    BM_CHECK_EQ(regs.others, others);
    BM_CHECK_EQ(regs.calls, REGS_CALLS + others);
    for (int i = 1; i <= REGS_CALLS; i++)
        BM_CHECK(regs.seen[i] == 1, "call %d: %u handler calls", i, regs.seen[i]);
}

/*
 * Every call answered inside one run: the guest gets each answer and finds
 * all its other registers as it left them (the backend's fast path keeps
 * rbx, rbp, r12-r15 loaded across the handler and reloads the rest).
 */
BM_TEST(vmx_run_handled_answers_keep_every_register)
{
    struct bm_vmm *m = regs_start(false, 0, 0);
    struct axv_exit e = bm_vmm_run(m, 0);

    regs_check_end(&e, 1); /* system_down */
}

/*
 * DELIVER, RESUME and a handler's UNASKED from the backend's exit path: the
 * delivered exits reach the VMM with their record and registers, each
 * asked once; a resumed call leaves rax alone (the guest checks).
 */
BM_TEST(vmx_run_handled_delivers_and_resumes_asking_once)
{
    struct bm_vmm *m = regs_start(true, 0, 0);
    struct axv_vcpu *v = &m->v[0];
    uint64_t last = 0, delivered = 0;
    struct axv_exit e;

    for (;;) {
        e = bm_vmm_run(m, 0);
        uint64_t i = regs_call(&e);
        if (!i)
            break;
        BM_CHECK(i > last && ((i & 7) == REGS_DELIVER || (i & 7) == REGS_UNASKED), "call %llu delivered",
                 (unsigned long long)i);
        last = i;
        BM_CHECK_EQ(regs.seen[i], 1);
        BM_CHECK_EQ(e.raw.code, 18);
        for (int k = 0; k < 6; k++)
            BM_CHECK_EQ(e.u.hypercall.args[k], regs_value(regs_arg_reg[k], i));
        BM_CHECK_EQ(axv_x86_64_get_gpr(v, AXV_X86_64_R15), regs_value(AXV_X86_64_R15, i));
        BM_CHECK_OK(axv_vcpu_set_return_value(v, regs_answer(i)));
        delivered++;
    }
    BM_CHECK_EQ(delivered, REGS_CALLS / 8 * 2);
    regs_check_end(&e, 1);
}

/*
 * A VMRESUME that fails after the handler answered in the backend's loop:
 * fail_entry, asked once and delivered; the answer is the guest's rax all
 * the same, and the guest goes on with it once the cause is gone.
 */
BM_TEST(vmx_run_handled_vmfail_is_fail_entry)
{
    const uint64_t at = 20;
    struct bm_vmm *m = regs_start(false, at, 0);
    struct axv_exit e = bm_vmm_run(m, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_FAIL_ENTRY);
    BM_CHECK_EQ(e.u.fail_entry.hardware_entry_failure_reason, 7); /* VM entry with invalid control field(s) */
    BM_CHECK_EQ(e.raw.code, ~UINT64_C(0));
    BM_CHECK_EQ(regs.calls, at + 1);
    BM_CHECK_EQ(regs.others, 1);
    BM_CHECK_EQ(axv_x86_64_get_gpr(&m->v[0], AXV_X86_64_RAX), regs_answer(at));
    BM_CHECK_EQ(axv_x86_64_get_gpr(&m->v[0], AXV_X86_64_R12), regs_value(AXV_X86_64_R12, at));
    BM_CHECK_EQ(axv_x86_64_vmwrite(AXV_X86_64_PIN_BASED_VM_EXEC_CONTROL_VMCS, regs.pin), 0);
    e = bm_vmm_run(m, 0);
    regs_check_end(&e, 2); /* fail_entry, system_down */
}

/*
 * A trace ring the handler attaches in the middle of the backend's loop:
 * from that call on, every handled call is traced (Running -> Running), as
 * the runtime traces a traced vCPU's exits.
 */
BM_TEST(vmx_run_handled_trace_attached_by_the_handler_records)
{
    const uint64_t at = 30;
    struct bm_vmm *m = regs_start(false, 0, at);
    struct axv_exit e = bm_vmm_run(m, 0);
    uint64_t next = at;

    regs_check_end(&e, 1);
    for (uint32_t r = 0; r < axv_trace_count(&m->v[0]); r++) {
        const struct axv_trace_rec *rec = axv_trace_get(&m->v[0], r);
        if (rec->tp != AXV_TP_EXIT_HYPERCALL || rec->to != AXV_VCPU_RUNNING)
            continue;
        BM_CHECK_EQ(rec->a0, REGS_NR_BASE + next);
        next++;
    }
    BM_CHECK_EQ(next, REGS_CALLS + 1);
}

/* tests/guests/x86_64/hcall_irq.S */
#define IRQ_CALLS 32
#define IRQ_NR_BASE 0x50000u
#define IRQ_INJECT_AT 10
#define IRQ_SHADOW (IRQ_CALLS + 1)
#define IRQ_VECTOR 0x40

struct irq_ctx {
    uint32_t calls, injected;
    enum axv_err err;
};

/* Answers the guest's calls with 0, injecting IRQ_VECTOR at calls IRQ_INJECT_AT and IRQ_SHADOW. */
static struct axv_exit_verdict irq_handler(void *ctx, struct axv_vcpu *v, const struct axv_exit *e)
{
    struct irq_ctx *c = ctx;

    c->calls++;
    if (e->kind != AXV_EXIT_HYPERCALL || e->u.hypercall.nr <= IRQ_NR_BASE ||
        e->u.hypercall.nr > IRQ_NR_BASE + IRQ_SHADOW)
        return axv_exit_deliver();
    uint64_t i = e->u.hypercall.nr - IRQ_NR_BASE;
    if (i == IRQ_INJECT_AT || i == IRQ_SHADOW) {
        enum axv_err err = axv_vcpu_inject_interrupt(v, IRQ_VECTOR);
        if (err && !c->err)
            c->err = err;
        c->injected++;
    }
    return axv_exit_answer(0);
}

/*
 * An interrupt the handler injects while the backend loops on its answers
 * (the slow word set under it) reaches the guest at that call's return,
 * not at the end of the run; after a VMCALL in STI's shadow too (the
 * backend's loop ends the shadow, as the short path does).
 */
BM_TEST(vmx_run_handled_injection_from_the_handler_is_delivered)
{
    static struct irq_ctx c;
    memset(&c, 0, sizeof(c));
    struct bm_vmm *m = bm_vmm_start_handled(&vmx, "hcall_irq", NULL, &bm_x86_guest_boot, irq_handler, &c);
    struct axv_exit e = bm_vmm_run(m, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(c.injected, 2);
    BM_CHECK_OK(c.err);
    BM_CHECK_EQ(c.calls, IRQ_SHADOW + 1);
}
