/*
 * Exits answered by the vCPU's exit handler inside axv_vcpu_run, on the
 * real backend: the MMIO guest's MOV, MOVZX and MOVSX forms at every width
 * get the same values as from the VMM loop (the guest checks each).
 */
#include "axv/x86_64.h"
#include "bm_test.h"
#include "bm_vmm.h"
#include "guest_boot.h"

BM_TEST(vmx_exit_handler_answers_mmio_inside_run)
{
    static const struct bm_backend vmx = {&axv_x86_64_ops, BM_X86_GUEST_CALL_FAIL, axv_x86_64_get_rip};

    bm_vmm_check_exit_handler(&vmx, "mmio", NULL, &bm_x86_guest_boot);
}
