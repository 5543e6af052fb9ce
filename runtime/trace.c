/* Trace ring: recording, reading back, text and Chrome/Perfetto JSON. */
#include <stddef.h>

#include "axv/fmt.h"
#include "axv/vcpu.h"

enum axv_err axv_trace_attach(struct axv_vcpu *v, struct axv_trace_rec *recs, uint32_t cap)
{
    if (!v || (recs && (cap == 0 || (cap & (cap - 1)))))
        return AXV_ERR_INVALID_INPUT;
    v->trace.recs = recs;
#ifndef AXV_NO_TRACE
    v->traced = recs != NULL; /* sends runs down the checked path, which records */
#endif
    v->trace.cap = recs ? cap : 0;
    v->trace.head = 0;
    axv_trace_enable_all(v, 1);
    return AXV_OK;
}

void axv_trace_enable(struct axv_vcpu *v, uint32_t tp, int on)
{
    if (tp >= AXV_TP__COUNT)
        return;
    if (on)
        v->trace.mask[tp / 32] |= 1u << (tp % 32);
    else
        v->trace.mask[tp / 32] &= ~(1u << (tp % 32));
}

void axv_trace_enable_all(struct axv_vcpu *v, int on)
{
    for (uint32_t tp = 0; tp < AXV_TP__COUNT; tp++)
        axv_trace_enable(v, tp, on);
}

#ifndef AXV_NO_TRACE
void axv_trace_record(struct axv_trace *t, uint64_t ts, uint32_t tp, uint32_t from, uint32_t to, uint32_t err,
                      uint64_t a0, uint64_t a1)
{
    struct axv_trace_rec *r = &t->recs[t->head & (t->cap - 1)];

    r->ts = ts;
    r->tp = (uint16_t)tp;
    r->from = (uint8_t)from;
    r->to = (uint8_t)to;
    r->err = err;
    r->a0 = a0;
    r->a1 = a1;
    t->head++;
}
#endif

uint32_t axv_trace_count(const struct axv_vcpu *v)
{
    return v->trace.head < v->trace.cap ? v->trace.head : v->trace.cap;
}

const struct axv_trace_rec *axv_trace_get(const struct axv_vcpu *v, uint32_t i)
{
    uint32_t n = axv_trace_count(v);

    if (i >= n)
        return NULL;
    return &v->trace.recs[(v->trace.head - n + i) & (v->trace.cap - 1)];
}

static void axv_trace_fmt_rec(struct axv_fmt *f, const struct axv_trace_rec *r)
{
    axv_fmt_dec(f, r->ts);
    axv_fmt_char(f, ' ');
    axv_fmt_str(f, axv_trace_point_name(r->tp));
    axv_fmt_char(f, ' ');
    axv_fmt_str(f, axv_vcpu_state_name(r->from));
    axv_fmt_str(f, "->");
    axv_fmt_str(f, axv_vcpu_state_name(r->to));
    axv_fmt_char(f, ' ');
    axv_fmt_str(f, axv_err_name((enum axv_err)r->err));
    if (r->a0 || r->a1) {
        axv_fmt_str(f, " a0=");
        axv_fmt_hex(f, r->a0);
        axv_fmt_str(f, " a1=");
        axv_fmt_hex(f, r->a1);
    }
}

size_t axv_trace_format(const struct axv_trace_rec *r, char *buf, size_t size)
{
    struct axv_fmt f;

    axv_fmt_init(&f, buf, size);
    axv_trace_fmt_rec(&f, r);
    return axv_fmt_end(&f);
}

size_t axv_trace_export_json(const struct axv_vcpu *v, char *buf, size_t size)
{
    struct axv_fmt f;
    uint32_t n = axv_trace_count(v);

    axv_fmt_init(&f, buf, size);
    axv_fmt_char(&f, '[');
    for (uint32_t i = 0; i < n; i++) {
        const struct axv_trace_rec *r = axv_trace_get(v, i);
        if (i)
            axv_fmt_str(&f, ",\n");
        /* Chrome's "ts" is in microseconds; keep ns precision with a fraction. */
        axv_fmt_str(&f, "{\"name\":\"");
        axv_fmt_str(&f, axv_trace_point_name(r->tp));
        axv_fmt_str(&f, "\",\"cat\":\"");
        axv_fmt_str(&f, r->tp >= AXV_TP_FIRST_EXIT ? "exit" : "vcpu");
        axv_fmt_str(&f, "\",\"ph\":\"i\",\"s\":\"t\",\"ts\":");
        axv_fmt_dec(&f, r->ts / 1000);
        axv_fmt_char(&f, '.');
        uint64_t frac = r->ts % 1000;
        axv_fmt_char(&f, (char)('0' + frac / 100));
        axv_fmt_char(&f, (char)('0' + frac / 10 % 10));
        axv_fmt_char(&f, (char)('0' + frac % 10));
        axv_fmt_str(&f, ",\"pid\":");
        axv_fmt_dec(&f, v->vm_id);
        axv_fmt_str(&f, ",\"tid\":");
        axv_fmt_dec(&f, v->vcpu_id);
        axv_fmt_str(&f, ",\"args\":{\"from\":\"");
        axv_fmt_str(&f, axv_vcpu_state_name(r->from));
        axv_fmt_str(&f, "\",\"to\":\"");
        axv_fmt_str(&f, axv_vcpu_state_name(r->to));
        axv_fmt_str(&f, "\",\"err\":\"");
        axv_fmt_str(&f, axv_err_name((enum axv_err)r->err));
        axv_fmt_str(&f, "\",\"a0\":\"");
        axv_fmt_hex(&f, r->a0);
        axv_fmt_str(&f, "\",\"a1\":\"");
        axv_fmt_hex(&f, r->a1);
        axv_fmt_str(&f, "\"}}");
    }
    axv_fmt_char(&f, ']');
    return axv_fmt_end(&f);
}
