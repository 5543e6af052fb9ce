/*
 * Exits answered by the vCPU's exit handler inside axv_vcpu_run, on the
 * real backend: the MMIO guest's reads at every width, signed and unsigned,
 * get the same values as from the VMM loop (the guest checks each).
 */
#include "axv/aarch64.h"
#include "bm_test.h"
#include "bm_vmm.h"

BM_TEST(a64_exit_handler_answers_mmio_inside_run)
{
    static const struct bm_backend a64 = {&axv_aarch64_ops, 0xc6000001u, axv_aarch64_get_pc};
    static const struct axv_aarch64_setup setup;

    bm_vmm_check_exit_handler(&a64, "mmio", NULL, &setup);
}
