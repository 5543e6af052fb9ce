/* Guest memory helpers on the platform's nested page tables; see bm_vm.h. */
#include "bm_vm.h"

#define BM_2M 0x200000ull

int bm_vm_create(struct bm_vm *vm, const char *guest, uint64_t ram_size)
{
    memset(vm, 0, sizeof(*vm));
    const struct bm_blob *b = bm_guest(guest);
    if (!b)
        return BM_EINVAL;
    if (!ram_size)
        ram_size = BM_GUEST_RAM_DEFAULT;
    ram_size = (ram_size + BM_2M - 1) & ~(BM_2M - 1);
    if (b->size > ram_size)
        return BM_EINVAL;

    size_t frames = (size_t)(ram_size / AXV_FRAME_SIZE);
    uint64_t hpa = bm_hal()->alloc_frames(bm_hal()->ctx, frames, (size_t)(BM_2M / AXV_FRAME_SIZE));
    if (!hpa)
        return BM_ENOMEM;
    int r = bm_npt_create(&vm->npt);
    if (r) {
        bm_hal()->free_frames(bm_hal()->ctx, hpa, frames);
        return r;
    }
    r = bm_npt_map(&vm->npt, BM_GUEST_RAM_BASE, hpa, ram_size, BM_MAP_RWX);
    if (r) {
        bm_npt_destroy(&vm->npt);
        bm_hal()->free_frames(bm_hal()->ctx, hpa, frames);
        return r;
    }
    memcpy((void *)(uintptr_t)hpa, b->data, (size_t)b->size);
    bm_sync_guest_memory(hpa, ram_size);

    vm->image = b;
    vm->ram_gpa = BM_GUEST_RAM_BASE;
    vm->ram_hpa = hpa;
    vm->ram_size = ram_size;
    vm->entry = BM_GUEST_RAM_BASE;
    return 0;
}

void bm_vm_destroy(struct bm_vm *vm)
{
    if (vm->npt.root)
        bm_npt_destroy(&vm->npt);
    if (vm->ram_hpa)
        bm_hal()->free_frames(bm_hal()->ctx, vm->ram_hpa, (size_t)(vm->ram_size / AXV_FRAME_SIZE));
    vm->ram_hpa = 0;
    vm->ram_size = 0;
}

void bm_vm_cleanup(void *vm)
{
    bm_vm_destroy(vm);
}

int bm_vm_map(struct bm_vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned attrs)
{
    return bm_npt_map(&vm->npt, gpa, hpa, size, attrs);
}

void *bm_vm_ptr(const struct bm_vm *vm, uint64_t gpa, uint64_t len)
{
    if (gpa < vm->ram_gpa || gpa - vm->ram_gpa > vm->ram_size || len > vm->ram_size - (gpa - vm->ram_gpa))
        return NULL;
    return (void *)(uintptr_t)(vm->ram_hpa + (gpa - vm->ram_gpa));
}
