/*
 * What a guest of axv-run can count on: memory map, devices, hypercalls and
 * exit statuses. Plain #defines so guests' assembly (.S) includes it too.
 */
#ifndef AXV_RUN_ABI_H
#define AXV_RUN_ABI_H

#include "axv/gen/kvm_calls.h"

/* ---- memory map (guest-physical) ---- */
#define AXVRUN_GDT 0x500             /* null, code64 0x08, data 0x10, code32 0x18 */
#define AXVRUN_MB_INFO 0x9000        /* Multiboot information structure */
#define AXVRUN_PML4 0x10000          /* identity map of the first 4 GiB, 2 MiB pages */
#define AXVRUN_STACK_TOP 0x80000     /* vCPU n starts with rsp = top - n * 0x4000 */
#define AXVRUN_LOAD_ADDR 0x100000    /* flat binaries load and start here */

/* ---- port I/O ---- */
#define AXVRUN_COM1 0x3f8            /* 16550 UART: output to stdout, input from stdin */
#define AXVRUN_DEBUG_EXIT 0xf4       /* isa-debug-exit: writing v exits with (v << 1) | 1 */
#define AXVRUN_DOORBELL AXV_KVM_DOORBELL_PORT /* hypercall doorbell (spec/arch/kvm/calls.yaml) */
#define AXVRUN_COUNTER_PORT 0x510    /* each read returns the next byte 0, 1, 2, ...; writes reset it */
#define AXVRUN_ACPI_PM1A 0x604       /* a 16-bit write of 0x2000 powers off (as on QEMU) */

/* ---- the MMIO test device ---- */
#define AXVRUN_TESTDEV 0xfe000000
#define AXVRUN_TESTDEV_SIZE 0x1000
#define AXVRUN_TESTDEV_ID 0x00       /* reads as 0x8877665544332211 */
#define AXVRUN_TESTDEV_NEG 0x08      /* reads as 0x8081828384858687: every byte negative */
#define AXVRUN_TESTDEV_SCRATCH 0x10  /* 64-bit read/write register */
#define AXVRUN_TESTDEV_WRITES 0x18   /* number of writes the device has seen */

/* ---- MSRs that exit to axv-run (--msr-range default) ---- */
#define AXVRUN_MSR_BASE 0x40001000
#define AXVRUN_MSR_COUNT 16
#define AXVRUN_MSR_ID 0x40001000     /* reads as 0x6e75722d767861 ("axv-run") */
#define AXVRUN_MSR_SCRATCH 0x40001001

/* ---- hypercalls: rax = nr, rdi, rsi, rdx, rcx, r8, r9; out %al, $0xf5 ---- */
#define AXVRUN_HC_ADD 0x1            /* returns the sum of the six arguments */
#define AXVRUN_HC_TIMER 0x2          /* rdi = vector, rsi = delay in us: inject vector later */
/* The calls the library itself turns into exits (spec/arch/kvm/calls.yaml):
 * AXV_KVM_CALL_CPU_UP      rdi = vCPU id, rsi = 64-bit entry, rdx = arg (the new vCPU's rdi)
 * AXV_KVM_CALL_CPU_DOWN    the calling vCPU stops
 * AXV_KVM_CALL_SYSTEM_OFF  power off
 * AXV_KVM_CALL_SYSTEM_RESET  reset (axv-run powers off and says so)
 * AXV_KVM_CALL_SEND_IPI    rdi = vCPU id, rdx = vector */
#define AXVRUN_ENOSYS 0xffffffffffffffda /* -38: returned for unknown hypercalls */

/* ---- exit statuses of axv-run ---- */
#define AXVRUN_EXIT_POWEROFF 0       /* the guest powered off */
#define AXVRUN_EXIT_ERROR 2          /* axv-run could not run the guest (bad image, no KVM...) */
#define AXVRUN_EXIT_CRASH 4          /* triple fault, unhandled exit, access to nowhere */
/* isa-debug-exit statuses are odd: (v << 1) | 1 */

#endif /* AXV_RUN_ABI_H */
