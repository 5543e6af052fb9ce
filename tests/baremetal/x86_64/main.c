/*
 * The x86_64 bare-metal test image: main() runs every BM_TEST linked in
 * (these harness self-tests, and the backend's tests in other files).
 */
#include "bm_arch.h"
#include "bm_test.h"
#include "bm_vm.h"
#include "ept.h"

int main(void);
int main(void)
{
    bm_run_all();
}

/* ------------------------------------------------------------ harness self-tests */

/* The host state bm_arch.h promises (what a VMX backend copies into the VMCS host-state area). */
BM_TEST(harness_long_mode)
{
    BM_CHECK_EQ(bm_x86_mb2_magic, 0x36d76289u); /* started by GRUB through multiboot2 */
    BM_CHECK_EQ(bm_rdmsr(BM_X86_MSR_EFER) & (BM_X86_EFER_LME | BM_X86_EFER_LMA), BM_X86_EFER_LME | BM_X86_EFER_LMA);
    BM_CHECK_EQ(bm_read_cr0(), BM_X86_CR0_BOOT);
    BM_CHECK_EQ(bm_read_cr0() & BM_X86_CR0_NE, BM_X86_CR0_NE);
    BM_CHECK_EQ(bm_read_cr4(), BM_X86_CR4_BOOT);
    BM_CHECK_EQ(bm_read_cr3(), (uintptr_t)bm_x86_pml4);
    BM_CHECK_EQ(bm_read_rflags() & BM_X86_RFLAGS_IF, 0);
    BM_CHECK_EQ(bm_read_cs(), BM_X86_SEL_CODE64);
    BM_CHECK_EQ(bm_read_ds(), BM_X86_SEL_DATA);
    BM_CHECK_EQ(bm_read_es(), BM_X86_SEL_DATA);
    BM_CHECK_EQ(bm_read_ss(), BM_X86_SEL_DATA);
    BM_CHECK_EQ(bm_read_fs(), 0);
    BM_CHECK_EQ(bm_read_gs(), 0);
    BM_CHECK_EQ(bm_rdmsr(BM_X86_MSR_FS_BASE), 0);
    BM_CHECK_EQ(bm_rdmsr(BM_X86_MSR_GS_BASE), 0);

    /* TR: non-zero (VMX checks the host TR selector), a busy 64-bit TSS at bm_x86_tss. */
    BM_CHECK_EQ(bm_str(), BM_X86_SEL_TSS);
    struct bm_x86_dtr gdtr = bm_sgdt(), idtr = bm_sidt();
    BM_CHECK_EQ(gdtr.base, (uintptr_t)bm_x86_gdt);
    BM_CHECK_EQ(gdtr.limit, BM_X86_GDT_LIMIT);
    BM_CHECK_EQ(idtr.base, (uintptr_t)bm_x86_idt);
    BM_CHECK_EQ(idtr.limit, 256 * 16 - 1);
    uint64_t lo = bm_x86_gdt[BM_X86_SEL_TSS / 8], hi = bm_x86_gdt[BM_X86_SEL_TSS / 8 + 1];
    BM_CHECK_EQ((lo >> 40) & 0xff, 0x8b); /* present, busy 64-bit TSS */
    BM_CHECK_EQ((lo & 0xffff) | ((lo >> 48) & 0xf) << 16, BM_X86_TSS_LIMIT);
    uint64_t base = ((lo >> 16) & 0xffffff) | ((lo >> 56) & 0xff) << 24 | hi << 32;
    BM_CHECK_EQ(base, (uintptr_t)bm_x86_tss);
    uint64_t ist1, rsp0;
    memcpy(&rsp0, bm_x86_tss + 4, 8);
    memcpy(&ist1, bm_x86_tss + 36, 8);
    BM_CHECK_EQ(rsp0, (uintptr_t)__bm_stack_top);
    BM_CHECK_EQ(ist1, (uintptr_t)bm_x86_trap_stack_top);
    BM_CHECK_EQ(bm_x86_gdt[BM_X86_SEL_CODE64 / 8], 0x00af9b000000ffffull);
    BM_CHECK_EQ(bm_x86_gdt[BM_X86_SEL_DATA / 8], 0x00cf93000000ffffull);

    BM_CHECK_EQ(bm_inb(BM_X86_PIC1_DATA), 0xff); /* every legacy IRQ masked */
    BM_CHECK_EQ(bm_inb(BM_X86_PIC2_DATA), 0xff);
    BM_CHECK_EQ(bm_hal()->cpu_id(bm_hal()->ctx), 0);
    int local;
    BM_CHECK((uintptr_t)&local > (uintptr_t)__bm_stack_bottom && (uintptr_t)&local < (uintptr_t)__bm_stack_top,
             "the stack is not where link.ld put it");
    BM_CHECK(bm_x86_mem_upper_kib, "no basic meminfo from GRUB");
    BM_CHECK((uintptr_t)__bm_heap_end <= 0x100000 + bm_x86_mem_upper_kib * 1024,
             "the heap ends at %p, RAM at 0x%llx", (void *)__bm_heap_end,
             (unsigned long long)(0x100000 + bm_x86_mem_upper_kib * 1024));
}

/* The identity map: pages where link.ld says, page 0 absent, the MMIO GiB uncached. */
#define PTE_FLAGS(e) ((e) & 0xf9fu) /* without A and D, which the CPU sets */
BM_TEST(harness_paging)
{
    const uint64_t *pml4 = bm_x86_pml4;
    const uint64_t *pdpt = (const uint64_t *)(uintptr_t)(pml4[0] & BM_EPT_ADDR_MASK);
    BM_CHECK_EQ(PTE_FLAGS(pml4[0]), 0x3);
    for (unsigned i = 1; i < 512; i++)
        BM_CHECK_EQ(pml4[i], 0);
    for (unsigned g = 0; g < 4; g++) {
        BM_CHECK_EQ(PTE_FLAGS(pdpt[g]), 0x3);
        const uint64_t *pd = (const uint64_t *)(uintptr_t)(pdpt[g] & BM_EPT_ADDR_MASK);
        for (unsigned i = g == 0 ? 1 : 0; i < 512; i++) {
            uint64_t want = ((uint64_t)g << 30 | (uint64_t)i << 21) | 0x83 | (g == 3 ? 0x18 : 0);
            BM_CHECK_EQ(pd[i] & ~0x60ull, want);
        }
    }
    const uint64_t *pd0 = (const uint64_t *)(uintptr_t)(pdpt[0] & BM_EPT_ADDR_MASK);
    const uint64_t *pt0 = (const uint64_t *)(uintptr_t)(pd0[0] & BM_EPT_ADDR_MASK);
    BM_CHECK_EQ(PTE_FLAGS(pd0[0]), 0x3);
    BM_CHECK_EQ(pt0[0], 0);
    BM_CHECK_EQ(pt0[1] & ~0x60ull, 0x1003);
    BM_CHECK_EQ(pt0[511] & ~0x60ull, 0x1ff003);

    /* A NULL read faults (#PF, not present, read, supervisor: error 0) and the probe resumes. */
    uint64_t v = 0x55;
    BM_CHECK_EQ(bm_x86_read64_safe(0, &v), BM_X86_FAULTED | BM_X86_VEC_PF);
    BM_CHECK_EQ(v, 0x55);
    BM_CHECK_EQ(bm_x86_last_fault.cr2, 0);
    BM_CHECK_EQ(bm_x86_last_fault.error, 0);
    BM_CHECK_EQ(bm_x86_read64_safe(0xff8, &v), BM_X86_FAULTED | BM_X86_VEC_PF);
    BM_CHECK_EQ(bm_x86_last_fault.cr2, 0xff8);
    BM_CHECK_EQ(bm_x86_read64_safe(0x1000, &v), 0);
    /* The top of the 4 GiB map (the BIOS ROM's reset vector: jmpf f000:e05b) and just past it. */
    BM_CHECK_EQ(bm_x86_read64_safe(0xfffffff0, &v), 0);
    BM_CHECK_EQ(v & 0xffffffffffull, 0xf000e05beaull);
    BM_CHECK_EQ(bm_x86_read64_safe(0x100000000ull, &v), BM_X86_FAULTED | BM_X86_VEC_PF);
    BM_CHECK_EQ(bm_x86_last_fault.cr2, 0x100000000ull);
}

/* Every IDT gate points at its own 16-byte stub; the stub pushes the vector (and a 0 error code where the CPU pushes none). */
BM_TEST(harness_idt)
{
    extern const uint8_t bm_x86_isr_stubs[];
    for (unsigned v = 0; v < 256; v++) {
        const uint64_t *g = &bm_x86_idt[2 * v];
        uint64_t off = (g[0] & 0xffff) | ((g[0] >> 48) & 0xffff) << 16 | (g[1] & 0xffffffff) << 32;
        BM_CHECK_EQ(off, (uintptr_t)(bm_x86_isr_stubs + 16 * v));
        BM_CHECK_EQ((g[0] >> 16) & 0xffff, BM_X86_SEL_CODE64);
        BM_CHECK_EQ((g[0] >> 32) & 0xffff, 0x8e01); /* present 64-bit interrupt gate, IST 1 */
        const uint8_t *s = bm_x86_isr_stubs + 16 * v;
        bool has_error = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
        if (!has_error) {
            BM_CHECK(s[0] == 0x6a && s[1] == 0, "vector %u: no push $0 first", v);
            s += 2;
        }
        if (v < 128)
            BM_CHECK(s[0] == 0x6a && s[1] == v, "vector %u: stub does not push it", v);
        else
            BM_CHECK(s[0] == 0x68 && s[1] == v && s[2] == 0, "vector %u: stub does not push it", v);
    }
}

/* What a VMX backend needs from the CPU and the platform. */
BM_TEST(harness_vmx)
{
    uint32_t r[4];
    bm_cpuid(1, 0, r);
    BM_CHECK(r[2] & BM_X86_CPUID1_ECX_VMX, "CPUID.1:ECX.VMX (bit 5) clear: ecx=0x%x", r[2]);
    BM_CHECK(bm_x86_vmx_enabled, "IA32_FEATURE_CONTROL does not allow VMX");
    uint64_t fc = bm_rdmsr(BM_X86_MSR_FEATURE_CONTROL);
    BM_CHECK_EQ(fc & (BM_X86_FEATURE_CONTROL_LOCK | BM_X86_FEATURE_CONTROL_VMX),
                BM_X86_FEATURE_CONTROL_LOCK | BM_X86_FEATURE_CONTROL_VMX);
    /* Locked: a write #GPs. */
    BM_CHECK_EQ(bm_x86_wrmsr_safe(BM_X86_MSR_FEATURE_CONTROL, fc), BM_X86_FAULTED | BM_X86_VEC_GP);
    /* Bochs runs with ignore_bad_msrs=0: an unknown MSR #GPs as on hardware. */
    uint64_t v = 0x77;
    BM_CHECK_EQ(bm_x86_rdmsr_safe(0x12345678u, &v), BM_X86_FAULTED | BM_X86_VEC_GP);
    BM_CHECK_EQ(v, 0x77);
    BM_CHECK_EQ(bm_x86_rdmsr_safe(BM_X86_MSR_EFER, &v), 0);
    BM_CHECK_EQ(v, bm_rdmsr(BM_X86_MSR_EFER));

    /* CR0 and CR4 | VMXE satisfy the VMX fixed bits as they are. */
    uint64_t f0 = bm_rdmsr(BM_X86_MSR_VMX_CR0_FIXED0), f1 = bm_rdmsr(BM_X86_MSR_VMX_CR0_FIXED1);
    BM_CHECK_EQ(bm_read_cr0() & f0, f0);
    BM_CHECK_EQ(bm_read_cr0() & ~f1, 0);
    f0 = bm_rdmsr(BM_X86_MSR_VMX_CR4_FIXED0);
    f1 = bm_rdmsr(BM_X86_MSR_VMX_CR4_FIXED1);
    BM_CHECK_EQ((bm_read_cr4() | BM_X86_CR4_VMXE) & f0, f0);
    BM_CHECK_EQ((bm_read_cr4() | BM_X86_CR4_VMXE) & ~f1, 0);
    /* The guest's start state too (unrestricted guest is not needed for it). */
    f0 = bm_rdmsr(BM_X86_MSR_VMX_CR0_FIXED0);
    BM_CHECK_EQ(BM_X86_GUEST_CR0 & f0, f0);

    /* IA32_VMX_BASIC: a revision id, a VMCS of at most 4 KiB, write-back, the TRUE control MSRs. */
    uint64_t basic = bm_rdmsr(BM_X86_MSR_VMX_BASIC);
    BM_CHECK_NE(basic & 0x7fffffff, 0);
    BM_CHECK(((basic >> 32) & 0x1fff) <= 4096 && ((basic >> 32) & 0x1fff) > 0, "VMCS size %llu",
             (unsigned long long)((basic >> 32) & 0x1fff));
    BM_CHECK_EQ((basic >> 50) & 0xf, 6);
    BM_CHECK_EQ((basic >> 55) & 1, 1);
    /* EPT and unrestricted guest may be enabled (secondary controls' allowed-1 bits 1 and 7). */
    uint64_t proc = bm_rdmsr(0x48eu); /* TRUE_PROCBASED_CTLS */
    BM_CHECK((proc >> 63) & 1, "no secondary processor-based controls");
    uint64_t proc2 = bm_rdmsr(0x48bu);
    BM_CHECK_EQ((proc2 >> 33) & 1, 1); /* enable EPT */
    BM_CHECK_EQ((proc2 >> 37) & 1, 1); /* enable VPID */
    BM_CHECK_EQ((proc2 >> 39) & 1, 1); /* unrestricted guest */
    /* EPT capabilities: 4-level walk, WB EPTP, 2 MiB pages, INVEPT. */
    uint64_t cap = bm_rdmsr(0x48cu);
    BM_CHECK_EQ((cap >> 6) & 1, 1);
    BM_CHECK_EQ((cap >> 14) & 1, 1);
    BM_CHECK_EQ((cap >> 16) & 1, 1);
    BM_CHECK_EQ((cap >> 20) & 1, 1);
}

/* Walks a 4-level EPT by hand (not with bm_ept_lookup): the leaf entry and its level. */
static uint64_t manual_walk(uint64_t root, uint64_t gpa, unsigned *leaf_level)
{
    uint64_t e = ((const uint64_t *)(uintptr_t)root)[(gpa >> 39) & 511];
    BM_CHECK_EQ(e & 0xfff, 7); /* a pointer: R W X, nothing else */
    e = ((const uint64_t *)(uintptr_t)BM_EPT_ADDR(e))[(gpa >> 30) & 511];
    BM_CHECK_EQ(e & 0xfff, 7);
    e = ((const uint64_t *)(uintptr_t)BM_EPT_ADDR(e))[(gpa >> 21) & 511];
    if (e & BM_EPT_PS) {
        *leaf_level = 1;
        return e;
    }
    BM_CHECK_EQ(e & 0xfff, 7);
    *leaf_level = 0;
    return ((const uint64_t *)(uintptr_t)BM_EPT_ADDR(e))[(gpa >> 12) & 511];
}

BM_TEST(harness_ept)
{
    size_t before = bm_frames_in_use();
    uint64_t root = bm_ept_create();
    BM_CHECK_NE(root, 0);
    BM_CHECK_EQ(root % 0x1000, 0);
    BM_CHECK_EQ(bm_frames_in_use(), before + 1);
    BM_CHECK_EQ(bm_ept_eptp(root), root | 0x1e);
    struct axv_npt_config npt;
    BM_CHECK(bm_ept_npt(root, &npt), "unknown root");
    BM_CHECK_EQ(npt.root, root);
    BM_CHECK_EQ(npt.levels, 4);
    BM_CHECK_EQ(npt.gpa_bits, 48);

    /* 4 MiB of "RAM": two 2 MiB pages. */
    uint64_t ram = bm_hal()->alloc_frames(bm_hal()->ctx, 1024, 512);
    BM_CHECK_NE(ram, 0);
    BM_CHECK_EQ(bm_ept_map(root, 0, ram, 0x400000, BM_MAP_RWX), 0);
    unsigned level;
    uint64_t e = manual_walk(root, 0, &level);
    BM_CHECK_EQ(level, 1);
    BM_CHECK_EQ(BM_EPT_ADDR(e), ram);
    BM_CHECK_EQ(e & ~BM_EPT_ADDR_MASK, BM_EPT_R | BM_EPT_W | BM_EPT_X | BM_EPT_MT_WB | BM_EPT_PS);
    e = manual_walk(root, 0x200000, &level);
    BM_CHECK_EQ(level, 1);
    BM_CHECK_EQ(BM_EPT_ADDR(e), ram + 0x200000);
    uint64_t pa;
    BM_CHECK(bm_ept_lookup(root, 0x123458, &pa, NULL, &level), "not mapped");
    BM_CHECK_EQ(pa, ram + 0x123458);
    BM_CHECK(!bm_ept_lookup(root, 0x400000, NULL, NULL, NULL), "mapped past the end");
    BM_CHECK(!bm_ept_lookup(root, 0x0a000000, NULL, NULL, NULL), "the test device is mapped");

    /* 4 KiB pages where a 2 MiB page does not fit: unaligned GPA, read-only, no execute. */
    BM_CHECK_EQ(bm_ept_map(root, 0x80001000, ram + 0x1000, 0x2000, BM_MAP_R), 0);
    e = manual_walk(root, 0x80002000, &level);
    BM_CHECK_EQ(level, 0);
    BM_CHECK_EQ(BM_EPT_ADDR(e), ram + 0x2000);
    BM_CHECK_EQ(e & ~BM_EPT_ADDR_MASK, BM_EPT_R | BM_EPT_MT_WB);
    BM_CHECK(!bm_ept_lookup(root, 0x80000000, NULL, NULL, NULL), "page before the range mapped");
    BM_CHECK(!bm_ept_lookup(root, 0x80003000, NULL, NULL, NULL), "page after the range mapped");

    /* Device memory (UC) at the top of the 48-bit space: the last PML4 entry. */
    BM_CHECK_EQ(bm_ept_map(root, 0xfffffffff000ull, 0xfee00000, 0x1000, BM_MAP_R | BM_MAP_W | BM_MAP_DEVICE), 0);
    e = manual_walk(root, 0xfffffffff000ull, &level);
    BM_CHECK_EQ(level, 0);
    BM_CHECK_EQ(e, 0xfee00000ull | BM_EPT_R | BM_EPT_W | BM_EPT_MT_UC);
    BM_CHECK_NE(((const uint64_t *)(uintptr_t)root)[511], 0);

    /* Refusals. */
    BM_CHECK_EQ(bm_ept_map(root, 0, ram, 0x1000, BM_MAP_RWX), BM_EEXIST);
    BM_CHECK_EQ(bm_ept_map(root, 0x100000, ram, 0x1000, BM_MAP_RWX), BM_EEXIST); /* inside a 2 MiB page */
    BM_CHECK_EQ(bm_ept_map(root, 0x80002000, ram, 0x1000, BM_MAP_RWX), BM_EEXIST);
    BM_CHECK_EQ(bm_ept_map(root, 0x80000800, ram, 0x1000, BM_MAP_RWX), BM_EINVAL);
    BM_CHECK_EQ(bm_ept_map(root, 0x80000000, ram, 0x800, BM_MAP_RWX), BM_EINVAL);
    BM_CHECK_EQ(bm_ept_map(root, 0x1000000000000ull, ram, 0x1000, BM_MAP_RWX), BM_EINVAL);
    BM_CHECK_EQ(bm_ept_map(root, 0xfffffffff000ull, ram, 0x2000, BM_MAP_RWX), BM_EINVAL);
    BM_CHECK_EQ(bm_ept_map(root, 0x90000000, ram, 0x1000, BM_MAP_W), BM_EINVAL); /* W without R */
    BM_CHECK_EQ(bm_ept_map(root, 0x90000000, ram, 0x1000, BM_MAP_DEVICE), BM_EINVAL);
    BM_CHECK_EQ(bm_ept_map(root + 0x1000, 0, ram, 0x1000, BM_MAP_RWX), BM_EINVAL);

    /* Root + PDPT + PD for 0; PDPT, PD, PT for 0x80000000 share the PDPT; PDPT, PD, PT at the top. */
    BM_CHECK_EQ(bm_ept_table_count(root), 1 + 2 + 2 + 3);
    BM_CHECK_EQ(bm_frames_in_use(), before + 8 + 1024);
    bm_ept_destroy(root);
    BM_CHECK(!bm_ept_npt(root, &npt), "destroyed root still known");
    bm_hal()->free_frames(bm_hal()->ctx, ram, 1024);
    BM_CHECK_EQ(bm_frames_in_use(), before);
}

/* The timer's rate (monotonic time: harness_clock, common). */
BM_TEST(harness_timer)
{
    /* One tick per instruction: a 1000-iteration loop takes thousands of ticks, not millions. */
    uint64_t a = bm_rdtsc();
    for (volatile unsigned i = 0; i < 1000; i++)
        ;
    uint64_t d = bm_rdtsc() - a;
    BM_CHECK(d >= 1000 && d < 100000, "1000 loop iterations took %llu TSC ticks", (unsigned long long)d);
}

/* True if the bytes `insn` (n of them) are somewhere in the blob. */
static bool blob_has(const struct bm_blob *b, const uint8_t *insn, size_t n)
{
    for (uint64_t i = 0; i + n <= b->size; i++)
        if (memcmp(b->data + i, insn, n) == 0)
            return true;
    return false;
}

BM_TEST(harness_guest)
{
    static const uint8_t vmcall[] = {0x0f, 0x01, 0xc1};
    static const uint8_t mov_off[] = {0xb8, 0x02, 0x10, 0x00, 0x00}; /* mov $0x1002, %eax */
    const struct bm_blob *nop = bm_guest("nop");
    BM_CHECK(nop, "guest 'nop' not embedded");
    BM_CHECK(!bm_guest("no-such-guest"), "found a guest that does not exist");
    BM_CHECK(nop->size >= BM_X86_GUEST_SYS_END, "nop is %llu bytes", (unsigned long long)nop->size);
    BM_CHECK(memcmp(nop->data, mov_off, sizeof(mov_off)) == 0, "nop does not start with mov $0x1002, %%eax");
    BM_CHECK(memcmp(nop->data + 5, vmcall, sizeof(vmcall)) == 0, "no vmcall after it");
    BM_CHECK(blob_has(nop, vmcall, sizeof(vmcall)), "no vmcall");

    size_t before = bm_frames_in_use();
    static struct bm_vm vm;
    bm_cleanup(bm_vm_cleanup, &vm);
    BM_CHECK_EQ(bm_vm_create(&vm, "no-such-guest", 0), BM_EINVAL);
    BM_CHECK_EQ(bm_frames_in_use(), before);
    BM_CHECK_EQ(bm_vm_create(&vm, "nop", 0), 0);
    BM_CHECK_EQ(vm.entry, 0);
    BM_CHECK_EQ(vm.ram_gpa, 0);
    BM_CHECK_EQ(vm.ram_size, 0x200000);
    BM_CHECK_EQ(vm.npt.levels, BM_EPT_LEVELS);
    BM_CHECK_EQ(vm.npt.gpa_bits, BM_EPT_GPA_BITS);
    uint64_t hpa, e;
    unsigned level;
    BM_CHECK(bm_ept_lookup(vm.npt.root, vm.entry, &hpa, &e, &level), "entry not mapped");
    BM_CHECK_EQ(hpa, vm.ram_hpa);
    BM_CHECK_EQ(level, 1);
    BM_CHECK_EQ(e & 0xfff, BM_EPT_R | BM_EPT_W | BM_EPT_X | BM_EPT_MT_WB | BM_EPT_PS);
    BM_CHECK_EQ(memcmp((void *)(uintptr_t)hpa, nop->data, (size_t)nop->size), 0);
    BM_CHECK_EQ(bm_vm_ptr(&vm, 0x1ffffc, 4), (uintptr_t)vm.ram_hpa + 0x1ffffc);
    BM_CHECK(!bm_ept_lookup(vm.npt.root, 0x200000, NULL, NULL, NULL), "mapped past RAM");

    /* The image's system area (guest.h) is what bm_x86_guest_sys builds. */
    static uint8_t sys[0x4000];
    uint8_t *after = bm_vm_ptr(&vm, BM_X86_GUEST_SYS_END, 1), after_byte = *after;
    *after = 0x5a;
    memcpy(sys, bm_vm_ptr(&vm, BM_X86_GUEST_PML4, sizeof(sys)), sizeof(sys));
    memset(bm_vm_ptr(&vm, BM_X86_GUEST_PML4, sizeof(sys)), 0xa5, sizeof(sys));
    BM_CHECK_EQ(bm_x86_guest_sys(&vm), 0);
    const uint8_t *built = bm_vm_ptr(&vm, BM_X86_GUEST_PML4, sizeof(sys));
    for (size_t i = 0; i < sizeof(sys); i++)
        BM_CHECK(built[i] == sys[i], "guest system area differs at 0x%zx: image 0x%02x, bm_x86_guest_sys 0x%02x",
                 (size_t)BM_X86_GUEST_PML4 + i, sys[i], built[i]);
    const uint64_t *q = (const uint64_t *)(const void *)sys;
    BM_CHECK_EQ(q[0], BM_X86_GUEST_PDPT | 0x23);           /* PML4[0] */
    BM_CHECK_EQ(q[512], BM_X86_GUEST_PD | 0x23);           /* PDPT[0] */
    BM_CHECK_EQ(q[1024 + 5], (5ull << 21) | 0xe3);         /* PD[5] */
    BM_CHECK_EQ(q[1536 + 1], 0x00af9b000000ffffull);       /* GDT 0x08 */
    BM_CHECK_EQ(q[1536 + 3], 0x00008b0040800067ull);       /* GDT 0x18: TSS at 0x4080 */
    BM_CHECK(*after == 0x5a, "bm_x86_guest_sys wrote past the system area");
    *after = after_byte;

    struct bm_vm small = vm;
    small.ram_gpa = 0x1000;
    BM_CHECK_EQ(bm_x86_guest_sys(&small), BM_EINVAL);
    bm_vm_destroy(&vm);
    BM_CHECK_EQ(bm_frames_in_use(), before);
}
