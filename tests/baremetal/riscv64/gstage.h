/*
 * RISC-V G-stage translation tables for test guests (H extension, 4 KiB
 * pages, 8-byte PTEs).
 *
 * Geometry: the "x4" modes, whose root is four 4 KiB tables (2048 entries,
 * 16 KiB, 16 KiB aligned) and whose guest-physical space is 2 bits wider
 * than the matching Sv mode:
 *
 *   levels 3: Sv39x4, gpa_bits 41, hgatp MODE 8   (the default)
 *   levels 4: Sv48x4, gpa_bits 50, hgatp MODE 9
 *   levels 5: Sv57x4, gpa_bits 59, hgatp MODE 10
 *
 * Default (BM_GS_LEVELS, BM_GS_GPA_BITS, what bm_npt_create and bm_vm_create
 * use): Sv39x4, so struct axv_npt_config is {root, .levels = 3,
 * .gpa_bits = 41} and the backend must program
 *
 *   hgatp = MODE << 60 | VMID << 44 | root >> 12      MODE 8 (Sv39x4)
 *
 * (VMID in bits 57:44, 14 bits at most; bm_gs_hgatp() computes it, for
 * tests to compare), then hfence.gvma before the guest runs.
 *
 * Levels are numbered like the privileged spec: level 0 maps 4 KiB pages,
 * level 1 2 MiB megapages, the root is level `levels - 1`; a GPA's index at
 * level i is gpa[20 + 9i : 12 + 9i], at the root 11 bits (the x4 part).
 *
 * Non-leaf PTEs: V, PPN, nothing else (R=W=X=0, U/A/D clear as the spec
 * requires). Leaf PTEs (2 MiB megapages at level 1 where gpa, hpa and the
 * remaining size allow it, else 4 KiB pages at level 0; no larger pages):
 *   V | U | A | D, plus R, W, X from BM_MAP_R/W/X.
 *   U=1 always: G-stage accesses count as U-mode accesses, so a leaf
 *   without U faults on the guest's first fetch (cause 20).
 *   A and D set, so no access/dirty updates are ever needed.
 *   BM_MAP_DEVICE changes nothing: without Svpbmt the memory type comes
 *   from the PMAs of the host physical address.
 *   W without R is reserved in the PTE format: bm_gs_map refuses it
 *   (BM_EINVAL), like attributes with none of R, W, X.
 * Anything not mapped is a guest-page fault (scause 20 fetch, 21 load,
 * 23 store/AMO; htval = gpa >> 2): that is how the backend sees MMIO.
 *
 * The tables are ordinary memory (no caches to clean on RISC-V). Only new
 * mappings are ever added; bm_gs_map ends with fence rw,rw and
 * hfence.gvma (all VMIDs): the privileged spec guarantees implicit walks
 * see table writes only after such a fence. After bm_gs_destroy the backend must not use the root (and must
 * hfence.gvma the VMID before reusing it).
 */
#ifndef BM_GSTAGE_H
#define BM_GSTAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "axv/arch.h"
#include "bm_vm.h"

#define BM_GS_LEVELS 3u
#define BM_GS_GPA_BITS 41u
#define BM_GS_ROOT_PAGES 4u               /* 16 KiB root, 16 KiB aligned, in every x4 mode */
#define BM_GS_HGATP_MODE_SV39X4 8ull
#define BM_GS_HGATP_MODE_SV48X4 9ull
#define BM_GS_HGATP_MODE_SV57X4 10ull
#define BM_GS_HGATP_VMID_SHIFT 44u
#define BM_GS_HGATP_MODE_SHIFT 60u

/* PTE bits (for tests that inspect tables). */
#define BM_GS_PTE_V (1ull << 0)
#define BM_GS_PTE_R (1ull << 1)
#define BM_GS_PTE_W (1ull << 2)
#define BM_GS_PTE_X (1ull << 3)
#define BM_GS_PTE_U (1ull << 4)
#define BM_GS_PTE_G (1ull << 5)
#define BM_GS_PTE_A (1ull << 6)
#define BM_GS_PTE_D (1ull << 7)
#define BM_GS_PTE_PPN_SHIFT 10u
#define BM_GS_PTE_PPN_MASK (((1ull << 44) - 1) << BM_GS_PTE_PPN_SHIFT)
/* The physical address in a PTE. */
#define BM_GS_PTE_ADDR(pte) ((((pte) & BM_GS_PTE_PPN_MASK) >> BM_GS_PTE_PPN_SHIFT) << 12)

/* guest-physical bits of a geometry: 12 + 9 * levels + 2 (0 if levels is not 3, 4 or 5). */
unsigned bm_gs_gpa_bits(unsigned levels);
/* Allocates a zeroed root (from bm_hal()); its physical address, or 0 (bad geometry, no memory). */
uint64_t bm_gs_create(unsigned levels);
/*
 * Maps [gpa, gpa+size) to [hpa, hpa+size) with BM_MAP_* attributes. gpa, hpa
 * and size 4 KiB aligned, size > 0, gpa + size within gpa_bits, hpa below
 * 2^56. 0, or BM_EINVAL, BM_ENOMEM, BM_EEXIST (the range overlaps a mapping;
 * the part before the overlap stays mapped).
 */
int bm_gs_map(uint64_t root, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned attrs);
/* Frees the root and every table under it (not the mapped memory). */
void bm_gs_destroy(uint64_t root);
/*
 * Walks the tables like the hardware: true and the output address, the leaf
 * PTE and its level (0: 4 KiB, 1: 2 MiB) if gpa is mapped.
 */
bool bm_gs_lookup(uint64_t root, uint64_t gpa, uint64_t *hpa, uint64_t *pte, unsigned *level);
/* The npt config for axv_vcpu_setup: {root, levels, gpa_bits} of this root; false if unknown. */
bool bm_gs_npt(uint64_t root, struct axv_npt_config *npt);
/* How many 4 KiB tables (the root's four included) the root uses now. */
unsigned bm_gs_table_count(uint64_t root);
/* The hgatp value described above (0 for a bad geometry). */
uint64_t bm_gs_hgatp(unsigned levels, uint64_t root, uint16_t vmid);

#endif /* BM_GSTAGE_H */
