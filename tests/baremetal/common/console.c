/* Console output and a small printf on top of the platform's bm_putc. */
#include "axv/fmt.h"
#include "bm.h"

struct bm_sink {
    void (*put)(struct bm_sink *s, char c);
    struct axv_fmt *fmt; /* for the buffer sink */
};

static void bm_sink_console(struct bm_sink *s, char c)
{
    (void)s;
    bm_putc(c);
}

static void bm_sink_buffer(struct bm_sink *s, char c)
{
    axv_fmt_char(s->fmt, c);
}

void bm_puts(const char *s)
{
    while (*s)
        bm_putc(*s++);
}

static void bm_emit_padded(struct bm_sink *s, const char *txt, size_t len, unsigned width, bool left,
                           char pad)
{
    size_t fill = width > len ? width - len : 0;

    /* Zero padding goes after a sign or a 0x prefix. */
    if (!left && pad == '0' && len && (txt[0] == '-')) {
        s->put(s, *txt++);
        len--;
    } else if (!left && pad == '0' && len >= 2 && txt[0] == '0' && txt[1] == 'x') {
        s->put(s, *txt++);
        s->put(s, *txt++);
        len -= 2;
    }
    if (!left)
        while (fill--)
            s->put(s, pad);
    while (len--)
        s->put(s, *txt++);
    if (left)
        while (fill--)
            s->put(s, ' ');
}

static void bm_format(struct bm_sink *s, const char *fmt, va_list ap)
{
    char num[32];

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            s->put(s, *fmt);
            continue;
        }
        fmt++;
        bool left = false;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        unsigned width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10u + (unsigned)(*fmt++ - '0');
        int lng = 0; /* 0 int, 1 long, 2 long long, 3 size_t, -1 short, -2 char */
        for (;; fmt++) {
            if (*fmt == 'l')
                lng = lng == 1 ? 2 : 1;
            else if (*fmt == 'z')
                lng = 3;
            else if (*fmt == 'h')
                lng = lng == -1 ? -2 : -1;
            else
                break;
        }

        struct axv_fmt f;
        axv_fmt_init(&f, num, sizeof(num));
        const char *txt = num;
        uint64_t u = 0;
        switch (*fmt) {
        case '\0':
            return;
        case '%':
            s->put(s, '%');
            continue;
        case 'c':
            num[0] = (char)va_arg(ap, int);
            bm_emit_padded(s, num, 1, width, left, ' ');
            continue;
        case 's':
            txt = va_arg(ap, const char *);
            if (!txt)
                txt = "(null)";
            bm_emit_padded(s, txt, bm_strlen(txt), width, left, ' ');
            continue;
        case 'p':
            u = (uint64_t)(uintptr_t)va_arg(ap, void *);
            axv_fmt_hex(&f, u);
            /* 0x and 16 digits */
            {
                size_t n = axv_fmt_end(&f) - 2, i;
                char p[19] = "0x";
                for (i = 0; i < 16 - n; i++)
                    p[2 + i] = '0';
                memcpy(p + 2 + i, num + 2, n);
                bm_emit_padded(s, p, 18, width, left, ' ');
            }
            continue;
        case 'd':
        case 'i': {
            int64_t v;
            if (lng == 2)
                v = va_arg(ap, long long);
            else if (lng == 1)
                v = va_arg(ap, long);
            else if (lng == 3)
                v = (int64_t)va_arg(ap, size_t);
            else if (lng == -1)
                v = (short)va_arg(ap, int);
            else if (lng == -2)
                v = (signed char)va_arg(ap, int);
            else
                v = va_arg(ap, int);
            axv_fmt_sdec(&f, v);
            bm_emit_padded(s, num, axv_fmt_end(&f), width, left, pad);
            continue;
        }
        case 'u':
        case 'x':
        case 'X':
            if (lng == 2)
                u = va_arg(ap, unsigned long long);
            else if (lng == 1)
                u = va_arg(ap, unsigned long);
            else if (lng == 3)
                u = va_arg(ap, size_t);
            else if (lng == -1)
                u = (unsigned short)va_arg(ap, unsigned);
            else if (lng == -2)
                u = (unsigned char)va_arg(ap, unsigned);
            else
                u = va_arg(ap, unsigned);
            if (*fmt == 'u') {
                axv_fmt_dec(&f, u);
                bm_emit_padded(s, num, axv_fmt_end(&f), width, left, pad);
            } else {
                axv_fmt_hex(&f, u);
                size_t n = axv_fmt_end(&f) - 2; /* without 0x */
                if (*fmt == 'X')
                    for (size_t i = 2; i < n + 2; i++)
                        if (num[i] >= 'a' && num[i] <= 'f')
                            num[i] = (char)(num[i] - 'a' + 'A');
                bm_emit_padded(s, num + 2, n, width, left, pad);
            }
            continue;
        default:
            /* Unknown conversion: show it as written. */
            s->put(s, '%');
            s->put(s, *fmt);
            continue;
        }
    }
}

void bm_vprintf(const char *fmt, va_list ap)
{
    struct bm_sink s = {bm_sink_console, NULL};
    bm_format(&s, fmt, ap);
}

void bm_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bm_vprintf(fmt, ap);
    va_end(ap);
}

size_t bm_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct axv_fmt f;
    struct bm_sink s = {bm_sink_buffer, &f};
    axv_fmt_init(&f, buf, size);
    bm_format(&s, fmt, ap);
    return axv_fmt_end(&f);
}

size_t bm_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = bm_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
