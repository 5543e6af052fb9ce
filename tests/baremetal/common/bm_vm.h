/*
 * Guest memory for tests: RAM from the HAL, the guest image copied in, and
 * nested page tables (stage 2 / G-stage / EPT) built by the platform.
 *
 *   struct bm_vm vm;
 *   BM_CHECK_EQ(bm_vm_create(&vm, "nop", 0), 0);
 *   bm_cleanup(bm_vm_cleanup, &vm);     // only if vm is static
 *   axv_vcpu_setup(&v, vm.entry, &vm.npt, setup_config);
 *
 * Guest-physical layout (per platform, bm_arch.h): RAM at BM_GUEST_RAM_BASE,
 * the image at its first byte, entry there too. Everything else is unmapped,
 * so a guest access there is a nested page fault the backend turns into an
 * MMIO exit.
 */
#ifndef BM_VM_H
#define BM_VM_H

#include <stdint.h>

#include "axv/arch.h"
#include "bm.h"
#include "bm_arch.h"

/* Mapping attributes (bm_vm_map, bm_npt_map and the arch table builders). */
#define BM_MAP_R 0x1u
#define BM_MAP_W 0x2u
#define BM_MAP_X 0x4u
#define BM_MAP_DEVICE 0x8u /* device memory instead of normal write-back */
#define BM_MAP_RWX (BM_MAP_R | BM_MAP_W | BM_MAP_X)

/* Errors of the map/create calls (0 is success). */
#define BM_EINVAL (-1)    /* unaligned, out of range or bad geometry */
#define BM_ENOMEM (-2)    /* the HAL is out of frames */
#define BM_EEXIST (-3)    /* part of the range is mapped already */

struct bm_vm {
    const struct bm_blob *image;
    uint64_t ram_gpa;               /* BM_GUEST_RAM_BASE */
    uint64_t ram_hpa;               /* 2 MiB aligned */
    uint64_t ram_size;              /* multiple of 2 MiB */
    uint64_t entry;                 /* guest-physical entry point (= ram_gpa) */
    struct axv_npt_config npt;      /* hand to axv_vcpu_setup */
};

/*
 * RAM of ram_size bytes (0: BM_GUEST_RAM_DEFAULT; rounded up to 2 MiB),
 * zeroed, the image `guest` (bm_guest()) copied to its start, mapped RWX at
 * ram_gpa with the platform's default table geometry. 0, BM_EINVAL (unknown
 * guest, image larger than RAM) or BM_ENOMEM; on error nothing is left
 * allocated.
 */
int bm_vm_create(struct bm_vm *vm, const char *guest, uint64_t ram_size);
/* Frees the tables and RAM; safe on a zeroed or already destroyed vm. */
void bm_vm_destroy(struct bm_vm *vm);
/* For bm_cleanup(): arg is a struct bm_vm *. */
void bm_vm_cleanup(void *vm);
/* Maps more: [gpa, gpa+size) -> [hpa, ...) with BM_MAP_* attributes. */
int bm_vm_map(struct bm_vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned attrs);
/* Host pointer to guest RAM at gpa (len bytes must fit), or NULL. */
void *bm_vm_ptr(const struct bm_vm *vm, uint64_t gpa, uint64_t len);

/* ---------------------------------------------------------- platform hooks */

/* Allocates an empty table with the platform's default geometry into *npt. */
int bm_npt_create(struct axv_npt_config *npt);
int bm_npt_map(const struct axv_npt_config *npt, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned attrs);
/* Frees every table; sets npt->root to 0. */
void bm_npt_destroy(struct axv_npt_config *npt);
/* Makes host writes to [hpa, hpa+size) visible to the guest's (cached) view and its instruction fetches. */
void bm_sync_guest_memory(uint64_t hpa, uint64_t size);

#endif /* BM_VM_H */
