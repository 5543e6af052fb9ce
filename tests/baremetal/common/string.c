/*
 * memset/memcpy/memmove/memcmp for the freestanding images (the core and
 * GCC itself call them). Word accesses only when both sides are 8-byte
 * aligned: with the MMU off all memory is Device memory, where an unaligned
 * access faults. No DC ZVA or similar (it faults on Device memory too).
 *
 * GCC may turn these loops back into calls to the very function being
 * defined; "no-tree-loop-distribute-patterns" stops that.
 */
#include "bm.h"

#define BM_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

typedef uint64_t __attribute__((may_alias)) bm_word;

BM_NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    uint64_t word = (uint64_t)(unsigned char)c * 0x0101010101010101ull;

    while (n && ((uintptr_t)d & 7)) {
        *d++ = (unsigned char)c;
        n--;
    }
    for (; n >= 8; n -= 8, d += 8)
        *(bm_word *)(void *)d = word;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

BM_NO_LIBCALL void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
        while (n && ((uintptr_t)d & 7)) {
            *d++ = *s++;
            n--;
        }
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(bm_word *)(void *)d = *(const bm_word *)(const void *)s;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

BM_NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    /* Overlapping, destination above: copy backwards. */
    d += n;
    s += n;
    if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
        while (n && ((uintptr_t)d & 7)) {
            *--d = *--s;
            n--;
        }
        for (; n >= 8; n -= 8) {
            d -= 8;
            s -= 8;
            *(bm_word *)(void *)d = *(const bm_word *)(const void *)s;
        }
    }
    while (n--)
        *--d = *--s;
    return dst;
}

BM_NO_LIBCALL int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

int bm_strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a < (unsigned char)*b ? -1 : (unsigned char)*a > (unsigned char)*b;
}

size_t bm_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}
