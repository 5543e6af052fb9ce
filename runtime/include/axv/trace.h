/*
 * Per-vCPU trace ring: a record for every transition and every exit, with a
 * timestamp from the HAL. Enabled per trace point at run time; compiled out
 * entirely with -DAXV_NO_TRACE. The caller provides the record buffer.
 */
#ifndef AXV_TRACE_H
#define AXV_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "axv/gen/trace_points.h"

struct axv_trace_rec {
    uint64_t ts;       /* ns from hal->now_ns */
    uint16_t tp;       /* enum axv_trace_point */
    uint8_t from;      /* state before */
    uint8_t to;        /* state after */
    uint32_t err;      /* enum axv_err of the operation */
    uint64_t a0, a1;   /* event argument or first exit fields */
};

struct axv_trace {
    struct axv_trace_rec *recs;   /* NULL: tracing off for this vCPU */
    uint32_t cap;                 /* a power of two */
    uint32_t head;                /* records written so far (wraps the ring) */
    uint32_t mask[AXV_TP_MASK_WORDS];
};

struct axv_vcpu;

/* Gives the vCPU a ring of `cap` records (a power of two) with every point enabled. */
enum axv_err axv_trace_attach(struct axv_vcpu *v, struct axv_trace_rec *recs, uint32_t cap);
void axv_trace_enable(struct axv_vcpu *v, uint32_t tp, int on);
void axv_trace_enable_all(struct axv_vcpu *v, int on);
/* Records oldest first; returns how many are held (at most cap). */
uint32_t axv_trace_count(const struct axv_vcpu *v);
const struct axv_trace_rec *axv_trace_get(const struct axv_vcpu *v, uint32_t i);
/* "12345 bind free->ready ok" — snprintf-style. */
size_t axv_trace_format(const struct axv_trace_rec *r, char *buf, size_t size);
/*
 * Chrome/Perfetto trace-event JSON of the vCPU's ring, one instant event per
 * record ("ph":"i", pid = vm id, tid = vcpu id), as a JSON array.
 * snprintf-style.
 */
size_t axv_trace_export_json(const struct axv_vcpu *v, char *buf, size_t size);

#ifndef AXV_NO_TRACE
void axv_trace_record(struct axv_trace *t, uint64_t ts, uint32_t tp, uint32_t from, uint32_t to,
                      uint32_t err, uint64_t a0, uint64_t a1);

static inline int axv_trace_wants(const struct axv_trace *t, uint32_t tp)
{
    return t->recs != NULL && tp < AXV_TP__COUNT && ((t->mask[tp / 32] >> (tp % 32)) & 1u);
}
#endif

#endif /* AXV_TRACE_H */
