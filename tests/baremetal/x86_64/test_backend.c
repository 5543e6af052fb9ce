/*
 * The x86_64 VMX backend under Bochs: real 64-bit guests
 * (tests/guests/x86_64) run through the public axvcpu API; each guest
 * checks the answers it gets and the host checks the exits it sees.
 */
#include "axv/x86_64.h"
#include "bm.h"
#include "bm_test.h"
#include "bm_vm.h"
#include "bm_vmm.h"
#include "guest_boot.h"

static const struct bm_backend vmx = {&axv_x86_64_ops, BM_X86_GUEST_CALL_FAIL, axv_x86_64_get_rip};

static struct bm_vmm *guest_start(const char *name)
{
    return bm_vmm_start(&vmx, name, NULL, &bm_x86_guest_boot);
}

BM_TEST(vmx_enable_disable)
{
    static struct axv_percpu pc;

    memset(&pc, 0, sizeof(pc));
    BM_CHECK_OK(axv_percpu_init(&pc, 0, &axv_x86_64_ops, bm_hal()));
    BM_CHECK(!axv_percpu_is_enabled(&pc));
    BM_CHECK_OK(axv_percpu_enable(&pc));
    BM_CHECK(axv_percpu_is_enabled(&pc));
    BM_CHECK(bm_read_cr4() & BM_X86_CR4_VMXE);
    BM_CHECK_OK(axv_percpu_disable(&pc));
    BM_CHECK(!axv_percpu_is_enabled(&pc));
    BM_CHECK(!(bm_read_cr4() & BM_X86_CR4_VMXE));
    /* Enabled again after a disable: VMXON works a second time. */
    BM_CHECK_OK(axv_percpu_enable(&pc));
    /* A second owner of VMX on the same CPU is refused, not a fault. */
    static struct axv_percpu other;
    memset(&other, 0, sizeof(other));
    BM_CHECK_OK(axv_percpu_init(&other, 1, &axv_x86_64_ops, bm_hal()));
    BM_CHECK_EQ(axv_percpu_enable(&other), AXV_ERR_RESOURCE_BUSY);
    BM_CHECK(!axv_percpu_is_enabled(&other));
    BM_CHECK_OK(axv_percpu_fini(&other));
    BM_CHECK(axv_percpu_is_enabled(&pc));
    BM_CHECK_OK(axv_percpu_disable(&pc));
    BM_CHECK_OK(axv_percpu_fini(&pc));
}

BM_TEST(vmx_nop_guest_powers_off)
{
    struct bm_vmm *g = guest_start("nop");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(e.raw.code, 18); /* VMCALL */
    BM_CHECK_EQ(e.raw.addr, 0);  /* no guest-physical address for this exit */
    BM_CHECK_EQ(e.raw.qual, 0);  /* cleared by the CPU for VMCALL */
    BM_CHECK_EQ(e.raw.insn, 0);  /* undefined for VMCALL: reported as 0, as on the short path */
    BM_CHECK_EQ(axv_x86_64_get_rip(&g->v[0]), 8); /* past mov $0x1002,%eax (5 bytes) and vmcall (3) */
    /* The exit set the host's GDTR and IDTR limits to 0xffff; the backend restores them. */
    BM_CHECK_EQ(bm_sgdt().limit, BM_X86_GDT_LIMIT);
    BM_CHECK_EQ(bm_sidt().limit, 256 * 16 - 1);
}

BM_TEST(vmx_mmio_widths_extension_and_immediates)
{
    struct bm_vmm *g = guest_start("mmio");
    struct axv_exit e = bm_vmm_run(g, 0);

    /* mov (%rbx),%al: one byte into an 8-bit register view. */
    BM_CHECK_EXIT(&e, AXV_EXIT_MMIO_READ);
    BM_CHECK_EQ(e.u.mmio_read.addr, BM_TESTDEV);
    BM_CHECK_EQ(e.u.mmio_read.width, 1);
    BM_CHECK_EQ(e.u.mmio_read.reg, AXV_X86_64_RAX);
    BM_CHECK_EQ(e.u.mmio_read.reg_width, 1);
    BM_CHECK_EQ(e.raw.code, 48); /* EPT violation */
    BM_CHECK_EQ(e.raw.addr, BM_TESTDEV);
    e = bm_vmm_run_until_event(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    static const struct {
        uint64_t addr;
        uint8_t width;
        uint64_t data;
    } want[] = {
        {BM_TESTDEV + 0x10, 1, 0x88}, {BM_TESTDEV + 0x10, 2, 0x7788}, {BM_TESTDEV + 0x10, 4, 0x55667788},
        {BM_TESTDEV + 0x10, 8, 0x1122334455667788u}, {BM_TESTDEV + 0x18, 8, 0x1122334455667788u},
        {BM_TESTDEV + 0x20, 1, 0xab}, {BM_TESTDEV + 0x20, 4, 0x12345678}, {BM_TESTDEV + 0x20, 8, ~UINT64_C(1)},
    };
    BM_CHECK_EQ(g->nwrites, 8);
    for (int i = 0; i < 8; i++) {
        BM_CHECK_EQ(g->writes[i].addr, want[i].addr);
        BM_CHECK_EQ(g->writes[i].width, want[i].width);
        BM_CHECK_EQ(g->writes[i].data, want[i].data);
    }
}

BM_TEST(vmx_port_io_msr_cpuid_hypercall_halt)
{
    struct bm_vmm *g = guest_start("io");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_IO_WRITE);
    BM_CHECK_EQ(e.u.io_write.port, 0x3f8);
    BM_CHECK_EQ(e.u.io_write.width, 1);
    BM_CHECK_EQ(e.u.io_write.data, 'o');
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_IO_WRITE);
    BM_CHECK_EQ(e.u.io_write.data, 'k');

    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_IO_READ);
    BM_CHECK_EQ(e.u.io_read.port, 0x71);
    BM_CHECK_EQ(e.u.io_read.width, 1);
    BM_CHECK_OK(axv_vcpu_complete_read(&g->v[0], 0x5a));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_IO_READ);
    BM_CHECK_EQ(e.u.io_read.port, 0x1234);
    BM_CHECK_EQ(e.u.io_read.width, 2);
    BM_CHECK_OK(axv_vcpu_complete_read(&g->v[0], 0xbeef));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_IO_READ);
    BM_CHECK_EQ(e.u.io_read.width, 4);
    BM_CHECK_OK(axv_vcpu_complete_read(&g->v[0], 0x89abcdef));

    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYS_REG_READ);
    BM_CHECK_EQ(e.u.sys_reg_read.addr, 0x40000000);
    BM_CHECK_OK(axv_vcpu_complete_read(&g->v[0], 0x1122334455667788u));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYS_REG_WRITE);
    BM_CHECK_EQ(e.u.sys_reg_write.addr, 0x40000001);
    BM_CHECK_EQ(e.u.sys_reg_write.value, 0xdeadbeefcafef00du);

    e = bm_vmm_run(g, 0); /* CPUID was answered inside: the next exit is the hypercall */
    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, 0x42);
    uint64_t sum = 0;
    for (int i = 0; i < 6; i++) {
        BM_CHECK_EQ(e.u.hypercall.args[i], (uint64_t)i + 1);
        sum += e.u.hypercall.args[i];
    }
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], sum));
    /* A host page fault while the guest is out changes CR2; the guest must still see its own. */
    uint64_t unused;
    BM_CHECK_EQ(bm_x86_read64_safe(0, &unused), BM_X86_FAULTED | BM_X86_VEC_PF);
    BM_CHECK_EQ(bm_read_cr2(), 0);

    /* A plain hypercall after a delivered exit: the backend's short path, the same exit. */
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, 0x43);
    for (int i = 0; i < 6; i++)
        BM_CHECK_EQ(e.u.hypercall.args[i], 6 - (uint64_t)i);
    BM_CHECK_EQ(e.raw.source, AXV_RAW_SOURCE_VMX);
    BM_CHECK_EQ(e.raw.code, 18); /* VMCALL; no qualification, address or instruction information */
    BM_CHECK_EQ(e.raw.qual, 0);
    BM_CHECK_EQ(e.raw.addr, 0);
    BM_CHECK_EQ(e.raw.insn, 0);
    BM_CHECK_EQ(bm_sgdt().limit, BM_X86_GDT_LIMIT);
    BM_CHECK_EQ(bm_sidt().limit, 256 * 16 - 1);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0x4321));

    /* VMCALL is 3 bytes only without prefixes: the guest checks that it went on after all 4. */
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, 0x44);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0x4444));

    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_HALT);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

BM_TEST(vmx_misbehaving_guests_exit_cleanly)
{
    struct bm_vmm *g = guest_start("bad");
    struct axv_exit e = bm_vmm_run(g, 0);

    /* REP OUTSB is not emulated: internal_error, RIP left on it, the same again. */
    BM_CHECK_EXIT(&e, AXV_EXIT_INTERNAL_ERROR);
    BM_CHECK_EQ(e.u.internal_error.subcode, AXV_INTERNAL_ERROR_SUBCODE_UNDECODABLE_INSN);
    uint64_t rip = axv_x86_64_get_rip(&g->v[0]);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_INTERNAL_ERROR);
    BM_CHECK_EQ(axv_x86_64_get_rip(&g->v[0]), rip);
}

BM_TEST(vmx_fetch_from_unmapped_memory_is_a_nested_page_fault)
{
    struct bm_vmm *g = guest_start("badfetch");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_NESTED_PAGE_FAULT);
    BM_CHECK_EQ(e.u.nested_page_fault.addr, BM_TESTDEV);
    BM_CHECK_EQ(e.u.nested_page_fault.access_flags, AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_EXECUTE);
}

BM_TEST(vmx_undecodable_mmio_is_a_nested_page_fault)
{
    struct bm_vmm *g = guest_start("badmmio");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_NESTED_PAGE_FAULT);
    BM_CHECK_EQ(e.u.nested_page_fault.addr, BM_TESTDEV);
    uint64_t rip = axv_x86_64_get_rip(&g->v[0]);
    BM_CHECK_EQ(rip, 5); /* on the ADD, after mov $imm32,%ebx */
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_NESTED_PAGE_FAULT);
    BM_CHECK_EQ(axv_x86_64_get_rip(&g->v[0]), rip);
}

BM_TEST(vmx_triple_fault_is_shutdown)
{
    struct bm_vmm *g = guest_start("triple");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_SHUTDOWN);
    BM_CHECK_EQ(e.u.shutdown.reason, AXV_SHUTDOWN_REASON_TRIPLE_FAULT);
}

static void percpu_cleanup(void *pc)
{
    axv_percpu_fini(pc);
}

/* Each bad setup is refused and leaves that vCPU invalid (arch_failure), nothing else. */
BM_TEST(vmx_bad_setup_is_refused)
{
    static struct axv_percpu pc;
    static struct axv_vcpu v;
    struct axv_vcpu_config vc = {.vm_id = 1, .vcpu_id = 0};
    struct axv_x86_64_setup unaligned_cr3 = bm_x86_guest_boot, bad_tr = bm_x86_guest_boot;
    unaligned_cr3.cr3 = 0x1234;
    bad_tr.tr_selector = 0x1b; /* RPL 3 */
    static const struct axv_npt_config npt4 = {.root = 0x1000, .levels = 4, .gpa_bits = 48};
    static const struct axv_npt_config npt3 = {.root = 0x1000, .levels = 3, .gpa_bits = 39};
    static const struct axv_npt_config npt_unaligned = {.root = 0x1008, .levels = 4, .gpa_bits = 48};
    const struct {
        const struct axv_npt_config *npt;
        const struct axv_x86_64_setup *setup;
    } bad[] = {{&npt4, NULL}, {&npt4, &unaligned_cr3}, {&npt4, &bad_tr}, {&npt3, &bm_x86_guest_boot},
               {&npt_unaligned, &bm_x86_guest_boot}};

    memset(&pc, 0, sizeof(pc));
    BM_CHECK_OK(axv_percpu_init(&pc, 0, &axv_x86_64_ops, bm_hal()));
    bm_cleanup(percpu_cleanup, &pc);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&v, 0, sizeof(v));
        BM_CHECK_OK(axv_vcpu_create(&v, &vc, &axv_x86_64_ops, bm_hal()));
        BM_CHECK_EQ(axv_vcpu_setup(&v, 0, bad[i].npt, bad[i].setup), AXV_ERR_INVALID_INPUT);
        BM_CHECK_EQ(axv_vcpu_state(&v), AXV_VCPU_INVALID);
        BM_CHECK_OK(axv_vcpu_destroy(&v));
    }
}

BM_TEST(vmx_interrupt_injection_and_window)
{
    struct bm_vmm *g = guest_start("irq");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_HALT);
    BM_CHECK_EQ(axv_vcpu_inject_interrupt(&g->v[0], 13), AXV_ERR_INVALID_INPUT); /* an exception vector */
    BM_CHECK_EQ(axv_vcpu_inject_interrupt(&g->v[0], 256), AXV_ERR_INVALID_INPUT);
    BM_CHECK_OK(axv_vcpu_inject_interrupt(&g->v[0], 0x40));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, 0x60);
    BM_CHECK_OK(axv_vcpu_inject_interrupt(&g->v[0], 0x40)); /* IF = 0: held until the window opens */
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, 0x62);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0));
    e = bm_vmm_run(g, 0); /* sti; vmcall: the short path ends STI's shadow, so the guest takes it at once */
    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, 0x61);
    BM_CHECK_OK(axv_vcpu_inject_interrupt(&g->v[0], 0x40));
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}

BM_TEST(vmx_calls_cpu_up_down_ipi_reset)
{
    struct bm_vmm *g = guest_start("calls");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_UP);
    BM_CHECK_EQ(e.u.cpu_up.target_cpu, 1);
    BM_CHECK_EQ(e.u.cpu_up.arg, 0x55);
    bm_vmm_add_vcpu(g, e.u.cpu_up.entry_point, NULL, &bm_x86_guest_boot);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0));

    /* Two vCPUs time-share this CPU: each run loads its own VMCS. */
    e = bm_vmm_run(g, 1);
    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_DOWN);
    BM_CHECK_EQ(e.u.cpu_down.state, 7);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SEND_IPI);
    BM_CHECK_EQ(e.u.send_ipi.target_cpu, 1);
    BM_CHECK_EQ(e.u.send_ipi.vector, 0x41);
    BM_CHECK(!e.u.send_ipi.send_to_all);
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SHUTDOWN);
    BM_CHECK_EQ(e.u.shutdown.reason, AXV_SHUTDOWN_REASON_RESET_REQUEST);
    e = bm_vmm_run(g, 1); /* vCPU 1 kept its own state: it resumes after its call */
    BM_CHECK_EXIT(&e, AXV_EXIT_HALT);
}

/* Guest state VM entry refuses (a non-canonical GDTR base): fail_entry, and the host goes on. */
BM_TEST(vmx_invalid_guest_state_is_fail_entry)
{
    static struct axv_x86_64_setup bad;
    bad = bm_x86_guest_boot;
    bad.gdtr_base = 0x0000800000000000u;
    struct bm_vmm *g = bm_vmm_start(&vmx, "nop", NULL, &bad);
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_FAIL_ENTRY);
    BM_CHECK_EQ(e.u.fail_entry.hardware_entry_failure_reason & 0xffff, 33); /* invalid guest state */
    e = bm_vmm_run(g, 0); /* the same again, not a VMRESUME of an unlaunched VMCS */
    BM_CHECK_EXIT(&e, AXV_EXIT_FAIL_ENTRY);
    BM_CHECK_EQ(e.u.fail_entry.hardware_entry_failure_reason & 0xffff, 33);
}

/*
 * A VMRESUME that fails (VMfailValid) on the short run path: fail_entry with
 * the VM-instruction error, and the guest goes on once the cause is gone.
 * No API breaks a launched VMCS, so the test writes a bad control itself
 * (the VMCS is current here between two runs).
 */
BM_TEST(vmx_short_path_vmfail_is_fail_entry)
{
    const uint64_t pin_field = AXV_X86_64_PIN_BASED_VM_EXEC_CONTROL_VMCS;
    struct bm_vmm *g = guest_start("vmcall_bench");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, 0x50);
    uint64_t pin = axv_x86_64_vmread(pin_field);
    BM_CHECK_EQ(axv_x86_64_vmwrite(pin_field, 0), 0); /* bits 1, 2 and 4 must be 1 */
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_FAIL_ENTRY);
    BM_CHECK_EQ(e.u.fail_entry.hardware_entry_failure_reason, 7); /* VM entry with invalid control field(s) */
    BM_CHECK_EQ(e.raw.code, ~UINT64_C(0));
    BM_CHECK_EQ(e.raw.qual, 7);
    BM_CHECK_EQ(axv_x86_64_vmwrite(pin_field, pin), 0);
    e = bm_vmm_run(g, 0); /* nothing ran: the guest's next VMCALL */
    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, 0x50);
}

/* The host's local APIC timer fires while a guest spins: external_interrupt with its vector. */
BM_TEST(vmx_host_interrupt_is_external_interrupt)
{
    volatile uint32_t *lapic = (volatile uint32_t *)(uintptr_t)0xfee00000u;
    struct bm_vmm *g = guest_start("spin");

    lapic[0xf0 / 4] = 0x1ffu;    /* software-enabled, spurious vector 0xff */
    lapic[0x80 / 4] = 0;         /* TPR: accept every priority class */
    lapic[0x3e0 / 4] = 0xbu;     /* timer divide by 1 */
    lapic[0x320 / 4] = 0x30u;    /* timer: one-shot, vector 0x30, unmasked */
    lapic[0x380 / 4] = 20000u;   /* initial count */
    struct axv_exit e;
    BM_CHECK_OK(axv_vcpu_run(&g->v[0], &e));
    lapic[0x320 / 4] = 0x10000u; /* masked again */
    uint32_t in_service = lapic[0x110 / 4];
    lapic[0xb0 / 4] = 0;         /* EOI */
    BM_CHECK_EXIT(&e, AXV_EXIT_EXTERNAL_INTERRUPT);
    BM_CHECK_EQ(e.u.external_interrupt.vector, 0x30);
    BM_CHECK_EQ(e.raw.code, 1);
    BM_CHECK_EQ(in_service, 1u << (0x30 - 32)); /* acknowledged on exit, as the controls ask */
    uint64_t rip = axv_x86_64_get_rip(&g->v[0]);
    BM_CHECK(rip >= 6 && rip <= 10); /* inside the loop: the guest goes on from there */
}

/* XCR0 as the host sees it (it may run without CR4.OSXSAVE: set for the read). */
static uint64_t host_xcr0(void)
{
    uint64_t cr4 = bm_read_cr4();
    uint32_t lo, hi;
    bm_write_cr4(cr4 | (1u << 18));
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    bm_write_cr4(cr4);
    return (uint64_t)hi << 32 | lo;
}

BM_TEST(vmx_xsetbv_is_the_guests_own)
{
    uint64_t before = host_xcr0();
    struct bm_vmm *g = guest_start("xsave");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, 0x61);
    BM_CHECK_EQ(host_xcr0(), before); /* the guest's 3 is not the host's */
    BM_CHECK_OK(axv_vcpu_set_return_value(&g->v[0], 0));
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(host_xcr0(), before);
}

BM_TEST(vmx_cr_writes_the_backend_owns_get_gp)
{
    struct bm_vmm *g = guest_start("cr");
    struct axv_exit e = bm_vmm_run(g, 0);

    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN); /* the CR exits were answered inside */
}

/* ------------------------------------------------------------ INIT / SIPI */
#define AP_ID 1             /* tests/guests/x86_64/sipi.h */
#define AP_REPORT 0x51
#define AP_MARK 0x5ea7c0de
#define X2APIC_ID_MSR 0x802

/* The BSP's last ICR write (sipi.S, sipi_xapic.S keep its step number in r13). */
static uint64_t sipi_step(struct bm_vmm *g)
{
    return axv_x86_64_get_gpr(&g->v[0], AXV_X86_64_R13);
}

/*
 * What the VMM does with a cpu_up from INIT/SIPI: vCPU AP_ID, set up as a
 * SIPI target (real mode at entry_point), runs; it asks its APIC id (the
 * VMM answers), reports CS and the id, and powers itself off.
 */
static void start_real_mode_ap(struct bm_vmm *g, const struct axv_exit *up)
{
    static const struct axv_x86_64_setup sipi_target = {.real_mode = true};

    BM_CHECK_EQ(up->u.cpu_up.target_cpu, AP_ID);
    BM_CHECK_EQ(up->u.cpu_up.entry_point, axv_x86_64_get_gpr(&g->v[0], AXV_X86_64_R12)); /* ap_start */
    BM_CHECK_EQ(up->u.cpu_up.entry_point & 0xfff, 0);
    BM_CHECK_EQ(up->u.cpu_up.arg, 0);
    bm_vmm_add_vcpu(g, up->u.cpu_up.entry_point, NULL, &sipi_target);
    BM_CHECK_EQ(axv_x86_64_get_rip(&g->v[AP_ID]), 0); /* IP 0 of CS = V << 8 */

    struct axv_exit e = bm_vmm_run(g, AP_ID);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYS_REG_READ);
    BM_CHECK_EQ(e.u.sys_reg_read.addr, X2APIC_ID_MSR);
    BM_CHECK_OK(axv_vcpu_complete_read(&g->v[AP_ID], AP_ID));
    e = bm_vmm_run(g, AP_ID);
    BM_CHECK_EXIT(&e, AXV_EXIT_HYPERCALL);
    BM_CHECK_EQ(e.u.hypercall.nr, AP_REPORT);
    BM_CHECK_EQ(e.u.hypercall.args[0], up->u.cpu_up.entry_point >> 4); /* CS: real mode, as a SIPI sets it */
    BM_CHECK_EQ(e.u.hypercall.args[1], AP_ID);
    BM_CHECK_EQ(e.u.hypercall.args[2], AP_MARK);
    BM_CHECK_EQ(axv_x86_64_get_rip(&g->v[AP_ID]), 0x1f); /* 16-bit IP past the VMCALL */
    e = bm_vmm_run(g, AP_ID);
    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_DOWN);
    e = bm_vmm_run(g, AP_ID);
    BM_CHECK_EXIT(&e, AXV_EXIT_HALT);
}

/* The BSP starts an AP with INIT + STARTUP by WRMSR to the x2APIC ICR; the other IPIs and refusals (sipi.S). */
BM_TEST(vmx_x2apic_init_sipi_starts_a_real_mode_ap)
{
    struct bm_vmm *g = guest_start("sipi");
    struct axv_exit e = bm_vmm_run(g, 0);

    /* Steps 1-3 (STARTUP before INIT, INIT, INIT de-assert) made no exit. */
    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_UP);
    BM_CHECK_EQ(sipi_step(g), 4);
    BM_CHECK_EQ(e.raw.code, AXV_X86_64_EXIT_WRMSR);
    start_real_mode_ap(g, &e);

    e = bm_vmm_run(g, 0); /* step 5, a second STARTUP, made none either */
    BM_CHECK_EXIT(&e, AXV_EXIT_SEND_IPI);
    BM_CHECK_EQ(sipi_step(g), 6);
    BM_CHECK_EQ(e.u.send_ipi.target_cpu, AP_ID);
    BM_CHECK_EQ(e.u.send_ipi.vector, 0x42);
    BM_CHECK(!e.u.send_ipi.send_to_all && !e.u.send_ipi.send_to_self);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SEND_IPI);
    BM_CHECK_EQ(sipi_step(g), 7);
    BM_CHECK_EQ(e.u.send_ipi.vector, 0x43);
    BM_CHECK(e.u.send_ipi.send_to_all && !e.u.send_ipi.send_to_self);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SEND_IPI);
    BM_CHECK_EQ(sipi_step(g), 8);
    BM_CHECK_EQ(e.u.send_ipi.vector, 0x44);
    BM_CHECK(e.u.send_ipi.send_to_all && e.u.send_ipi.send_to_self);

    /* Not decoded: NMI, a logical destination, INIT by shorthand are the plain WRMSR. */
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYS_REG_WRITE);
    BM_CHECK_EQ(sipi_step(g), 9);
    BM_CHECK_EQ(e.u.sys_reg_write.addr, AXV_X86_64_IA32_X2APIC_ICR_MSR);
    BM_CHECK_EQ(e.u.sys_reg_write.value, (uint64_t)AP_ID << 32 | 0x4400);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYS_REG_WRITE);
    BM_CHECK_EQ(sipi_step(g), 10);
    BM_CHECK_EQ(e.u.sys_reg_write.value, UINT64_C(1) << 32 | 0x845);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYS_REG_WRITE);
    BM_CHECK_EQ(sipi_step(g), 11);
    BM_CHECK_EQ(e.u.sys_reg_write.value, 0xc4500);

    /* Step 12, a STARTUP after that INIT, was ignored: the guest passes. */
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(sipi_step(g), 13);
}

/* The same through the xAPIC page (EPT violations at 0xfee00300/310; sipi_xapic.S). */
BM_TEST(vmx_xapic_init_sipi_starts_a_real_mode_ap)
{
    struct bm_vmm *g = guest_start("sipi_xapic");
    struct axv_exit e = bm_vmm_run(g, 0);
    uint64_t apic = AXV_X86_64_XAPIC_MMIO_ADDRESS_PAGE_RESET << AXV_X86_64_XAPIC_MMIO_ADDRESS_PAGE_SHIFT;

    BM_CHECK_EQ(apic, 0xfee00000u);
    BM_CHECK_EXIT(&e, AXV_EXIT_MMIO_WRITE); /* ICR high: the VMM sees it */
    BM_CHECK_EQ(sipi_step(g), 1);
    BM_CHECK_EQ(e.u.mmio_write.addr, apic + 0x310);
    BM_CHECK_EQ(e.u.mmio_write.width, 4);
    BM_CHECK_EQ(e.u.mmio_write.data, (uint64_t)AP_ID << 24);
    e = bm_vmm_run(g, 0); /* steps 2 and 3, STARTUP before INIT and INIT: no exit */
    BM_CHECK_EXIT(&e, AXV_EXIT_MMIO_WRITE);
    BM_CHECK_EQ(sipi_step(g), 4);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_CPU_UP);
    BM_CHECK_EQ(sipi_step(g), 5);
    BM_CHECK_EQ(e.raw.code, AXV_X86_64_EXIT_EPT_VIOLATION);
    BM_CHECK_EQ(e.raw.addr, apic + 0x300);
    start_real_mode_ap(g, &e);

    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SEND_IPI);
    BM_CHECK_EQ(sipi_step(g), 6);
    BM_CHECK_EQ(e.u.send_ipi.target_cpu, AP_ID);
    BM_CHECK_EQ(e.u.send_ipi.vector, 0x46);
    BM_CHECK(!e.u.send_ipi.send_to_all && !e.u.send_ipi.send_to_self);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_MMIO_WRITE); /* NMI: the plain write */
    BM_CHECK_EQ(sipi_step(g), 7);
    BM_CHECK_EQ(e.u.mmio_write.addr, apic + 0x300);
    BM_CHECK_EQ(e.u.mmio_write.width, 4);
    BM_CHECK_EQ(e.u.mmio_write.data, 0x4400);
    e = bm_vmm_run(g, 0);
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(sipi_step(g), 8);
}

/* A real-mode setup: the entry must be below 1 MiB. */
BM_TEST(vmx_real_mode_setup_checks_the_entry)
{
    static const struct axv_x86_64_setup real = {.real_mode = true};
    static struct axv_vcpu v;
    struct axv_vcpu_config vc = {.vm_id = 1, .vcpu_id = 0};
    struct bm_vmm *g = guest_start("nop");

    memset(&v, 0, sizeof(v));
    BM_CHECK_OK(axv_vcpu_create(&v, &vc, &axv_x86_64_ops, bm_hal()));
    BM_CHECK_EQ(axv_vcpu_setup(&v, 0x100000, &g->vm.npt, &real), AXV_ERR_INVALID_INPUT);
    BM_CHECK_OK(axv_vcpu_destroy(&v));
}
