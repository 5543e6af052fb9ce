/*
 * Exits answered by the vCPU's exit handler inside axv_vcpu_run, on the
 * real backend: the MMIO guest's loads and stores at every width, signed,
 * unsigned and compressed, get the same values as from the VMM loop (the
 * guest checks each).
 */
#include "axv/riscv64.h"
#include "bm_test.h"
#include "bm_vmm.h"

BM_TEST(rv_exit_handler_answers_mmio_inside_run)
{
    static const struct bm_backend rv = {&axv_riscv64_ops, 0x0900000100000000u, axv_riscv64_get_pc};

    bm_vmm_check_exit_handler(&rv, "mmio", NULL, NULL);
}
