/*
 * The riscv64 bare-metal test image: main() runs every BM_TEST linked in
 * (these harness self-tests, and the backend's tests in other files).
 */
#include "bm_arch.h"
#include "bm_test.h"
#include "bm_vm.h"
#include "gstage.h"
#include "vs_run.h"

_Static_assert(offsetof(struct bm_rv_vs, pc) == 256, "vs_run.S PC");
_Static_assert(offsetof(struct bm_rv_vs, htinst) == 288, "vs_run.S HTINST");
_Static_assert(offsetof(struct bm_rv_vs, host) == 296, "vs_run.S HOST");

int main(void);
int main(void)
{
    bm_run_all();
}

/* ------------------------------------------------------------ harness self-tests */

BM_TEST(harness_hs)
{
    /* hstatus is readable (boot.S checked it): HS-mode. Nothing left over from boot. */
    BM_CHECK_EQ(bm_csrr(hstatus) & (BM_RV_HSTATUS_SPV | BM_RV_HSTATUS_SPVP), 0);
    BM_CHECK_EQ(bm_csrr(stvec), (uintptr_t)bm_rv_trap_entry);
    BM_CHECK_EQ(bm_csrr(sstatus) & BM_RV_SSTATUS_SIE, 0);
    BM_CHECK_EQ(bm_csrr(satp), 0); /* no translation: phys == virt */
    BM_CHECK_EQ(bm_csrr(hgatp), 0);
    BM_CHECK_EQ(bm_csrr(hedeleg), 0);
    BM_CHECK_EQ(bm_csrr(hideleg), 0);
    BM_CHECK(bm_rv_semihosting, "QEMU runs without -semihosting");
    BM_CHECK_EQ(bm_rv_boot_hartid, 0);
    BM_CHECK_EQ(*(const uint32_t *)(uintptr_t)bm_rv_boot_dtb, 0xedfe0dd0u); /* FDT magic, big-endian */
    BM_CHECK_EQ(bm_hal()->cpu_id(bm_hal()->ctx), 0);
    int local;
    BM_CHECK((uintptr_t)&local > (uintptr_t)__bm_stack_bottom && (uintptr_t)&local < (uintptr_t)__bm_stack_top,
             "the stack is not where link.ld put it");
    BM_CHECK((uintptr_t)__bm_heap_end <= bm_rv_boot_dtb, "the heap overlaps the DTB at 0x%llx",
             (unsigned long long)bm_rv_boot_dtb);
}

BM_TEST(harness_sbi)
{
    uint64_t value = 0;
    /* Base extension: get_spec_version (OpenSBI 1.1 implements SBI 1.0), probe_extension(SRST). */
    BM_CHECK_EQ(bm_rv_sbi_call(0x10, 0, 0, 0, 0, &value), 0);
    BM_CHECK(value >= 0x1000000u, "SBI spec version 0x%llx, want 1.0 or later", (unsigned long long)value);
    BM_CHECK_EQ(bm_rv_sbi_call(0x10, 3, 0x53525354u, 0, 0, &value), 0);
    BM_CHECK_NE(value, 0);
}

/* Walks an Sv39x4 table by hand (not with bm_gs_lookup): the leaf PTE and its level. */
static uint64_t manual_walk(uint64_t root, uint64_t gpa, unsigned *leaf_level)
{
    uint64_t pte = ((const uint64_t *)(uintptr_t)root)[gpa >> 30]; /* level 2: 2048 entries over 4 pages */
    BM_CHECK_EQ(pte & 0xff, BM_GS_PTE_V);                           /* a pointer: V only */
    uint64_t l1 = BM_GS_PTE_ADDR(pte);
    pte = ((const uint64_t *)(uintptr_t)l1)[(gpa >> 21) & 511];
    if (pte & (BM_GS_PTE_R | BM_GS_PTE_X)) {
        *leaf_level = 1;
        return pte;
    }
    BM_CHECK_EQ(pte & 0xff, BM_GS_PTE_V);
    uint64_t l0 = BM_GS_PTE_ADDR(pte);
    *leaf_level = 0;
    return ((const uint64_t *)(uintptr_t)l0)[(gpa >> 12) & 511];
}

#define LEAF_BITS (BM_GS_PTE_V | BM_GS_PTE_U | BM_GS_PTE_A | BM_GS_PTE_D)

BM_TEST(harness_gstage)
{
    size_t before = bm_frames_in_use();
    BM_CHECK_EQ(bm_gs_gpa_bits(3), 41);
    BM_CHECK_EQ(bm_gs_gpa_bits(4), 50);
    BM_CHECK_EQ(bm_gs_gpa_bits(5), 59);
    BM_CHECK_EQ(bm_gs_create(2), 0);
    BM_CHECK_EQ(bm_gs_create(6), 0);

    uint64_t root = bm_gs_create(3);
    BM_CHECK_NE(root, 0);
    BM_CHECK_EQ(root % 0x4000, 0); /* four concatenated pages */
    BM_CHECK_EQ(bm_frames_in_use(), before + 4);
    BM_CHECK_EQ(bm_gs_hgatp(3, root, 5), 8ull << 60 | 5ull << 44 | root >> 12);
    BM_CHECK_EQ(bm_gs_hgatp(4, 0x80004000, 0x3fff), 9ull << 60 | 0x3fffull << 44 | 0x80004);
    struct axv_npt_config npt;
    BM_CHECK(bm_gs_npt(root, &npt), "unknown root");
    BM_CHECK_EQ(npt.root, root);
    BM_CHECK_EQ(npt.levels, 3);
    BM_CHECK_EQ(npt.gpa_bits, 41);

    /* 4 MiB of "RAM" at the guest's RAM base: two megapages. */
    uint64_t ram = bm_hal()->alloc_frames(bm_hal()->ctx, 1024, 512);
    BM_CHECK_NE(ram, 0);
    BM_CHECK_EQ(bm_gs_map(root, 0x80000000, ram, 0x400000, BM_MAP_RWX), 0);
    unsigned level;
    uint64_t pte = manual_walk(root, 0x80000000, &level);
    BM_CHECK_EQ(level, 1);
    BM_CHECK_EQ(BM_GS_PTE_ADDR(pte), ram);
    BM_CHECK_EQ(pte & 0x3ff, LEAF_BITS | BM_GS_PTE_R | BM_GS_PTE_W | BM_GS_PTE_X);
    BM_CHECK_EQ(pte >> 54, 0); /* reserved, PBMT and N bits clear */
    pte = manual_walk(root, 0x80200000, &level);
    BM_CHECK_EQ(level, 1);
    BM_CHECK_EQ(BM_GS_PTE_ADDR(pte), ram + 0x200000);
    uint64_t hpa;
    BM_CHECK(bm_gs_lookup(root, 0x80123458, &hpa, NULL, &level), "not mapped");
    BM_CHECK_EQ(hpa, ram + 0x123458);
    BM_CHECK_EQ(level, 1);
    BM_CHECK(!bm_gs_lookup(root, 0x80400000, NULL, NULL, NULL), "mapped past the end");
    BM_CHECK(!bm_gs_lookup(root, 0x7ffff000, NULL, NULL, NULL), "mapped before the start");
    BM_CHECK(!bm_gs_lookup(root, 0x10000000, NULL, NULL, NULL), "the UART is mapped");

    /* Pages where a megapage does not fit: unaligned GPA, read-only, no execute. */
    BM_CHECK_EQ(bm_gs_map(root, 0x90001000, ram + 0x1000, 0x2000, BM_MAP_R), 0);
    pte = manual_walk(root, 0x90002000, &level);
    BM_CHECK_EQ(level, 0);
    BM_CHECK_EQ(BM_GS_PTE_ADDR(pte), ram + 0x2000);
    BM_CHECK_EQ(pte & 0x3ff, LEAF_BITS | BM_GS_PTE_R);
    BM_CHECK(!bm_gs_lookup(root, 0x90000000, NULL, NULL, NULL), "page before the range mapped");
    BM_CHECK(!bm_gs_lookup(root, 0x90003000, NULL, NULL, NULL), "page after the range mapped");
    /* Execute-only and device (no memory type in the PTE without Svpbmt). */
    BM_CHECK_EQ(bm_gs_map(root, 0x90004000, ram + 0x4000, 0x1000, BM_MAP_X), 0);
    pte = manual_walk(root, 0x90004000, &level);
    BM_CHECK_EQ(pte & 0x3ff, LEAF_BITS | BM_GS_PTE_X);
    BM_CHECK_EQ(bm_gs_map(root, 0x90005000, 0x10000000, 0x1000, BM_MAP_R | BM_MAP_W | BM_MAP_DEVICE), 0);
    pte = manual_walk(root, 0x90005000, &level);
    BM_CHECK_EQ(pte & 0x3ff, LEAF_BITS | BM_GS_PTE_R | BM_GS_PTE_W);
    BM_CHECK_EQ(BM_GS_PTE_ADDR(pte), 0x10000000);

    /* The top of the 41-bit space: the last entry of the fourth root page. */
    BM_CHECK_EQ(bm_gs_map(root, 0x1fffffff000, ram, 0x1000, BM_MAP_R), 0);
    pte = manual_walk(root, 0x1fffffff000, &level);
    BM_CHECK_EQ(level, 0);
    BM_CHECK_NE(((const uint64_t *)(uintptr_t)root)[2047], 0);

    /* Refusals. */
    BM_CHECK_EQ(bm_gs_map(root, 0x80000000, ram, 0x1000, BM_MAP_RWX), BM_EEXIST);
    BM_CHECK_EQ(bm_gs_map(root, 0x80100000, ram, 0x1000, BM_MAP_RWX), BM_EEXIST); /* inside a megapage */
    BM_CHECK_EQ(bm_gs_map(root, 0x90002000, ram, 0x1000, BM_MAP_RWX), BM_EEXIST);
    BM_CHECK_EQ(bm_gs_map(root, 0x90100800, ram, 0x1000, BM_MAP_RWX), BM_EINVAL);
    BM_CHECK_EQ(bm_gs_map(root, 0x90100000, ram, 0x800, BM_MAP_RWX), BM_EINVAL);
    BM_CHECK_EQ(bm_gs_map(root, 0x20000000000, ram, 0x1000, BM_MAP_RWX), BM_EINVAL);
    BM_CHECK_EQ(bm_gs_map(root, 0x1fffffff000, ram, 0x2000, BM_MAP_RWX), BM_EINVAL);
    BM_CHECK_EQ(bm_gs_map(root, 0x90100000, ram, 0x1000, BM_MAP_W), BM_EINVAL);       /* W without R */
    BM_CHECK_EQ(bm_gs_map(root, 0x90100000, ram, 0x1000, BM_MAP_DEVICE), BM_EINVAL);  /* no permission */
    BM_CHECK_EQ(bm_gs_map(root, 0x90100000, 1ull << 56, 0x1000, BM_MAP_R), BM_EINVAL); /* beyond the PPN */
    BM_CHECK_EQ(bm_gs_map(root + 0x1000, 0, ram, 0x1000, BM_MAP_RWX), BM_EINVAL);
    BM_CHECK(!bm_gs_lookup(root, 0x90100000, NULL, NULL, NULL), "a refused mapping is there");

    /*
     * Root (4) + level-1 tables for 0x80000000..0xbfffffff (both RAM and the pages at 0x90000000)
     * and 0x1ffc0000000 + level-0 tables for 0x90000000 and 0x1ffffe00000.
     */
    BM_CHECK_EQ(bm_gs_table_count(root), 8);
    BM_CHECK_EQ(bm_frames_in_use(), before + 8 + 1024);
    bm_gs_destroy(root);
    BM_CHECK(!bm_gs_npt(root, &npt), "destroyed root still known");
    bm_hal()->free_frames(bm_hal()->ctx, ram, 1024);
    BM_CHECK_EQ(bm_frames_in_use(), before);
}

BM_TEST(harness_gstage_geometries)
{
    size_t before = bm_frames_in_use();
    for (unsigned levels = 3; levels <= 5; levels++) {
        uint64_t root = bm_gs_create(levels);
        BM_CHECK(root, "levels %u refused", levels);
        BM_CHECK_EQ(root % 0x4000, 0);
        BM_CHECK_EQ(bm_frames_in_use(), before + 4);
        uint64_t top = (1ull << bm_gs_gpa_bits(levels)) - 0x200000;
        BM_CHECK_EQ(bm_gs_map(root, 0x80000000, 0x80000000, 0x201000, BM_MAP_RWX), 0);
        BM_CHECK_EQ(bm_gs_map(root, top, 0x80400000, 0x200000, BM_MAP_RWX), 0);
        uint64_t hpa;
        unsigned level;
        BM_CHECK(bm_gs_lookup(root, 0x80200abc, &hpa, NULL, &level), "page not mapped");
        BM_CHECK_EQ(hpa, 0x80200abc);
        BM_CHECK_EQ(level, 0);
        BM_CHECK(bm_gs_lookup(root, top + 0x1234, &hpa, NULL, &level), "top megapage not mapped");
        BM_CHECK_EQ(hpa, 0x80401234);
        BM_CHECK_EQ(level, 1);
        /* Root + (levels - 2) tables per path, the two paths share nothing below the root. */
        BM_CHECK_EQ(bm_gs_table_count(root), 4 + 2 * (levels - 2) + 1);
        struct axv_npt_config npt;
        BM_CHECK(bm_gs_npt(root, &npt), "unknown root");
        BM_CHECK_EQ(npt.levels, levels);
        BM_CHECK_EQ(npt.gpa_bits, bm_gs_gpa_bits(levels));
        bm_gs_destroy(root);
        BM_CHECK_EQ(bm_frames_in_use(), before);
    }
}

/* The timer's rate (monotonic time: harness_clock, common). */
BM_TEST(harness_timer)
{
    BM_CHECK_EQ(bm_now_ns() % 100, 0); /* 10 MHz: 100 ns per tick */
}

/* True if the 32-bit instruction `insn` is at some 2-byte boundary of the blob. */
static bool blob_has_insn(const struct bm_blob *b, uint32_t insn)
{
    for (uint64_t i = 0; i + 4 <= b->size; i += 2) {
        uint32_t w = (uint32_t)b->data[i] | (uint32_t)b->data[i + 1] << 8 | (uint32_t)b->data[i + 2] << 16 |
                     (uint32_t)b->data[i + 3] << 24;
        if (w == insn)
            return true;
    }
    return false;
}

BM_TEST(harness_guest)
{
    const struct bm_blob *nop = bm_guest("nop");
    BM_CHECK(nop, "guest 'nop' not embedded");
    BM_CHECK(!bm_guest("no-such-guest"), "found a guest that does not exist");
    BM_CHECK(nop->size >= 8 && nop->size % 2 == 0, "nop is %llu bytes", (unsigned long long)nop->size);
    BM_CHECK(blob_has_insn(nop, 0x00000073u), "no ecall in nop");
    BM_CHECK(blob_has_insn(nop, 0x535258b7u), "no lui a7, 0x53525 (the SRST id) in nop");

    size_t before = bm_frames_in_use();
    struct bm_vm vm;
    BM_CHECK_EQ(bm_vm_create(&vm, "no-such-guest", 0), BM_EINVAL);
    BM_CHECK_EQ(bm_frames_in_use(), before);
    BM_CHECK_EQ(bm_vm_create(&vm, "nop", 0), 0);
    BM_CHECK_EQ(vm.entry, 0x80000000);
    BM_CHECK_EQ(vm.ram_size, 0x200000);
    BM_CHECK_EQ(vm.npt.levels, BM_GS_LEVELS);
    BM_CHECK_EQ(vm.npt.gpa_bits, BM_GS_GPA_BITS);
    BM_CHECK_EQ(vm.npt.root % 0x4000, 0);
    uint64_t hpa, pte;
    unsigned level;
    BM_CHECK(bm_gs_lookup(vm.npt.root, vm.entry, &hpa, &pte, &level), "entry not mapped");
    BM_CHECK_EQ(hpa, vm.ram_hpa);
    BM_CHECK_EQ(level, 1);
    BM_CHECK_EQ(pte & 0x3ff, LEAF_BITS | BM_GS_PTE_R | BM_GS_PTE_W | BM_GS_PTE_X);
    BM_CHECK_EQ(memcmp((void *)(uintptr_t)hpa, nop->data, (size_t)nop->size), 0);
    BM_CHECK_EQ(bm_vm_ptr(&vm, 0x80000000, 4), (uintptr_t)vm.ram_hpa);
    BM_CHECK_EQ(bm_vm_ptr(&vm, 0x801ffffc, 4), (uintptr_t)vm.ram_hpa + 0x1ffffc);
    BM_CHECK(!bm_vm_ptr(&vm, 0x801ffffc, 8), "range past the end of RAM");
    BM_CHECK(!bm_vm_ptr(&vm, 0x7ffffffc, 4), "range before RAM");
    BM_CHECK(!bm_gs_lookup(vm.npt.root, 0x80200000, NULL, NULL, NULL), "mapped past RAM");
    bm_vm_destroy(&vm);
    bm_vm_destroy(&vm); /* twice is harmless */
    BM_CHECK_EQ(bm_frames_in_use(), before);
}

/* ------------------------------------------------------------ guests in VS-mode (vs_run.h) */

#define SCAUSE_BREAKPOINT 3u
#define SCAUSE_ECALL_VS 10u
#define SCAUSE_FETCH_GUEST_PAGE_FAULT 20u
#define SCAUSE_LOAD_GUEST_PAGE_FAULT 21u
#define SCAUSE_STORE_GUEST_PAGE_FAULT 23u
#define REG_SP 2
#define REG_A0 10
#define REG_A1 11
#define REG_A2 12
#define REG_A6 16
#define REG_A7 17
#define REG_S2 18

#define INSN_LD_A0_A1 0x0005b503u  /* ld a0, 0(a1) */
#define INSN_SD_A0_A1 0x00a5b023u  /* sd a0, 0(a1) */
#define INSN_ECALL 0x00000073u

static struct bm_vm vs_vm;
static struct bm_rv_vs vs;

static void vs_cleanup(void *arg)
{
    (void)arg;
    bm_arch_trap_recover(); /* hgatp, hedeleg, hstatus back to the harness's values */
    bm_vm_destroy(&vs_vm);
}

/* A VM for guest `name` with hgatp set (VMID 1); vs zeroed with pc = the entry. */
static void vs_start(const char *name)
{
    bm_cleanup(vs_cleanup, NULL);
    BM_CHECK_EQ(bm_vm_create(&vs_vm, name, 0), 0);
    memset(&vs, 0, sizeof(vs));
    vs.pc = vs_vm.entry;
    bm_csrw(vsatp, 0);
    bm_csrw(hgatp, bm_gs_hgatp(vs_vm.npt.levels, vs_vm.npt.root, 1));
    BM_CHECK_EQ(bm_csrr(hgatp), bm_gs_hgatp(3, vs_vm.npt.root, 1)); /* QEMU accepts Sv39x4 and VMID 1 */
    __asm__ volatile("hfence.gvma zero, zero" : : : "memory");
}

/* Runs until the guest's next trap; expects scause `cause`. */
static void vs_step(uint64_t cause)
{
    bm_rv_vs_run(&vs);
    BM_CHECK(vs.scause == cause,
             "guest trap scause=0x%llx, expected 0x%llx (sepc=0x%llx stval=0x%llx htval=0x%llx a0=0x%llx)",
             (unsigned long long)vs.scause, (unsigned long long)cause, (unsigned long long)vs.pc,
             (unsigned long long)vs.stval, (unsigned long long)vs.htval, (unsigned long long)vs.x[REG_A0]);
}

/* The nop guest through the harness's G-stage tables: its first trap is the SRST call. */
BM_TEST(harness_vs_nop)
{
    vs_start("nop");
    vs_step(SCAUSE_ECALL_VS);
    BM_CHECK_EQ(bm_csrr(hstatus) & BM_RV_HSTATUS_SPV, 0);
    BM_CHECK_EQ(bm_csrr(stvec), (uintptr_t)bm_rv_trap_entry);
    BM_CHECK_EQ(vs.x[REG_A7], 0x53525354u);
    BM_CHECK_EQ(vs.x[REG_A6], 0);
    BM_CHECK_EQ(vs.x[REG_A0], 0);
    BM_CHECK_EQ(vs.x[REG_A1], 0);
    BM_CHECK(vs.pc > 0x80000000u && vs.pc < 0x80000000u + vs_vm.image->size, "ecall at 0x%llx",
             (unsigned long long)vs.pc);
}

/* Loads, stores and fetches through megapages and pages, and the faults of what is not mapped. */
BM_TEST(harness_vs_gstage)
{
    vs_start("nop");
    uint32_t *code = bm_vm_ptr(&vs_vm, 0x80100000, 16);
    BM_CHECK(code, "no guest RAM");
    code[0] = INSN_LD_A0_A1;
    code[1] = INSN_ECALL;
    code[2] = INSN_SD_A0_A1;
    code[3] = INSN_ECALL;
    bm_sync_guest_memory((uintptr_t)code, 16);

    /* A load from RAM (the megapage): the image's first 8 bytes. */
    uint64_t first;
    memcpy(&first, vs_vm.image->data, 8);
    vs.pc = 0x80100000;
    vs.x[REG_A1] = 0x80000000;
    vs_step(SCAUSE_ECALL_VS);
    BM_CHECK_EQ(vs.x[REG_A0], first);
    BM_CHECK_EQ(vs.pc, 0x80100004);

    /* A load from an unmapped GPA: load guest-page fault, htval = gpa >> 2. */
    vs.pc = 0x80100000;
    vs.x[REG_A1] = 0x0a000010;
    vs_step(SCAUSE_LOAD_GUEST_PAGE_FAULT);
    BM_CHECK_EQ(vs.pc, 0x80100000);
    BM_CHECK_EQ(vs.stval, 0x0a000010);
    BM_CHECK_EQ(vs.htval, 0x0a000010 >> 2);

    /* A store to RAM, read back by the host. */
    vs.pc = 0x80100008;
    vs.x[REG_A0] = 0xfeedfacecafebeefull;
    vs.x[REG_A1] = 0x801ffff8;
    vs_step(SCAUSE_ECALL_VS);
    BM_CHECK_EQ(*(uint64_t *)bm_vm_ptr(&vs_vm, 0x801ffff8, 8), 0xfeedfacecafebeefull);

    /* A read-only 4 KiB page: loads work, stores fault. */
    static const unsigned frames = 3;
    uint64_t *extra = bm_alloc_frames(frames, 1);
    BM_CHECK(extra, "no memory");
    extra[0] = 0x0123456789abcdefull;
    uint64_t extra_pa = (uintptr_t)extra;
    bool ok = bm_vm_map(&vs_vm, 0x90000000, extra_pa, 0x1000, BM_MAP_R) == 0;
    /* A readable, writable page without execute; a 4 KiB RWX page with code. */
    ok = ok && bm_vm_map(&vs_vm, 0x90001000, extra_pa + 0x1000, 0x1000, BM_MAP_R | BM_MAP_W) == 0;
    ok = ok && bm_vm_map(&vs_vm, 0x90002000, extra_pa + 0x2000, 0x1000, BM_MAP_RWX) == 0;
    uint32_t *page_code = (uint32_t *)(uintptr_t)(extra_pa + 0x2000);
    page_code[0] = INSN_LD_A0_A1;
    page_code[1] = INSN_ECALL;
    ((uint32_t *)(uintptr_t)(extra_pa + 0x1000))[0] = INSN_ECALL;
    bm_sync_guest_memory(extra_pa, frames * 0x1000ull);
    if (!ok) {
        bm_free_frames(extra, frames);
        BM_FAIL("bm_vm_map failed");
    }

    vs.pc = 0x80100000;
    vs.x[REG_A1] = 0x90000000;
    bm_rv_vs_run(&vs);
    uint64_t cause = vs.scause, a0 = vs.x[REG_A0];
    vs.pc = 0x80100008;
    vs.x[REG_A1] = 0x90000008;
    bm_rv_vs_run(&vs);
    uint64_t st_cause = vs.scause, st_htval = vs.htval;
    vs.pc = 0x90001000; /* no X */
    bm_rv_vs_run(&vs);
    uint64_t nx_cause = vs.scause, nx_stval = vs.stval, nx_htval = vs.htval;
    vs.pc = 0x90002000; /* code on a 4 KiB page, loading from the read-only page */
    vs.x[REG_A1] = 0x90000000;
    bm_rv_vs_run(&vs);
    uint64_t pg_cause = vs.scause, pg_a0 = vs.x[REG_A0], pg_pc = vs.pc;
    bm_free_frames(extra, frames); /* the tables go with the vm (cleanup) */

    BM_CHECK_EQ(cause, SCAUSE_ECALL_VS);
    BM_CHECK_EQ(a0, 0x0123456789abcdefull);
    BM_CHECK_EQ(st_cause, SCAUSE_STORE_GUEST_PAGE_FAULT);
    BM_CHECK_EQ(st_htval, 0x90000008 >> 2);
    BM_CHECK_EQ(nx_cause, SCAUSE_FETCH_GUEST_PAGE_FAULT);
    BM_CHECK_EQ(nx_stval, 0x90001000);
    BM_CHECK_EQ(nx_htval, 0x90001000 >> 2);
    BM_CHECK_EQ(pg_cause, SCAUSE_ECALL_VS);
    BM_CHECK_EQ(pg_a0, 0x0123456789abcdefull);
    BM_CHECK_EQ(pg_pc, 0x90002004);
}

/* guest.h's macros, through tests/guests/riscv64/harness.S. */
static void vs_run_harness_guest(uint64_t s2, char *printed, size_t size)
{
    size_t n = 0;
    vs_start("harness");
    vs.x[REG_S2] = s2;
    bm_csrw(hedeleg, 1u << SCAUSE_BREAKPOINT); /* the guest's own handler gets its ebreak */
    for (;;) {
        vs_step(SCAUSE_ECALL_VS);
        if (vs.x[REG_A7] != 1)
            break;
        BM_CHECK(n + 1 < size, "the guest printed too much");
        printed[n++] = (char)vs.x[REG_A0];
        vs.x[REG_A0] = 0; /* SBI: a0 = 0 success */
        vs.pc += 4;
    }
    printed[n] = '\0';
    BM_CHECK_EQ(vs.x[REG_A7], 0x09000001u); /* GUEST_SBI_FAIL */
    BM_CHECK_EQ(vs.x[REG_A6], 0);
}

BM_TEST(harness_vs_guest_macros)
{
    char printed[16];

    /* CHECK_EQ passes, the ebreak reaches the default handler: GUEST_FAIL_TRAP with scause 3. */
    vs_run_harness_guest(0x1122334455667788ull, printed, sizeof(printed));
    BM_CHECK(bm_strcmp(printed, "hi\n") == 0, "printed \"%s\"", printed);
    BM_CHECK_EQ(vs.x[REG_A0], 0xe0);
    BM_CHECK_EQ(vs.x[REG_A1], SCAUSE_BREAKPOINT);
    BM_CHECK(vs.x[REG_A2] > 0x80000000u && vs.x[REG_A2] < 0x80000000u + vs_vm.image->size, "ebreak at 0x%llx",
             (unsigned long long)vs.x[REG_A2]);
    BM_CHECK_EQ(vs.x[REG_SP], 0x80200000); /* GUEST_ENTRY's stack */
    bm_arch_trap_recover();
    bm_vm_destroy(&vs_vm);

    /* CHECK_EQ fails: GUEST_FAIL 1. */
    vs_run_harness_guest(0x1122334455667789ull, printed, sizeof(printed));
    BM_CHECK_EQ(vs.x[REG_A0], 1);
}

/* libgcc.c: the bit helpers GCC calls without Zbb (through volatile values, so nothing is folded). */
int __clzdi2(uint64_t x);
int __ctzdi2(uint64_t x);
int __popcountdi2(uint64_t x);
int __ffsdi2(int64_t x);
int __clzsi2(uint32_t x);
int __ctzsi2(uint32_t x);
int __paritysi2(uint32_t x);
uint64_t __bswapdi2(uint64_t x);
uint32_t __bswapsi2(uint32_t x);

BM_TEST(harness_libgcc)
{
    static const volatile uint64_t v[] = {1, 0x8000000000000000ull, 0x00f0000000000100ull, 0xffffffffffffffffull};
    static const int clz[] = {63, 0, 8, 0}, ctz[] = {0, 63, 8, 0}, pop[] = {1, 1, 5, 64};
    for (unsigned i = 0; i < 4; i++) {
        BM_CHECK_EQ(__clzdi2(v[i]), clz[i]);
        BM_CHECK_EQ(__ctzdi2(v[i]), ctz[i]);
        BM_CHECK_EQ(__popcountdi2(v[i]), pop[i]);
        BM_CHECK_EQ(__ffsdi2((int64_t)v[i]), ctz[i] + 1);
        BM_CHECK_EQ(__builtin_ctzll(v[i]), ctz[i]); /* the compiler's own expansion agrees */
        BM_CHECK_EQ(__builtin_popcountll(v[i]), pop[i]);
    }
    BM_CHECK_EQ(__ffsdi2(0), 0);
    BM_CHECK_EQ(__clzsi2(0x00010000u), 15);
    BM_CHECK_EQ(__ctzsi2(0x00010000u), 16);
    BM_CHECK_EQ(__paritysi2(0x7u), 1);
    BM_CHECK_EQ(__bswapdi2(0x0102030405060708ull), 0x0807060504030201ull);
    BM_CHECK_EQ(__bswapsi2(0x01020304u), 0x04030201u);
    volatile uint32_t w = 0xa1b2c3d4u;
    BM_CHECK_EQ(__builtin_bswap32(w), 0xd4c3b2a1u);
}


