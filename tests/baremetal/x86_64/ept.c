/* Intel EPT tables for test guests; see ept.h. */
#include "ept.h"

#include "bm_arch.h"

#define BM_EPT_MAX_ROOTS 32u
#define BM_EPT_ENTRIES 512u
#define BM_2M 0x200000ull
#define BM_4K 0x1000ull
#define BM_EPT_HPA_LIMIT (1ull << 52)
#define BM_EPT_RWX (BM_EPT_R | BM_EPT_W | BM_EPT_X)

struct bm_ept_root {
    uint64_t root; /* 0: slot free */
    unsigned tables;
};

static struct bm_ept_root bm_ept_roots[BM_EPT_MAX_ROOTS];

static struct bm_ept_root *bm_ept_find(uint64_t root)
{
    if (!root)
        return NULL;
    for (unsigned i = 0; i < BM_EPT_MAX_ROOTS; i++)
        if (bm_ept_roots[i].root == root)
            return &bm_ept_roots[i];
    return NULL;
}

static uint64_t *bm_ept_table(uint64_t pa)
{
    return (uint64_t *)(uintptr_t)pa;
}

static unsigned bm_ept_shift(unsigned level)
{
    return 12u + 9u * level;
}

static uint64_t bm_ept_index(unsigned level, uint64_t gpa)
{
    return (gpa >> bm_ept_shift(level)) & (BM_EPT_ENTRIES - 1);
}

uint64_t bm_ept_eptp(uint64_t root)
{
    return root | BM_EPT_EPTP_WALK_4 | BM_EPT_EPTP_WB;
}

uint64_t bm_ept_create(void)
{
    struct bm_ept_root *r = NULL;
    for (unsigned i = 0; !r && i < BM_EPT_MAX_ROOTS; i++)
        if (!bm_ept_roots[i].root)
            r = &bm_ept_roots[i];
    if (!r)
        return 0;
    const struct axv_hal *hal = bm_hal();
    uint64_t pa = hal->alloc_frames(hal->ctx, 1, 1);
    if (!pa)
        return 0;
    r->root = pa;
    r->tables = 1;
    return pa;
}

static uint64_t bm_ept_leaf_bits(unsigned attrs)
{
    uint64_t e = (attrs & BM_MAP_DEVICE) ? BM_EPT_MT_UC : BM_EPT_MT_WB;
    if (attrs & BM_MAP_R)
        e |= BM_EPT_R;
    if (attrs & BM_MAP_W)
        e |= BM_EPT_W;
    if (attrs & BM_MAP_X)
        e |= BM_EPT_X;
    return e;
}

/* One leaf of 2 MiB (level 1) or 4 KiB (level 0). */
static int bm_ept_map_one(struct bm_ept_root *r, uint64_t gpa, uint64_t hpa, unsigned leaf_level, uint64_t bits)
{
    uint64_t table = r->root;
    const struct axv_hal *hal = bm_hal();

    for (unsigned level = BM_EPT_LEVELS - 1;; level--) {
        uint64_t *e = &bm_ept_table(table)[bm_ept_index(level, gpa)];
        if (level == leaf_level) {
            if (*e & BM_EPT_RWX)
                return BM_EEXIST;
            *e = hpa | bits | (level ? BM_EPT_PS : 0);
            return 0;
        }
        if (*e & BM_EPT_RWX) {
            if (*e & BM_EPT_PS)
                return BM_EEXIST; /* a 2 MiB page covers this range */
        } else {
            uint64_t t = hal->alloc_frames(hal->ctx, 1, 1);
            if (!t)
                return BM_ENOMEM;
            r->tables++;
            *e = t | BM_EPT_RWX;
        }
        table = BM_EPT_ADDR(*e);
    }
}

int bm_ept_map(uint64_t root, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned attrs)
{
    struct bm_ept_root *r = bm_ept_find(root);
    if (!r || !size || (gpa | hpa | size) & (BM_4K - 1) || hpa >= BM_EPT_HPA_LIMIT ||
        size > BM_EPT_HPA_LIMIT - hpa)
        return BM_EINVAL;
    if (!(attrs & BM_MAP_RWX) || ((attrs & BM_MAP_W) && !(attrs & BM_MAP_R)))
        return BM_EINVAL; /* no permission at all, or W without R (a misconfiguration) */
    uint64_t limit = 1ull << BM_EPT_GPA_BITS;
    if (gpa >= limit || size > limit - gpa)
        return BM_EINVAL;

    uint64_t bits = bm_ept_leaf_bits(attrs);
    int err = 0;
    while (size && !err) {
        bool big = !((gpa | hpa) & (BM_2M - 1)) && size >= BM_2M;
        uint64_t step = big ? BM_2M : BM_4K;
        err = bm_ept_map_one(r, gpa, hpa, big ? 1u : 0u, bits);
        gpa += step;
        hpa += step;
        size -= step;
    }
    __asm__ volatile("" : : : "memory");
    return err;
}

static void bm_ept_free_level(uint64_t table, unsigned level)
{
    const struct axv_hal *hal = bm_hal();
    if (level == 0)
        return;
    for (unsigned i = 0; i < BM_EPT_ENTRIES; i++) {
        uint64_t e = bm_ept_table(table)[i];
        if ((e & BM_EPT_RWX) && !(e & BM_EPT_PS)) {
            uint64_t t = BM_EPT_ADDR(e);
            bm_ept_free_level(t, level - 1);
            hal->free_frames(hal->ctx, t, 1);
        }
    }
}

void bm_ept_destroy(uint64_t root)
{
    struct bm_ept_root *r = bm_ept_find(root);
    if (!r)
        return;
    const struct axv_hal *hal = bm_hal();
    bm_ept_free_level(r->root, BM_EPT_LEVELS - 1);
    hal->free_frames(hal->ctx, r->root, 1);
    memset(r, 0, sizeof(*r));
}

bool bm_ept_lookup(uint64_t root, uint64_t gpa, uint64_t *hpa, uint64_t *entry, unsigned *level_out)
{
    const struct bm_ept_root *r = bm_ept_find(root);
    if (!r || gpa >> BM_EPT_GPA_BITS)
        return false;
    uint64_t table = r->root;
    for (unsigned level = BM_EPT_LEVELS;;) {
        level--;
        uint64_t e = bm_ept_table(table)[bm_ept_index(level, gpa)];
        if (!(e & BM_EPT_RWX) || ((e & BM_EPT_W) && !(e & BM_EPT_R)))
            return false; /* not present, or a misconfiguration */
        if (level == 0 || (e & BM_EPT_PS)) {
            if (level > 1)
                return false; /* a 1 GiB (or PML4) page: never built */
            uint64_t span = 1ull << bm_ept_shift(level);
            if (BM_EPT_ADDR(e) & (span - 1))
                return false; /* a misaligned large page: a misconfiguration */
            if (hpa)
                *hpa = BM_EPT_ADDR(e) + (gpa & (span - 1));
            if (entry)
                *entry = e;
            if (level_out)
                *level_out = level;
            return true;
        }
        table = BM_EPT_ADDR(e);
    }
}

bool bm_ept_npt(uint64_t root, struct axv_npt_config *npt)
{
    const struct bm_ept_root *r = bm_ept_find(root);
    if (!r)
        return false;
    npt->root = r->root;
    npt->levels = (uint8_t)BM_EPT_LEVELS;
    npt->gpa_bits = (uint8_t)BM_EPT_GPA_BITS;
    return true;
}

unsigned bm_ept_table_count(uint64_t root)
{
    const struct bm_ept_root *r = bm_ept_find(root);
    return r ? r->tables : 0;
}

/* ------------------------------------------------------------ bm_vm.h hooks */

int bm_npt_create(struct axv_npt_config *npt)
{
    uint64_t root = bm_ept_create();
    if (!root)
        return BM_ENOMEM;
    bm_ept_npt(root, npt);
    return 0;
}

int bm_npt_map(const struct axv_npt_config *npt, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned attrs)
{
    return bm_ept_map(npt->root, gpa, hpa, size, attrs);
}

void bm_npt_destroy(struct axv_npt_config *npt)
{
    bm_ept_destroy(npt->root);
    npt->root = 0;
}
