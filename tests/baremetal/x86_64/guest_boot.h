/* The setup config of every test guest: what guest.h promises (the image's own page tables, GDT and TSS). */
#ifndef BM_X86_GUEST_BOOT_H
#define BM_X86_GUEST_BOOT_H

#include "axv/x86_64.h"
#include "bm_arch.h"

static const struct axv_x86_64_setup bm_x86_guest_boot = {
    .cr3 = BM_X86_GUEST_CR3,
    .rsp = BM_GUEST_RAM_BASE + BM_GUEST_RAM_DEFAULT,
    .gdtr_base = BM_X86_GUEST_GDT,
    .gdtr_limit = BM_X86_GUEST_GDT_LIMIT,
    .tr_selector = BM_X86_GUEST_SEL_TSS,
    .tr_base = BM_X86_GUEST_TSS,
};

#endif /* BM_X86_GUEST_BOOT_H */
