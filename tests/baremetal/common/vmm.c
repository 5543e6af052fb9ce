/* The backend tests' tiny VMM; see bm_vmm.h. */
#include "bm_vmm.h"
#include "bm_test.h"

static struct bm_vmm bm_the_vmm;

static void bm_vmm_teardown(void *arg)
{
    struct bm_vmm *m = arg;

    for (int i = 0; i < m->nvcpus; i++) {
        if (axv_vcpu_state(&m->v[i]) == AXV_VCPU_BLOCKED)
            axv_vcpu_unblock(&m->v[i]);
        if (axv_vcpu_state(&m->v[i]) == AXV_VCPU_READY)
            axv_vcpu_unbind(&m->v[i]);
        axv_vcpu_destroy(&m->v[i]);
    }
    if (m->pc.flags)
        axv_percpu_fini(&m->pc);
    bm_vm_destroy(&m->vm);
    memset(m, 0, sizeof(*m)); /* a second teardown does nothing */
}

void bm_vmm_add_vcpu(struct bm_vmm *m, uint64_t entry, const void *arch_config, const void *setup)
{
    BM_CHECK(m->nvcpus < BM_VMM_VCPUS);
    struct axv_vcpu *v = &m->v[m->nvcpus];
    struct axv_vcpu_config vc = {.vm_id = 1,
                                 .vcpu_id = (uint32_t)m->nvcpus,
                                 .arch_config = arch_config,
                                 .on_exit = m->on_exit,
                                 .on_exit_ctx = m->on_exit_ctx};

    BM_CHECK_OK(axv_vcpu_create(v, &vc, m->be->ops, bm_hal()));
    m->nvcpus++;
    BM_CHECK_OK(axv_vcpu_setup(v, entry, &m->vm.npt, setup));
    BM_CHECK_OK(axv_vcpu_bind(v));
}

struct bm_vmm *bm_vmm_start_handled(const struct bm_backend *be, const char *guest, const void *arch_config,
                                    const void *setup, axv_exit_handler on_exit, void *ctx)
{
    struct bm_vmm *m = &bm_the_vmm;

    bm_vmm_teardown(m); /* a test may start a second machine */
    m->be = be;
    m->on_exit = on_exit;
    m->on_exit_ctx = ctx ? ctx : m;
    bm_cleanup(bm_vmm_teardown, m);
    BM_CHECK_EQ(bm_vm_create(&m->vm, guest, 0), 0);
    BM_CHECK_OK(axv_percpu_init(&m->pc, 0, be->ops, bm_hal()));
    BM_CHECK_OK(axv_percpu_enable(&m->pc));
    bm_vmm_add_vcpu(m, m->vm.entry, arch_config, setup);
    return m;
}

struct bm_vmm *bm_vmm_start(const struct bm_backend *be, const char *guest, const void *arch_config,
                            const void *setup)
{
    return bm_vmm_start_handled(be, guest, arch_config, setup, NULL, NULL);
}

static uint64_t bm_testdev_read(uint64_t addr, uint8_t width)
{
    uint64_t off = addr - BM_TESTDEV;
    uint64_t v = off < 8 ? BM_TESTDEV_VALUE >> (8 * off) : 0;
    return width < 8 ? v & ((UINT64_C(1) << (8 * width)) - 1) : v;
}

static void bm_vmm_log_write(struct bm_vmm *m, const struct axv_exit *e)
{
    if (m->nwrites < BM_VMM_WRITES) {
        m->writes[m->nwrites].addr = e->u.mmio_write.addr;
        m->writes[m->nwrites].width = e->u.mmio_write.width;
        m->writes[m->nwrites++].data = e->u.mmio_write.data;
    }
}

struct axv_exit bm_vmm_run(struct bm_vmm *m, int i)
{
    struct axv_exit e;

    BM_CHECK_OK(axv_vcpu_run(&m->v[i], &e));
    if (e.kind == AXV_EXIT_HYPERCALL && e.u.hypercall.nr == m->be->fail_nr)
        BM_FAIL("guest check 0x%llx failed (vCPU %d, pc 0x%llx, args 0x%llx 0x%llx 0x%llx)",
                (unsigned long long)e.u.hypercall.args[0], i, (unsigned long long)m->be->pc(&m->v[i]),
                (unsigned long long)e.u.hypercall.args[1], (unsigned long long)e.u.hypercall.args[2],
                (unsigned long long)e.u.hypercall.args[3]);
    if (e.kind == AXV_EXIT_MMIO_READ && e.u.mmio_read.addr - BM_TESTDEV < 0x1000)
        BM_CHECK_OK(axv_vcpu_complete_read(&m->v[i], bm_testdev_read(e.u.mmio_read.addr, e.u.mmio_read.width)));
    if (e.kind == AXV_EXIT_MMIO_WRITE)
        bm_vmm_log_write(m, &e);
    return e;
}

struct axv_exit_verdict bm_vmm_testdev_handler(void *ctx, struct axv_vcpu *v, const struct axv_exit *e)
{
    struct bm_vmm *m = ctx;
    (void)v;

    if (e->kind == AXV_EXIT_MMIO_READ && e->u.mmio_read.addr - BM_TESTDEV < 0x1000) {
        m->nhandled++;
        return axv_exit_answer(bm_testdev_read(e->u.mmio_read.addr, e->u.mmio_read.width));
    }
    if (e->kind == AXV_EXIT_MMIO_WRITE) {
        m->nhandled++;
        bm_vmm_log_write(m, e);
        return axv_exit_resume();
    }
    return axv_exit_deliver();
}

void bm_vmm_check_exit_handler(const struct bm_backend *be, const char *guest, const void *arch_config,
                               const void *setup)
{
    struct bm_vmm *m = bm_vmm_start(be, guest, arch_config, setup);
    int accesses = 0;
    struct axv_exit e;

    /* The VMM loop answers: the reference. */
    for (;;) {
        e = bm_vmm_run(m, 0);
        if (e.kind != AXV_EXIT_MMIO_READ && e.kind != AXV_EXIT_MMIO_WRITE)
            break;
        BM_CHECK(++accesses < 1000, "guest %s made 1000 MMIO accesses without finishing", guest);
    }
    const struct axv_exit end = e;
    const int nwrites = m->nwrites;
    __typeof__(m->writes) writes;
    memcpy(writes, m->writes, sizeof(writes));
    BM_CHECK(accesses > 0, "guest %s made no test-device access", guest);

    /* The handler answers, inside one run: the guest sees the same values
     * (it checks them itself), so it ends the same way after the same writes. */
    m = bm_vmm_start_handled(be, guest, arch_config, setup, bm_vmm_testdev_handler, NULL);
    e = bm_vmm_run(m, 0);
    BM_CHECK_EQ(e.kind, end.kind);
    BM_CHECK_EQ(m->nhandled, accesses);
    BM_CHECK_EQ(m->nwrites, nwrites);
    for (int i = 0; i < nwrites; i++) {
        BM_CHECK_EQ(m->writes[i].addr, writes[i].addr);
        BM_CHECK_EQ(m->writes[i].width, writes[i].width);
        BM_CHECK_EQ(m->writes[i].data, writes[i].data);
    }
}

struct axv_exit bm_vmm_run_until_event(struct bm_vmm *m, int i)
{
    for (int n = 0; n < 1000; n++) {
        struct axv_exit e = bm_vmm_run(m, i);
        if (e.kind != AXV_EXIT_MMIO_READ && e.kind != AXV_EXIT_MMIO_WRITE)
            return e;
    }
    BM_FAIL("guest made 1000 MMIO accesses without finishing");
}

void bm_vmm_timeshare(struct bm_vmm *m, void (*round_fn)(struct bm_vmm *m, int k, uint64_t round))
{
    /* Who starts each round: after each rebinding (rounds 1..3) vCPU 1,
     * loaded last by the bind, runs first. */
    static const int first[6] = {0, 1, 1, 1, 1, 0};

    for (uint64_t round = 0; round < 6; round++) {
        round_fn(m, first[round], round);
        round_fn(m, !first[round], round);
        if (round >= 1 && round <= 3) {
            BM_CHECK_OK(axv_vcpu_unbind(&m->v[0]));
            BM_CHECK_OK(axv_vcpu_unbind(&m->v[1]));
            if (round == 2) { /* the runtime refuses it with a vCPU bound */
                BM_CHECK_OK(axv_percpu_disable(&m->pc));
                BM_CHECK_OK(axv_percpu_enable(&m->pc));
            }
            BM_CHECK_OK(axv_vcpu_bind(&m->v[0]));
            BM_CHECK_OK(axv_vcpu_bind(&m->v[1]));
        }
    }
}
