/*
 * The x86_64 platform of the bare-metal harness: COM1 console, the TSC as
 * clock, exit through Bochs' port 0x8900, and the report of unexpected
 * exceptions (boot.S's IDT).
 */
#include "bm_arch.h"
#include "bm_test.h"
#include "bm_vm.h"

/* 16550 registers (offsets from the base). */
#define UART_THR 0u
#define UART_IER 1u
#define UART_DLL 0u
#define UART_DLM 1u
#define UART_FCR 2u
#define UART_LCR 3u
#define UART_MCR 4u
#define UART_LSR 5u
#define UART_LCR_DLAB 0x80u
#define UART_LCR_8N1 0x03u
#define UART_LSR_THRE 0x20u
#define UART_LSR_TEMT 0x40u

/* Multiboot2 */
#define MB2_BOOT_MAGIC 0x36d76289u
#define MB2_TAG_END 0u
#define MB2_TAG_BASIC_MEMINFO 4u

const char bm_platform_name[] = "x86_64 (Bochs)";
uint64_t bm_x86_mem_upper_kib;
int bm_x86_vmx_enabled;
struct bm_x86_fault bm_x86_last_fault;

struct bm_x86_frame {
    uint64_t cr2;
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};
_Static_assert(sizeof(struct bm_x86_frame) == 23 * 8, "boot.S bm_x86_isr_common");
_Static_assert(offsetof(struct bm_x86_frame, rax) == 15 * 8, "boot.S push order");
_Static_assert(offsetof(struct bm_x86_frame, vector) == 16 * 8, "boot.S stubs");

struct bm_x86_extable_entry {
    uint64_t insn, resume;
};
extern const struct bm_x86_extable_entry __bm_x86_extable_start[], __bm_x86_extable_end[];

void bm_x86_exception(struct bm_x86_frame *f);
void bm_x86_load_segments(void);
int main(void);

static void bm_uart_wait(uint8_t bit)
{
    while (!(bm_inb((uint16_t)(BM_X86_COM1 + UART_LSR)) & bit))
        ;
}

void bm_putc(char c)
{
    bm_uart_wait(UART_LSR_THRE);
    bm_outb((uint16_t)(BM_X86_COM1 + UART_THR), (uint8_t)c);
}

/* TSC ticks are instructions under Bochs; one tick is taken as one nanosecond (bm_arch.h). */
uint64_t bm_now_ns(void)
{
    uint64_t t = bm_rdtsc();
    return t / BM_X86_TSC_HZ * 1000000000u + t % BM_X86_TSC_HZ * 1000000000u / BM_X86_TSC_HZ;
}

static void bm_uart_init(void)
{
    uint16_t base = BM_X86_COM1;
    bm_outb((uint16_t)(base + UART_IER), 0);             /* polled: no interrupts */
    bm_outb((uint16_t)(base + UART_LCR), UART_LCR_DLAB);
    bm_outb((uint16_t)(base + UART_DLL), 1);             /* 115200 baud */
    bm_outb((uint16_t)(base + UART_DLM), 0);
    bm_outb((uint16_t)(base + UART_LCR), UART_LCR_8N1);
    bm_outb((uint16_t)(base + UART_FCR), 0x07);          /* FIFOs on and cleared */
    bm_outb((uint16_t)(base + UART_MCR), 0x03);          /* DTR, RTS */
}

/* The basic meminfo tag of the multiboot2 information (read before the heap is used: GRUB may put it there). */
static void bm_mb2_parse(void)
{
    if (bm_x86_mb2_magic != MB2_BOOT_MAGIC || bm_x86_mb2_info < 0x1000u)
        return;
    const uint8_t *p = (const uint8_t *)(uintptr_t)bm_x86_mb2_info;
    uint32_t total = *(const uint32_t *)(const void *)p;
    for (uint32_t off = 8; off + 8 <= total;) {
        uint32_t type = *(const uint32_t *)(const void *)(p + off);
        uint32_t size = *(const uint32_t *)(const void *)(p + off + 4);
        if (type == MB2_TAG_END || size < 8)
            break;
        if (type == MB2_TAG_BASIC_MEMINFO && size >= 16)
            bm_x86_mem_upper_kib = *(const uint32_t *)(const void *)(p + off + 12);
        off += (size + 7u) & ~7u;
    }
}

/*
 * IA32_FEATURE_CONTROL: firmware normally enables VMX outside SMX and
 * locks the MSR; Bochs' BIOS leaves it 0 (unlocked), and VMXON #GPs unless
 * it is locked with VMX enabled. Done once here, as firmware would.
 */
static void bm_vmx_feature_control(void)
{
    uint32_t r[4];
    uint64_t fc;

    bm_cpuid(1, 0, r);
    if (!(r[2] & BM_X86_CPUID1_ECX_VMX) || bm_x86_rdmsr_safe(BM_X86_MSR_FEATURE_CONTROL, &fc))
        return;
    if (!(fc & BM_X86_FEATURE_CONTROL_LOCK)) {
        fc |= BM_X86_FEATURE_CONTROL_LOCK | BM_X86_FEATURE_CONTROL_VMX;
        if (bm_x86_wrmsr_safe(BM_X86_MSR_FEATURE_CONTROL, fc))
            return;
    }
    bm_x86_vmx_enabled = (fc & BM_X86_FEATURE_CONTROL_VMX) != 0;
}

/*
 * The legacy 8259 PICs: remapped to vectors 0x20..0x2f (the BIOS leaves
 * IRQ 0..7 on vectors 8..15, the exceptions' numbers) and all masked, so
 * no device interrupt is ever pending: with external-interrupt exiting, a
 * pending PIT tick would otherwise end a guest's run.
 */
static void bm_pic_mask_all(void)
{
    bm_outb(BM_X86_PIC1_CMD, 0x11); /* ICW1: init, ICW4 follows */
    bm_outb(BM_X86_PIC2_CMD, 0x11);
    bm_outb(BM_X86_PIC1_DATA, 0x20); /* ICW2: vector base */
    bm_outb(BM_X86_PIC2_DATA, 0x28);
    bm_outb(BM_X86_PIC1_DATA, 0x04); /* ICW3: the slave on IRQ 2 */
    bm_outb(BM_X86_PIC2_DATA, 0x02);
    bm_outb(BM_X86_PIC1_DATA, 0x01); /* ICW4: 8086 mode */
    bm_outb(BM_X86_PIC2_DATA, 0x01);
    bm_outb(BM_X86_PIC1_DATA, 0xff); /* OCW1: mask every IRQ */
    bm_outb(BM_X86_PIC2_DATA, 0xff);
}

void bm_platform_init(void)
{
    bm_uart_init();
    bm_pic_mask_all();
    bm_mb2_parse();
    bm_vmx_feature_control();
    if (bm_x86_mb2_magic != MB2_BOOT_MAGIC)
        bm_printf("bm: not started by a multiboot2 loader (eax=0x%x)\n", bm_x86_mb2_magic);
    if (!bm_x86_vmx_enabled)
        bm_puts("bm: VMX is not available (CPUID.1:ECX.VMX or IA32_FEATURE_CONTROL)\n");
}

/*
 * Bochs' port 0x8900: the string "Shutdown" ends Bochs with a panic, exit
 * status 1; a single 'D' enters the debugger, whose next command (run.sh's
 * -rc file: "c" then "quit") makes Bochs exit 0. So status 0 -> 'D', any
 * other -> "Shutdown"; the summary line tells the rest.
 */
void bm_exit(int status)
{
    static int exiting;

    if (!exiting++) {
        bm_uart_wait(UART_LSR_TEMT); /* Bochs writes a byte to the file once it is sent */
        if (status == 0) {
            bm_outb(BM_X86_BOCHS_PORT, 'D');
        } else {
            for (const char *s = "Shutdown"; *s; s++)
                bm_outb(BM_X86_BOCHS_PORT, (uint8_t)*s);
        }
    }
    for (;;)
        __asm__ volatile("cli\n\thlt");
}

void bm_arch_trap_recover(void)
{
    __asm__ volatile("cli");
    bm_x86_load_segments(); /* GDTR, CS, DS, ES, SS, FS, GS (TR stays: its descriptor is busy) */
    bm_wrmsr(BM_X86_MSR_FS_BASE, 0);
    bm_wrmsr(BM_X86_MSR_GS_BASE, 0);
    struct bm_x86_dtr idtr = {.limit = 256 * 16 - 1, .base = (uint64_t)(uintptr_t)bm_x86_idt};
    __asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
    bm_write_cr3((uint64_t)(uintptr_t)bm_x86_pml4); /* also flushes the TLB */
    /* VMX operation is left alone: the test's cleanups (the backend's percpu_fini) leave it. */
}

static const char *bm_x86_vector_name(uint64_t v)
{
    static const char *const names[32] = {
        "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
        "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor segment overrun",
        "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
        "#PF page fault", "reserved", "#MF x87 error", "#AC alignment check", "#MC machine check",
        "#XM SIMD error", "#VE virtualization exception", "#CP control protection", "reserved", "reserved",
        "reserved", "reserved", "reserved", "reserved", "#HV hypervisor injection", "#VC VMM communication",
        "#SX security exception", "reserved",
    };
    return v < 32 ? names[v] : "interrupt";
}

static bool bm_in(uint64_t a, const char *lo, const char *hi)
{
    return a > (uint64_t)(uintptr_t)lo && a <= (uint64_t)(uintptr_t)hi;
}

/* From bm_x86_isr_common (boot.S); returns only to resume a probe. */
void bm_x86_exception(struct bm_x86_frame *f)
{
    bool good_sp = bm_in(f->rsp, __bm_stack_bottom, __bm_stack_top) ||
                   bm_in(f->rsp, bm_x86_trap_stack, bm_x86_trap_stack_top);

    if (good_sp && f->cs == BM_X86_SEL_CODE64 && f->vector < 32) {
        for (const struct bm_x86_extable_entry *e = __bm_x86_extable_start; e < __bm_x86_extable_end; e++) {
            if (e->insn == f->rip) {
                bm_x86_last_fault = (struct bm_x86_fault){f->vector, f->error, f->rip, f->cr2};
                f->rip = e->resume;
                f->rax = BM_X86_FAULTED | f->vector;
                return;
            }
        }
    }

    char what[320];
    bm_snprintf(what, sizeof(what),
                "vector %llu (%s) error=0x%llx RIP=0x%llx CR2=0x%llx RSP=0x%llx%s RFLAGS=0x%llx CS=0x%llx "
                "RAX=0x%llx RDI=0x%llx",
                (unsigned long long)f->vector, bm_x86_vector_name(f->vector), (unsigned long long)f->error,
                (unsigned long long)f->rip, (unsigned long long)f->cr2, (unsigned long long)f->rsp,
                good_sp ? "" : " (outside the stack: overflow or corrupt SP)", (unsigned long long)f->rflags,
                (unsigned long long)f->cs, (unsigned long long)f->rax, (unsigned long long)f->rdi);
    bm_unexpected_exception(what);
}

/*
 * x86 caches are coherent with each other, with DMA and with instruction
 * fetch (a VM entry serialises); only the compiler must not keep the
 * writes back.
 */
void bm_sync_guest_memory(uint64_t hpa, uint64_t size)
{
    (void)hpa;
    (void)size;
    __asm__ volatile("mfence" : : : "memory");
}

/* ------------------------------------------------------------ the guest system area */

#define BM_PTE_P 0x1ull
#define BM_PTE_W 0x2ull
#define BM_PTE_A 0x20ull
#define BM_PTE_D 0x40ull
#define BM_PTE_PS 0x80ull

int bm_x86_guest_sys(struct bm_vm *vm)
{
    if (vm->ram_gpa != 0 || vm->ram_size < BM_X86_GUEST_SYS_END)
        return BM_EINVAL;
    uint64_t *pml4 = bm_vm_ptr(vm, BM_X86_GUEST_PML4, 0x1000);
    uint64_t *pdpt = bm_vm_ptr(vm, BM_X86_GUEST_PDPT, 0x1000);
    uint64_t *pd = bm_vm_ptr(vm, BM_X86_GUEST_PD, 0x1000);
    uint64_t *gdt = bm_vm_ptr(vm, BM_X86_GUEST_GDT, 0x80);
    uint8_t *tss = bm_vm_ptr(vm, BM_X86_GUEST_TSS, 0x80);

    /* Must match tests/guests/x86_64/guest.h (harness_guest_sys compares). A and D preset: no A/D writes. */
    memset(pml4, 0, BM_X86_GUEST_SYS_END - BM_X86_GUEST_PML4);
    pml4[0] = BM_X86_GUEST_PDPT | BM_PTE_P | BM_PTE_W | BM_PTE_A;
    pdpt[0] = BM_X86_GUEST_PD | BM_PTE_P | BM_PTE_W | BM_PTE_A;
    for (uint64_t i = 0; i < 512; i++)
        pd[i] = i << 21 | BM_PTE_P | BM_PTE_W | BM_PTE_A | BM_PTE_D | BM_PTE_PS;
    gdt[1] = 0x00af9b000000ffffull; /* 0x08: 64-bit code */
    gdt[2] = 0x00cf93000000ffffull; /* 0x10: data */
    gdt[3] = BM_X86_GUEST_TSS_LIMIT | (BM_X86_GUEST_TSS & 0xffffffull) << 16 | 0x8bull << 40 |
             (BM_X86_GUEST_TSS >> 24 & 0xffull) << 56; /* 0x18: busy 64-bit TSS */
    gdt[4] = BM_X86_GUEST_TSS >> 32;
    tss[102] = 104; /* I/O map base past the limit: no I/O bitmap */
    bm_sync_guest_memory(vm->ram_hpa, BM_X86_GUEST_SYS_END);
    return 0;
}
