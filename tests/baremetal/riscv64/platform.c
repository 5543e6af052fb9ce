/*
 * The riscv64 platform of the bare-metal harness: NS16550A console, the
 * time CSR, exit through semihosting (or SBI SRST), and the report of
 * unexpected HS-mode traps.
 */
#include "bm_arch.h"
#include "bm_test.h"
#include "bm_vm.h"

/* NS16550A registers (byte offsets from the base). */
#define UART_THR 0u
#define UART_LSR 5u
#define UART_LSR_THRE 0x20u

#define SEMI_SYS_EXIT 0x18u
#define SEMI_SYS_ERRNO 0x13u
#define SEMI_ADP_STOPPED_APPLICATION_EXIT 0x20026u

#define SBI_EXT_SRST 0x53525354u
#define SBI_SRST_SHUTDOWN 0u
#define SBI_SRST_REASON_NONE 0u
#define SBI_SRST_REASON_FAILURE 1u

const char bm_platform_name[] = "riscv64 HS (QEMU virt, OpenSBI)";
volatile int bm_rv_semihosting = 1; /* until the probe says otherwise */
uint64_t bm_rv_boot_hartid, bm_rv_boot_dtb;

struct bm_rv_frame {
    uint64_t x[32]; /* x[0] unused; x[2] is the SP at the trap */
    uint64_t sepc, sstatus, scause, stval, htval, htinst, hstatus, pad;
};
_Static_assert(sizeof(struct bm_rv_frame) == 320, "boot.S FRAME_SIZE");
_Static_assert(offsetof(struct bm_rv_frame, sepc) == 256, "boot.S FRAME_SEPC");
_Static_assert(offsetof(struct bm_rv_frame, scause) == 272, "boot.S FRAME_SCAUSE");
_Static_assert(offsetof(struct bm_rv_frame, hstatus) == 304, "boot.S FRAME_HSTATUS");
_Static_assert(BM_RV_HSTATUS_RESET == 0x73f3c0, "boot.S HSTATUS_RESET");

/* boot.S */
uint64_t bm_rv_semihost_raw(uint64_t op, uint64_t arg);
extern const char bm_rv_semihost_ebreak[];
extern const char bm_rv_skip_trap[];
void bm_rv_trap(struct bm_rv_frame *f, uint64_t bad_sp);
_Noreturn void bm_rv_no_h(void);

static inline void bm_mmio_write8(uint64_t addr, uint8_t v)
{
    *(volatile uint8_t *)(uintptr_t)addr = v;
}

static inline uint8_t bm_mmio_read8(uint64_t addr)
{
    return *(volatile const uint8_t *)(uintptr_t)addr;
}

void bm_putc(char c)
{
    while (!(bm_mmio_read8(BM_RV_UART_BASE + UART_LSR) & UART_LSR_THRE))
        ;
    bm_mmio_write8(BM_RV_UART_BASE + UART_THR, (uint8_t)c);
}

uint64_t bm_rv_semihost(uint64_t op, uint64_t arg)
{
    if (!bm_rv_semihosting)
        return ~0ull;
    return bm_rv_semihost_raw(op, arg);
}

int64_t bm_rv_sbi_call(uint64_t eid, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t *value)
{
    register uint64_t r_a0 __asm__("a0") = a0;
    register uint64_t r_a1 __asm__("a1") = a1;
    register uint64_t r_a2 __asm__("a2") = a2;
    register uint64_t r_a6 __asm__("a6") = fid;
    register uint64_t r_a7 __asm__("a7") = eid;
    __asm__ volatile("ecall" : "+r"(r_a0), "+r"(r_a1) : "r"(r_a2), "r"(r_a6), "r"(r_a7) : "memory");
    if (value)
        *value = r_a1;
    return (int64_t)r_a0;
}

uint64_t bm_now_ns(void)
{
    uint64_t t = bm_csrr(time);
    /* No 128-bit division: whole seconds, then the remainder (below the frequency). */
    return t / BM_RV_TIMEBASE_HZ * 1000000000u + t % BM_RV_TIMEBASE_HZ * 1000000000u / BM_RV_TIMEBASE_HZ;
}

void bm_platform_init(void)
{
    /* A harmless call: traps (and clears the flag) when QEMU runs without -semihosting. */
    (void)bm_rv_semihost_raw(SEMI_SYS_ERRNO, 0);
    if (!bm_rv_semihosting)
        bm_puts("bm: no semihosting (QEMU without -semihosting): exit status will be lost\n");
}

static void bm_rv_srst(uint64_t reason)
{
    (void)bm_rv_sbi_call(SBI_EXT_SRST, 0, SBI_SRST_SHUTDOWN, reason, 0, NULL);
}

void bm_exit(int status)
{
    static int exiting;

    if (!exiting++) {
        if (bm_rv_semihosting) {
            /* 64-bit SYS_EXIT: a1 points to {reason, subcode}; QEMU exits with subcode. */
            uint64_t block[2] = {SEMI_ADP_STOPPED_APPLICATION_EXIT, (uint64_t)(int64_t)status};
            (void)bm_rv_semihost_raw(SEMI_SYS_EXIT, (uint64_t)(uintptr_t)block);
        }
        if (status)
            bm_printf("bm: exit status %d lost: powering off through SBI SRST\n", status);
        bm_rv_srst(status ? SBI_SRST_REASON_FAILURE : SBI_SRST_REASON_NONE);
    }
    for (;;)
        __asm__ volatile("wfi");
}

void bm_arch_trap_recover(void)
{
    bm_csrw(stvec, (uint64_t)(uintptr_t)bm_rv_trap_entry);
    bm_csrw(sscratch, 0);
    bm_csrc(sstatus, BM_RV_SSTATUS_SIE);
    bm_csrw(sie, 0);
    bm_csrc(hstatus, BM_RV_HSTATUS_RESET); /* no return to V=1, no VS traps */
    bm_csrw(hedeleg, 0);
    bm_csrw(hideleg, 0);
    bm_csrw(hvip, 0);
    bm_csrw(hgatp, 0);
    __asm__ volatile("hfence.gvma zero, zero" : : : "memory");
}

/* No H extension: .bss is zeroed and the stack set, nothing else. */
void bm_rv_no_h(void)
{
    bm_puts("bm: no H extension (reading hstatus traps): the harness needs HS-mode "
            "(qemu-system-riscv64 -M virt -cpu rv64,h=true)\n");
    uint64_t block[2] = {SEMI_ADP_STOPPED_APPLICATION_EXIT, 2};
    bm_csrw(stvec, (uint64_t)(uintptr_t)bm_rv_skip_trap); /* without -semihosting the ebreak traps */
    (void)bm_rv_semihost_raw(SEMI_SYS_EXIT, (uint64_t)(uintptr_t)block);
    bm_rv_srst(SBI_SRST_REASON_FAILURE);
    for (;;)
        __asm__ volatile("wfi");
}

static const char *bm_rv_cause_name(uint64_t scause)
{
    uint64_t code = scause & ~(1ull << 63);
    if (scause >> 63) {
        switch (code) {
        case 1: return "supervisor software interrupt";
        case 2: return "VS software interrupt";
        case 5: return "supervisor timer interrupt";
        case 6: return "VS timer interrupt";
        case 9: return "supervisor external interrupt";
        case 10: return "VS external interrupt";
        case 12: return "supervisor guest external interrupt";
        default: return "interrupt ?";
        }
    }
    switch (code) {
    case 0: return "instruction address misaligned";
    case 1: return "instruction access fault";
    case 2: return "illegal instruction";
    case 3: return "breakpoint";
    case 4: return "load address misaligned";
    case 5: return "load access fault";
    case 6: return "store/AMO address misaligned";
    case 7: return "store/AMO access fault";
    case 8: return "ecall from U/VU";
    case 9: return "ecall from HS";
    case 10: return "ecall from VS";
    case 11: return "ecall from M";
    case 12: return "instruction page fault";
    case 13: return "load page fault";
    case 15: return "store/AMO page fault";
    case 20: return "instruction guest-page fault";
    case 21: return "load guest-page fault";
    case 22: return "virtual instruction";
    case 23: return "store/AMO guest-page fault";
    default: return "?";
    }
}

static _Noreturn void bm_rv_report(const char *where, uint64_t scause, uint64_t sepc, uint64_t stval,
                                   uint64_t htval, uint64_t htinst, const char *more)
{
    char what[320];

    bm_snprintf(what, sizeof(what), "%s: scause=0x%llx (%s) sepc=0x%llx stval=0x%llx htval=0x%llx htinst=0x%llx%s",
                where, (unsigned long long)scause, bm_rv_cause_name(scause), (unsigned long long)sepc,
                (unsigned long long)stval, (unsigned long long)htval, (unsigned long long)htinst, more);
    bm_unexpected_exception(what);
}

/* From the harness's trap handler (boot.S); returns only to resume. */
void bm_rv_trap(struct bm_rv_frame *f, uint64_t bad_sp)
{
    bool from_v = (f->hstatus & BM_RV_HSTATUS_SPV) != 0;
    bool from_s = (f->sstatus & BM_RV_SSTATUS_SPP) != 0;

    /* A semihosting call without -semihosting: answer -1 and go on after the ebreak. */
    if (!bad_sp && !from_v && from_s && f->scause == 3 && f->sepc == (uint64_t)(uintptr_t)bm_rv_semihost_ebreak) {
        bm_rv_semihosting = 0;
        f->x[10] = ~0ull;
        f->sepc += 4;
        return;
    }

    static const char *const where[2][2] = {{"trap from U", "trap from HS"}, {"trap from VU", "trap from VS"}};
    char more[128];
    bm_snprintf(more, sizeof(more), " sstatus=0x%llx hstatus=0x%llx SP=0x%llx%s", (unsigned long long)f->sstatus,
                (unsigned long long)f->hstatus, (unsigned long long)f->x[2],
                bad_sp ? " (outside the stack: overflow or corrupt SP)" : "");
    bm_rv_report(where[from_v][from_s], f->scause, f->sepc, f->stval, f->htval, f->htinst, more);
}

void bm_sync_guest_memory(uint64_t hpa, uint64_t size)
{
    (void)hpa;
    (void)size;
    /* Data caches are coherent on RISC-V; fence.i orders the writes before this hart's instruction fetches. */
    __asm__ volatile("fence rw, rw\n\tfence.i" : : : "memory");
}
