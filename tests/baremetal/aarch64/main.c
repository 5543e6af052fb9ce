/*
 * The aarch64 bare-metal test image: main() runs every BM_TEST linked in
 * (these harness self-tests, and the backend's tests in other files).
 */
#include "bm_arch.h"
#include "bm_test.h"
#include "bm_vm.h"
#include "stage2.h"

int main(void);
int main(void)
{
    bm_run_all();
}

/* ------------------------------------------------------------ harness self-tests */

BM_TEST(harness_el2)
{
    BM_CHECK_EQ((bm_mrs(CurrentEL) >> 2) & 3, 2);
    BM_CHECK_EQ(bm_mrs(vbar_el2), (uintptr_t)bm_a64_vectors);
    BM_CHECK_EQ(bm_mrs(sctlr_el2) & 1, 0); /* MMU off */
    BM_CHECK(bm_a64_semihosting, "QEMU runs without -semihosting");
    BM_CHECK_EQ(bm_hal()->cpu_id(bm_hal()->ctx), 0);
    int local;
    BM_CHECK((uintptr_t)&local > (uintptr_t)__bm_stack_bottom && (uintptr_t)&local < (uintptr_t)__bm_stack_top,
             "the stack is not where link.ld put it");
}

/* Walks a 40-bit, 3-level table by hand (not with bm_s2_lookup). */
static uint64_t manual_walk(uint64_t root, uint64_t ipa, unsigned *leaf_level)
{
    uint64_t d = ((const uint64_t *)(uintptr_t)root)[ipa >> 30]; /* level 1: 1024 entries over 2 tables */
    BM_CHECK_EQ(d & 3, 3);
    uint64_t l2 = d & BM_S2_ADDR_MASK;
    d = ((const uint64_t *)(uintptr_t)l2)[(ipa >> 21) & 511];
    if ((d & 3) == 1) {
        *leaf_level = 2;
        return d;
    }
    BM_CHECK_EQ(d & 3, 3);
    uint64_t l3 = d & BM_S2_ADDR_MASK;
    *leaf_level = 3;
    return ((const uint64_t *)(uintptr_t)l3)[(ipa >> 12) & 511];
}

BM_TEST(harness_stage2)
{
    size_t before = bm_frames_in_use();
    BM_CHECK_EQ(bm_s2_vtcr(40, 3, 2), 0x80023558);
    BM_CHECK_EQ(bm_s2_create(40, 5), 0);
    BM_CHECK_EQ(bm_s2_create(44, 3), 0);
    BM_CHECK_EQ(bm_s2_create(39, 4), 0);

    uint64_t root = bm_s2_create(40, 3);
    BM_CHECK_NE(root, 0);
    BM_CHECK_EQ(root % 0x2000, 0); /* two concatenated level-1 tables */
    BM_CHECK_EQ(bm_frames_in_use(), before + 2);
    struct axv_npt_config npt;
    BM_CHECK(bm_s2_npt(root, &npt), "unknown root");
    BM_CHECK_EQ(npt.root, root);
    BM_CHECK_EQ(npt.levels, 3);
    BM_CHECK_EQ(npt.gpa_bits, 40);

    /* 4 MiB of "RAM": two 2 MiB blocks. */
    uint64_t ram = bm_hal()->alloc_frames(bm_hal()->ctx, 1024, 512);
    BM_CHECK_NE(ram, 0);
    BM_CHECK_EQ(bm_s2_map(root, 0x40000000, ram, 0x400000, BM_MAP_RWX), 0);
    unsigned level;
    uint64_t d = manual_walk(root, 0x40000000, &level);
    BM_CHECK_EQ(level, 2);
    BM_CHECK_EQ(d & BM_S2_ADDR_MASK, ram);
    BM_CHECK_EQ(d & ~BM_S2_ADDR_MASK,
                BM_S2_DESC_BLOCK | BM_S2_MEMATTR_NORMAL_WB | BM_S2_S2AP_R | BM_S2_S2AP_W | BM_S2_SH_INNER | BM_S2_AF);
    d = manual_walk(root, 0x40200000, &level);
    BM_CHECK_EQ(level, 2);
    BM_CHECK_EQ(d & BM_S2_ADDR_MASK, ram + 0x200000);
    uint64_t pa;
    BM_CHECK(bm_s2_lookup(root, 0x40123458, &pa, NULL, &level), "not mapped");
    BM_CHECK_EQ(pa, ram + 0x123458);
    BM_CHECK(!bm_s2_lookup(root, 0x40400000, NULL, NULL, NULL), "mapped past the end");
    BM_CHECK(!bm_s2_lookup(root, 0x3ffff000, NULL, NULL, NULL), "mapped before the start");
    BM_CHECK(!bm_s2_lookup(root, 0x09000000, NULL, NULL, NULL), "the UART is mapped");

    /* Pages where a block does not fit: unaligned IPA, read-only, no execute. */
    BM_CHECK_EQ(bm_s2_map(root, 0x80001000, ram + 0x1000, 0x2000, BM_MAP_R), 0);
    d = manual_walk(root, 0x80002000, &level);
    BM_CHECK_EQ(level, 3);
    BM_CHECK_EQ(d & BM_S2_ADDR_MASK, ram + 0x2000);
    BM_CHECK_EQ(d & ~BM_S2_ADDR_MASK,
                BM_S2_DESC_TABLE | BM_S2_MEMATTR_NORMAL_WB | BM_S2_S2AP_R | BM_S2_SH_INNER | BM_S2_AF | BM_S2_XN);
    BM_CHECK(!bm_s2_lookup(root, 0x80000000, NULL, NULL, NULL), "page before the range mapped");
    BM_CHECK(!bm_s2_lookup(root, 0x80003000, NULL, NULL, NULL), "page after the range mapped");

    /* Device memory, top of the IPA space: the second concatenated root table. */
    BM_CHECK_EQ(bm_s2_map(root, 0xfffffff000, 0x09000000, 0x1000, BM_MAP_R | BM_MAP_W | BM_MAP_DEVICE), 0);
    d = manual_walk(root, 0xfffffff000, &level);
    BM_CHECK_EQ(level, 3);
    BM_CHECK_EQ(d & ~BM_S2_ADDR_MASK,
                BM_S2_DESC_TABLE | BM_S2_MEMATTR_DEVICE_NGNRE | BM_S2_S2AP_R | BM_S2_S2AP_W | BM_S2_AF | BM_S2_XN);
    BM_CHECK_NE(((const uint64_t *)(uintptr_t)root)[1023], 0);

    /* Refusals. */
    BM_CHECK_EQ(bm_s2_map(root, 0x40000000, ram, 0x1000, BM_MAP_RWX), BM_EEXIST);
    BM_CHECK_EQ(bm_s2_map(root, 0x40100000, ram, 0x1000, BM_MAP_RWX), BM_EEXIST); /* inside a block */
    BM_CHECK_EQ(bm_s2_map(root, 0x80002000, ram, 0x1000, BM_MAP_RWX), BM_EEXIST);
    BM_CHECK_EQ(bm_s2_map(root, 0x80000800, ram, 0x1000, BM_MAP_RWX), BM_EINVAL);
    BM_CHECK_EQ(bm_s2_map(root, 0x80000000, ram, 0x800, BM_MAP_RWX), BM_EINVAL);
    BM_CHECK_EQ(bm_s2_map(root, 0x10000000000, ram, 0x1000, BM_MAP_RWX), BM_EINVAL);
    BM_CHECK_EQ(bm_s2_map(root, 0xfffffff000, ram, 0x2000, BM_MAP_RWX), BM_EINVAL);
    BM_CHECK_EQ(bm_s2_map(root + 0x1000, 0, ram, 0x1000, BM_MAP_RWX), BM_EINVAL);

    /* Root (2) + level-2 tables for 0x40000000, 0x80000000, 0xffc0000000 + level-3 for the last two. */
    BM_CHECK_EQ(bm_s2_table_count(root), 7);
    BM_CHECK_EQ(bm_frames_in_use(), before + 7 + 1024);
    bm_s2_destroy(root);
    BM_CHECK(!bm_s2_npt(root, &npt), "destroyed root still known");
    bm_hal()->free_frames(bm_hal()->ctx, ram, 1024);
    BM_CHECK_EQ(bm_frames_in_use(), before);
}

BM_TEST(harness_stage2_geometries)
{
    static const struct { unsigned bits, levels, root_tables; } g[] = {
        {39, 3, 1}, {40, 3, 2}, {43, 3, 16}, {31, 3, 1}, {48, 4, 1}, {40, 4, 1}, {32, 2, 4}, {34, 2, 16},
    };
    size_t before = bm_frames_in_use();
    for (unsigned i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
        uint64_t root = bm_s2_create(g[i].bits, g[i].levels);
        BM_CHECK(root, "ipa_bits %u levels %u refused", g[i].bits, g[i].levels);
        BM_CHECK_EQ(root % (g[i].root_tables * AXV_FRAME_SIZE), 0);
        BM_CHECK_EQ(bm_frames_in_use(), before + g[i].root_tables);
        uint64_t top = (1ull << g[i].bits) - 0x200000;
        BM_CHECK_EQ(bm_s2_map(root, 0x40000000, 0x40000000, 0x201000, BM_MAP_RWX), 0);
        BM_CHECK_EQ(bm_s2_map(root, top, 0x40400000, 0x200000, BM_MAP_RWX), 0);
        uint64_t pa;
        unsigned level;
        BM_CHECK(bm_s2_lookup(root, 0x40200abc, &pa, NULL, &level), "page not mapped");
        BM_CHECK_EQ(pa, 0x40200abc);
        BM_CHECK_EQ(level, 3);
        BM_CHECK(bm_s2_lookup(root, top + 0x1234, &pa, NULL, &level), "top block not mapped");
        BM_CHECK_EQ(pa, 0x40401234);
        BM_CHECK_EQ(level, 2);
        bm_s2_destroy(root);
        BM_CHECK_EQ(bm_frames_in_use(), before);
    }
}

/* The timer's rate (monotonic time: harness_clock, common). */
BM_TEST(harness_timer)
{
    BM_CHECK_NE(bm_a64_cntfrq(), 0);
}

BM_TEST(harness_guest)
{
    const struct bm_blob *nop = bm_guest("nop");
    BM_CHECK(nop, "guest 'nop' not embedded");
    BM_CHECK(!bm_guest("no-such-guest"), "found a guest that does not exist");
    BM_CHECK(nop->size >= 8 && nop->size % 4 == 0, "nop is %llu bytes", (unsigned long long)nop->size);
    bool hvc = false;
    for (uint64_t i = 0; i < nop->size; i += 4) {
        uint32_t insn = (uint32_t)nop->data[i] | (uint32_t)nop->data[i + 1] << 8 |
                        (uint32_t)nop->data[i + 2] << 16 | (uint32_t)nop->data[i + 3] << 24;
        hvc |= insn == 0xd4000002u; /* hvc #0 */
    }
    BM_CHECK(hvc, "no hvc #0 in nop");

    size_t before = bm_frames_in_use();
    struct bm_vm vm;
    BM_CHECK_EQ(bm_vm_create(&vm, "no-such-guest", 0), BM_EINVAL);
    BM_CHECK_EQ(bm_frames_in_use(), before);
    BM_CHECK_EQ(bm_vm_create(&vm, "nop", 0), 0);
    BM_CHECK_EQ(vm.entry, 0x40000000);
    BM_CHECK_EQ(vm.ram_size, 0x200000);
    BM_CHECK_EQ(vm.npt.levels, BM_S2_LEVELS);
    BM_CHECK_EQ(vm.npt.gpa_bits, BM_S2_IPA_BITS);
    uint64_t pa;
    BM_CHECK(bm_s2_lookup(vm.npt.root, vm.entry, &pa, NULL, NULL), "entry not mapped");
    BM_CHECK_EQ(pa, vm.ram_hpa);
    BM_CHECK_EQ(memcmp((void *)(uintptr_t)pa, nop->data, (size_t)nop->size), 0);
    BM_CHECK_EQ(bm_vm_ptr(&vm, 0x40000000, 4), (uintptr_t)vm.ram_hpa);
    BM_CHECK_EQ(bm_vm_ptr(&vm, 0x401ffffc, 4), (uintptr_t)vm.ram_hpa + 0x1ffffc);
    BM_CHECK(!bm_vm_ptr(&vm, 0x401ffffc, 8), "range past the end of RAM");
    BM_CHECK(!bm_vm_ptr(&vm, 0x3ffffffc, 4), "range before RAM");
    BM_CHECK(!bm_s2_lookup(vm.npt.root, 0x40200000, NULL, NULL, NULL), "mapped past RAM");
    bm_vm_destroy(&vm);
    bm_vm_destroy(&vm); /* twice is harmless */
    BM_CHECK_EQ(bm_frames_in_use(), before);
}


