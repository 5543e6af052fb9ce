/* axvcpu: the whole public API. */
#ifndef AXV_AXV_H
#define AXV_AXV_H

#include "axv/arch.h"
#include "axv/fmt.h"
#include "axv/gen/errors.h"
#include "axv/gen/exits.h"
#include "axv/gen/vcpu_sm.h"
#include "axv/hal.h"
#include "axv/percpu.h"
#include "axv/trace.h"
#include "axv/vcpu.h"

#endif /* AXV_AXV_H */
