/* axv-run's machine: guest memory, vCPU threads and emulated devices. */
#ifndef AXV_RUN_VMM_H
#define AXV_RUN_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "axv/axv.h"
#include "axv/kvm.h"

#define VMM_MAX_VCPUS 64
#define VMM_TRACE_RECS 8192

struct vcpu_slot {
    struct axv_vcpu v;
    struct axv_percpu pc;
    pthread_t thread;
    uint32_t id;
    int started;               /* atomic: 1 once cpu_up (or boot) claimed it */
    int running;               /* the thread is alive */
    uint64_t entry, arg;
    /* Halt: the thread sleeps until `wakeups` changes. */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t wakeups;
    struct axv_trace_rec trace[VMM_TRACE_RECS];
    uint64_t exits[AXV_EXIT__LIMIT];
    uint64_t exit_ns[AXV_EXIT__LIMIT];
};

struct uart {
    uint8_t ier, lcr, mcr, scr, dll, dlm;
};

struct vmm {
    struct axv_kvm_vm kvm;
    uint8_t *mem;
    uint64_t mem_size;
    uint32_t nvcpus;
    struct vcpu_slot *cpus;
    uint32_t msr_base, msr_count;
    pthread_mutex_t dev_lock;  /* devices are shared by all vCPUs */
    struct uart uart;
    uint64_t testdev_scratch, testdev_writes, msr_scratch;
    uint8_t counter;
    int pending_timers;        /* atomic */
    int done;                  /* atomic: set once, with status */
    int status;
    pthread_mutex_t done_lock;
    pthread_cond_t done_cond;
    int halted;                /* vCPUs asleep in halt; atomic */
    int alive;                 /* vCPU threads running; atomic */
};

/* Stop the machine with an exit status (first caller wins) and a message. */
void vmm_stop(struct vmm *m, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Wakes a halted vCPU (after an interrupt was injected). */
void vmm_wake(struct vmm *m, uint32_t id);
/* Injects vector into vCPU id and wakes it; false for a bad id. */
bool vmm_interrupt(struct vmm *m, uint32_t id, uint32_t vector);
/* Starts vCPU id at a 64-bit entry with rdi = arg; false if it cannot. */
bool vmm_cpu_up(struct vmm *m, uint32_t id, uint64_t entry, uint64_t arg);

/* Devices (devices.c). Each returns true when it owns the address. */
void dev_io_write(struct vmm *m, uint16_t port, uint8_t width, uint64_t value);
uint64_t dev_io_read(struct vmm *m, uint16_t port, uint8_t width);
bool dev_mmio_read(struct vmm *m, uint64_t gpa, uint8_t width, uint64_t *value);
bool dev_mmio_write(struct vmm *m, uint64_t gpa, uint8_t width, uint64_t value);
uint64_t dev_msr_read(struct vmm *m, uint32_t msr);
void dev_msr_write(struct vmm *m, uint32_t msr, uint64_t value);
/* A hypercall axv-run implements itself; returns the guest's rax. */
uint64_t dev_hypercall(struct vmm *m, uint32_t vcpu, uint64_t nr, const uint64_t args[6]);
/* Starts the stdin reader for the UART. */
void dev_start_input(struct vmm *m);

#endif
