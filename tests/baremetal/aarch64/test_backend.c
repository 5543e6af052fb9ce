/*
 * The aarch64 backend under QEMU: real EL1 guests (tests/guests/aarch64)
 * run through the public axvcpu API; each guest checks the answers it gets
 * and the host checks the exits it sees.
 */
#include "axv/aarch64.h"
#include "bm.h"
#include "bm_arch.h"
#include "bm_test.h"
#include "bm_vm.h"
#include "bm_vmm.h"

#define TESTDEV BM_TESTDEV

static const struct bm_backend a64 = {&axv_aarch64_ops, 0xc6000001u, axv_aarch64_get_pc};

/* vCPU 0 at the guest's entry, with extra HCR_EL2 traps. */
static struct bm_vmm *guest_start(const char *name, uint64_t hcr_extra)
{
    static struct axv_aarch64_setup setup;

    setup = (struct axv_aarch64_setup){.hcr_extra = hcr_extra};
    return bm_vmm_start(&a64, name, NULL, &setup);
}

static void vcpu_add(struct bm_vmm *m, uint64_t entry, uint64_t x0)
{
    struct axv_aarch64_setup setup = {.x0 = x0};
    bm_vmm_add_vcpu(m, entry, NULL, &setup);
}


BM_TEST(a64_enable_disable)
{
    static struct axv_percpu pc;
    uint64_t vbar = bm_mrs(vbar_el2);

    memset(&pc, 0, sizeof(pc));
    BM_CHECK_OK(axv_percpu_init(&pc, 0, &axv_aarch64_ops, bm_hal()));
    BM_CHECK(!axv_percpu_is_enabled(&pc));
    BM_CHECK_OK(axv_percpu_enable(&pc));
    BM_CHECK(axv_percpu_is_enabled(&pc));
    BM_CHECK_NE(bm_mrs(vbar_el2), vbar);
    BM_CHECK_OK(axv_percpu_disable(&pc));
    BM_CHECK(!axv_percpu_is_enabled(&pc));
    BM_CHECK_EQ(bm_mrs(vbar_el2), vbar);
    BM_CHECK_OK(axv_percpu_fini(&pc));
}

BM_TEST(a64_mmio_widths_and_sign_extension)
{
    struct bm_vmm *g = guest_start("mmio", 0);
    struct axv_exit e = bm_vmm_run(g, 0);

    /* The first exit: ldrb w1: one byte, unsigned, into a W register. */
    BM_CHECK_EXIT(&e, AXV_EXIT_MMIO_READ);
    BM_CHECK_EQ(e.u.mmio_read.addr, TESTDEV);
    BM_CHECK_EQ(e.u.mmio_read.width, 1);
    BM_CHECK_EQ(e.u.mmio_read.reg, 1);
    BM_CHECK_EQ(e.u.mmio_read.reg_width, 4);
    BM_CHECK(!e.u.mmio_read.signed_ext);
    e = bm_vmm_run(g, 0); /* ldrsb x2 */
    BM_CHECK_EXIT(&e, AXV_EXIT_MMIO_READ);
    BM_CHECK(e.u.mmio_read.signed_ext);
    BM_CHECK_EQ(e.u.mmio_read.reg_width, 8);
    e = bm_vmm_run_until_event(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(g->nwrites, 5);
    static const struct {
        uint8_t width;
        uint64_t data;
    } want[] = {{1, 0x88}, {2, 0x7788}, {4, 0x55667788}, {8, 0x1122334455667788u}, {8, 0}};
    for (int i = 0; i < 5; i++) {
        BM_CHECK_EQ(g->writes[i].addr, TESTDEV + 0x10);
        BM_CHECK_EQ(g->writes[i].width, want[i].width);
        BM_CHECK_EQ(g->writes[i].data, want[i].data);
    }
}

BM_TEST(a64_psci_hypercall_and_second_vcpu)
{
    struct bm_vmm *g = guest_start("psci", 0);
    struct axv_exit e = bm_vmm_run_until_event(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, 0xc6000100u);
    uint64_t sum = e.u.hypercall.nr;
    for (int i = 0; i < 6; i++)
        sum += e.u.hypercall.args[i];
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], sum));

    e = bm_vmm_run_until_event(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_UP);
    BM_CHECK_EQ(e.u.cpu_up.target_cpu, 1);
    BM_CHECK_EQ(e.u.cpu_up.arg, 0x55);
    vcpu_add(g, e.u.cpu_up.entry_point, e.u.cpu_up.arg);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], AXV_AARCH64_PSCI_SUCCESS));

    /* Time-share the one physical CPU: vCPU 1 until it stops, then vCPU 0. */
    e = bm_vmm_run_until_event(g, 1);
    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_DOWN);
    e = bm_vmm_run_until_event(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

BM_TEST(a64_sysreg_traps)
{
    struct bm_vmm *g = guest_start("sysreg", AXV_AARCH64_HCR_EL2_TID3_MASK | AXV_AARCH64_HCR_EL2_TVM_MASK);
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_SYS_REG_READ);
    BM_CHECK_EQ(e.u.sys_reg_read.addr, (3u << 14) | (0u << 11) | (0u << 7) | (4u << 3) | 0u); /* ID_AA64PFR0_EL1 */
    BM_CHECK_EQ(e.u.sys_reg_read.reg, 5);
    BM_CHECK_OK(axv_vcpu_complete_read(&g->v[0], 0x1111));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYS_REG_READ);
    BM_CHECK_OK(axv_vcpu_complete_read(&g->v[0], 0x2222));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYS_REG_WRITE);
    BM_CHECK_EQ(e.u.sys_reg_write.addr, AXV_AARCH64_CONTEXTIDR_EL1_KEY);
    BM_CHECK_EQ(e.u.sys_reg_write.value, 0x77);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

BM_TEST(a64_wfi_halt_and_injected_interrupt)
{
    struct bm_vmm *g = guest_start("wfi", 0);
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_HALT);
    BM_CHECK_OK(axv_vcpu_block(&g->v[0]));
    BM_CHECK_OK(axv_vcpu_inject_interrupt(&g->v[0], 7));
    BM_CHECK_OK(axv_vcpu_unblock(&g->v[0]));
    e = bm_vmm_run(g, 0);
    /* WFE is idle where it traps; QEMU's TCG treats WFE as a yield and never traps it. */
    if (e.kind == AXV_EXIT_IDLE)
        e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

BM_TEST(a64_misbehaving_guest)
{
    struct bm_vmm *g = guest_start("bad", 0);

    for (int step = 0; step < 3; step++) {
        struct axv_exit e = bm_vmm_run(g, 0);
        BM_CHECK_EXIT(&e, AXV_EXIT_NESTED_PAGE_FAULT);
        if (step == 0)
            BM_CHECK_EQ(e.u.nested_page_fault.addr, TESTDEV);
        if (step == 1)
            BM_CHECK_EQ(e.u.nested_page_fault.access_flags, AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_EXECUTE);
        BM_CHECK_EQ(e.raw.source, AXV_RAW_SOURCE_AARCH64);
        /* The VMM decides: here it moves the guest on. */
        BM_CHECK_OK(axv_vcpu_set_entry(&g->v[0], axv_aarch64_get_gpr(&g->v[0], 19)));
    }
    struct axv_exit e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

BM_TEST(a64_psci_suspend_and_reset)
{
    struct bm_vmm *g = guest_start("reset", 0);
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_HALT); /* CPU_SUSPEND: standby until an interrupt */
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], AXV_AARCH64_PSCI_SUCCESS));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SHUTDOWN);
    BM_CHECK_EQ(e.u.shutdown.reason, AXV_SHUTDOWN_REASON_RESET_REQUEST);
}

BM_TEST(a64_unhandled_class_is_internal_error)
{
    struct bm_vmm *g = guest_start("fp", 0);

    /* Make FP/SIMD trap to EL2 (EC 0x07), a class the backend does not handle. */
    bm_msr(cptr_el2, bm_mrs(cptr_el2) | AXV_AARCH64_CPTR_EL2_TFP_MASK);
    bm_isb();
    struct axv_exit e = bm_vmm_run(g, 0);
    bm_msr(cptr_el2, bm_mrs(cptr_el2) & ~AXV_AARCH64_CPTR_EL2_TFP_MASK);
    bm_isb();
    BM_CHECK_EXIT(&e, AXV_EXIT_INTERNAL_ERROR);
    BM_CHECK_EQ(e.u.internal_error.subcode, AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_TRAP);
    BM_CHECK_EQ(AXV_AARCH64_FIELD_GET(ESR_EL2, EC, e.raw.code), AXV_AARCH64_EXIT_FP_SIMD);
    /* The host keeps going: the VMM may stop the guest, here it just tears it down. */
    BM_CHECK_EQ(axv_vcpu_state(&g->v[0]), AXV_VCPU_READY);
}

BM_TEST(a64_fp_state_is_per_vcpu)
{
    struct bm_vmm *g = guest_start("fpswitch", 0);
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_UP);
    vcpu_add(g, e.u.cpu_up.entry_point, e.u.cpu_up.arg);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], AXV_AARCH64_PSCI_SUCCESS));
    e = bm_vmm_run(g, 1);
    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_DOWN);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

/* The hypercall fast path's assumptions about the spec: hvc64 is the HVC
 * route, and AXV_AARCH64_CALL_ID_MIN/MAX is the exact span of the call
 * table. Then a guest that makes 20000 answered calls (each re-entered from the exit
 * handler), hypercalls around and inside that span, and one that checks
 * every register but x0, and SP_EL0, across a hypercall. */
BM_TEST(a64_calls_fast_path_and_answered_calls)
{
    BM_CHECK_EQ(axv_aarch64_exit_route(AXV_AARCH64_EXIT_HVC64), AXV_AARCH64_ROUTE_HVC);
    BM_CHECK(axv_aarch64_call_find(AXV_AARCH64_CALL_ID_MIN) != NULL);
    BM_CHECK(axv_aarch64_call_find(AXV_AARCH64_CALL_ID_MAX) != NULL);
    BM_CHECK(axv_aarch64_call_find(AXV_AARCH64_CALL_ID_MIN - 1) == NULL);
    BM_CHECK(axv_aarch64_call_find(AXV_AARCH64_CALL_ID_MAX + 1) == NULL);

    struct bm_vmm *g = guest_start("calls", 0);
    static const uint64_t want[] = {0x83ffffffu, 0xc6000011u, 0x84000001u, 0x1c6000020u, 0xc6000020u};
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        struct axv_exit e = bm_vmm_run_until_event(g, 0);
        BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
        BM_CHECK_EQ(e.u.hypercall.nr, want[i]);
        BM_CHECK_EQ(e.raw.source, AXV_RAW_SOURCE_AARCH64);
        BM_CHECK_EQ(AXV_AARCH64_FIELD_GET(ESR_EL2, EC, e.raw.code), AXV_AARCH64_EXIT_HVC64);
        BM_CHECK_EQ(e.raw.insn, axv_aarch64_get_pc(&g->v[0]));
        BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], e.u.hypercall.nr + 1));
    }
    struct axv_exit e = bm_vmm_run_until_event(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

/* The record a hypercall exit fills in, on a record full of junk: every
 * field the constructor and the raw fill write, for an id above the call
 * table's span and one below it. */
BM_TEST(a64_hypercall_exit_record)
{
    struct bm_vmm *g = guest_start("hcrecord", 0);
    static const uint64_t nr[2] = {0xc6000400u, 0x83fffff0u};

    for (int i = 0; i < 2; i++) {
        struct axv_exit e;
        memset(&e, 0xa5, sizeof(e));
        BM_CHECK_OK(axv_vcpu_run(&g->v[0], &e));
        BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
        BM_CHECK_EQ(e.u.hypercall.nr, nr[i]);
        for (int n = 0; n < 6; n++)
            BM_CHECK_EQ(e.u.hypercall.args[n], (uint64_t)(n + 1) * UINT64_C(0x0101010101010101));
        BM_CHECK_EQ(e.raw.source, AXV_RAW_SOURCE_AARCH64);
        BM_CHECK_EQ(e.raw.code, AXV_AARCH64_FIELD_PREP(ESR_EL2, EC, AXV_AARCH64_EXIT_HVC64) |
                                    AXV_AARCH64_ESR_EL2_IL_MASK); /* hvc #0 */
        BM_CHECK_EQ(e.raw.qual, 0);
        BM_CHECK_EQ(e.raw.addr, 0);
        BM_CHECK_EQ(e.raw.insn, axv_aarch64_get_pc(&g->v[0]));
        BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0x77u + (uint64_t)i));
    }
    struct axv_exit e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

static bm_jmp_buf host_fault_jb;
static uint64_t host_fault_esr, host_fault_spsr;

static void host_fault_caught(uint64_t esr, uint64_t elr, uint64_t far)
{
    (void)elr, (void)far;
    host_fault_esr = esr;
    host_fault_spsr = bm_mrs(spsr_el2);
    bm_longjmp(host_fault_jb, 1);
}

/*
 * An exception at EL2 (a host bug) while a vCPU is loaded overwrites
 * SPSR_EL2, which holds that vCPU's PSTATE between exits: the backend's
 * vectors leave EL1h with DAIF masked there before the report, never an
 * EL2 mode, so a host that goes on cannot ERET to EL2 into the guest's
 * code. Such a host unbinds and binds the vCPU again (ELR_EL2 is written
 * back from the frame), and the guest goes on.
 */
BM_TEST(a64_host_fault_leaves_no_el2_spsr)
{
    struct bm_vmm *g = guest_start("hcrecord", 0);
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    if (bm_setjmp(host_fault_jb) == 0) {
        bm_a64_host_exception_catch = host_fault_caught;
        __asm__ volatile("brk #0x77");
        BM_FAIL("brk at EL2 returned");
    }
    BM_CHECK_EQ(AXV_AARCH64_FIELD_GET(ESR_EL2, EC, host_fault_esr), 0x3c); /* BRK */
    BM_CHECK_EQ(host_fault_spsr, AXV_AARCH64_FIELD_PREP(SPSR_EL2, M, AXV_AARCH64_SPSR_EL2_M_EL1H) |
                                     AXV_AARCH64_SPSR_EL2_D_MASK | AXV_AARCH64_SPSR_EL2_A_MASK |
                                     AXV_AARCH64_SPSR_EL2_I_MASK | AXV_AARCH64_SPSR_EL2_F_MASK);
    BM_CHECK_OK(axv_vcpu_unbind(&g->v[0]));
    BM_CHECK_OK(axv_vcpu_bind(&g->v[0]));
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0x77));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0x78));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

/* One round of tests/guests/aarch64/timeshare.S on vCPU k: vCPU 0 first
 * reads an ID register (HCR_EL2.TID3, its own), then both make the round's
 * hypercall; its PC is read back three ways. */
static void timeshare_round(struct bm_vmm *g, int k, uint64_t round)
{
    struct axv_exit e;

    if (k == 0) {
        e = bm_vmm_run(g, 0);
        BM_CHECK_EXIT(&e, AXV_EXIT_SYS_REG_READ);
        BM_CHECK_OK(axv_vcpu_complete_read(&g->v[0], 0x12340 + round));
    }
    e = bm_vmm_run(g, k);
    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, 0xc6000300u);
    BM_CHECK_EQ(e.u.hypercall.args[0], round);
    BM_CHECK_EQ(e.u.hypercall.args[2], (uint64_t)k);
    /* The host's view of the PC between exits: what the guest says it is. */
    BM_CHECK_EQ(axv_aarch64_get_pc(&g->v[k]), e.u.hypercall.args[1]);
    BM_CHECK_EQ(e.raw.insn, e.u.hypercall.args[1]);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[k], 0x100 + round));
}

/*
 * The state the backend keeps in EL2 registers while a vCPU is loaded
 * (context.h: ELR_EL2, SPSR_EL2, SP_EL0, HCR_EL2) follows the vCPU: two
 * vCPUs with different values of each alternate on one CPU, and are
 * unbound and bound again, once across a disable and enable of the CPU.
 * Each rebinding follows a round that vCPU 0 ended and loads vCPU 1 last,
 * and the next round starts with vCPU 1: it enters straight from the
 * bind, with vCPU 0's values the last in the registers. The guests check
 * everything after each call.
 */
BM_TEST(a64_time_shared_vcpus_keep_their_state)
{
    struct bm_vmm *g = guest_start("timeshare", AXV_AARCH64_HCR_EL2_TID3_MASK);
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_UP);
    vcpu_add(g, e.u.cpu_up.entry_point, e.u.cpu_up.arg); /* no TID3 */
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], AXV_AARCH64_PSCI_SUCCESS));
    bm_vmm_timeshare(g, timeshare_round);
    e = bm_vmm_run(g, 1);
    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_DOWN);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}
