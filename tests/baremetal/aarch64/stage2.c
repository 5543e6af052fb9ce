/* AArch64 stage-2 tables for test guests; see stage2.h. */
#include "stage2.h"

#include "bm_arch.h"

#define BM_S2_MAX_ROOTS 32u
#define BM_S2_ENTRIES 512u
#define BM_2M 0x200000ull
#define BM_4K 0x1000ull

struct bm_s2_root {
    uint64_t root;          /* 0: slot free */
    unsigned ipa_bits;
    unsigned levels;
    unsigned start;         /* starting level */
    unsigned root_tables;   /* concatenated 4 KiB tables */
    unsigned tables;        /* 4 KiB tables in use, root included */
};

static struct bm_s2_root bm_s2_roots[BM_S2_MAX_ROOTS];

static struct bm_s2_root *bm_s2_find(uint64_t root)
{
    if (!root)
        return NULL;
    for (unsigned i = 0; i < BM_S2_MAX_ROOTS; i++)
        if (bm_s2_roots[i].root == root)
            return &bm_s2_roots[i];
    return NULL;
}

static bool bm_s2_geometry_ok(unsigned ipa_bits, unsigned levels)
{
    switch (levels) {
    case 4: return ipa_bits >= 40 && ipa_bits <= 48;
    case 3: return ipa_bits >= 31 && ipa_bits <= 43;
    case 2: return ipa_bits >= 25 && ipa_bits <= 34;
    default: return false;
    }
}

static unsigned bm_s2_shift(unsigned level)
{
    return 12u + 9u * (3u - level);
}

static uint64_t *bm_s2_table(uint64_t pa)
{
    return (uint64_t *)(uintptr_t)pa;
}

/* Clean a written descriptor to the point of coherency for cacheable walks. */
static void bm_s2_publish(uint64_t *desc)
{
    __asm__ volatile("dc civac, %0" : : "r"(desc) : "memory");
}

static void bm_s2_publish_table(uint64_t pa, unsigned tables)
{
    for (uint64_t a = pa; a < pa + tables * BM_4K; a += 64)
        bm_s2_publish(bm_s2_table(a));
}

uint64_t bm_s2_vtcr(unsigned ipa_bits, unsigned levels, unsigned ps)
{
    uint64_t sl0 = levels == 4 ? 2 : levels == 3 ? 1 : 0;
    return (uint64_t)(64u - ipa_bits) | sl0 << 6 | 1ull << 8 | 1ull << 10 | 3ull << 12 |
           (uint64_t)(ps & 7u) << 16 | 1ull << 31;
}

uint64_t bm_s2_create(unsigned ipa_bits, unsigned levels)
{
    if (!bm_s2_geometry_ok(ipa_bits, levels))
        return 0;
    struct bm_s2_root *r = NULL;
    for (unsigned i = 0; !r && i < BM_S2_MAX_ROOTS; i++)
        if (!bm_s2_roots[i].root)
            r = &bm_s2_roots[i];
    if (!r)
        return 0;

    unsigned start = 4u - levels;
    unsigned bits = ipa_bits - bm_s2_shift(start);
    unsigned tables = bits > 9 ? 1u << (bits - 9) : 1u;
    const struct axv_hal *hal = bm_hal();
    uint64_t pa = hal->alloc_frames(hal->ctx, tables, tables);
    if (!pa)
        return 0;
    bm_s2_publish_table(pa, tables);
    __asm__ volatile("dsb ish" : : : "memory");
    r->root = pa;
    r->ipa_bits = ipa_bits;
    r->levels = levels;
    r->start = start;
    r->root_tables = tables;
    r->tables = tables;
    return pa;
}

static uint64_t bm_s2_leaf_attrs(unsigned attrs)
{
    uint64_t d = BM_S2_AF;
    if (attrs & BM_MAP_DEVICE)
        d |= BM_S2_MEMATTR_DEVICE_NGNRE;
    else
        d |= BM_S2_MEMATTR_NORMAL_WB | BM_S2_SH_INNER;
    if (attrs & BM_MAP_R)
        d |= BM_S2_S2AP_R;
    if (attrs & BM_MAP_W)
        d |= BM_S2_S2AP_W;
    if (!(attrs & BM_MAP_X))
        d |= BM_S2_XN;
    return d;
}

/* Index of ipa in the table of `level` (the root spans root_tables * 512 entries). */
static uint64_t bm_s2_index(const struct bm_s2_root *r, unsigned level, uint64_t ipa)
{
    uint64_t idx = ipa >> bm_s2_shift(level);
    return level == r->start ? idx : idx & (BM_S2_ENTRIES - 1);
}

/* One leaf of size 2 MiB (level 2) or 4 KiB (level 3). */
static int bm_s2_map_one(struct bm_s2_root *r, uint64_t ipa, uint64_t pa, unsigned leaf_level, uint64_t attrs)
{
    uint64_t table = r->root;
    const struct axv_hal *hal = bm_hal();

    for (unsigned level = r->start;; level++) {
        uint64_t *d = &bm_s2_table(table)[bm_s2_index(r, level, ipa)];
        if (level == leaf_level) {
            if (*d & BM_S2_DESC_VALID)
                return BM_EEXIST;
            *d = pa | attrs | (level == 3 ? BM_S2_DESC_TABLE : BM_S2_DESC_BLOCK);
            bm_s2_publish(d);
            return 0;
        }
        if (*d & BM_S2_DESC_VALID) {
            if ((*d & 3u) != BM_S2_DESC_TABLE)
                return BM_EEXIST; /* a block covers this range */
        } else {
            uint64_t t = hal->alloc_frames(hal->ctx, 1, 1);
            if (!t)
                return BM_ENOMEM;
            bm_s2_publish_table(t, 1);
            r->tables++;
            *d = t | BM_S2_DESC_TABLE;
            bm_s2_publish(d);
        }
        table = *d & BM_S2_ADDR_MASK;
    }
}

int bm_s2_map(uint64_t root, uint64_t ipa, uint64_t pa, uint64_t size, unsigned attrs)
{
    struct bm_s2_root *r = bm_s2_find(root);
    if (!r || !size || (ipa | pa | size) & (BM_4K - 1) || (pa & ~BM_S2_ADDR_MASK))
        return BM_EINVAL;
    uint64_t limit = 1ull << r->ipa_bits;
    if (ipa >= limit || size > limit - ipa)
        return BM_EINVAL;

    uint64_t leaf = bm_s2_leaf_attrs(attrs);
    int err = 0;
    while (size && !err) {
        bool block = !((ipa | pa) & (BM_2M - 1)) && size >= BM_2M;
        uint64_t step = block ? BM_2M : BM_4K;
        err = bm_s2_map_one(r, ipa, pa, block ? 2u : 3u, leaf);
        ipa += step;
        pa += step;
        size -= step;
    }
    __asm__ volatile("dsb ish" : : : "memory");
    return err;
}

static void bm_s2_free_level(struct bm_s2_root *r, uint64_t table, unsigned level, unsigned entries)
{
    const struct axv_hal *hal = bm_hal();
    if (level == 3)
        return;
    for (unsigned i = 0; i < entries; i++) {
        uint64_t d = bm_s2_table(table)[i];
        if ((d & 3u) == BM_S2_DESC_TABLE) {
            uint64_t t = d & BM_S2_ADDR_MASK;
            bm_s2_free_level(r, t, level + 1, BM_S2_ENTRIES);
            hal->free_frames(hal->ctx, t, 1);
        }
    }
}

void bm_s2_destroy(uint64_t root)
{
    struct bm_s2_root *r = bm_s2_find(root);
    if (!r)
        return;
    const struct axv_hal *hal = bm_hal();
    bm_s2_free_level(r, r->root, r->start, r->root_tables * BM_S2_ENTRIES);
    hal->free_frames(hal->ctx, r->root, r->root_tables);
    memset(r, 0, sizeof(*r));
}

bool bm_s2_lookup(uint64_t root, uint64_t ipa, uint64_t *pa, uint64_t *desc, unsigned *level)
{
    const struct bm_s2_root *r = bm_s2_find(root);
    if (!r || ipa >> r->ipa_bits)
        return false;
    uint64_t table = r->root;
    for (unsigned l = r->start; l <= 3; l++) {
        uint64_t d = bm_s2_table(table)[bm_s2_index(r, l, ipa)];
        if (!(d & BM_S2_DESC_VALID))
            return false;
        bool leaf = l == 3 || (d & 3u) == BM_S2_DESC_BLOCK;
        if (l == 3 && (d & 3u) != BM_S2_DESC_TABLE)
            return false; /* a level-3 descriptor 0b01 is reserved: invalid */
        if (leaf) {
            uint64_t off = ipa & ((1ull << bm_s2_shift(l)) - 1);
            if (pa)
                *pa = (d & BM_S2_ADDR_MASK & ~((1ull << bm_s2_shift(l)) - 1)) + off;
            if (desc)
                *desc = d;
            if (level)
                *level = l;
            return true;
        }
        table = d & BM_S2_ADDR_MASK;
    }
    return false;
}

bool bm_s2_npt(uint64_t root, struct axv_npt_config *npt)
{
    const struct bm_s2_root *r = bm_s2_find(root);
    if (!r)
        return false;
    npt->root = r->root;
    npt->levels = (uint8_t)r->levels;
    npt->gpa_bits = (uint8_t)r->ipa_bits;
    return true;
}

unsigned bm_s2_table_count(uint64_t root)
{
    const struct bm_s2_root *r = bm_s2_find(root);
    return r ? r->tables : 0;
}

/* ------------------------------------------------------------ bm_vm.h hooks */

int bm_npt_create(struct axv_npt_config *npt)
{
    uint64_t root = bm_s2_create(BM_S2_IPA_BITS, BM_S2_LEVELS);
    if (!root)
        return BM_ENOMEM;
    bm_s2_npt(root, npt);
    return 0;
}

int bm_npt_map(const struct axv_npt_config *npt, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned attrs)
{
    return bm_s2_map(npt->root, gpa, hpa, size, attrs);
}

void bm_npt_destroy(struct axv_npt_config *npt)
{
    bm_s2_destroy(npt->root);
    npt->root = 0;
}
