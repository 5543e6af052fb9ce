/* Freestanding formatting helpers; see axv/fmt.h. */
#include "axv/fmt.h"

void axv_fmt_init(struct axv_fmt *f, char *buf, size_t size)
{
    f->buf = buf;
    f->size = buf ? size : 0;
    f->len = 0;
    if (f->size)
        f->buf[0] = '\0';
}

void axv_fmt_char(struct axv_fmt *f, char c)
{
    /* Keep one byte for the terminator. */
    if (f->len + 1 < f->size)
        f->buf[f->len] = c;
    f->len++;
}

void axv_fmt_str(struct axv_fmt *f, const char *s)
{
    while (*s)
        axv_fmt_char(f, *s++);
}

static void axv_fmt_digits(struct axv_fmt *f, uint64_t v, unsigned base)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[20];
    size_t n = 0;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    while (n)
        axv_fmt_char(f, tmp[--n]);
}

void axv_fmt_dec(struct axv_fmt *f, uint64_t v)
{
    axv_fmt_digits(f, v, 10);
}

void axv_fmt_sdec(struct axv_fmt *f, int64_t v)
{
    if (v < 0) {
        axv_fmt_char(f, '-');
        axv_fmt_digits(f, (uint64_t)0 - (uint64_t)v, 10);
    } else {
        axv_fmt_digits(f, (uint64_t)v, 10);
    }
}

void axv_fmt_hex(struct axv_fmt *f, uint64_t v)
{
    axv_fmt_str(f, "0x");
    axv_fmt_digits(f, v, 16);
}

void axv_fmt_bool(struct axv_fmt *f, bool v)
{
    axv_fmt_str(f, v ? "true" : "false");
}

void axv_fmt_named(struct axv_fmt *f, uint64_t v, const char *name)
{
    if (name)
        axv_fmt_str(f, name);
    else
        axv_fmt_dec(f, v);
}

void axv_fmt_flags(struct axv_fmt *f, uint64_t v, const struct axv_fmt_flag *names, size_t n)
{
    uint64_t rest = v;
    bool any = false;

    axv_fmt_hex(f, v);
    for (size_t i = 0; i < n; i++) {
        if (!(v & names[i].bit))
            continue;
        axv_fmt_char(f, any ? '|' : '(');
        axv_fmt_str(f, names[i].name);
        rest &= ~(uint64_t)names[i].bit;
        any = true;
    }
    if (rest) {
        axv_fmt_char(f, any ? '|' : '(');
        axv_fmt_hex(f, rest);
        any = true;
    }
    if (any)
        axv_fmt_char(f, ')');
}

size_t axv_fmt_end(struct axv_fmt *f)
{
    if (f->size)
        f->buf[f->len < f->size ? f->len : f->size - 1] = '\0';
    return f->len;
}
