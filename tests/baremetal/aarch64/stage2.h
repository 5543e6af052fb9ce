/*
 * AArch64 stage-2 translation tables for test guests (4 KiB granule).
 *
 * Geometry: `levels` lookup levels ending at level 3, so the walk starts at
 * level 4 - levels; `ipa_bits` is the IPA width. The starting level resolves
 * ipa_bits - (12 + 9 * (levels - 1)) bits; above 9 bits the root is that
 * many concatenated 4 KiB tables (2..16), contiguous and aligned to their
 * total size. Accepted (the architecture's limits without FEAT_LPA2/TTST):
 *
 *   levels 4: start level 0, ipa_bits 40..48 (one root table)
 *   levels 3: start level 1, ipa_bits 31..43 (40 bits: 2 concatenated tables)
 *   levels 2: start level 2, ipa_bits 25..34 (e.g. 32 bits: 4 tables)
 *
 * Default (BM_S2_IPA_BITS, BM_S2_LEVELS, what bm_npt_create and bm_vm_create
 * use): ipa_bits 40, levels 3, so struct axv_npt_config is
 * {root, .levels = 3, .gpa_bits = 40} and the backend must program
 *
 *   VTTBR_EL2 = root | (vmid << 48)          root is 8 KiB aligned (2 tables)
 *   VTCR_EL2  = 0x80023558:
 *     T0SZ  [5:0]   = 64 - gpa_bits = 24
 *     SL0   [7:6]   = 1 (levels 3; 2 for levels 4; 0 for levels 2)
 *     IRGN0 [9:8]   = 0b01  walks Normal inner write-back write-allocate
 *     ORGN0 [11:10] = 0b01  walks Normal outer write-back write-allocate
 *     SH0   [13:12] = 0b11  inner shareable
 *     TG0   [15:14] = 0b00  4 KiB granule
 *     PS    [18:16] = 0b010 40-bit PA (the smallest size covering gpa_bits;
 *                   tables only hold host addresses below 4 GiB; cortex-a72
 *                   PARange is 44 bits)
 *     bit 31 RES1
 *   in general: (64 - gpa_bits) | SL0 << 6 | 1 << 8 | 1 << 10 | 3 << 12 |
 *   PS << 16 | 1 << 31 (bm_s2_vtcr() computes it, for tests to compare).
 *
 * Leaf descriptors (2 MiB blocks at level 2 where ipa, pa and the remaining
 * size allow it, else 4 KiB pages at level 3; no 1 GiB blocks):
 *   MemAttr [5:2] = 0b1111 Normal outer+inner write-back (0b0001
 *                   Device-nGnRE with BM_MAP_DEVICE)
 *   S2AP [7:6]    = bit 6 read (BM_MAP_R), bit 7 write (BM_MAP_W)
 *   SH [9:8]      = 0b11 inner shareable
 *   AF [10]       = 1 (no access-flag faults)
 *   XN [54]       = set unless BM_MAP_X
 * Anything not mapped is a stage-2 translation fault: that is how the
 * backend sees MMIO.
 *
 * The tables are written with the MMU off (non-cacheable); each written
 * descriptor is cleaned to the point of coherency, so the write-back walks
 * above are correct on hardware too. Only new mappings are ever added
 * (nothing is unmapped or changed), so no TLB invalidation is needed before
 * a guest runs; after bm_s2_destroy the backend must not use the root (and
 * must invalidate its VMID before reusing it).
 */
#ifndef BM_STAGE2_H
#define BM_STAGE2_H

#include <stdbool.h>
#include <stdint.h>

#include "axv/arch.h"
#include "bm_vm.h"

#define BM_S2_IPA_BITS 40u
#define BM_S2_LEVELS 3u

/* Descriptor bits (for tests that inspect tables). */
#define BM_S2_DESC_VALID 0x1ull
#define BM_S2_DESC_TABLE 0x3ull /* at levels 0..2; at level 3 a page */
#define BM_S2_DESC_BLOCK 0x1ull
#define BM_S2_MEMATTR_NORMAL_WB (0xfull << 2)
#define BM_S2_MEMATTR_DEVICE_NGNRE (0x1ull << 2)
#define BM_S2_S2AP_R (1ull << 6)
#define BM_S2_S2AP_W (1ull << 7)
#define BM_S2_SH_INNER (3ull << 8)
#define BM_S2_AF (1ull << 10)
#define BM_S2_XN (1ull << 54)
#define BM_S2_ADDR_MASK 0x0000fffffffff000ull

/* Allocates a zeroed root (from bm_hal()); its physical address, or 0 (bad geometry, no memory). */
uint64_t bm_s2_create(unsigned ipa_bits, unsigned levels);
/*
 * Maps [ipa, ipa+size) to [pa, pa+size) with BM_MAP_* attributes. ipa, pa
 * and size 4 KiB aligned, size > 0, ipa + size within ipa_bits. 0, or
 * BM_EINVAL, BM_ENOMEM, BM_EEXIST (the range overlaps a mapping; the part
 * before the overlap stays mapped).
 */
int bm_s2_map(uint64_t root, uint64_t ipa, uint64_t pa, uint64_t size, unsigned attrs);
/* Frees the root and every table under it (not the mapped memory). */
void bm_s2_destroy(uint64_t root);
/*
 * Walks the tables like the hardware: true and the output address, the leaf
 * descriptor and its level if ipa is mapped.
 */
bool bm_s2_lookup(uint64_t root, uint64_t ipa, uint64_t *pa, uint64_t *desc, unsigned *level);
/* The npt config for axv_vcpu_setup: {root, levels, ipa_bits} of this root; false if unknown. */
bool bm_s2_npt(uint64_t root, struct axv_npt_config *npt);
/* How many 4 KiB tables (root included) the root uses now. */
unsigned bm_s2_table_count(uint64_t root);
/* The VTCR_EL2 value described above, for a geometry and a PS encoding. */
uint64_t bm_s2_vtcr(unsigned ipa_bits, unsigned levels, unsigned ps);

#endif /* BM_STAGE2_H */
