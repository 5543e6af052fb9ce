/*
 * The riscv64 backend under QEMU + OpenSBI: real VS-mode guests
 * (tests/guests/riscv64) run through the public axvcpu API; each guest
 * checks the answers it gets and the host checks the exits it sees.
 */
#include "axv/riscv64.h"
#include "bm.h"
#include "bm_arch.h"
#include "bm_test.h"
#include "bm_vm.h"
#include "bm_vmm.h"
#include "context.h" /* axv_rv_fetch_hu */

#define TESTDEV BM_TESTDEV
#define HYPERCALL_EID 0x09000010u

static const struct bm_backend rv = {&axv_riscv64_ops, 0x0900000100000000u /* EID 0x09000001 */,
                                     axv_riscv64_get_pc};

static struct bm_vmm *guest_start(const char *name)
{
    return bm_vmm_start(&rv, name, NULL, NULL);
}

static void vcpu_add(struct bm_vmm *m, uint64_t entry, uint64_t a1)
{
    struct axv_riscv64_setup setup = {.a1 = a1};
    bm_vmm_add_vcpu(m, entry, NULL, &setup);
}


BM_TEST(rv_enable_disable)
{
    static struct axv_percpu pc;

    memset(&pc, 0, sizeof(pc));
    BM_CHECK_OK(axv_percpu_init(&pc, 0, &axv_riscv64_ops, bm_hal()));
    BM_CHECK(!axv_percpu_is_enabled(&pc));
    BM_CHECK_OK(axv_percpu_enable(&pc));
    BM_CHECK(axv_percpu_is_enabled(&pc));
    BM_CHECK_OK(axv_percpu_disable(&pc));
    BM_CHECK(!axv_percpu_is_enabled(&pc));
    BM_CHECK_OK(axv_percpu_fini(&pc));
}

BM_TEST(rv_mmio_widths_sign_extension_and_compressed)
{
    struct bm_vmm *g = guest_start("mmio");
    struct axv_exit e = bm_vmm_run(g, 0);

    /* lb a2: one byte, sign-extended into a 64-bit register. */
    BM_CHECK_EXIT(&e, AXV_EXIT_MMIO_READ);
    BM_CHECK_EQ(e.u.mmio_read.addr, TESTDEV);
    BM_CHECK_EQ(e.u.mmio_read.width, 1);
    BM_CHECK_EQ(e.u.mmio_read.reg, 12);
    BM_CHECK(e.u.mmio_read.signed_ext);
    e = bm_vmm_run(g, 0); /* lbu a3 */
    BM_CHECK_EXIT(&e, AXV_EXIT_MMIO_READ);
    BM_CHECK(!e.u.mmio_read.signed_ext);
    e = bm_vmm_run_until_event(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    static const struct {
        uint8_t width;
        uint64_t data;
    } want[] = {{1, 0x88}, {2, 0x7788}, {4, 0x55667788}, {8, 0x1122334455667788u}, {8, 0},
                {4, 0x55667788}, {8, 0x1122334455667788u}};
    BM_CHECK_EQ(g->nwrites, 7);
    for (int i = 0; i < 7; i++) {
        BM_CHECK_EQ(g->writes[i].addr, TESTDEV + 0x10);
        BM_CHECK_EQ(g->writes[i].width, want[i].width);
        BM_CHECK_EQ(g->writes[i].data, want[i].data);
    }
}

BM_TEST(rv_sbi_hypercall_hsm_ipi)
{
    struct bm_vmm *g = guest_start("sbi");
    struct axv_exit e = bm_vmm_run_until_event(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, ((uint64_t)HYPERCALL_EID << 32) | 7);
    uint64_t sum = 0;
    for (int i = 0; i < 6; i++)
        sum += e.u.hypercall.args[i];
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], sum));

    e = bm_vmm_run_until_event(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_UP);
    BM_CHECK_EQ(e.u.cpu_up.target_cpu, 1);
    BM_CHECK_EQ(e.u.cpu_up.arg, 0x55);
    vcpu_add(g, e.u.cpu_up.entry_point, e.u.cpu_up.arg);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0)); /* SBI_SUCCESS */

    e = bm_vmm_run_until_event(g, 1);
    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_DOWN);
    e = bm_vmm_run_until_event(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SEND_IPI);
    BM_CHECK_EQ(e.u.send_ipi.target_cpu_aux, 2); /* hart mask */
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0));
    e = bm_vmm_run_until_event(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

/* The record the exit path fills in for a hypercall, on a record full of
 * junk: every field the constructor and the raw fill would write. */
BM_TEST(rv_hypercall_exit_record)
{
    struct bm_vmm *g = guest_start("hypercall");
    struct axv_exit e;

    memset(&e, 0xa5, sizeof(e));
    bm_csrw(sscratch, 0x5c5c5c5c5c5c5c5cu); /* the host's: the backend gives it back */
    BM_CHECK_OK(axv_vcpu_run(&g->v[0], &e));
    BM_CHECK_EQ(bm_csrr(sscratch), 0x5c5c5c5c5c5c5c5cu);
    bm_csrw(sscratch, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, (UINT64_C(0x09abcdef) << 32) | 7);
    for (int i = 0; i < 6; i++)
        BM_CHECK_EQ(e.u.hypercall.args[i], (uint64_t)(10 + i) * UINT64_C(0x0101010101010101));
    BM_CHECK_EQ(e.raw.source, AXV_RAW_SOURCE_RISCV64);
    BM_CHECK_EQ(e.raw.code, AXV_RISCV64_EXIT_ECALL_VS);
    BM_CHECK_EQ(e.raw.qual, 0);
    BM_CHECK_EQ(e.raw.addr, 0);
    BM_CHECK_EQ(e.raw.insn, 0);
    /* The frame has the guest's registers too, and sepc past the ecall. */
    for (uint32_t n = 1; n < 16; n++)
        BM_CHECK_EQ(axv_riscv64_get_gpr(&g->v[0], n), n * UINT64_C(0x0101010101010101));
    BM_CHECK_EQ(axv_riscv64_get_gpr(&g->v[0], 31), 31 * UINT64_C(0x0101010101010101));
    uint64_t pc = axv_riscv64_get_pc(&g->v[0]);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0x77));

    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, (UINT64_C(0x09ffffff) << 32) | 3);
    BM_CHECK_EQ(e.u.hypercall.args[0], 0x42);
    BM_CHECK(axv_riscv64_get_pc(&g->v[0]) > pc, "sepc moved on: 0x%llx after 0x%llx",
             (unsigned long long)axv_riscv64_get_pc(&g->v[0]), (unsigned long long)pc);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0x43));
    bm_csrw(sscratch, 0x3c3c3c3c3c3c3c3cu); /* and on the decoded (slow) way out */
    e = bm_vmm_run(g, 0);
    BM_CHECK_EQ(bm_csrr(sscratch), 0x3c3c3c3c3c3c3c3cu);
    bm_csrw(sscratch, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

BM_TEST(rv_wfi_halt_injected_irq_suspend_reboot)
{
    struct bm_vmm *g = guest_start("wfi");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_HALT);
    BM_CHECK_OK(axv_vcpu_block(&g->v[0]));
    BM_CHECK_OK(axv_vcpu_inject_interrupt(&g->v[0], 7));
    BM_CHECK_OK(axv_vcpu_unblock(&g->v[0]));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_HALT); /* HSM hart_suspend */
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SHUTDOWN);
    BM_CHECK_EQ(e.u.shutdown.reason, AXV_SHUTDOWN_REASON_RESET_REQUEST);
}

BM_TEST(rv_misbehaving_guest)
{
    struct bm_vmm *g = guest_start("bad");

    for (int step = 0; step < 2; step++) {
        struct axv_exit e = bm_vmm_run(g, 0);
        BM_CHECK_EXIT(&e, AXV_EXIT_NESTED_PAGE_FAULT);
        /* The AMO: QEMU reports it as a load or a store fault; either way not emulable. */
        if (step == 0)
            BM_CHECK_EQ(e.u.nested_page_fault.addr, TESTDEV);
        else
            BM_CHECK_EQ(e.u.nested_page_fault.access_flags, AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_EXECUTE);
        BM_CHECK_EQ(e.raw.source, AXV_RAW_SOURCE_RISCV64);
        BM_CHECK_OK(axv_vcpu_set_entry(&g->v[0], axv_riscv64_get_gpr(&g->v[0], 9))); /* s1 */
    }
    struct axv_exit e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

BM_TEST(rv_host_timer_is_external_interrupt)
{
    struct bm_vmm *g = guest_start("spin");
    struct axv_exit e;

    /* The host's own timer (Sstc stimecmp) fires while the guest spins. */
    bm_csrw(0x14d, bm_csrr(time) + 2000);
    bm_csrs(sie, 1u << 5);
    BM_CHECK_OK(axv_vcpu_run(&g->v[0], &e));
    bm_csrc(sie, 1u << 5);
    bm_csrw(0x14d, ~UINT64_C(0));
    BM_CHECK_EXIT(&e, AXV_EXIT_EXTERNAL_INTERRUPT);
    BM_CHECK_EQ(e.u.external_interrupt.vector, 5); /* supervisor timer */
    uint64_t pc = axv_riscv64_get_pc(&g->v[0]);
    BM_CHECK(pc >= g->vm.entry && pc < g->vm.entry + g->vm.image->size, "pc 0x%llx", (unsigned long long)pc);
}

BM_TEST(rv_unknown_virtual_instruction_is_internal_error)
{
    struct bm_vmm *g = guest_start("vinsn");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_INTERNAL_ERROR);
    BM_CHECK_EQ(e.u.internal_error.subcode, AXV_INTERNAL_ERROR_SUBCODE_UNDECODABLE_INSN);
    BM_CHECK_EQ(e.raw.code, 22);
    BM_CHECK_EQ(axv_vcpu_state(&g->v[0]), AXV_VCPU_READY); /* the host keeps going */
}

BM_TEST(rv_fp_state_is_per_vcpu)
{
    struct bm_vmm *g = guest_start("fpswitch");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_UP);
    vcpu_add(g, e.u.cpu_up.entry_point, e.u.cpu_up.arg);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0));
    e = bm_vmm_run(g, 1);
    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_DOWN);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

BM_TEST(rv_sbi_time_programs_the_guest_timer)
{
    struct bm_vmm *g = guest_start("timer");
    struct axv_exit e;

    /* Halts while the deadline is ahead are resumed at once: the timer wakes the guest. */
    for (int n = 0; n < 100000; n++) {
        e = bm_vmm_run(g, 0);
        if (e.kind != AXV_EXIT_HALT)
            break;
    }
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

/* One round of tests/guests/riscv64/timeshare.S on vCPU k: its hypercall,
 * and its PC read back two ways. */
static void timeshare_round(struct bm_vmm *g, int k, uint64_t round)
{
    struct axv_exit e = bm_vmm_run(g, k);

    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, UINT64_C(0x09000300) << 32);
    BM_CHECK_EQ(e.u.hypercall.args[0], round);
    BM_CHECK_EQ(e.u.hypercall.args[2], (uint64_t)k);
    /* The host's view of the PC between exits: what the guest says it is. */
    BM_CHECK_EQ(axv_riscv64_get_pc(&g->v[k]), e.u.hypercall.args[1]);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[k], 0x100 + round));
}

/*
 * What the backend switches only when another vCPU is loaded on the hart
 * (VS CSRs, FP registers; frame.work says when) follows the vCPU: two
 * vCPUs with their own values alternate on one hart, and are unbound and
 * bound again, once across a disable and enable of the hart. Each
 * rebinding follows a round that vCPU 0 ended and loads vCPU 1 last, and
 * the next round starts with vCPU 1: it enters straight from the bind.
 * The guests check everything after each call.
 */
BM_TEST(rv_time_shared_vcpus_keep_their_state)
{
    struct bm_vmm *g = guest_start("timeshare");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_UP);
    vcpu_add(g, e.u.cpu_up.entry_point, e.u.cpu_up.arg);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0));
    bm_vmm_timeshare(g, timeshare_round);
    e = bm_vmm_run(g, 1);
    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_DOWN);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

/*
 * MMIO with the guest's own Sv39 paging on, from VS code on a supervisor
 * page and from VU code on a user page, the test device mapped in the
 * guest's table but not in the G-stage. QEMU leaves htinst 0, so the
 * backend reads each instruction with HLVX, which must use the privilege
 * the guest trapped from; the guest checks every value, that it is still
 * in VU-mode after its exits, and in VS-mode after a hypercall that
 * follows them. Answered by the VMM loop, then by the exit handler.
 */
BM_TEST(rv_mmio_under_guest_paging_from_vs_and_vu)
{
    struct bm_vmm *g = guest_start("paging");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_MMIO_READ); /* lb a2 through the guest's mapping */
    BM_CHECK_EQ(e.u.mmio_read.addr, TESTDEV); /* guest-physical, not the guest's virtual address */
    BM_CHECK_EQ(e.u.mmio_read.width, 1);
    BM_CHECK_EQ(e.u.mmio_read.reg, 12);
    BM_CHECK(e.u.mmio_read.signed_ext);
    e = bm_vmm_run_until_event(g, 0); /* back in VS-mode after VU's last exit */
    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, ((uint64_t)HYPERCALL_EID << 32) | 1);
    BM_CHECK_EQ(e.u.hypercall.args[0], 0x42);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0x43));
    e = bm_vmm_run_until_event(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    static const struct {
        uint8_t width;
        uint64_t data;
    } want[] = {{4, 0x55667788}, {8, 0x1122334455667788u}, {2, 0x8687}}; /* sw, c.sd (VS); sh (VU) */
    BM_CHECK_EQ(g->nwrites, 3);
    for (int i = 0; i < 3; i++) {
        BM_CHECK_EQ(g->writes[i].addr, TESTDEV + 0x10);
        BM_CHECK_EQ(g->writes[i].width, want[i].width);
        BM_CHECK_EQ(g->writes[i].data, want[i].data);
    }
    bm_vmm_check_exit_handler(&rv, "paging", NULL, NULL); /* up to the hypercall */
}

/*
 * The guest clears the page-table entry of the page it runs on (no fence)
 * and traps: the backend's HLVX of the instruction faults. That is a
 * defined exit with the guest's pc unchanged, and the host goes on; when
 * the guest is resumed, it maps the page again and the same instruction
 * is decoded as usual.
 */
BM_TEST(rv_unreadable_guest_instruction_is_a_defined_exit)
{
    struct bm_vmm *g = guest_start("stale");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_NESTED_PAGE_FAULT); /* an MMIO load it cannot decode */
    BM_CHECK_EQ(e.u.nested_page_fault.addr, TESTDEV);
    BM_CHECK_EQ(e.u.nested_page_fault.access_flags, AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_READ);
    BM_CHECK_EQ(e.raw.code, 21);
    BM_CHECK_EQ(axv_riscv64_get_pc(&g->v[0]), 0xc0000004u);
    e = bm_vmm_run(g, 0); /* the guest's fetch fault maps the page again */
    BM_CHECK_EXIT(&e, AXV_EXIT_MMIO_READ);
    BM_CHECK_EQ(e.u.mmio_read.addr, TESTDEV);
    BM_CHECK_EQ(e.u.mmio_read.width, 4);
    /* WFI, its page unmapped again. QEMU 7.2 puts a virtual instruction in
     * stval, so the backend need not read it: halt. A hart that leaves
     * stval 0 makes it read the instruction, which faults: internal_error,
     * then halt once the guest has mapped the page again. */
    e = bm_vmm_run(g, 0);
    if (e.kind == AXV_EXIT_INTERNAL_ERROR) {
        BM_CHECK_EQ(e.u.internal_error.subcode, AXV_INTERNAL_ERROR_SUBCODE_UNDECODABLE_INSN);
        BM_CHECK_EQ(e.u.internal_error.detail, AXV_RISCV64_INSN_UNREADABLE);
        BM_CHECK_EQ(e.raw.qual, 0);
        BM_CHECK_EQ(axv_vcpu_state(&g->v[0]), AXV_VCPU_READY);
        e = bm_vmm_run(g, 0);
    }
    BM_CHECK_EXIT(&e, AXV_EXIT_HALT);
    BM_CHECK_EQ(e.raw.code, 22);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

/*
 * The backend's guest-instruction read on its own, with vCPU 0 bound (its
 * G-stage is the hart's, vsatp 0): guest RAM reads back the image at
 * either privilege; an address the G-stage does not map faults, and the
 * read returns AXV_RV_FETCH_FAULT to its caller with the host's stvec,
 * hstatus and sstatus as they were (the fault would set hstatus.GVA, clear
 * SPV and sstatus.SIE, SPIE and set SPP).
 */
BM_TEST(rv_guest_fetch_fault_returns_to_the_host)
{
    struct bm_vmm *g = guest_start("nop");
    const uint8_t *image = g->vm.image->data;
    uint64_t want = image[0] | (uint64_t)image[1] << 8;
    uint64_t sstatus = bm_csrr(sstatus);

    BM_CHECK_EQ(axv_rv_fetch_hu(g->vm.entry, BM_RV_HSTATUS_SPVP), want);
    BM_CHECK_EQ(axv_rv_fetch_hu(g->vm.entry, 0), want);

    /* sie stays 0: SIE on lets no interrupt in, but must come back on. */
    BM_CHECK_EQ(bm_csrr(sie), 0);
    bm_csrc(sstatus, BM_RV_SSTATUS_SPP);
    bm_csrs(sstatus, BM_RV_SSTATUS_SIE | BM_RV_SSTATUS_SPIE);
    bm_csrs(hstatus, BM_RV_HSTATUS_SPV);
    uint64_t host_sstatus = bm_csrr(sstatus), host_hstatus = bm_csrr(hstatus);
    uint64_t got = axv_rv_fetch_hu(0x1000, BM_RV_HSTATUS_SPVP);
    uint64_t after_sstatus = bm_csrr(sstatus), after_hstatus = bm_csrr(hstatus);
    bm_csrw(sstatus, sstatus);
    bm_csrc(hstatus, BM_RV_HSTATUS_SPV);
    BM_CHECK_EQ(got, AXV_RV_FETCH_FAULT);
    BM_CHECK_EQ(after_sstatus, host_sstatus);
    BM_CHECK_EQ(after_hstatus, host_hstatus);
    BM_CHECK_EQ(bm_csrr(stvec), (uintptr_t)bm_rv_trap_entry);
    BM_CHECK_EQ(bm_csrr(scause), 21); /* it did fault: a load guest-page fault */

    struct axv_exit e = bm_vmm_run(g, 0); /* and the vCPU runs on */
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}
