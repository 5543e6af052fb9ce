/*
 * make bench (kvm part): the same exit-heavy guest run through axv_vcpu_run()
 * and through a raw ioctl(KVM_RUN) loop in one process, interleaved in
 * chunks so both see the same machine noise. Prints ns per exit and the
 * library's overhead ratio, for port I/O exits and MMIO read exits.
 * AXV_BENCH_AA=1 measures a second raw vCPU instead of axvcpu: the noise floor.
 */
#define _GNU_SOURCE /* sched_setaffinity */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "axv/axv.h"
#include "axv/kvm.h"
#include "axv/sim.h"

enum { MEM = 4 << 20, CODE = 0x100000, PML4 = 0x10000, GDT = 0x500, CHUNK = 500, EXITS = 20000, ROUNDS = 7 };
#define DEV 0xfe000000u

/* out %al, $0x80; jmp back  /  mov (%rbx), %eax; jmp back */
static const uint8_t io_loop[] = {0xe6, 0x80, 0xeb, 0xfc};
static const uint8_t mmio_loop[] = {0x8b, 0x03, 0xeb, 0xfc};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "bench-kvm: %s: %s\n", what, errno ? strerror(errno) : "failed");
    exit(1);
}

/* Guest memory with the loop, a GDT and an identity map of 4 GiB. */
static uint8_t *guest_memory(const uint8_t *code, size_t len)
{
    uint8_t *mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        die("mmap");
    static const uint64_t gdt[3] = {0, 0x00af9b000000ffffu, 0x00cf93000000ffffu};
    memcpy(mem + GDT, gdt, sizeof(gdt));
    uint64_t *pml4 = (uint64_t *)(mem + PML4), *pdpt = pml4 + 512, *pd = pdpt + 512;
    pml4[0] = (PML4 + 0x1000) | 3;
    for (uint64_t i = 0; i < 4; i++)
        pdpt[i] = (PML4 + 0x2000 + i * 0x1000) | 3;
    for (uint64_t i = 0; i < 2048; i++)
        pd[i] = (i << 21) | 0x83;
    memcpy(mem + CODE, code, len);
    return mem;
}

/* ---------------------------------------------------------- raw KVM side */
struct raw {
    int vcpu;
    struct kvm_run *run;
};

static struct raw raw_setup(const uint8_t *code, size_t len)
{
    struct raw r;
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("raw KVM_CREATE_VM");
    ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000);
    uint8_t *mem = guest_memory(code, len);
    struct kvm_userspace_memory_region region = {.slot = 0, .memory_size = MEM, .userspace_addr = (uint64_t)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die("raw memory");
    r.vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    r.run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, r.vcpu, 0);
    if (r.vcpu < 0 || r.run == MAP_FAILED)
        die("raw vCPU");
    struct kvm_sregs s;
    ioctl(r.vcpu, KVM_GET_SREGS, &s);
    struct kvm_segment cs = {.limit = 0xffffffff, .selector = 8, .type = 11, .present = 1, .s = 1, .l = 1, .g = 1};
    struct kvm_segment ds = cs;
    ds.selector = 16, ds.type = 3, ds.l = 0, ds.db = 1;
    s.cs = cs;
    s.ds = s.es = s.fs = s.gs = s.ss = ds;
    s.gdt.base = GDT, s.gdt.limit = 23;
    s.cr3 = PML4, s.cr4 = 0x20, s.cr0 = 0x80000011, s.efer = 0x500;
    struct kvm_regs regs = {.rip = CODE, .rflags = 2, .rsp = 0x80000, .rbx = DEV};
    if (ioctl(r.vcpu, KVM_SET_SREGS, &s) < 0 || ioctl(r.vcpu, KVM_SET_REGS, &regs) < 0)
        die("raw registers");
    return r;
}

/*
 * The least a hand-written VMM loop does per exit: run, check the reason and
 * read what the guest did (port, size and data; address and length), and
 * for an MMIO read hand back the data. Anything less is not a VMM.
 */
static uint64_t raw_seen;

static void raw_exits(struct raw *r, int n, uint32_t want)
{
    struct kvm_run *run = r->run;

    for (int i = 0; i < n; i++) {
        if (ioctl(r->vcpu, KVM_RUN, 0) < 0 || run->exit_reason != want)
            die("raw guest exit");
        if (want == KVM_EXIT_IO) {
            uint64_t data = 0;
            memcpy(&data, (uint8_t *)run + run->io.data_offset, run->io.size);
            raw_seen += run->io.port + data;
        } else {
            raw_seen += run->mmio.phys_addr + run->mmio.len;
            if (!run->mmio.is_write)
                memset(run->mmio.data, 0, run->mmio.len);
        }
    }
}

/* ------------------------------------------------------------ axvcpu side */
struct lib {
    struct axv_kvm_vm vm;
    struct axv_vcpu v;
};

static void lib_setup(struct lib *l, const uint8_t *code, size_t len, struct axv_percpu *pc)
{
    struct axv_kvm_vm_config vc = {0};
    struct axv_kvm_vcpu_config kc = {.vm = &l->vm};
    struct axv_vcpu_config cfg = {.arch_config = &kc};
    struct axv_kvm_setup setup = {.mode = AXV_KVM_MODE_LONG64, .cr3 = PML4, .gdt_base = GDT, .gdt_limit = 23,
                                  .stack = 0x80000};
    struct axv_npt_config npt = {.levels = 4, .gpa_bits = 48};
    uint8_t *mem = guest_memory(code, len);

    if (axv_kvm_vm_init(&l->vm, &vc) || axv_kvm_vm_add_memory(&l->vm, 0, mem, MEM) ||
        axv_kvm_vm_add_mmio(&l->vm, DEV, 0x1000) ||
        axv_vcpu_create(&l->v, &cfg, &axv_kvm_ops, axv_host_hal()) ||
        axv_vcpu_setup(&l->v, CODE, &npt, &setup) || axv_vcpu_set_gpr(&l->v, AXV_KVM_RBX, DEV) ||
        axv_vcpu_bind(&l->v))
        die("axvcpu setup");
    (void)pc;
}

static void lib_exits(struct lib *l, int n, enum axv_exit_kind want)
{
    struct axv_exit e;
    for (int i = 0; i < n; i++) {
        if (axv_vcpu_run(&l->v, &e) || e.kind != want)
            die("axvcpu guest exit");
        if (want == AXV_EXIT_MMIO_READ && axv_vcpu_complete_read(&l->v, 0))
            die("completion");
    }
}

/* ------------------------------------------------------------------ main */
static double median(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[n / 2];
}

/*
 * The measured side: axv_vcpu_run(), or with AXV_BENCH_AA=1 in the
 * environment a second raw vCPU, which shows the noise floor of the
 * comparison itself (its ratio should be 1.00 give or take the noise).
 */
static void side_exits(struct lib *l, struct raw *aa, int n, uint32_t raw_reason, enum axv_exit_kind kind)
{
    if (aa)
        raw_exits(aa, n, raw_reason);
    else
        lib_exits(l, n, kind);
}

static void bench(const char *name, const uint8_t *code, size_t len, uint32_t raw_reason, enum axv_exit_kind kind)
{
    struct raw r = raw_setup(code, len);
    static struct lib l;
    struct raw aa_raw, *aa = NULL;
    double lib_ns[ROUNDS], raw_ns[ROUNDS], ratio[ROUNDS];

    axv_vcpu_destroy(&l.v);
    memset(&l, 0, sizeof(l));
    lib_setup(&l, code, len, NULL);
    if (getenv("AXV_BENCH_AA")) {
        aa_raw = raw_setup(code, len);
        aa = &aa_raw;
    }
    side_exits(&l, aa, CHUNK, raw_reason, kind); /* warm both up */
    raw_exits(&r, CHUNK, raw_reason);
    printf("%-5s %5s %14s %14s %8s\n", name, "round", aa ? "raw (A/A)" : "axv_vcpu_run", "raw KVM_RUN", "ratio");
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t tl = 0, tr = 0;
        for (int done = 0, chunk = 0; done < EXITS; done += CHUNK, chunk++) {
            /* Which side goes first alternates: the second of a pair runs
             * in what the first left in the caches and the scheduler, and a
             * fixed order would hand one side that position every time. */
            bool lib_first = (chunk & 1) == 0;
            uint64_t t0 = now_ns();
            if (lib_first)
                side_exits(&l, aa, CHUNK, raw_reason, kind);
            else
                raw_exits(&r, CHUNK, raw_reason);
            uint64_t t1 = now_ns();
            if (lib_first)
                raw_exits(&r, CHUNK, raw_reason);
            else
                side_exits(&l, aa, CHUNK, raw_reason, kind);
            uint64_t t2 = now_ns();
            tl += lib_first ? t1 - t0 : t2 - t1;
            tr += lib_first ? t2 - t1 : t1 - t0;
        }
        lib_ns[round] = (double)tl / EXITS;
        raw_ns[round] = (double)tr / EXITS;
        ratio[round] = lib_ns[round] / raw_ns[round];
        printf("%-5s %5d %11.0f ns %11.0f ns %8.3f\n", name, round, lib_ns[round], raw_ns[round], ratio[round]);
    }
    double rm = median(ratio, ROUNDS);
    printf("%-5s median: %.0f ns per exit through %s, %.0f ns raw; overhead ratio %.3f (target <= 1.02)\n\n", name,
           median(lib_ns, ROUNDS), aa ? "a second raw vCPU" : "axvcpu", median(raw_ns, ROUNDS), rm);
}

int main(void)
{
    static struct axv_percpu pc;

    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        printf("SKIP: kvm bench: /dev/kvm not usable here\n");
        return 0;
    }
    if (axv_percpu_init(&pc, 0, &axv_kvm_ops, axv_host_hal()) || axv_percpu_enable(&pc))
        die("per-CPU enable");
    /* Both sides on one CPU, the last: a migration in the middle of a chunk
     * moved a median by up to 1% on these 2-CPU machines. */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    CPU_ZERO(&set);
    size_t last = ncpu > 1 ? (size_t)ncpu - 1 : 0;
    CPU_SET(last, &set);
    bool pinned = sched_setaffinity(0, sizeof(set), &set) == 0;
    printf("axvcpu kvm bench: %d exits per round and side, interleaved in chunks of %d, %s\n", EXITS, CHUNK,
           pinned ? "pinned to one CPU" : "not pinned (sched_setaffinity failed)");
    bench("io", io_loop, sizeof(io_loop), KVM_EXIT_IO, AXV_EXIT_IO_WRITE);
    bench("mmio", mmio_loop, sizeof(mmio_loop), KVM_EXIT_MMIO, AXV_EXIT_MMIO_READ);
    return 0;
}
