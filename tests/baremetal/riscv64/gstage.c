/* RISC-V G-stage tables for test guests; see gstage.h. */
#include "gstage.h"

#include "bm_arch.h"

#define BM_GS_MAX_ROOTS 32u
#define BM_GS_ENTRIES 512u
#define BM_2M 0x200000ull
#define BM_4K 0x1000ull
#define BM_GS_HPA_LIMIT (1ull << 56) /* 44-bit PPN */

struct bm_gs_root {
    uint64_t root;      /* 0: slot free */
    unsigned levels;
    unsigned tables;    /* 4 KiB tables in use, the root's four included */
};

static struct bm_gs_root bm_gs_roots[BM_GS_MAX_ROOTS];

static struct bm_gs_root *bm_gs_find(uint64_t root)
{
    if (!root)
        return NULL;
    for (unsigned i = 0; i < BM_GS_MAX_ROOTS; i++)
        if (bm_gs_roots[i].root == root)
            return &bm_gs_roots[i];
    return NULL;
}

unsigned bm_gs_gpa_bits(unsigned levels)
{
    return levels >= 3 && levels <= 5 ? 12u + 9u * levels + 2u : 0u;
}

uint64_t bm_gs_hgatp(unsigned levels, uint64_t root, uint16_t vmid)
{
    if (!bm_gs_gpa_bits(levels))
        return 0;
    uint64_t mode = BM_GS_HGATP_MODE_SV39X4 + (levels - 3u);
    return mode << BM_GS_HGATP_MODE_SHIFT | (uint64_t)(vmid & 0x3fffu) << BM_GS_HGATP_VMID_SHIFT | root >> 12;
}

static unsigned bm_gs_shift(unsigned level)
{
    return 12u + 9u * level;
}

static uint64_t *bm_gs_table(uint64_t pa)
{
    return (uint64_t *)(uintptr_t)pa;
}

static void bm_gs_fence(void)
{
    __asm__ volatile("fence rw, rw\n\thfence.gvma zero, zero" : : : "memory");
}

uint64_t bm_gs_create(unsigned levels)
{
    if (!bm_gs_gpa_bits(levels))
        return 0;
    struct bm_gs_root *r = NULL;
    for (unsigned i = 0; !r && i < BM_GS_MAX_ROOTS; i++)
        if (!bm_gs_roots[i].root)
            r = &bm_gs_roots[i];
    if (!r)
        return 0;
    const struct axv_hal *hal = bm_hal();
    uint64_t pa = hal->alloc_frames(hal->ctx, BM_GS_ROOT_PAGES, BM_GS_ROOT_PAGES);
    if (!pa)
        return 0;
    r->root = pa;
    r->levels = levels;
    r->tables = BM_GS_ROOT_PAGES;
    return pa;
}

static uint64_t bm_gs_leaf_bits(unsigned attrs)
{
    uint64_t pte = BM_GS_PTE_V | BM_GS_PTE_U | BM_GS_PTE_A | BM_GS_PTE_D;
    if (attrs & BM_MAP_R)
        pte |= BM_GS_PTE_R;
    if (attrs & BM_MAP_W)
        pte |= BM_GS_PTE_W;
    if (attrs & BM_MAP_X)
        pte |= BM_GS_PTE_X;
    return pte;
}

static bool bm_gs_is_leaf(uint64_t pte)
{
    return (pte & (BM_GS_PTE_R | BM_GS_PTE_W | BM_GS_PTE_X)) != 0;
}

static uint64_t bm_gs_pte(uint64_t pa, uint64_t bits)
{
    return (pa >> 12) << BM_GS_PTE_PPN_SHIFT | bits;
}

/* Index of gpa in the table of `level` (the root spans 2048 entries). */
static uint64_t bm_gs_index(const struct bm_gs_root *r, unsigned level, uint64_t gpa)
{
    uint64_t idx = gpa >> bm_gs_shift(level);
    return level == r->levels - 1 ? idx & (BM_GS_ROOT_PAGES * BM_GS_ENTRIES - 1) : idx & (BM_GS_ENTRIES - 1);
}

/* One leaf of 2 MiB (level 1) or 4 KiB (level 0). */
static int bm_gs_map_one(struct bm_gs_root *r, uint64_t gpa, uint64_t hpa, unsigned leaf_level, uint64_t bits)
{
    uint64_t table = r->root;
    const struct axv_hal *hal = bm_hal();

    for (unsigned level = r->levels - 1;; level--) {
        uint64_t *pte = &bm_gs_table(table)[bm_gs_index(r, level, gpa)];
        if (level == leaf_level) {
            if (*pte & BM_GS_PTE_V)
                return BM_EEXIST;
            *pte = bm_gs_pte(hpa, bits);
            return 0;
        }
        if (*pte & BM_GS_PTE_V) {
            if (bm_gs_is_leaf(*pte))
                return BM_EEXIST; /* a megapage covers this range */
        } else {
            uint64_t t = hal->alloc_frames(hal->ctx, 1, 1);
            if (!t)
                return BM_ENOMEM;
            r->tables++;
            *pte = bm_gs_pte(t, BM_GS_PTE_V);
        }
        table = BM_GS_PTE_ADDR(*pte);
    }
}

int bm_gs_map(uint64_t root, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned attrs)
{
    struct bm_gs_root *r = bm_gs_find(root);
    if (!r || !size || (gpa | hpa | size) & (BM_4K - 1) || hpa >= BM_GS_HPA_LIMIT ||
        size > BM_GS_HPA_LIMIT - hpa)
        return BM_EINVAL;
    if (!(attrs & BM_MAP_RWX) || ((attrs & BM_MAP_W) && !(attrs & BM_MAP_R)))
        return BM_EINVAL; /* no permission at all, or W without R (reserved) */
    uint64_t limit = 1ull << bm_gs_gpa_bits(r->levels);
    if (gpa >= limit || size > limit - gpa)
        return BM_EINVAL;

    uint64_t bits = bm_gs_leaf_bits(attrs);
    int err = 0;
    while (size && !err) {
        bool mega = !((gpa | hpa) & (BM_2M - 1)) && size >= BM_2M;
        uint64_t step = mega ? BM_2M : BM_4K;
        err = bm_gs_map_one(r, gpa, hpa, mega ? 1u : 0u, bits);
        gpa += step;
        hpa += step;
        size -= step;
    }
    bm_gs_fence();
    return err;
}

static void bm_gs_free_level(uint64_t table, unsigned level, unsigned entries)
{
    const struct axv_hal *hal = bm_hal();
    if (level == 0)
        return;
    for (unsigned i = 0; i < entries; i++) {
        uint64_t pte = bm_gs_table(table)[i];
        if ((pte & BM_GS_PTE_V) && !bm_gs_is_leaf(pte)) {
            uint64_t t = BM_GS_PTE_ADDR(pte);
            bm_gs_free_level(t, level - 1, BM_GS_ENTRIES);
            hal->free_frames(hal->ctx, t, 1);
        }
    }
}

void bm_gs_destroy(uint64_t root)
{
    struct bm_gs_root *r = bm_gs_find(root);
    if (!r)
        return;
    const struct axv_hal *hal = bm_hal();
    bm_gs_free_level(r->root, r->levels - 1, BM_GS_ROOT_PAGES * BM_GS_ENTRIES);
    hal->free_frames(hal->ctx, r->root, BM_GS_ROOT_PAGES);
    memset(r, 0, sizeof(*r));
}

bool bm_gs_lookup(uint64_t root, uint64_t gpa, uint64_t *hpa, uint64_t *pte_out, unsigned *level_out)
{
    const struct bm_gs_root *r = bm_gs_find(root);
    if (!r || gpa >> bm_gs_gpa_bits(r->levels))
        return false;
    uint64_t table = r->root;
    for (unsigned level = r->levels;;) {
        level--;
        uint64_t pte = bm_gs_table(table)[bm_gs_index(r, level, gpa)];
        if (!(pte & BM_GS_PTE_V) || ((pte & BM_GS_PTE_W) && !(pte & BM_GS_PTE_R)))
            return false;
        if (bm_gs_is_leaf(pte)) {
            uint64_t span = 1ull << bm_gs_shift(level);
            if (BM_GS_PTE_ADDR(pte) & (span - 1))
                return false; /* a misaligned superpage: the hardware faults */
            if (hpa)
                *hpa = BM_GS_PTE_ADDR(pte) + (gpa & (span - 1));
            if (pte_out)
                *pte_out = pte;
            if (level_out)
                *level_out = level;
            return true;
        }
        if (level == 0)
            return false; /* a pointer at level 0: the hardware faults */
        table = BM_GS_PTE_ADDR(pte);
    }
}

bool bm_gs_npt(uint64_t root, struct axv_npt_config *npt)
{
    const struct bm_gs_root *r = bm_gs_find(root);
    if (!r)
        return false;
    npt->root = r->root;
    npt->levels = (uint8_t)r->levels;
    npt->gpa_bits = (uint8_t)bm_gs_gpa_bits(r->levels);
    return true;
}

unsigned bm_gs_table_count(uint64_t root)
{
    const struct bm_gs_root *r = bm_gs_find(root);
    return r ? r->tables : 0;
}

/* ------------------------------------------------------------ bm_vm.h hooks */

int bm_npt_create(struct axv_npt_config *npt)
{
    uint64_t root = bm_gs_create(BM_GS_LEVELS);
    if (!root)
        return BM_ENOMEM;
    bm_gs_npt(root, npt);
    return 0;
}

int bm_npt_map(const struct axv_npt_config *npt, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned attrs)
{
    return bm_gs_map(npt->root, gpa, hpa, size, attrs);
}

void bm_npt_destroy(struct axv_npt_config *npt)
{
    bm_gs_destroy(npt->root);
    npt->root = 0;
}
