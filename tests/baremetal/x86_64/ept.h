/*
 * Intel EPT (extended page tables) for test guests: 4-level walk, 4 KiB
 * tables of 512 8-byte entries, 48-bit guest-physical addresses.
 *
 * Geometry (what bm_npt_create and bm_vm_create use): struct
 * axv_npt_config is {root, .levels = 4, .gpa_bits = 48}; the root is the
 * PML4 table (one 4 KiB page). The backend builds the EPT pointer
 *
 *   EPTP = root | (4 - 1) << 3 | 6      page-walk length 4, memory type WB (6)
 *
 * (bit 6, accessed/dirty flags, clear; bm_ept_eptp() computes it, for
 * tests to compare) and must INVEPT (single-context, or all-context) before
 * the first VM entry with it: entries may be cached from an earlier use of
 * the same root address.
 *
 * Levels are numbered 0 (PT, maps 4 KiB) to 3 (PML4, the root); a GPA's
 * index at level i is gpa[20 + 9i : 12 + 9i].
 *
 * Non-leaf entries: R | W | X (permissions are ANDed along the walk, so
 * the leaf decides), the table's address, nothing else. Leaf entries
 * (2 MiB pages at level 1 where gpa, hpa and the remaining size allow it,
 * else 4 KiB pages at level 0; no 1 GiB pages):
 *   R, W, X (bits 0..2) from BM_MAP_R/W/X (X: execute for any CPL, no
 *   mode-based execute control);
 *   memory type (bits 5:3) WB (6), or UC (0) with BM_MAP_DEVICE;
 *   IPAT (bit 6) clear: the guest's PAT still applies; bit 7 (PS) on 2 MiB
 *   leaves; accessed/dirty bits unused (EPTP bit 6 clear).
 *   W without R is an EPT misconfiguration: bm_ept_map refuses it
 *   (BM_EINVAL), like attributes with none of R, W, X (execute-only pages
 *   depend on a CPU capability: not offered).
 * Anything not mapped is an EPT violation (exit reason 48; exit
 * qualification bits 0-2 = the access, 3-5 = the permissions found; the
 * guest-physical address in the VMCS): that is how the backend sees MMIO.
 *
 * Tables are ordinary write-back memory (x86 page walks snoop the caches).
 * Only new mappings are ever added (not-present entries are never cached,
 * so no invalidation is needed after bm_ept_map). After bm_ept_destroy the
 * backend must not use the root (and must INVEPT it before the address is
 * used as an EPTP again).
 */
#ifndef BM_EPT_H
#define BM_EPT_H

#include <stdbool.h>
#include <stdint.h>

#include "axv/arch.h"
#include "bm_vm.h"

#define BM_EPT_LEVELS 4u
#define BM_EPT_GPA_BITS 48u
#define BM_EPT_EPTP_WB 6ull
#define BM_EPT_EPTP_WALK_4 (3ull << 3)

/* Entry bits (for tests that inspect tables). */
#define BM_EPT_R (1ull << 0)
#define BM_EPT_W (1ull << 1)
#define BM_EPT_X (1ull << 2)
#define BM_EPT_MT_SHIFT 3u
#define BM_EPT_MT_UC (0ull << BM_EPT_MT_SHIFT)
#define BM_EPT_MT_WB (6ull << BM_EPT_MT_SHIFT)
#define BM_EPT_MT_MASK (7ull << BM_EPT_MT_SHIFT)
#define BM_EPT_IPAT (1ull << 6)
#define BM_EPT_PS (1ull << 7)
#define BM_EPT_ADDR_MASK 0x000ffffffffff000ull
#define BM_EPT_ADDR(e) ((e) & BM_EPT_ADDR_MASK)

/* Allocates a zeroed PML4 (from bm_hal()); its physical address, or 0 (no memory, too many roots). */
uint64_t bm_ept_create(void);
/*
 * Maps [gpa, gpa+size) to [hpa, hpa+size) with BM_MAP_* attributes. gpa, hpa
 * and size 4 KiB aligned, size > 0, gpa + size within 48 bits, hpa below
 * 2^52. 0, or BM_EINVAL, BM_ENOMEM, BM_EEXIST (the range overlaps a mapping;
 * the part before the overlap stays mapped).
 */
int bm_ept_map(uint64_t root, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned attrs);
/* Frees the root and every table under it (not the mapped memory). */
void bm_ept_destroy(uint64_t root);
/*
 * Walks the tables like the hardware: true and the output address, the leaf
 * entry and its level (0: 4 KiB, 1: 2 MiB) if gpa is mapped.
 */
bool bm_ept_lookup(uint64_t root, uint64_t gpa, uint64_t *hpa, uint64_t *entry, unsigned *level);
/* The npt config for axv_vcpu_setup: {root, 4, 48}; false if root is unknown. */
bool bm_ept_npt(uint64_t root, struct axv_npt_config *npt);
/* How many 4 KiB tables (the root included) the root uses now. */
unsigned bm_ept_table_count(uint64_t root);
/* The EPT pointer described above. */
uint64_t bm_ept_eptp(uint64_t root);

#endif /* BM_EPT_H */
