/*
 * axv-run: a small VMM built only on the public axvcpu API and its kvm
 * backend. Loads a flat binary, an ELF64 or a Multiboot v1 kernel, runs it
 * on N vCPU threads with a UART, isa-debug-exit, a power-off path and an
 * MMIO test device (see abi.h), and can write the library's trace as
 * Chrome/Perfetto JSON (--trace) and an exit histogram (--stats).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, getopt_long_only */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "abi.h"
#include "axv/sim.h"
#include "loader.h"
#include "vmm.h"

#define PAGE_PRESENT_RW 0x3u
#define PAGE_2M 0x80u
#define MIN_MEM (2u << 20)
#define MAX_MEM (3ull << 30)   /* stays below the device hole at 0xfe000000 */

static struct vmm machine;
static struct image image;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    fputs("axv-run: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(AXVRUN_EXIT_ERROR);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --------------------------------------------------------------- machine */
void vmm_stop(struct vmm *m, int status, const char *fmt, ...)
{
    pthread_mutex_lock(&m->done_lock);
    if (!m->done) {
        m->status = status;
        if (fmt) {
            va_list ap;
            fflush(stdout);
            fputs("axv-run: ", stderr);
            va_start(ap, fmt);
            vfprintf(stderr, fmt, ap);
            va_end(ap);
            fputc('\n', stderr);
        }
        __atomic_store_n(&m->done, 1, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&m->done_cond);
    }
    pthread_mutex_unlock(&m->done_lock);
}

static bool stopped(const struct vmm *m)
{
    return __atomic_load_n(&m->done, __ATOMIC_ACQUIRE);
}

void vmm_wake(struct vmm *m, uint32_t id)
{
    struct vcpu_slot *s = &m->cpus[id];
    pthread_mutex_lock(&s->lock);
    s->wakeups++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

bool vmm_interrupt(struct vmm *m, uint32_t id, uint32_t vector)
{
    if (id >= m->nvcpus || !__atomic_load_n(&m->cpus[id].running, __ATOMIC_ACQUIRE))
        return false;
    if (axv_vcpu_inject_interrupt(&m->cpus[id].v, vector) != AXV_OK)
        return false;
    vmm_wake(m, id);
    return true;
}

/* Halt: park the vCPU (Blocked) until an interrupt is injected or the machine stops. */
static void vcpu_halt(struct vmm *m, struct vcpu_slot *s, uint64_t seen)
{
    if (axv_vcpu_block(&s->v) != AXV_OK)
        return;
    int halted = __atomic_add_fetch(&m->halted, 1, __ATOMIC_ACQ_REL);
    if (halted == __atomic_load_n(&m->alive, __ATOMIC_ACQUIRE) &&
        !__atomic_load_n(&m->pending_timers, __ATOMIC_ACQUIRE) && s->wakeups == seen)
        vmm_stop(m, AXVRUN_EXIT_CRASH, "all vCPUs halted with nothing to wake them");
    pthread_mutex_lock(&s->lock);
    while (s->wakeups == seen && !stopped(m))
        pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
    __atomic_sub_fetch(&m->halted, 1, __ATOMIC_ACQ_REL);
    axv_vcpu_unblock(&s->v);
}

static void crash(struct vmm *m, struct vcpu_slot *s, const char *what, const struct axv_exit *e)
{
    char text[256];
    uint64_t rip = 0;
    axv_exit_format(e, text, sizeof(text));
    (void)rip;
    vmm_stop(m, AXVRUN_EXIT_CRASH, "vCPU %u: %s (%s)", s->id, what, text);
}

/* One exit: the VMM's whole device model is behind this switch. */
static void handle_exit(struct vmm *m, struct vcpu_slot *s, const struct axv_exit *e)
{
    struct axv_vcpu *v = &s->v;
    enum axv_err err = AXV_OK;

    switch (e->kind) {
    case AXV_EXIT_IO_WRITE:
        dev_io_write(m, e->u.io_write.port, e->u.io_write.width, e->u.io_write.data);
        break;
    case AXV_EXIT_IO_READ:
        err = axv_vcpu_complete_read(v, dev_io_read(m, e->u.io_read.port, e->u.io_read.width));
        break;
    case AXV_EXIT_MMIO_READ: {
        uint64_t value;
        if (!dev_mmio_read(m, e->u.mmio_read.addr, e->u.mmio_read.width, &value))
            return crash(m, s, "MMIO read of a device that does not exist", e);
        err = axv_vcpu_complete_read(v, value);
        break;
    }
    case AXV_EXIT_MMIO_WRITE:
        if (!dev_mmio_write(m, e->u.mmio_write.addr, e->u.mmio_write.width, e->u.mmio_write.data))
            return crash(m, s, "MMIO write to a device that does not exist", e);
        break;
    case AXV_EXIT_SYS_REG_READ:
        err = axv_vcpu_complete_read(v, dev_msr_read(m, e->u.sys_reg_read.addr));
        break;
    case AXV_EXIT_SYS_REG_WRITE:
        dev_msr_write(m, e->u.sys_reg_write.addr, e->u.sys_reg_write.value);
        break;
    case AXV_EXIT_HYPERCALL:
        err = axv_vcpu_set_return_value(v, dev_hypercall(m, s->id, e->u.hypercall.nr, e->u.hypercall.args));
        break;
    case AXV_EXIT_CPU_UP: {
        const struct axv_exit_cpu_up *c = &e->u.cpu_up;
        bool ok = c->target_cpu <= UINT32_MAX && vmm_cpu_up(m, (uint32_t)c->target_cpu, c->entry_point, c->arg);
        err = axv_vcpu_set_return_value(v, ok ? 0 : 1);
        break;
    }
    case AXV_EXIT_SEND_IPI: {
        const struct axv_exit_send_ipi *ipi = &e->u.send_ipi;
        for (uint32_t id = 0; id < m->nvcpus; id++)
            if (ipi->send_to_all ? id != s->id : id == ipi->target_cpu)
                vmm_interrupt(m, id, (uint32_t)ipi->vector);
        break;
    }
    case AXV_EXIT_HALT:
        break; /* handled by the run loop, which knows what the vCPU has seen */
    case AXV_EXIT_CPU_DOWN:
        break; /* the run loop ends the thread */
    case AXV_EXIT_SYSTEM_DOWN:
        vmm_stop(m, AXVRUN_EXIT_POWEROFF, NULL);
        break;
    case AXV_EXIT_SHUTDOWN:
        if (e->u.shutdown.reason == AXV_SHUTDOWN_REASON_TRIPLE_FAULT)
            return crash(m, s, "triple fault", e);
        vmm_stop(m, AXVRUN_EXIT_POWEROFF, "vCPU %u: reset requested; axv-run powers off instead", s->id);
        break;
    case AXV_EXIT_NESTED_PAGE_FAULT:
        return crash(m, s, "nested page fault: access to guest-physical memory that is neither RAM nor a device",
                     e);
    case AXV_EXIT_INTERNAL_ERROR:
        return crash(m, s, "the backend could not handle what the guest did", e);
    case AXV_EXIT_FAIL_ENTRY:
        return crash(m, s, "the hardware refused to enter the guest", e);
    case AXV_EXIT_NOTHING:
    case AXV_EXIT_EXTERNAL_INTERRUPT:
    case AXV_EXIT_IDLE:
    case AXV_EXIT_PREEMPTION_TIMER:
    case AXV_EXIT_INTERRUPT_END:
        break; /* nothing for the VMM to do but run again */
    }
    if (err)
        vmm_stop(m, AXVRUN_EXIT_CRASH, "vCPU %u: the library refused the VMM's answer: %s", s->id,
                 axv_err_message(err));
}

/* ---------------------------------------------------------------- vCPUs */
static void vcpu_fail(struct vcpu_slot *s, const char *what, enum axv_err err)
{
    vmm_stop(&machine, AXVRUN_EXIT_ERROR, "vCPU %u: %s: %s", s->id, what,
             err == AXV_ERR_NO_SUCH_DEVICE || err == AXV_ERR_PERMISSION_DENIED || err == AXV_ERR_UNSUPPORTED
                 ? axv_kvm_last_error()
                 : axv_err_message(err));
}

static enum axv_err vcpu_start(struct vmm *m, struct vcpu_slot *s, const char **what)
{
    const struct axv_hal *hal = axv_host_hal();
    struct axv_kvm_vcpu_config kc = {.vm = &m->kvm};
    struct axv_vcpu_config vc = {.vm_id = 1, .vcpu_id = s->id, .favor_cpu = s->id, .arch_config = &kc};
    struct axv_kvm_setup setup = {
        .mode = image.format == IMAGE_MULTIBOOT && s->id == 0 ? AXV_KVM_MODE_PROT32 : AXV_KVM_MODE_LONG64,
        .cr3 = AXVRUN_PML4,
        .gdt_base = AXVRUN_GDT,
        .gdt_limit = 4 * 8 - 1,
        .stack = AXVRUN_STACK_TOP - (uint64_t)s->id * 0x4000u,
    };
    struct axv_npt_config npt = {.root = 0, .levels = 4, .gpa_bits = 48};
    enum axv_err err;

    axv_host_set_cpu(s->id);
    if ((*what = "per-CPU init", err = axv_percpu_init(&s->pc, s->id, &axv_kvm_ops, hal)) ||
        (*what = "per-CPU enable", err = axv_percpu_enable(&s->pc)) ||
        (*what = "create", err = axv_vcpu_create(&s->v, &vc, &axv_kvm_ops, hal)))
        return err;
    axv_trace_attach(&s->v, s->trace, VMM_TRACE_RECS);
    if ((*what = "setup", err = axv_vcpu_setup(&s->v, s->entry, &npt, &setup)))
        return err;
    *what = "registers";
    if (image.format == IMAGE_MULTIBOOT && s->id == 0) {
        if ((err = axv_vcpu_set_gpr(&s->v, AXV_KVM_RAX, 0x2BADB002u)) ||
            (err = axv_vcpu_set_gpr(&s->v, AXV_KVM_RBX, AXVRUN_MB_INFO)))
            return err;
    } else if ((err = axv_vcpu_set_gpr(&s->v, AXV_KVM_RDI, s->arg))) {
        return err;
    }
    *what = "bind";
    return axv_vcpu_bind(&s->v);
}

static void *vcpu_main(void *arg)
{
    struct vcpu_slot *s = arg;
    struct vmm *m = &machine;
    const char *what = "start";
    enum axv_err err = vcpu_start(m, s, &what);

    if (err) {
        vcpu_fail(s, what, err);
        __atomic_sub_fetch(&m->alive, 1, __ATOMIC_ACQ_REL);
        return NULL;
    }
    __atomic_store_n(&s->running, 1, __ATOMIC_RELEASE);
    while (!stopped(m)) {
        struct axv_exit e;
        pthread_mutex_lock(&s->lock);
        uint64_t seen = s->wakeups;
        pthread_mutex_unlock(&s->lock);
        err = axv_vcpu_run(&s->v, &e);
        uint64_t t0 = now_ns();
        if (err) {
            vmm_stop(m, AXVRUN_EXIT_CRASH, "vCPU %u: run failed: %s", s->id, axv_err_message(err));
            break;
        }
        handle_exit(m, s, &e);
        if (e.kind == AXV_EXIT_HALT)
            vcpu_halt(m, s, seen);
        s->exits[e.kind]++;
        s->exit_ns[e.kind] += now_ns() - t0;
        if (e.kind == AXV_EXIT_CPU_DOWN)
            break;
    }
    __atomic_store_n(&s->running, 0, __ATOMIC_RELEASE);
    __atomic_sub_fetch(&m->alive, 1, __ATOMIC_ACQ_REL);
    if (__atomic_load_n(&m->alive, __ATOMIC_ACQUIRE) == 0)
        vmm_stop(m, AXVRUN_EXIT_CRASH, "every vCPU has stopped and nobody powered off");
    return NULL;
}

bool vmm_cpu_up(struct vmm *m, uint32_t id, uint64_t entry, uint64_t arg)
{
    if (id >= m->nvcpus || entry >= m->mem_size)
        return false;
    struct vcpu_slot *s = &m->cpus[id];
    int expected = 0;
    if (!__atomic_compare_exchange_n(&s->started, &expected, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return false;
    s->entry = entry;
    s->arg = arg;
    __atomic_add_fetch(&m->alive, 1, __ATOMIC_ACQ_REL);
    if (pthread_create(&s->thread, NULL, vcpu_main, s) != 0) {
        __atomic_sub_fetch(&m->alive, 1, __ATOMIC_ACQ_REL);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------- boot data */
static void build_boot_data(struct vmm *m)
{
    static const uint64_t gdt[4] = {
        0,
        0x00af9b000000ffffu, /* 0x08: 64-bit code */
        0x00cf93000000ffffu, /* 0x10: data */
        0x00cf9b000000ffffu, /* 0x18: 32-bit code */
    };
    memcpy(m->mem + AXVRUN_GDT, gdt, sizeof(gdt));

    /* Identity map of the first 4 GiB with 2 MiB pages: PML4, PDPT, 4 PDs. */
    uint64_t *pml4 = (uint64_t *)(m->mem + AXVRUN_PML4);
    uint64_t *pdpt = pml4 + 512;
    uint64_t *pd = pdpt + 512;
    memset(pml4, 0, 6 * 4096);
    pml4[0] = (AXVRUN_PML4 + 0x1000u) | PAGE_PRESENT_RW;
    for (uint64_t i = 0; i < 4; i++)
        pdpt[i] = (AXVRUN_PML4 + 0x2000u + i * 0x1000u) | PAGE_PRESENT_RW;
    for (uint64_t i = 0; i < 4 * 512; i++)
        pd[i] = (i << 21) | PAGE_2M | PAGE_PRESENT_RW;
}

/* -------------------------------------------------------------- options */
struct options {
    uint64_t mem;
    uint32_t smp;
    const char *trace;
    bool stats;
    uint32_t msr_base, msr_count;
    const char *image;
};

static uint64_t parse_size(const char *arg)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || arg[0] == '-')
        die("bad memory size '%s' (e.g. 64M)", arg);
    unsigned shift = 20; /* a bare number is MiB, as with QEMU */
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end || v > (MAX_MEM >> shift))
        die("memory size '%s' is not between 2M and 3G", arg);
    uint64_t bytes = (uint64_t)v << shift;
    if (bytes < MIN_MEM || bytes > MAX_MEM || bytes & 0xfffu)
        die("memory size '%s' is not between 2M and 3G (in whole pages)", arg);
    return bytes;
}

static void usage_die(const char *why) __attribute__((noreturn));
static void usage_die(const char *why)
{
    die("%s (usage: axv-run [-m SIZE] [-smp N] [--trace FILE] [--stats] [--msr-range BASE:COUNT] IMAGE)", why);
}

static struct options parse_options(int argc, char **argv)
{
    static const struct option longs[] = {
        {"smp", required_argument, NULL, 's'},  {"trace", required_argument, NULL, 't'},
        {"stats", no_argument, NULL, 'S'},      {"msr-range", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    struct options o = {.mem = 64u << 20, .smp = 1, .msr_base = AXVRUN_MSR_BASE, .msr_count = AXVRUN_MSR_COUNT};
    int c;
    char *end;

    opterr = 0;
    while ((c = getopt_long_only(argc, argv, "m:", longs, NULL)) != -1) {
        switch (c) {
        case 'm':
            o.mem = parse_size(optarg);
            break;
        case 's': {
            errno = 0;
            unsigned long n = strtoul(optarg, &end, 10);
            if (errno || *end || end == optarg || n < 1 || n > VMM_MAX_VCPUS)
                die("vCPU count '%s' is not between 1 and %d", optarg, VMM_MAX_VCPUS);
            o.smp = (uint32_t)n;
            break;
        }
        case 't':
            o.trace = optarg;
            break;
        case 'S':
            o.stats = true;
            break;
        case 'r': {
            errno = 0;
            unsigned long long base = strtoull(optarg, &end, 0), count = 0;
            bool has_count = !errno && *end == ':';
            if (has_count)
                count = strtoull(end + 1, &end, 0);
            if (!has_count || errno || *end || base > UINT32_MAX || count > 12288 || base + count > 0x100000000ull)
                die("bad MSR range '%s' (BASE:COUNT, at most 12288 MSRs)", optarg);
            o.msr_base = (uint32_t)base;
            o.msr_count = (uint32_t)count;
            break;
        }
        case 'h':
            usage_die("help");
        default:
            if (optopt == 'm' || (optind > 0 && optind <= argc && argv[optind - 1][0] == '-' &&
                                  strchr(argv[optind - 1], '=') == NULL && c == ':'))
                die("option '%s' needs a value", argv[optind - 1]);
            usage_die(optind > 0 && optind <= argc ? "unknown option or missing value" : "bad option");
        }
    }
    if (optind != argc - 1)
        usage_die(optind >= argc ? "no image given" : "more than one image given");
    o.image = argv[optind];
    return o;
}

/* ---------------------------------------------------------------- output */
static void write_trace(const struct vmm *m, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "axv-run: cannot write trace '%s': %s\n", path, strerror(errno));
        return;
    }
    fputc('[', f);
    bool first = true;
    for (uint32_t i = 0; i < m->nvcpus; i++) {
        const struct axv_vcpu *v = &m->cpus[i].v;
        if (!m->cpus[i].started || axv_trace_count(v) == 0)
            continue;
        size_t n = axv_trace_export_json(v, NULL, 0);
        char *buf = malloc(n + 1);
        if (!buf)
            break;
        axv_trace_export_json(v, buf, n + 1);
        buf[n - 1] = '\0'; /* drop the array's brackets: vCPUs share one array */
        fprintf(f, "%s%s", first ? "" : ",\n", buf + 1);
        first = false;
        free(buf);
    }
    fputs("]\n", f);
    fclose(f);
}

static void print_stats(const struct vmm *m, uint64_t elapsed)
{
    fprintf(stderr, "\n%-20s %10s %12s %10s\n", "exit", "count", "VMM time us", "us/exit");
    uint64_t total = 0;
    for (uint32_t k = 0; k < AXV_EXIT__LIMIT; k++) {
        uint64_t n = 0, ns = 0;
        for (uint32_t i = 0; i < m->nvcpus; i++) {
            n += m->cpus[i].exits[k];
            ns += m->cpus[i].exit_ns[k];
        }
        if (!n)
            continue;
        total += n;
        fprintf(stderr, "%-20s %10llu %12.1f %10.2f\n", axv_exit_kind_name((enum axv_exit_kind)k),
                (unsigned long long)n, (double)ns / 1e3, (double)ns / 1e3 / (double)n);
    }
    fprintf(stderr, "%-20s %10llu   in %.3f s on %u vCPU(s)\n", "total", (unsigned long long)total,
            (double)elapsed / 1e9, m->nvcpus);
}

int main(int argc, char **argv)
{
    struct options o = parse_options(argc, argv);
    struct vmm *m = &machine;
    char err[256];
    enum axv_err e;

    m->mem_size = o.mem;
    m->nvcpus = o.smp;
    m->mem = mmap(NULL, o.mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m->mem == MAP_FAILED)
        die("cannot allocate %llu MiB of guest memory", (unsigned long long)(o.mem >> 20));
    if (image_load(o.image, m->mem, m->mem_size, &image, err, sizeof(err)))
        die("%s", err);
    build_boot_data(m);

    struct axv_kvm_vm_config kc = {.msr_base = o.msr_base, .msr_count = o.msr_count};
    if ((e = axv_kvm_vm_init(&m->kvm, &kc)))
        die("cannot create the VM: %s", axv_kvm_last_error());
    if ((e = axv_kvm_vm_add_memory(&m->kvm, 0, m->mem, m->mem_size)) ||
        (e = axv_kvm_vm_add_mmio(&m->kvm, AXVRUN_TESTDEV, AXVRUN_TESTDEV_SIZE)))
        die("cannot set up guest memory: %s", axv_err_message(e));

    m->cpus = calloc(m->nvcpus, sizeof(*m->cpus));
    if (!m->cpus)
        die("out of memory for %u vCPUs", m->nvcpus);
    pthread_mutex_init(&m->dev_lock, NULL);
    pthread_mutex_init(&m->done_lock, NULL);
    pthread_cond_init(&m->done_cond, NULL);
    for (uint32_t i = 0; i < m->nvcpus; i++) {
        m->cpus[i].id = i;
        pthread_mutex_init(&m->cpus[i].lock, NULL);
        pthread_cond_init(&m->cpus[i].cond, NULL);
    }
    dev_start_input(m);

    uint64_t t0 = now_ns();
    if (!vmm_cpu_up(m, 0, image.entry, 0))
        die("cannot start vCPU 0");
    pthread_mutex_lock(&m->done_lock);
    while (!m->done)
        pthread_cond_wait(&m->done_cond, &m->done_lock);
    pthread_mutex_unlock(&m->done_lock);
    uint64_t elapsed = now_ns() - t0;

    /* Stop every vCPU: kick it out of the guest, wake it from halt, join it. */
    for (uint32_t i = 0; i < m->nvcpus; i++) {
        if (!__atomic_load_n(&m->cpus[i].started, __ATOMIC_ACQUIRE))
            continue;
        axv_kvm_kick(&m->cpus[i].v);
        vmm_wake(m, i);
    }
    for (uint32_t i = 0; i < m->nvcpus; i++)
        if (__atomic_load_n(&m->cpus[i].started, __ATOMIC_ACQUIRE))
            pthread_join(m->cpus[i].thread, NULL);
    fflush(stdout);
    if (o.trace)
        write_trace(m, o.trace);
    if (o.stats)
        print_stats(m, elapsed);
    return m->status;
}
