/*
 * The kvm backend: axvcpu's ops table over /dev/kvm. Exit codes are routed
 * by the table generated from spec/arch/kvm/exits.yaml; each route below
 * turns one kind of struct kvm_run into a generic exit. Port I/O and MMIO,
 * the exits that come by the thousand, take a shortcut in axv_kvm_run().
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "axv/backend.h"
#include "axv/kvm.h"

/* The signal another thread sends to pull a vCPU out of KVM_RUN. */
#define AXV_KVM_KICK_SIGNAL SIGUSR2
#define AXV_KVM_TSS_ADDR 0xfffbd000u
/* Where KVM puts port I/O data in the kvm_run mapping: the page after kvm_run. */
#define AXV_KVM_PIO_DATA ((uint64_t)KVM_PIO_PAGE_OFFSET * 4096u)

enum axv_kvm_pending_read { AXV_KVM_READ_NONE, AXV_KVM_READ_IO, AXV_KVM_READ_MMIO, AXV_KVM_READ_MSR };

/* What every exit touches comes first, in one cache line. */
struct axv_kvm_vcpu {
    struct kvm_run *run;
    int fd;
    bool regs_cached;            /* run->s.regs.regs holds the registers since the last exit */
    uint8_t read;                /* enum axv_kvm_pending_read */
    /* String or REP port I/O: one exit per element, without re-entering KVM. */
    uint32_t io_index;
    uint32_t io_count;
    struct axv_irq_pending pending; /* interrupt vectors to inject */
    struct axv_kvm_vm *vm;
    pthread_t thread;            /* the thread the vCPU is bound to */
    int bound;                   /* atomic: thread is valid */
    uint64_t hpa;
};

static __thread char axv_kvm_error[160];

const char *axv_kvm_last_error(void)
{
    return axv_kvm_error[0] ? axv_kvm_error : "no error";
}

static enum axv_err kvm_fail(enum axv_err err, const char *what)
{
    size_t n = strlen(what);
    if (n >= sizeof(axv_kvm_error))
        n = sizeof(axv_kvm_error) - 1;
    memcpy(axv_kvm_error, what, n);
    axv_kvm_error[n] = '\0';
    return err;
}

static struct axv_kvm_vcpu *kvm_of(const struct axv_vcpu *v)
{
    return (struct axv_kvm_vcpu *)v->arch;
}

/* ---------------------------------------------------------------- /dev/kvm */
static void kvm_kick_handler(int sig)
{
    (void)sig; /* only there to interrupt KVM_RUN with EINTR */
}

static void kvm_install_kick(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kvm_kick_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(AXV_KVM_KICK_SIGNAL, &sa, NULL); /* no SA_RESTART: KVM_RUN must return */
}

/* Opens /dev/kvm and checks everything the backend relies on. */
static enum axv_err kvm_open_checked(int *out)
{
    static const struct {
        int cap;
        const char *name;
    } needed[] = {
        {KVM_CAP_USER_MEMORY, "USER_MEMORY"},   {KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR"},
        {KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT"}, {KVM_CAP_X86_USER_SPACE_MSR, "X86_USER_SPACE_MSR"},
        {KVM_CAP_X86_MSR_FILTER, "X86_MSR_FILTER"}, {KVM_CAP_EXT_CPUID, "EXT_CPUID"},
    };
    /* AXV_KVM_DEVICE lets tests point the backend at a missing or wrong device. */
    const char *path = getenv("AXV_KVM_DEVICE") ? getenv("AXV_KVM_DEVICE") : "/dev/kvm";
    int fd = open(path, O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        if (errno == ENOENT)
            return kvm_fail(AXV_ERR_NO_SUCH_DEVICE, "no KVM device (/dev/kvm does not exist)");
        if (errno == EACCES || errno == EPERM)
            return kvm_fail(AXV_ERR_PERMISSION_DENIED, "no permission to open the KVM device");
        return kvm_fail(AXV_ERR_IO, "cannot open the KVM device");
    }
    if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        close(fd);
        return kvm_fail(AXV_ERR_UNSUPPORTED, "the KVM device is not KVM or speaks another API version");
    }
    for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
        if (ioctl(fd, KVM_CHECK_EXTENSION, needed[i].cap) <= 0) {
            close(fd);
            return kvm_fail(AXV_ERR_UNSUPPORTED, needed[i].name);
        }
    }
    if (!(ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & (int)KVM_SYNC_X86_REGS)) {
        close(fd);
        return kvm_fail(AXV_ERR_UNSUPPORTED, "SYNC_REGS");
    }
    *out = fd;
    return AXV_OK;
}

/* ----------------------------------------------------------------- per CPU */
/* Per-CPU "hardware" is /dev/kvm itself: enable opens and checks it. */
static int axv_kvm_cpu_fd[AXV_MAX_CPUS]; /* fd + 1; 0 when disabled */

static enum axv_err kvm_percpu_init(struct axv_percpu *pc)
{
    (void)pc;
    return AXV_OK;
}

static enum axv_err kvm_hardware_enable(struct axv_percpu *pc)
{
    int fd;
    enum axv_err err = kvm_open_checked(&fd);
    if (err)
        return err;
    kvm_install_kick();
    axv_kvm_cpu_fd[pc->cpu_id] = fd + 1;
    return AXV_OK;
}

static enum axv_err kvm_hardware_disable(struct axv_percpu *pc)
{
    if (!axv_kvm_cpu_fd[pc->cpu_id])
        return AXV_ERR_BAD_STATE;
    close(axv_kvm_cpu_fd[pc->cpu_id] - 1);
    axv_kvm_cpu_fd[pc->cpu_id] = 0;
    return AXV_OK;
}

static bool kvm_is_enabled(const struct axv_percpu *pc)
{
    return axv_kvm_cpu_fd[pc->cpu_id] != 0;
}

/* ---------------------------------------------------------------------- VM */
enum axv_err axv_kvm_vm_init(struct axv_kvm_vm *vm, const struct axv_kvm_vm_config *cfg)
{
    enum axv_err err;

    if (!vm || !cfg)
        return AXV_ERR_INVALID_INPUT;
    memset(vm, 0, sizeof(*vm));
    vm->kvm_fd = vm->vm_fd = -1;
    if ((err = kvm_open_checked(&vm->kvm_fd)))
        return err;
    kvm_install_kick();
    vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0 || vm->run_size <= 0) {
        axv_kvm_vm_destroy(vm);
        return kvm_fail(AXV_ERR_IO, "KVM_CREATE_VM failed");
    }
    if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, AXV_KVM_TSS_ADDR) < 0) {
        axv_kvm_vm_destroy(vm);
        return kvm_fail(AXV_ERR_IO, "KVM_SET_TSS_ADDR failed");
    }
    if (cfg->msr_count) {
        /* Only the range exits to user space; KVM answers every other MSR
         * itself, with #GP for ones it does not know, as hardware would. */
        struct kvm_enable_cap cap = {.cap = KVM_CAP_X86_USER_SPACE_MSR};
        cap.args[0] = KVM_MSR_EXIT_REASON_FILTER;
        static uint8_t deny[0x600]; /* all zero: every MSR of the range is denied to KVM */
        if (cfg->msr_count > 8u * sizeof(deny)) {
            axv_kvm_vm_destroy(vm);
            return kvm_fail(AXV_ERR_INVALID_INPUT, "MSR range larger than a KVM filter bitmap");
        }
        struct kvm_msr_filter filter;
        memset(&filter, 0, sizeof(filter));
        filter.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
        filter.ranges[0] = (struct kvm_msr_filter_range){
            .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
            .nmsrs = cfg->msr_count,
            .base = cfg->msr_base,
            .bitmap = deny,
        };
        if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0 || ioctl(vm->vm_fd, KVM_X86_SET_MSR_FILTER, &filter) < 0) {
            axv_kvm_vm_destroy(vm);
            return kvm_fail(AXV_ERR_UNSUPPORTED, "user-space MSR filter refused");
        }
    }
    return AXV_OK;
}

enum axv_err axv_kvm_vm_add_memory(struct axv_kvm_vm *vm, uint64_t gpa, void *hva, uint64_t size)
{
    if (!vm || !hva || !size || (gpa | size | (uint64_t)(uintptr_t)hva) & 0xfffu)
        return AXV_ERR_INVALID_INPUT;
    if (vm->n_slots >= AXV_KVM_MAX_SLOTS)
        return AXV_ERR_STORAGE_FULL;
    struct kvm_userspace_memory_region r = {
        .slot = vm->n_slots,
        .guest_phys_addr = gpa,
        .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)hva,
    };
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return errno == EEXIST ? AXV_ERR_ADDR_IN_USE : AXV_ERR_INVALID_INPUT;
    vm->slots[vm->n_slots++] = (struct axv_kvm_mmio_range){gpa, size};
    return AXV_OK;
}

enum axv_err axv_kvm_vm_add_mmio(struct axv_kvm_vm *vm, uint64_t gpa, uint64_t size)
{
    if (!vm || !size || gpa + size < gpa)
        return AXV_ERR_INVALID_INPUT;
    if (vm->n_mmio >= AXV_KVM_MAX_MMIO)
        return AXV_ERR_STORAGE_FULL;
    vm->mmio[vm->n_mmio++] = (struct axv_kvm_mmio_range){gpa, size};
    return AXV_OK;
}

void axv_kvm_vm_destroy(struct axv_kvm_vm *vm)
{
    if (!vm)
        return;
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    vm->vm_fd = vm->kvm_fd = -1;
}

static bool kvm_in_mmio(const struct axv_kvm_vm *vm, uint64_t gpa, uint32_t len)
{
    for (uint32_t i = 0; i < vm->n_mmio; i++)
        if (gpa >= vm->mmio[i].gpa && gpa - vm->mmio[i].gpa + len <= vm->mmio[i].size)
            return true;
    return false;
}

/* --------------------------------------------------------------- registers */
/* kvm_regs field of each x86 register number (rax=0, rcx, rdx, rbx, rsp, ...). */
static const uint16_t axv_kvm_reg_offsets[16] = {
    offsetof(struct kvm_regs, rax), offsetof(struct kvm_regs, rcx), offsetof(struct kvm_regs, rdx),
    offsetof(struct kvm_regs, rbx), offsetof(struct kvm_regs, rsp), offsetof(struct kvm_regs, rbp),
    offsetof(struct kvm_regs, rsi), offsetof(struct kvm_regs, rdi), offsetof(struct kvm_regs, r8),
    offsetof(struct kvm_regs, r9),  offsetof(struct kvm_regs, r10), offsetof(struct kvm_regs, r11),
    offsetof(struct kvm_regs, r12), offsetof(struct kvm_regs, r13), offsetof(struct kvm_regs, r14),
    offsetof(struct kvm_regs, r15),
};

/* The registers in the shared kvm_run page: valid after every KVM_RUN. */
static struct kvm_regs *kvm_regs(struct axv_kvm_vcpu *k)
{
    if (!k->regs_cached) {
        if (ioctl(k->fd, KVM_GET_REGS, &k->run->s.regs.regs) < 0)
            return NULL;
        k->regs_cached = true;
    }
    return &k->run->s.regs.regs;
}

static uint64_t *kvm_reg_slot(struct kvm_regs *r, uint32_t reg)
{
    return (uint64_t *)((char *)r + axv_kvm_reg_offsets[reg]);
}

/* Marks the registers for KVM to load at the next entry. */
static void kvm_regs_dirty(struct axv_kvm_vcpu *k)
{
    k->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

enum axv_err axv_kvm_get_gpr(struct axv_vcpu *v, uint32_t reg, uint64_t *value)
{
    if (!v || !v->arch || reg >= 16 || !value)
        return AXV_ERR_INVALID_INPUT;
    struct kvm_regs *r = kvm_regs(kvm_of(v));
    if (!r)
        return AXV_ERR_IO;
    *value = *kvm_reg_slot(r, reg);
    return AXV_OK;
}

int axv_kvm_vcpu_fd(const struct axv_vcpu *v)
{
    return v && v->arch ? kvm_of(v)->fd : -1;
}

/* ------------------------------------------------------------------- vCPU */
static enum axv_err kvm_set_cpuid(struct axv_kvm_vcpu *k)
{
    enum { N = 128 };
    size_t size = sizeof(struct kvm_cpuid2) + N * sizeof(struct kvm_cpuid_entry2);
    struct kvm_cpuid2 *c = calloc(1, size);
    enum axv_err err = AXV_OK;

    if (!c)
        return AXV_ERR_NO_MEMORY;
    c->nent = N;
    if (ioctl(k->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0 || ioctl(k->fd, KVM_SET_CPUID2, c) < 0)
        err = AXV_ERR_UNSUPPORTED;
    free(c);
    return err;
}

static enum axv_err kvm_create(struct axv_vcpu *v, const void *config)
{
    const struct axv_kvm_vcpu_config *cfg = config;

    if (!cfg || !cfg->vm || cfg->vm->vm_fd < 0)
        return AXV_ERR_INVALID_INPUT;
    /* axv_kvm_run() decodes these two without the table: if the spec ever
     * routes them elsewhere, that shortcut must change with it. */
    if (axv_kvm_exit_route(KVM_EXIT_IO) != AXV_KVM_ROUTE_PORT_IO ||
        axv_kvm_exit_route(KVM_EXIT_MMIO) != AXV_KVM_ROUTE_MMIO)
        return kvm_fail(AXV_ERR_UNSUPPORTED, "spec/arch/kvm/exits.yaml no longer routes KVM_EXIT_IO/MMIO as "
                                             "axv_kvm_run() assumes");
    uint64_t hpa;
    struct axv_kvm_vcpu *k = axv_backend_alloc(v->hal, sizeof(*k), &hpa);
    if (!k)
        return AXV_ERR_NO_MEMORY;
    k->hpa = hpa;
    k->vm = cfg->vm;
    k->fd = ioctl(cfg->vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->vcpu_id);
    if (k->fd < 0) {
        axv_backend_free(v->hal, hpa, sizeof(*k));
        return errno == EEXIST ? AXV_ERR_ALREADY_EXISTS : AXV_ERR_IO;
    }
    k->run = mmap(NULL, (size_t)cfg->vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd, 0);
    enum axv_err err = k->run == MAP_FAILED ? AXV_ERR_NO_MEMORY : kvm_set_cpuid(k);
    if (err) {
        if (k->run != MAP_FAILED)
            munmap(k->run, (size_t)cfg->vm->run_size);
        close(k->fd);
        axv_backend_free(v->hal, hpa, sizeof(*k));
        return err;
    }
    /*
     * Registers go back to KVM through SYNC_REGS (kvm_dirty_regs: no ioctl),
     * but are not copied out on every exit: measured here, that copy costs
     * about 3% of an I/O exit, and only hypercalls need them. Those fetch
     * them with one KVM_GET_REGS.
     */
    k->run->kvm_valid_regs = 0;
    v->arch = k;
    return AXV_OK;
}

static enum axv_err kvm_set_entry(struct axv_vcpu *v, uint64_t gpa)
{
    struct axv_kvm_vcpu *k = kvm_of(v);
    struct kvm_regs *r = kvm_regs(k);
    if (!r)
        return AXV_ERR_IO;
    r->rip = gpa;
    kvm_regs_dirty(k);
    return AXV_OK;
}

static enum axv_err kvm_set_npt(struct axv_vcpu *v, const struct axv_npt_config *npt)
{
    /* KVM builds its own EPT from the memory slots; only the geometry is checked. */
    (void)v;
    return npt->gpa_bits >= 32 && npt->gpa_bits <= 52 ? AXV_OK : AXV_ERR_INVALID_INPUT;
}

static struct kvm_segment kvm_flat_segment(uint16_t selector, uint8_t type, bool long_code)
{
    return (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = selector, .type = type, .present = 1,
        .dpl = 0, .db = long_code ? 0 : 1, .s = 1, .l = long_code, .g = 1,
    };
}

static enum axv_err kvm_setup(struct axv_vcpu *v, const void *config)
{
    const struct axv_kvm_setup *cfg = config;
    struct axv_kvm_vcpu *k = kvm_of(v);
    struct kvm_sregs s;

    if (!cfg || (cfg->mode != AXV_KVM_MODE_LONG64 && cfg->mode != AXV_KVM_MODE_PROT32))
        return AXV_ERR_INVALID_INPUT;
    if (ioctl(k->fd, KVM_GET_SREGS, &s) < 0)
        return AXV_ERR_IO;
    bool lm = cfg->mode == AXV_KVM_MODE_LONG64;
    s.cs = kvm_flat_segment(0x08, 11, lm);
    s.ds = s.es = s.fs = s.gs = s.ss = kvm_flat_segment(0x10, 3, false);
    s.gdt.base = cfg->gdt_base;
    s.gdt.limit = cfg->gdt_limit;
    if (lm) {
        s.cr3 = cfg->cr3;
        s.cr4 = 0x20;                 /* PAE */
        s.cr0 = 0x80000011;           /* PG | ET | PE */
        s.efer = 0x500;               /* LMA | LME */
    } else {
        s.cr0 = 0x11;                 /* ET | PE */
        s.cr4 = 0;
        s.efer = 0;
    }
    if (ioctl(k->fd, KVM_SET_SREGS, &s) < 0)
        return AXV_ERR_INVALID_INPUT;
    struct kvm_regs *r = kvm_regs(k);
    if (!r)
        return AXV_ERR_IO;
    r->rflags = 2;
    r->rsp = cfg->stack;
    kvm_regs_dirty(k);
    return AXV_OK;
}

static enum axv_err kvm_bind(struct axv_vcpu *v)
{
    struct axv_kvm_vcpu *k = kvm_of(v);
    k->thread = pthread_self();
    __atomic_store_n(&k->bound, 1, __ATOMIC_RELEASE);
    return AXV_OK;
}

static enum axv_err kvm_unbind(struct axv_vcpu *v)
{
    __atomic_store_n(&kvm_of(v)->bound, 0, __ATOMIC_RELEASE);
    return AXV_OK;
}

static enum axv_err kvm_set_gpr(struct axv_vcpu *v, uint32_t reg, uint64_t value)
{
    struct axv_kvm_vcpu *k = kvm_of(v);
    struct kvm_regs *r = kvm_regs(k);
    if (!r)
        return AXV_ERR_IO;
    if (reg == AXV_KVM_RSP)
        return AXV_ERR_INVALID_INPUT; /* as in the original: rsp is not settable */
    *kvm_reg_slot(r, reg) = value;
    kvm_regs_dirty(k);
    return AXV_OK;
}

static enum axv_err kvm_set_return_value(struct axv_vcpu *v, uint64_t value)
{
    return kvm_set_gpr(v, AXV_KVM_RAX, value);
}

/* Pulls the vCPU out of KVM_RUN if it is inside; immediate_exit covers the
 * window just before it enters. */
static void kvm_kick(struct axv_kvm_vcpu *k)
{
    if (!__atomic_load_n(&k->bound, __ATOMIC_ACQUIRE) || pthread_equal(k->thread, pthread_self()))
        return; /* not running, or it is us: the next entry delivers anyway */
    __atomic_store_n(&k->run->immediate_exit, 1, __ATOMIC_RELEASE);
    pthread_kill(k->thread, AXV_KVM_KICK_SIGNAL);
}

void axv_kvm_kick(struct axv_vcpu *v)
{
    if (v && v->arch && v->ops == &axv_kvm_ops)
        kvm_kick(kvm_of(v));
}

static enum axv_err kvm_inject_interrupt(struct axv_vcpu *v, uint32_t vector)
{
    struct axv_kvm_vcpu *k = kvm_of(v);

    if (vector < 32 || axv_irq_pending_set(&k->pending, vector))
        return AXV_ERR_INVALID_INPUT; /* 0..31 are exceptions, not interrupts */
    kvm_kick(k);
    return AXV_OK;
}

/* Delivers one pending interrupt if the guest can take it, else asks KVM to
 * exit as soon as it can (user-space irqchip model). Out of line: the
 * common entry has nothing pending and only runs kvm_irq_work(). */
static __attribute__((noinline, cold)) enum axv_err kvm_deliver_interrupts(struct axv_kvm_vcpu *k)
{
    struct kvm_run *run = k->run;

    /* Writes to the shared kvm_run page cost measurably; write only changes. */
    if (!axv_irq_pending_any(&k->pending)) {
        if (run->request_interrupt_window)
            run->request_interrupt_window = 0;
        return AXV_OK;
    }
    if (run->ready_for_interrupt_injection && run->if_flag) {
        int vector = axv_irq_pending_take(&k->pending);
        if (vector >= 0) {
            struct kvm_interrupt irq = {.irq = (uint32_t)vector};
            if (ioctl(k->fd, KVM_INTERRUPT, &irq) < 0)
                return AXV_ERR_IO;
        }
    }
    run->request_interrupt_window = axv_irq_pending_any(&k->pending) ? 1 : 0;
    return AXV_OK;
}

/* Whether kvm_deliver_interrupts() has anything to do: a vector waits, or a
 * window request from an earlier entry is still to be withdrawn. */
static inline bool kvm_irq_work(const struct axv_kvm_vcpu *k)
{
    return axv_irq_pending_any(&k->pending) || k->run->request_interrupt_window;
}

static void kvm_raw(struct axv_exit *e, const struct kvm_run *run, uint64_t qual, uint64_t addr)
{
    e->raw.source = AXV_RAW_SOURCE_KVM;
    e->raw.code = run->exit_reason;
    e->raw.qual = qual;
    e->raw.addr = addr;
    e->raw.insn = 0;
}

/*
 * The value of a len-byte access (1, 2, 4 or 8, see kvm_width_ok) at p, where
 * p has 8 readable bytes: kvm_run's mmio.data[8], or the port I/O data inside
 * the kvm_run mapping, which is pages long. One load and a mask: a memcpy of
 * variable length is a call into libc, and a switch on len a spread of
 * branches, each one more cold code line on every exit.
 */
static inline uint64_t kvm_load(const uint8_t *p, uint32_t len)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return len >= 8 ? v : v & ((UINT64_C(1) << (8 * len)) - 1);
}

/* Stores the len (1, 2, 4 or 8) low bytes of value at p. */
static void kvm_store_exact(uint8_t *p, uint32_t len, uint64_t value)
{
    if (len == 1) {
        uint8_t b = (uint8_t)value;
        memcpy(p, &b, 1);
    } else if (len == 2) {
        uint16_t h = (uint16_t)value;
        memcpy(p, &h, 2);
    } else if (len == 4) {
        uint32_t w = (uint32_t)value;
        memcpy(p, &w, 4);
    } else {
        memcpy(p, &value, 8);
    }
}

/* The same for an element of a string access, which may end the page. */
static uint64_t kvm_load_exact(const uint8_t *p, uint32_t len)
{
    uint64_t v = 0;
    memcpy(&v, p, len < 8 ? len : 8);
    return v;
}

static bool kvm_width_ok(uint32_t len)
{
    return len == 1 || len == 2 || len == 4 || len == 8;
}

/* The element of a (possibly string) port access the VMM sees next. */
static void kvm_io_element(struct axv_kvm_vcpu *k, struct axv_exit *e)
{
    struct kvm_run *run = k->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset + (size_t)k->io_index * run->io.size;

    if (run->io.direction == KVM_EXIT_IO_OUT) {
        axv_exit_make_io_write(e, run->io.port, run->io.size, kvm_load_exact(data, run->io.size));
        k->io_index++;
    } else {
        axv_exit_make_io_read(e, run->io.port, run->io.size);
        k->read = AXV_KVM_READ_IO;
    }
    kvm_raw(e, run, run->io.port, k->io_index);
}

static __attribute__((noinline, cold)) void kvm_doorbell(struct axv_kvm_vcpu *k, struct axv_exit *e)
{
    const struct kvm_regs *r = kvm_regs(k);
    if (!r) {
        axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_EMULATION_FAILED, AXV_KVM_DOORBELL_PORT);
        kvm_raw(e, k->run, AXV_KVM_DOORBELL_PORT, 0);
        return;
    }
    const uint64_t args[6] = {r->rdi, r->rsi, r->rdx, r->rcx, r->r8, r->r9};
    const struct axv_kvm_call_info *call = axv_kvm_call_find(r->rax);

    /* Calls named in spec/arch/kvm/calls.yaml become their exit; the rest
     * stay hypercalls. Not a switch: new exit kinds are not new calls. */
    enum axv_exit_kind kind = call && !call->answered ? call->exit : AXV_EXIT_HYPERCALL;
    if (kind == AXV_EXIT_CPU_UP)
        axv_exit_make_cpu_up(e, args[0], args[1], args[2]);
    else if (kind == AXV_EXIT_CPU_DOWN)
        axv_exit_make_cpu_down(e, args[0]);
    else if (kind == AXV_EXIT_SYSTEM_DOWN)
        axv_exit_make_system_down(e);
    else if (kind == AXV_EXIT_SHUTDOWN)
        axv_exit_make_shutdown(e, AXV_SHUTDOWN_REASON_RESET_REQUEST);
    else if (kind == AXV_EXIT_SEND_IPI)
        axv_exit_make_send_ipi(e, args[0], 0, args[1] != 0, false, args[2]);
    else
        axv_exit_make_hypercall(e, r->rax, args);
    kvm_raw(e, k->run, AXV_KVM_DOORBELL_PORT, r->rax);
}

static __attribute__((noinline, cold)) void kvm_port_io(struct axv_kvm_vcpu *k, struct axv_exit *e)
{
    struct kvm_run *run = k->run;

    if (run->io.port == AXV_KVM_DOORBELL_PORT && run->io.direction == KVM_EXIT_IO_OUT) {
        kvm_doorbell(k, e);
        return;
    }
    if (!kvm_width_ok(run->io.size) || run->io.count == 0) {
        axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_EMULATION_FAILED, run->io.size);
        kvm_raw(e, run, run->io.port, 0);
        return;
    }
    k->io_index = 0;
    k->io_count = run->io.count;
    kvm_io_element(k, e);
}

static __attribute__((noinline, cold)) void kvm_mmio(struct axv_kvm_vcpu *k, struct axv_exit *e)
{
    struct kvm_run *run = k->run;
    uint64_t gpa = run->mmio.phys_addr;
    uint32_t len = run->mmio.len;

    if (__builtin_expect(!kvm_in_mmio(k->vm, gpa, len), 0)) {
        axv_exit_make_nested_page_fault(e, gpa, run->mmio.is_write ? AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_WRITE
                                                                   : AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_READ);
    } else if (__builtin_expect(!kvm_width_ok(len), 0)) {
        axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_UNALIGNED_ACCESS, len);
    } else if (run->mmio.is_write) {
        axv_exit_make_mmio_write(e, gpa, (uint8_t)len, kvm_load(run->mmio.data, len));
    } else {
        /* KVM's emulator knows the register and the extension; it applies them. */
        axv_exit_make_mmio_read(e, gpa, (uint8_t)len, 0, (uint8_t)len, false);
        k->read = AXV_KVM_READ_MMIO;
    }
    kvm_raw(e, run, len, gpa);
}

static void kvm_system_event(struct kvm_run *run, struct axv_exit *e)
{
    switch (run->system_event.type) {
    case KVM_SYSTEM_EVENT_SHUTDOWN:
        axv_exit_make_system_down(e);
        break;
    case KVM_SYSTEM_EVENT_RESET:
        axv_exit_make_shutdown(e, AXV_SHUTDOWN_REASON_RESET_REQUEST);
        break;
    case KVM_SYSTEM_EVENT_CRASH:
        axv_exit_make_shutdown(e, AXV_SHUTDOWN_REASON_GUEST_PANIC);
        break;
    default:
        axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_EXIT, run->system_event.type);
        break;
    }
    kvm_raw(e, run, run->system_event.type, 0);
}

/* Turns the exit in k->run into e; false when the backend handled it and
 * the guest should simply be re-entered. */
static __attribute__((noinline)) bool kvm_decode(struct axv_kvm_vcpu *k, struct axv_exit *e)
{
    struct kvm_run *run = k->run;

    switch (axv_kvm_exit_route(run->exit_reason)) {
    case AXV_KVM_ROUTE_DIRECT:
        /* A payload-less exit straight from the spec table. */
        e->kind = axv_kvm_exit_direct(run->exit_reason);
        kvm_raw(e, run, 0, 0);
        return true;
    case AXV_KVM_ROUTE_PORT_IO:
        kvm_port_io(k, e);
        return true;
    case AXV_KVM_ROUTE_MMIO:
        kvm_mmio(k, e);
        return true;
    case AXV_KVM_ROUTE_HALT:
        if (axv_irq_pending_any(&k->pending))
            return false; /* an interrupt is already waiting: no need to sleep */
        axv_exit_make_halt(e);
        kvm_raw(e, run, 0, 0);
        return true;
    case AXV_KVM_ROUTE_IRQ_WINDOW:
        return false; /* deliver_interrupts injects on the way back in */
    case AXV_KVM_ROUTE_TRIPLE_FAULT:
        axv_exit_make_shutdown(e, AXV_SHUTDOWN_REASON_TRIPLE_FAULT);
        kvm_raw(e, run, 0, 0);
        return true;
    case AXV_KVM_ROUTE_FAIL_ENTRY:
        axv_exit_make_fail_entry(e, run->fail_entry.hardware_entry_failure_reason);
        kvm_raw(e, run, run->fail_entry.hardware_entry_failure_reason, 0);
        return true;
    case AXV_KVM_ROUTE_INTERNAL_ERROR:
        axv_exit_make_internal_error(e, run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
                                            ? AXV_INTERNAL_ERROR_SUBCODE_EMULATION_FAILED
                                            : AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_TRAP,
                                     run->internal.suberror);
        kvm_raw(e, run, run->internal.suberror, 0);
        return true;
    case AXV_KVM_ROUTE_SYSTEM_EVENT:
        kvm_system_event(run, e);
        return true;
    case AXV_KVM_ROUTE_MSR_READ:
        axv_exit_make_sys_reg_read(e, run->msr.index, 0);
        k->read = AXV_KVM_READ_MSR;
        kvm_raw(e, run, run->msr.reason, run->msr.index);
        return true;
    case AXV_KVM_ROUTE_MSR_WRITE:
        axv_exit_make_sys_reg_write(e, run->msr.index, run->msr.data);
        run->msr.error = 0; /* accepted; the VMM keeps or ignores the value */
        kvm_raw(e, run, run->msr.reason, run->msr.index);
        return true;
    case AXV_KVM_ROUTE_UNHANDLED:
        break;
    }
    axv_exit_make_internal_error(e, AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_EXIT, run->exit_reason);
    kvm_raw(e, run, 0, 0);
    return true;
}

/*
 * KVM_RUN as a bare syscall instruction: 0 or -errno. Through libc it is a
 * call via the PLT, an indirect jump, and the trip through the kernel leaves
 * the indirect branch predictor cold: measured here, each indirect branch on
 * the exit path costs ~30 cycles, about 0.4% of an exit.
 */
static inline long kvm_sys_run(int fd)
{
#if defined(__x86_64__)
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"((long)__NR_ioctl), "D"((long)fd), "S"((unsigned long)KVM_RUN), "d"(0L)
                     : "rcx", "r11", "memory");
    return ret;
#else
    return ioctl(fd, KVM_RUN, 0) < 0 ? -(long)errno : 0;
#endif
}

/* One KVM_RUN: 0 or -errno. The immediate_exit a kick may have set is
 * consumed so that the next entry runs. */
static inline long kvm_enter(struct axv_kvm_vcpu *k)
{
    /* Reset before entering: these lines are cold once KVM returns. */
    k->io_index = k->io_count = 0;
    k->regs_cached = false;
    long rc = kvm_sys_run(k->fd);
    if (__builtin_expect(__atomic_load_n(&k->run->immediate_exit, __ATOMIC_ACQUIRE), 0))
        __atomic_store_n(&k->run->immediate_exit, 0, __ATOMIC_RELEASE);
    return rc;
}

/* KVM_RUN failed: a kick from another thread (EINTR, or EAGAIN from
 * immediate_exit) gives the VMM a chance to poll; anything else is an error. */
static __attribute__((noinline, cold)) enum axv_err kvm_run_failed(struct axv_exit *e, long rc)
{
    if (rc != -EINTR && rc != -EAGAIN)
        return AXV_ERR_IO;
    axv_exit_make_nothing(e);
    e->raw.source = AXV_RAW_SOURCE_KVM;
    e->raw.code = KVM_EXIT_INTR;
    return AXV_OK;
}

/* The general loop: interrupts to deliver first, or exits the backend
 * handles itself (halt with an interrupt waiting, interrupt window) so the
 * guest is re-entered. Every exit is routed by the spec table here. */
static __attribute__((noinline, cold)) enum axv_err kvm_run_slow(struct axv_kvm_vcpu *k, struct axv_exit *e)
{
    for (;;) {
        enum axv_err err = kvm_deliver_interrupts(k);
        if (err)
            return err;
        long rc = kvm_enter(k);
        if (rc < 0)
            return kvm_run_failed(e, rc);
        if (kvm_decode(k, e))
            return AXV_OK;
    }
}

/*
 * The exit path. After the trip through the kernel what it runs is cold:
 * every indirect branch mispredicts and every code or data line is a miss.
 * So the common case (nothing to inject, one port I/O element or one MMIO
 * access) is one straight run with no table lookup, no jump table, no libc
 * call and no loop, starting on a cache line; the rest goes to
 * kvm_run_slow() and kvm_decode().
 */
__attribute__((aligned(64))) enum axv_err axv_kvm_run(struct axv_vcpu *v, struct axv_exit *e)
{
    struct axv_kvm_vcpu *k = kvm_of(v);
    struct kvm_run *run = k->run;

    /* The rest of a string or REP access: one element per exit, KVM not re-entered. */
    if (__builtin_expect(k->io_index < k->io_count, 0)) {
        kvm_io_element(k, e);
        return AXV_OK;
    }
    if (__builtin_expect(kvm_irq_work(k), 0))
        return kvm_run_slow(k, e);
    long rc = kvm_enter(k);
    if (__builtin_expect(rc < 0, 0))
        return kvm_run_failed(e, rc);
    /* Port I/O and MMIO, the exits device models live on, skip the route
     * table; kvm_decode() routes them the same way (kvm_create() checks that
     * the spec still does, tests/kvm runs both). */
    if (__builtin_expect(run->exit_reason == KVM_EXIT_IO, 1)) {
        /* One element on an ordinary port, its data at the start of the PIO
         * page (so kvm_load() may read 8 bytes): strings, REP, the doorbell
         * and bad widths go the long way through kvm_port_io(). */
        uint32_t size = run->io.size;
        if (__builtin_expect(run->io.count != 1 || run->io.port == AXV_KVM_DOORBELL_PORT || !kvm_width_ok(size) ||
                                 run->io.data_offset != AXV_KVM_PIO_DATA,
                             0)) {
            kvm_port_io(k, e);
            return AXV_OK;
        }
        if (run->io.direction == KVM_EXIT_IO_OUT) {
            axv_exit_make_io_write(e, run->io.port, (uint8_t)size,
                                   kvm_load((const uint8_t *)run + run->io.data_offset, size));
            kvm_raw(e, run, run->io.port, 1); /* as kvm_io_element: elements done */
        } else {
            axv_exit_make_io_read(e, run->io.port, (uint8_t)size);
            k->read = AXV_KVM_READ_IO; /* io_index 0: the value goes to the only element */
            kvm_raw(e, run, run->io.port, 0);
        }
        return AXV_OK;
    }
    if (run->exit_reason == KVM_EXIT_MMIO) {
        /* An access of a usual width to a registered range; the rest (nested
         * page faults, odd widths) goes the long way through kvm_mmio(). */
        uint64_t gpa = run->mmio.phys_addr;
        uint32_t len = run->mmio.len;
        if (__builtin_expect(!kvm_width_ok(len) || !kvm_in_mmio(k->vm, gpa, len), 0)) {
            kvm_mmio(k, e);
            return AXV_OK;
        }
        if (run->mmio.is_write) {
            axv_exit_make_mmio_write(e, gpa, (uint8_t)len, kvm_load(run->mmio.data, len));
        } else {
            /* KVM's emulator knows the register and the extension; it applies them. */
            axv_exit_make_mmio_read(e, gpa, (uint8_t)len, 0, (uint8_t)len, false);
            k->read = AXV_KVM_READ_MMIO;
        }
        kvm_raw(e, run, len, gpa);
        return AXV_OK;
    }
    if (kvm_decode(k, e))
        return AXV_OK;
    return kvm_run_slow(k, e);
}

enum axv_err axv_kvm_complete_read(struct axv_vcpu *v, const struct axv_exit_read_shape *shape, uint64_t value)
{
    struct axv_kvm_vcpu *k = kvm_of(v);
    struct kvm_run *run = k->run;
    enum axv_kvm_pending_read read = (enum axv_kvm_pending_read)k->read;

    k->read = AXV_KVM_READ_NONE;
    switch (read) {
    case AXV_KVM_READ_IO: {
        uint8_t *data = (uint8_t *)run + run->io.data_offset + (size_t)k->io_index * run->io.size;
        kvm_store_exact(data, shape->width, value);
        k->io_index++; /* the next run delivers the next element, if any */
        return AXV_OK;
    }
    case AXV_KVM_READ_MMIO:
        /* All of mmio.data[8]: KVM takes the first len bytes, and one store
         * beats a copy of variable length. */
        memcpy(run->mmio.data, &value, sizeof(run->mmio.data));
        return AXV_OK;
    case AXV_KVM_READ_MSR:
        run->msr.data = value;
        run->msr.error = 0;
        return AXV_OK;
    case AXV_KVM_READ_NONE:
        break;
    }
    return AXV_ERR_BAD_STATE;
}

static enum axv_err kvm_destroy(struct axv_vcpu *v)
{
    struct axv_kvm_vcpu *k = kvm_of(v);
    if (!k)
        return AXV_OK;
    munmap(k->run, (size_t)k->vm->run_size);
    close(k->fd);
    v->arch = NULL;
    axv_backend_free(v->hal, k->hpa, sizeof(*k));
    return AXV_OK;
}

const struct axv_arch_ops axv_kvm_ops = {
    .name = "kvm",
    .num_gprs = 16,
    .trusted_exits = true, /* decoders check widths; tests/kvm runs every route */
    .percpu_init = kvm_percpu_init,
    .hardware_enable = kvm_hardware_enable,
    .hardware_disable = kvm_hardware_disable,
    .is_enabled = kvm_is_enabled,
    .create = kvm_create,
    .set_entry = kvm_set_entry,
    .set_npt = kvm_set_npt,
    .setup = kvm_setup,
    .bind = kvm_bind,
    .unbind = kvm_unbind,
    .run = axv_kvm_run,
    .set_gpr = kvm_set_gpr,
    .inject_interrupt = kvm_inject_interrupt,
    .set_return_value = kvm_set_return_value,
    .complete_read = axv_kvm_complete_read,
    .destroy = kvm_destroy,
};
