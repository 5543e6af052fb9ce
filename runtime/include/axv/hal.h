/*
 * Host services a backend needs, as a struct of callbacks the hypervisor
 * fills in. The core never allocates: backends get memory through here.
 */
#ifndef AXV_HAL_H
#define AXV_HAL_H

#include <stddef.h>
#include <stdint.h>

#define AXV_FRAME_SIZE 4096u

struct axv_hal {
    void *ctx; /* passed back to every callback */

    /* `count` contiguous 4 KiB frames aligned to `align_frames` frames; 0 on failure. */
    uint64_t (*alloc_frames)(void *ctx, size_t count, size_t align_frames);
    void (*free_frames)(void *ctx, uint64_t hpa, size_t count);
    void *(*phys_to_virt)(void *ctx, uint64_t hpa);
    uint64_t (*virt_to_phys)(void *ctx, const void *va);

    /*
     * The physical CPU the caller runs on, below AXV_MAX_CPUS. Asked on
     * every run. Build hint: compile the runtime with
     * -DAXV_HAL_CPU_ID_HINT=fn, fn being the (extern) cpu_id most HALs in
     * the program use, and the run path calls fn directly when a vCPU's HAL
     * has it (Linux's INDIRECT_CALL_1): after a guest exit the branch
     * predictors may be cold, and an indirect call then costs ~30 cycles.
     */
    uint32_t (*cpu_id)(void *ctx);
    /* Monotonic time for trace timestamps; may be NULL (timestamps are 0). */
    uint64_t (*now_ns)(void *ctx);
    /* Acknowledges the host interrupt that made a guest exit and returns its
     * number (for external_interrupt exits); may be NULL (number 0). */
    uint64_t (*irq_fetch)(void *ctx);
};

#endif /* AXV_HAL_H */
