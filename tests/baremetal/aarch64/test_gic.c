/*
 * The exits that need the interrupt controller (QEMU virt, GICv3): a
 * physical interrupt while a guest runs is external_interrupt; a guest's SGI
 * (ICC_SGI1R_EL1 write) is send_ipi.
 */
#include "axv/aarch64.h"
#include "bm.h"
#include "bm_arch.h"
#include "bm_test.h"
#include "bm_vm.h"

#define GICD_BASE 0x08000000u
#define GICR_BASE 0x080a0000u          /* CPU 0's redistributor */
#define GICR_SGI_BASE (GICR_BASE + 0x10000u)
#define HYP_TIMER_PPI 26u              /* CNTHP: the EL2 physical timer */

static volatile uint32_t *mmio32(uint64_t addr)
{
    return (volatile uint32_t *)(uintptr_t)addr;
}

static void gic_init(void)
{
    *mmio32(GICD_BASE + 0x0) = 0x13;                          /* ARE, Group 0 and 1 */
    *mmio32(GICR_BASE + 0x14) &= ~2u;                         /* GICR_WAKER.ProcessorSleep */
    for (int i = 0; i < 100000 && (*mmio32(GICR_BASE + 0x14) & 4u); i++)
        ;
    *mmio32(GICR_SGI_BASE + 0x80) |= 1u << HYP_TIMER_PPI;     /* IGROUPR0: group 1 */
    ((volatile uint8_t *)(uintptr_t)(GICR_SGI_BASE + 0x400))[HYP_TIMER_PPI] = 0x80;
    *mmio32(GICR_SGI_BASE + 0x100) = 1u << HYP_TIMER_PPI;     /* ISENABLER0 */
    bm_msr(icc_sre_el2, 0xf);
    bm_isb();
    bm_msr(icc_pmr_el1, 0xff);
    bm_msr(icc_igrpen1_el1, 1);
    bm_isb();
}

/* The HAL's irq_fetch: acknowledge at the GIC and report the INTID. */
static uint64_t gic_ack(void *ctx)
{
    (void)ctx;
    uint64_t intid = bm_mrs(icc_iar1_el1);
    bm_msr(cnthp_ctl_el2, 0);   /* the timer did its job */
    bm_msr(icc_eoir1_el1, intid);
    bm_isb();
    return intid;
}

static struct axv_hal hal;
static struct bm_vm vm;
static struct axv_percpu pc;
static struct axv_vcpu v;

static void teardown(void *arg)
{
    (void)arg;
    bm_msr(cnthp_ctl_el2, 0);
    bm_msr(ich_hcr_el2, 0);
    if (axv_vcpu_state(&v) == AXV_VCPU_READY)
        axv_vcpu_unbind(&v);
    axv_vcpu_destroy(&v);
    if (pc.flags)
        axv_percpu_fini(&pc);
    bm_vm_destroy(&vm);
}

static void start(const char *guest)
{
    struct axv_vcpu_config vc = {.vm_id = 1};

    memset(&v, 0, sizeof(v));
    memset(&pc, 0, sizeof(pc));
    hal = *bm_hal();
    hal.irq_fetch = gic_ack;
    bm_cleanup(teardown, NULL);
    BM_CHECK_EQ(bm_vm_create(&vm, guest, 0), 0);
    BM_CHECK_OK(axv_percpu_init(&pc, 0, &axv_aarch64_ops, &hal));
    BM_CHECK_OK(axv_percpu_enable(&pc));
    BM_CHECK_OK(axv_vcpu_create(&v, &vc, &axv_aarch64_ops, &hal));
    BM_CHECK_OK(axv_vcpu_setup(&v, vm.entry, &vm.npt, NULL));
    BM_CHECK_OK(axv_vcpu_bind(&v));
}

BM_TEST(a64_physical_irq_is_external_interrupt)
{
    struct axv_exit e;

    gic_init();
    start("spin");
    bm_msr(cnthp_tval_el2, 2000);
    bm_msr(cnthp_ctl_el2, 1);
    bm_isb();
    BM_CHECK_OK(axv_vcpu_run(&v, &e));
    BM_CHECK_EXIT(&e, AXV_EXIT_EXTERNAL_INTERRUPT);
    BM_CHECK_EQ(e.u.external_interrupt.vector, HYP_TIMER_PPI);
    /* The guest was interrupted inside its image, not somewhere wild. */
    uint64_t pc_at = axv_aarch64_get_pc(&v);
    BM_CHECK(pc_at >= vm.entry && pc_at < vm.entry + vm.image->size, "pc 0x%llx", (unsigned long long)pc_at);
}

BM_TEST(a64_sgi_write_is_send_ipi)
{
    struct axv_exit e;

    gic_init();
    start("sgi");
    bm_msr(ich_hcr_el2, 1u << 12); /* TALL1: trap the guest's group-1 ICC_* accesses */
    bm_isb();
    BM_CHECK_OK(axv_vcpu_run(&v, &e));
    BM_CHECK_EXIT(&e, AXV_EXIT_SEND_IPI);
    BM_CHECK_EQ(e.u.send_ipi.vector, 3);
    BM_CHECK_EQ(e.u.send_ipi.target_cpu_aux, 0x2);
    BM_CHECK_EQ(e.u.send_ipi.target_cpu, 0);
    BM_CHECK(!e.u.send_ipi.send_to_all);
    BM_CHECK_OK(axv_vcpu_run(&v, &e));
    BM_CHECK_EXIT(&e, AXV_EXIT_SEND_IPI);
    BM_CHECK_EQ(e.u.send_ipi.vector, 5);
    BM_CHECK(e.u.send_ipi.send_to_all);
    BM_CHECK_OK(axv_vcpu_run(&v, &e));
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
}
