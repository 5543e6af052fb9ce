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
    m->nvcpus = 0;
    if (m->pc.flags)
        axv_percpu_fini(&m->pc);
    bm_vm_destroy(&m->vm);
}

void bm_vmm_add_vcpu(struct bm_vmm *m, uint64_t entry, const void *arch_config, const void *setup)
{
    BM_CHECK(m->nvcpus < BM_VMM_VCPUS);
    struct axv_vcpu *v = &m->v[m->nvcpus];
    struct axv_vcpu_config vc = {.vm_id = 1, .vcpu_id = (uint32_t)m->nvcpus, .arch_config = arch_config};

    BM_CHECK_OK(axv_vcpu_create(v, &vc, m->be->ops, bm_hal()));
    m->nvcpus++;
    BM_CHECK_OK(axv_vcpu_setup(v, entry, &m->vm.npt, setup));
    BM_CHECK_OK(axv_vcpu_bind(v));
}

struct bm_vmm *bm_vmm_start(const struct bm_backend *be, const char *guest, const void *arch_config,
                            const void *setup)
{
    struct bm_vmm *m = &bm_the_vmm;

    memset(m, 0, sizeof(*m));
    m->be = be;
    bm_cleanup(bm_vmm_teardown, m);
    BM_CHECK_EQ(bm_vm_create(&m->vm, guest, 0), 0);
    BM_CHECK_OK(axv_percpu_init(&m->pc, 0, be->ops, bm_hal()));
    BM_CHECK_OK(axv_percpu_enable(&m->pc));
    bm_vmm_add_vcpu(m, m->vm.entry, arch_config, setup);
    return m;
}

static uint64_t bm_testdev_read(uint64_t addr, uint8_t width)
{
    uint64_t off = addr - BM_TESTDEV;
    uint64_t v = off < 8 ? BM_TESTDEV_VALUE >> (8 * off) : 0;
    return width < 8 ? v & ((UINT64_C(1) << (8 * width)) - 1) : v;
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
    if (e.kind == AXV_EXIT_MMIO_WRITE && m->nwrites < BM_VMM_WRITES) {
        m->writes[m->nwrites].addr = e.u.mmio_write.addr;
        m->writes[m->nwrites].width = e.u.mmio_write.width;
        m->writes[m->nwrites++].data = e.u.mmio_write.data;
    }
    return e;
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
