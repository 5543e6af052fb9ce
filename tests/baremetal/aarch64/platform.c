/*
 * The aarch64 platform of the bare-metal harness: PL011 console, generic
 * timer, exit through semihosting (or PSCI SYSTEM_OFF), and the report of
 * unexpected EL2 exceptions.
 */
#include "bm_arch.h"
#include "bm_test.h"
#include "bm_vm.h"

/* PL011 registers (offsets from the base). */
#define UART_DR 0x00u
#define UART_FR 0x18u
#define UART_CR 0x30u
#define UART_FR_TXFF 0x20u
#define UART_CR_ENABLE 0x301u /* UARTEN | TXE | RXE */

#define SEMI_SYS_EXIT 0x18u
#define SEMI_SYS_ERRNO 0x13u
#define SEMI_ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define PSCI_SYSTEM_OFF 0x84000008u

const char bm_platform_name[] = "aarch64 EL2 (QEMU virt)";
volatile int bm_a64_semihosting = 1; /* until the probe says otherwise */
static uint64_t bm_a64_freq;

struct bm_a64_frame {
    uint64_t x[31];
    uint64_t sp, elr, spsr, esr, far;
};
_Static_assert(sizeof(struct bm_a64_frame) == 288, "boot.S FRAME_SIZE");
_Static_assert(offsetof(struct bm_a64_frame, sp) == 248, "boot.S FRAME_SP");
_Static_assert(offsetof(struct bm_a64_frame, elr) == 256, "boot.S FRAME_ELR");
_Static_assert(offsetof(struct bm_a64_frame, esr) == 272, "boot.S FRAME_ESR");

/* boot.S */
uint64_t bm_a64_semihost_raw(uint64_t op, uint64_t arg);
extern const char bm_a64_semihost_hlt[];
void bm_a64_exception(uint64_t vec, struct bm_a64_frame *f);
_Noreturn void bm_a64_wrong_el(uint64_t el);

/* The backend's host-exception hook (at the end of this file); declared here
 * too, so that the harness builds while arch/aarch64 is empty. */
#if __has_include("axv/aarch64.h")
#include "axv/aarch64.h"
#endif
void axv_aarch64_host_exception(uint64_t esr, uint64_t elr, uint64_t far);

static inline void bm_mmio_write32(uint64_t addr, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)addr = v;
}

static inline uint32_t bm_mmio_read32(uint64_t addr)
{
    return *(volatile const uint32_t *)(uintptr_t)addr;
}

void bm_putc(char c)
{
    while (bm_mmio_read32(BM_A64_UART_BASE + UART_FR) & UART_FR_TXFF)
        ;
    bm_mmio_write32(BM_A64_UART_BASE + UART_DR, (uint32_t)(unsigned char)c);
}

uint64_t bm_a64_semihost(uint64_t op, uint64_t arg)
{
    if (!bm_a64_semihosting)
        return ~0ull;
    return bm_a64_semihost_raw(op, arg);
}

uint64_t bm_a64_cntfrq(void)
{
    return bm_a64_freq;
}

uint64_t bm_now_ns(void)
{
    uint64_t freq = bm_a64_freq ? bm_a64_freq : 62500000u;
    bm_isb();
    uint64_t t = bm_mrs(cntpct_el0);
    /* No 128-bit division: whole seconds, then the remainder (below freq). */
    return t / freq * 1000000000u + t % freq * 1000000000u / freq;
}

void bm_platform_init(void)
{
    bm_mmio_write32(BM_A64_UART_BASE + UART_CR, UART_CR_ENABLE);
    bm_a64_freq = bm_mrs(cntfrq_el0);
    /* A harmless call: traps (and clears the flag) when QEMU runs without -semihosting. */
    (void)bm_a64_semihost_raw(SEMI_SYS_ERRNO, 0);
    if (!bm_a64_semihosting)
        bm_puts("bm: no semihosting (QEMU without -semihosting): exit status will be lost\n");
}

static void bm_psci_off(void)
{
    register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;
    __asm__ volatile("smc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
}

void bm_exit(int status)
{
    static int exiting;

    if (!exiting++) {
        if (bm_a64_semihosting) {
            /* AArch64 SYS_EXIT: x1 points to {reason, subcode}; QEMU exits with subcode. */
            uint64_t block[2] = {SEMI_ADP_STOPPED_APPLICATION_EXIT, (uint64_t)(int64_t)status};
            (void)bm_a64_semihost_raw(SEMI_SYS_EXIT, (uint64_t)(uintptr_t)block);
        }
        if (status)
            bm_printf("bm: exit status %d lost: powering off through PSCI\n", status);
        bm_psci_off();
    }
    for (;;)
        __asm__ volatile("wfi");
}

void bm_arch_trap_recover(void)
{
    bm_msr(vbar_el2, (uint64_t)(uintptr_t)bm_a64_vectors);
    bm_msr(hcr_el2, 0x80000000u); /* RW only: no stage 2, nothing routed to EL2 */
    bm_isb();
}

/* Started at the wrong EL: .bss is zeroed and the stack set, nothing else. */
void bm_a64_wrong_el(uint64_t el)
{
    bm_printf("bm: started at EL%llu, the harness needs EL2 "
              "(qemu-system-aarch64 -M virt,virtualization=on)\n",
              (unsigned long long)el);
    uint64_t block[2] = {SEMI_ADP_STOPPED_APPLICATION_EXIT, 2};
    (void)bm_a64_semihost_raw(SEMI_SYS_EXIT, (uint64_t)(uintptr_t)block);
    for (;;)
        __asm__ volatile("wfi");
}

static const char *bm_a64_ec_name(uint64_t ec)
{
    switch (ec) {
    case 0x00: return "unknown/undefined instruction";
    case 0x01: return "WFI/WFE";
    case 0x07: return "FP/SIMD access";
    case 0x0e: return "illegal execution state";
    case 0x15: return "SVC (AArch64)";
    case 0x16: return "HVC (AArch64)";
    case 0x17: return "SMC (AArch64)";
    case 0x18: return "MSR/MRS/system instruction";
    case 0x20: return "instruction abort from a lower EL";
    case 0x21: return "instruction abort at EL2";
    case 0x22: return "PC alignment";
    case 0x24: return "data abort from a lower EL";
    case 0x25: return "data abort at EL2";
    case 0x26: return "SP alignment";
    case 0x2f: return "SError";
    case 0x30: return "breakpoint from a lower EL";
    case 0x31: return "breakpoint at EL2";
    case 0x32: return "software step from a lower EL";
    case 0x33: return "software step at EL2";
    case 0x34: return "watchpoint from a lower EL";
    case 0x35: return "watchpoint at EL2";
    case 0x3c: return "BRK";
    default: return "?";
    }
}

static _Noreturn void bm_a64_report(const char *where, uint64_t esr, uint64_t elr, uint64_t far, const char *more)
{
    char what[320];
    uint64_t ec = (esr >> 26) & 0x3f;

    bm_snprintf(what, sizeof(what), "%s: ESR_EL2=0x%llx (EC 0x%02llx %s, ISS 0x%llx) ELR_EL2=0x%llx FAR_EL2=0x%llx%s",
                where, (unsigned long long)esr, (unsigned long long)ec, bm_a64_ec_name(ec),
                (unsigned long long)(esr & 0x1ffffff), (unsigned long long)elr, (unsigned long long)far, more);
    bm_unexpected_exception(what);
}

/* From the harness's vectors (boot.S); returns only to resume. */
void bm_a64_exception(uint64_t vec, struct bm_a64_frame *f)
{
    static const char *const where[16] = {
        "sync EL2t", "IRQ EL2t", "FIQ EL2t", "SError EL2t",
        "sync EL2h", "IRQ EL2h", "FIQ EL2h", "SError EL2h",
        "sync from lower EL (AArch64)", "IRQ from lower EL (AArch64)",
        "FIQ from lower EL (AArch64)", "SError from lower EL (AArch64)",
        "sync from lower EL (AArch32)", "IRQ from lower EL (AArch32)",
        "FIQ from lower EL (AArch32)", "SError from lower EL (AArch32)",
    };
    unsigned idx = (unsigned)(vec & 0xf);
    bool bad_sp = (vec & 0x100) != 0;
    uint64_t ec = (f->esr >> 26) & 0x3f;

    /* A semihosting call without -semihosting: answer -1 and go on. */
    if (!bad_sp && idx == 4 && ec == 0 && f->elr == (uint64_t)(uintptr_t)bm_a64_semihost_hlt) {
        bm_a64_semihosting = 0;
        f->x[0] = ~0ull;
        f->elr += 4;
        return;
    }

    char more[96];
    bm_snprintf(more, sizeof(more), " SPSR_EL2=0x%llx SP=0x%llx%s", (unsigned long long)f->spsr,
                (unsigned long long)f->sp, bad_sp ? " (outside the stack: overflow or corrupt SP)" : "");
    bm_a64_report(where[idx], f->esr, f->elr, f->far, more);
}

/*
 * The backend's EL2 vectors (installed between axv_percpu_enable and
 * disable) call this for an exception at EL2 itself, a host bug; the
 * backend's own definition is weak. Reported like an exception on the
 * harness's vectors: the test fails and the run goes on.
 */
void (*volatile bm_a64_host_exception_catch)(uint64_t esr, uint64_t elr, uint64_t far);

void axv_aarch64_host_exception(uint64_t esr, uint64_t elr, uint64_t far)
{
    void (*catch)(uint64_t, uint64_t, uint64_t) = bm_a64_host_exception_catch;

    if (catch) {
        bm_a64_host_exception_catch = NULL;
        catch(esr, elr, far);
    }
    bm_a64_report("exception at EL2 (backend vectors)", esr, elr, far, "");
}

void bm_sync_guest_memory(uint64_t hpa, uint64_t size)
{
    uint64_t ctr = bm_mrs(ctr_el0);
    uint64_t line = 4ull << ((ctr >> 16) & 0xf); /* DminLine */

    for (uint64_t a = hpa & ~(line - 1); a < hpa + size; a += line)
        __asm__ volatile("dc civac, %0" : : "r"(a) : "memory");
    __asm__ volatile("dsb ish\n\tic iallu\n\tdsb ish\n\tisb" : : : "memory");
}
