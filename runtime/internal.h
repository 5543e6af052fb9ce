/* Runtime-private helpers shared by the runtime sources; not public API. */
#ifndef AXV_RUNTIME_INTERNAL_H
#define AXV_RUNTIME_INTERNAL_H

#include <stdint.h>

/* Clears the current vCPU of cpu_id, which the caller set itself. */
void axv_current_release(uint32_t cpu_id);

#endif /* AXV_RUNTIME_INTERNAL_H */
