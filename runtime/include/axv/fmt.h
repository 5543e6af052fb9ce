/*
 * Freestanding text formatting for names, exits and trace records.
 *
 * snprintf semantics without libc: `len` counts everything that would have
 * been written, the buffer never overflows and is always terminated.
 */
#ifndef AXV_FMT_H
#define AXV_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct axv_fmt {
    char *buf;
    size_t size;
    size_t len;
};

struct axv_fmt_flag {
    uint32_t bit;
    const char *name;
};

void axv_fmt_init(struct axv_fmt *f, char *buf, size_t size);
void axv_fmt_char(struct axv_fmt *f, char c);
void axv_fmt_str(struct axv_fmt *f, const char *s);
void axv_fmt_dec(struct axv_fmt *f, uint64_t v);
void axv_fmt_sdec(struct axv_fmt *f, int64_t v);
void axv_fmt_hex(struct axv_fmt *f, uint64_t v);
void axv_fmt_bool(struct axv_fmt *f, bool v);
/* The name when known, else the number in decimal. */
void axv_fmt_named(struct axv_fmt *f, uint64_t v, const char *name);
/* "0x3(read|write)"; bits without a name are shown as a hex remainder. */
void axv_fmt_flags(struct axv_fmt *f, uint64_t v, const struct axv_fmt_flag *names, size_t n);
/* Terminates the buffer; returns the full length, as snprintf would. */
size_t axv_fmt_end(struct axv_fmt *f);

#endif /* AXV_FMT_H */
