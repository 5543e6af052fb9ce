/*
 * The libgcc routines rv64imac code may call (GCC 12 expands
 * __builtin_ctz/clz/popcount/ffs/parity/bswap to calls without Zbb).
 * Debian's riscv64 libgcc.a is built for the lp64d ABI only, and ld refuses
 * to link it into this lp64 (soft-float) image, so the image carries its
 * own. Written without those builtins (which would call themselves).
 */
#include <stdint.h>

int __clzdi2(uint64_t x);
int __ctzdi2(uint64_t x);
int __popcountdi2(uint64_t x);
int __ffsdi2(int64_t x);
int __paritydi2(uint64_t x);
int __clzsi2(uint32_t x);
int __ctzsi2(uint32_t x);
int __popcountsi2(uint32_t x);
int __paritysi2(uint32_t x);
uint64_t __bswapdi2(uint64_t x);
uint32_t __bswapsi2(uint32_t x);

/* Undefined for 0 like GCC's builtins; these return the width. */
int __clzdi2(uint64_t x)
{
    int n = 0;
    if (!x)
        return 64;
    for (unsigned s = 32; s; s >>= 1) {
        if (!(x >> (64 - s))) {
            n += (int)s;
            x <<= s;
        }
    }
    return n;
}

int __ctzdi2(uint64_t x)
{
    int n = 0;
    if (!x)
        return 64;
    for (unsigned s = 32; s; s >>= 1) {
        if (!(x & ((UINT64_C(1) << s) - 1))) {
            n += (int)s;
            x >>= s;
        }
    }
    return n;
}

int __popcountdi2(uint64_t x)
{
    x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
    x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (int)((x * UINT64_C(0x0101010101010101)) >> 56);
}

int __ffsdi2(int64_t x)
{
    return x ? __ctzdi2((uint64_t)x) + 1 : 0;
}

int __paritydi2(uint64_t x)
{
    return __popcountdi2(x) & 1;
}

int __clzsi2(uint32_t x)
{
    return __clzdi2(x) - 32;
}

int __ctzsi2(uint32_t x)
{
    return x ? __ctzdi2(x) : 32;
}

int __popcountsi2(uint32_t x)
{
    return __popcountdi2(x);
}

int __paritysi2(uint32_t x)
{
    return __popcountdi2(x) & 1;
}

uint64_t __bswapdi2(uint64_t x)
{
    x = (x & UINT64_C(0x00ff00ff00ff00ff)) << 8 | ((x >> 8) & UINT64_C(0x00ff00ff00ff00ff));
    x = (x & UINT64_C(0x0000ffff0000ffff)) << 16 | ((x >> 16) & UINT64_C(0x0000ffff0000ffff));
    return x << 32 | x >> 32;
}

uint32_t __bswapsi2(uint32_t x)
{
    return (uint32_t)(__bswapdi2(x) >> 32);
}
