/*
 * The x86_64 platform of the bare-metal harness (Bochs 2.7, CPU model
 * corei7_skylake_x: VMX with EPT, VPID and unrestricted guest; GRUB 2
 * boots the image through multiboot2, see boot.S).
 *
 * Host state when main() runs (what a VMX backend puts in the VMCS
 * host-state area; every value below is checked by harness_long_mode):
 *   64-bit long mode, ring 0, RFLAGS.IF = 0 (no interrupts are ever enabled)
 *   8259 PICs remapped to vectors 0x20..0x2f and every IRQ masked, so no
 *           external interrupt is pending (an exit with external-interrupt
 *           exiting would be a harness bug); LAPIC as the BIOS left it
 *   paging: identity map of 0..4 GiB (bm_x86_pml4): 2 MiB pages, except the
 *           first 2 MiB (4 KiB pages, page 0 not present: a NULL access is a
 *           #PF); 0xc0000000..4 GiB (MMIO: LAPIC, IOAPIC) uncached (PCD|PWT)
 *   GDT bm_x86_gdt (BM_X86_GDT_LIMIT): CS = 0x08 (64-bit code), DS/ES/SS =
 *           0x10 (flat data), FS = GS = 0 with FS.base = GS.base = 0,
 *           TR = 0x18 (64-bit TSS bm_x86_tss, limit 0x67, busy) -- VMX
 *           needs a non-zero host TR selector
 *   IDT bm_x86_idt: 256 interrupt gates (CS 0x08, IST 1); every vector
 *           reports an unexpected exception (vector, error code, RIP, CR2)
 *   CR0 = BM_X86_CR0_BOOT (PE MP ET NE WP PG; NE is a VMX fixed-1 bit)
 *   CR4 = BM_X86_CR4_BOOT (PAE OSFXSR OSXMMEXCPT); VMXE is the backend's
 *   EFER = LME | LMA; PAT, SYSENTER MSRs as after reset
 *   IA32_FEATURE_CONTROL locked with "VMX outside SMX" enabled (what the
 *           firmware of a real machine does; Bochs' BIOS leaves it 0, and
 *           VMXON #GPs then), by bm_platform_init
 *
 * The backend gets its VMXON region and VMCSs from bm_hal() (alloc_frames:
 * 4 KiB aligned, zeroed; phys == virt) and writes the revision id
 * (IA32_VMX_BASIC[30:0]) into them itself. The harness's IDT stays in place
 * while guests run (host IDTR in the VMCS = sidt), so a host exception
 * while a backend is active is reported like any other.
 *
 * Time: Bochs' TSC advances one tick per emulated instruction (plus the
 * skipped time of a HLT); the harness takes one tick as one nanosecond
 * (BM_X86_TSC_HZ, the QEMU -icount shift=0 convention of the other
 * platforms), so bm_now_ns() counts instructions. Bochs' own `ips` (the
 * bochsrc) only paces its emulated devices (PIT, RTC, UART baud rate) and
 * is kept low because the BIOS and GRUB wait in device time.
 *
 * Guest-physical layout of bm_vm_create() (tests/guests/x86_64/guest.h is
 * the guest's side): RAM at 0 (BM_GUEST_RAM_BASE), 2 MiB by default, the
 * flat image at its first byte, entry there; nothing else is mapped, so
 * every other access is an EPT violation. Guests start in 64-bit long mode
 * on page tables, a GDT and a TSS that the guest image itself carries at
 * fixed addresses (BM_X86_GUEST_*, below; bm_x86_guest_sys() writes the
 * same into any bm_vm). EPT tables: ept.h.
 */
#ifndef BM_ARCH_H
#define BM_ARCH_H

#include <stdint.h>

#define BM_GUEST_RAM_BASE 0x0ull
#define BM_GUEST_RAM_DEFAULT 0x200000ull

/* ------------------------------------------------------------ host */

#define BM_X86_COM1 0x3f8u                 /* 16550 UART, polled */
#define BM_X86_PIC1_CMD 0x20u              /* 8259 PICs: remapped to 0x20..0x2f, all masked */
#define BM_X86_PIC1_DATA 0x21u
#define BM_X86_PIC2_CMD 0xa0u
#define BM_X86_PIC2_DATA 0xa1u
#define BM_X86_BOCHS_PORT 0x8900u          /* "Shutdown": exit 1; 'D': debugger (quit: exit 0) */
#define BM_X86_TSC_HZ 1000000000ull        /* assumed: 1 tick = 1 instruction = 1 ns */

#define BM_X86_SEL_CODE64 0x08u
#define BM_X86_SEL_DATA 0x10u
#define BM_X86_SEL_TSS 0x18u
#define BM_X86_GDT_LIMIT 0x27u             /* null, code, data, 16-byte TSS descriptor */
#define BM_X86_TSS_LIMIT 0x67u

#define BM_X86_CR0_PE (1ull << 0)
#define BM_X86_CR0_MP (1ull << 1)
#define BM_X86_CR0_ET (1ull << 4)
#define BM_X86_CR0_NE (1ull << 5)
#define BM_X86_CR0_WP (1ull << 16)
#define BM_X86_CR0_PG (1ull << 31)
#define BM_X86_CR4_PAE (1ull << 5)
#define BM_X86_CR4_OSFXSR (1ull << 9)
#define BM_X86_CR4_OSXMMEXCPT (1ull << 10)
#define BM_X86_CR4_VMXE (1ull << 13)
#define BM_X86_CR0_BOOT 0x80010033ull      /* PE MP ET NE WP PG */
#define BM_X86_CR4_BOOT 0x620ull           /* PAE OSFXSR OSXMMEXCPT */
#define BM_X86_EFER_LME (1ull << 8)
#define BM_X86_EFER_LMA (1ull << 10)
#define BM_X86_RFLAGS_IF (1ull << 9)

#define BM_X86_MSR_FEATURE_CONTROL 0x3au
#define BM_X86_FEATURE_CONTROL_LOCK (1ull << 0)
#define BM_X86_FEATURE_CONTROL_VMX (1ull << 2) /* VMX outside SMX */
#define BM_X86_MSR_VMX_BASIC 0x480u
#define BM_X86_MSR_VMX_CR0_FIXED0 0x486u
#define BM_X86_MSR_VMX_CR0_FIXED1 0x487u
#define BM_X86_MSR_VMX_CR4_FIXED0 0x488u
#define BM_X86_MSR_VMX_CR4_FIXED1 0x489u
#define BM_X86_MSR_EFER 0xc0000080u
#define BM_X86_MSR_FS_BASE 0xc0000100u
#define BM_X86_MSR_GS_BASE 0xc0000101u
#define BM_X86_CPUID1_ECX_VMX (1u << 5)

/* bm_x86_*_safe: 0, or BM_X86_FAULTED | the exception vector. */
#define BM_X86_FAULTED 0x100u
#define BM_X86_VEC_UD 6u
#define BM_X86_VEC_GP 13u
#define BM_X86_VEC_PF 14u

/* ------------------------------------------------------------ guests (guest.h) */

/*
 * Fixed guest-physical addresses inside the image (guest.h emits them, guest.ld
 * places them; bm_x86_guest_sys() builds the same):
 *   0x0000  entry (GUEST_START code, or GUEST_ENTRY's jump to .text)
 *   0x1000  PML4: [0] -> PDPT
 *   0x2000  PDPT: [0] -> PD
 *   0x3000  PD: 512 x 2 MiB, identity map of guest-physical 0..1 GiB, RW, WB
 *   0x4000  GDT: 0x08 64-bit code (0xa09b), 0x10 data (0xc093), 0x18 TSS
 *           (busy 64-bit, base 0x4080, limit 0x67); GDTR limit 0x27
 *   0x4080  TSS (104 bytes, zero: no IST, RSP0 = 0)
 *   0x5000  the rest of the image (.text, .rodata, .data, .bss)
 */
#define BM_X86_GUEST_PML4 0x1000ull
#define BM_X86_GUEST_PDPT 0x2000ull
#define BM_X86_GUEST_PD 0x3000ull
#define BM_X86_GUEST_GDT 0x4000ull
#define BM_X86_GUEST_GDT_LIMIT 0x27u
#define BM_X86_GUEST_TSS 0x4080ull
#define BM_X86_GUEST_TSS_LIMIT 0x67u
#define BM_X86_GUEST_SYS_END 0x5000ull
#define BM_X86_GUEST_MAP_SIZE 0x40000000ull /* the guest identity map: 1 GiB */

/*
 * The state the backend starts a guest in (64-bit mode, CPL 0, paging on the
 * image's tables; all selectors' bases 0, limits 0xffffffff but TR's;
 * GDTR = {BM_X86_GUEST_GDT, BM_X86_GUEST_GDT_LIMIT}, TR = BM_X86_GUEST_SEL_TSS
 * with base BM_X86_GUEST_TSS; IDTR limit 0 (GUEST_ENTRY loads GDTR and an
 * IDT itself, so a backend that sets other GDTR/IDTR values only breaks
 * GUEST_START guests that take an exception):
 */
#define BM_X86_GUEST_CR0 0x80010031ull      /* PE ET NE WP PG (MP too is fine) */
#define BM_X86_GUEST_CR4 0x20ull            /* PAE (VMXE too, as VMX requires: shadowed) */
#define BM_X86_GUEST_CR3 BM_X86_GUEST_PML4
#define BM_X86_GUEST_EFER 0x500ull          /* LME LMA */
#define BM_X86_GUEST_RFLAGS 0x2ull
#define BM_X86_GUEST_SEL_CODE 0x08u
#define BM_X86_GUEST_SEL_DATA 0x10u
#define BM_X86_GUEST_SEL_TSS 0x18u
#define BM_X86_GUEST_AR_CODE 0xa09bu        /* VMCS access rights: 64-bit code, accessed */
#define BM_X86_GUEST_AR_DATA 0xc093u        /* flat data, accessed */
#define BM_X86_GUEST_AR_TSS 0x008bu         /* busy 64-bit TSS */
#define BM_X86_GUEST_AR_UNUSABLE 0x10000u   /* LDTR */

/* Guest calls (VMCALL, rax = nr, rdi.. = args): see guest.h. */
#define BM_X86_GUEST_CALL_FAIL 0x09000001u  /* rdi = code */
#define BM_X86_GUEST_CALL_PUTC 0x09000002u  /* rdi = byte */
#define BM_X86_GUEST_FAIL_EXCEPTION 0xe0u   /* rsi = vector, rdx = RIP, rcx = CR2, r8 = error code */

struct bm_vm;
/*
 * Writes the guest system area (page tables, GDT, TSS above) into the RAM of
 * vm, as guest.h puts it in every image: for guests whose code a test writes
 * at run time. 0, or BM_EINVAL if the RAM does not start at 0 or is too small.
 */
int bm_x86_guest_sys(struct bm_vm *vm);

/* ------------------------------------------------------------ CPU access */

static inline uint64_t bm_rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static inline void bm_wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

#define BM_X86_CR_ACCESS(n)                                                                          \
    static inline uint64_t bm_read_cr##n(void)                                                       \
    {                                                                                                \
        uint64_t v;                                                                                  \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                            \
        return v;                                                                                    \
    }                                                                                                \
    static inline void bm_write_cr##n(uint64_t v)                                                    \
    {                                                                                                \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                                   \
    }
BM_X86_CR_ACCESS(0)
BM_X86_CR_ACCESS(2)
BM_X86_CR_ACCESS(3)
BM_X86_CR_ACCESS(4)
#undef BM_X86_CR_ACCESS

static inline uint64_t bm_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* CPUID leaf/subleaf: r[0..3] = eax, ebx, ecx, edx. */
static inline void bm_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(subleaf));
}

static inline void bm_outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t bm_inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

static inline uint64_t bm_read_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq\n\tpopq %0" : "=r"(v));
    return v;
}

/* A descriptor-table register as sgdt/sidt store it. */
struct bm_x86_dtr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static inline struct bm_x86_dtr bm_sgdt(void)
{
    struct bm_x86_dtr d;
    __asm__ volatile("sgdt %0" : "=m"(d));
    return d;
}

static inline struct bm_x86_dtr bm_sidt(void)
{
    struct bm_x86_dtr d;
    __asm__ volatile("sidt %0" : "=m"(d));
    return d;
}

static inline uint16_t bm_str(void)
{
    uint16_t v;
    __asm__ volatile("str %0" : "=r"(v));
    return v;
}

#define BM_X86_SEG_READ(name)                                                                        \
    static inline uint16_t bm_read_##name(void)                                                      \
    {                                                                                                \
        uint16_t v;                                                                                  \
        __asm__ volatile("mov %%" #name ", %0" : "=r"(v));                                           \
        return v;                                                                                    \
    }
BM_X86_SEG_READ(cs)
BM_X86_SEG_READ(ds)
BM_X86_SEG_READ(es)
BM_X86_SEG_READ(ss)
BM_X86_SEG_READ(fs)
BM_X86_SEG_READ(gs)
#undef BM_X86_SEG_READ

/*
 * Accesses that may fault (boot.S): 0, or BM_X86_FAULTED | vector if the
 * instruction raised an exception (then *out is left alone). The fault is
 * not reported; bm_x86_last_fault has its error code and CR2.
 */
unsigned bm_x86_rdmsr_safe(uint32_t msr, uint64_t *out);
unsigned bm_x86_wrmsr_safe(uint32_t msr, uint64_t v);
unsigned bm_x86_read64_safe(uint64_t addr, uint64_t *out);
struct bm_x86_fault {
    uint64_t vector, error, rip, cr2;
};
extern struct bm_x86_fault bm_x86_last_fault;

/* ------------------------------------------------------------ boot.S symbols */

extern uint64_t bm_x86_gdt[];                      /* BM_X86_GDT_LIMIT + 1 bytes */
extern uint64_t bm_x86_idt[];                      /* 256 gates of 16 bytes */
extern uint8_t bm_x86_tss[];                       /* 104 bytes */
extern uint64_t bm_x86_pml4[];                     /* the host page tables (CR3) */
extern char bm_x86_trap_stack[], bm_x86_trap_stack_top[]; /* IST 1 */
extern uint32_t bm_x86_mb2_magic, bm_x86_mb2_info; /* eax, ebx from the boot loader */
/* Upper memory (above 1 MiB) in KiB from the multiboot2 basic meminfo tag; 0 if absent. */
extern uint64_t bm_x86_mem_upper_kib;
/* Whether bm_platform_init found IA32_FEATURE_CONTROL unlocked and locked it (or it was). */
extern int bm_x86_vmx_enabled;

#endif /* BM_ARCH_H */
