/*
 * The MOV decoder for EPT-violation MMIO. It covers what compilers emit for
 * volatile device accesses: 88/89/8A/8B, C6/C7 with an immediate,
 * MOVZX/MOVSX (0F B6/B7/BE/BF) and MOVSXD (63), with operand-size, address
 * size, segment and REX prefixes. Anything else is left to the caller as
 * a nested page fault: emulating more belongs in the VMM, not here.
 */
#include "decode.h"

#define MAX_INSN 15

static bool is_legacy_prefix(uint8_t b)
{
    return b == 0x66 || b == 0x67 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 ||
           b == 0x65;
}

/* Bytes of ModRM, SIB and displacement starting at p; 0 if p runs past n. */
static size_t modrm_length(const uint8_t *p, size_t left)
{
    if (left < 1)
        return 0;
    uint8_t modrm = p[0], mod = modrm >> 6, rm = modrm & 7;
    size_t len = 1;

    if (mod == 3)
        return 0; /* a register operand: no memory access to emulate */
    if (rm == 4) { /* SIB */
        if (left < 2)
            return 0;
        if (mod == 0 && (p[1] & 7) == 5)
            len += 4; /* no base: disp32 */
        len++;
    } else if (mod == 0 && rm == 5) {
        len += 4; /* RIP-relative */
    }
    if (mod == 1)
        len += 1;
    else if (mod == 2)
        len += 4;
    return len <= left ? len : 0;
}

static uint64_t read_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint64_t sign_extend(uint64_t v, unsigned from_bytes)
{
    unsigned shift = 64 - 8 * from_bytes;
    return (uint64_t)((int64_t)(v << shift) >> shift);
}

bool axv_vmx_decode_mov(const uint8_t *bytes, size_t n, struct axv_vmx_mov *m)
{
    size_t i = 0;
    bool opsize16 = false;
    uint8_t rex = 0;

    if (n > MAX_INSN)
        n = MAX_INSN;
    while (i < n && is_legacy_prefix(bytes[i]))
        opsize16 |= bytes[i++] == 0x66;
    if (i < n && (bytes[i] & 0xf0) == 0x40)
        rex = bytes[i++];
    if (i >= n)
        return false;

    bool w = (rex & 8) != 0;
    uint8_t opsize = w ? 8 : opsize16 ? 2 : 4;
    uint8_t op = bytes[i++];
    bool two_byte = false;

    if (op == 0x0f) {
        if (i >= n)
            return false;
        op = bytes[i++];
        two_byte = true;
    }
    *m = (struct axv_vmx_mov){0};
    if (!two_byte && (op == 0x88 || op == 0x8a || op == 0xc6)) {
        m->width = 1;
        m->reg_width = 1;
    } else if (!two_byte && (op == 0x89 || op == 0x8b || op == 0xc7)) {
        m->width = opsize;
        m->reg_width = opsize;
    } else if (!two_byte && op == 0x63 && w) {
        m->width = 4;
        m->reg_width = 8;
        m->sign_extend = true;
    } else if (two_byte && (op == 0xb6 || op == 0xb7 || op == 0xbe || op == 0xbf)) {
        m->width = (op & 1) ? 2 : 1;
        m->reg_width = opsize;
        m->sign_extend = op >= 0xbe;
    } else {
        return false;
    }
    m->store = !two_byte && (op == 0x88 || op == 0x89 || op == 0xc6 || op == 0xc7);
    m->has_imm = !two_byte && (op == 0xc6 || op == 0xc7);

    if (i >= n)
        return false;
    uint8_t modrm = bytes[i];
    size_t mlen = modrm_length(&bytes[i], n - i);
    if (!mlen)
        return false;
    i += mlen;
    m->reg = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) << 1));

    if (m->has_imm) {
        if ((modrm >> 3) & 7)
            return false; /* C6/C7 /0 only */
        m->reg = 0;
        unsigned imm_bytes = m->width == 1 ? 1 : m->width == 2 ? 2 : 4;
        if (i + imm_bytes > n)
            return false;
        m->imm = sign_extend(read_le(&bytes[i], imm_bytes), imm_bytes);
        if (m->width < 8)
            m->imm &= (UINT64_C(1) << (8 * m->width)) - 1;
        i += imm_bytes;
    } else if (m->width == 1 && m->reg_width == 1 && !rex && m->reg >= 4) {
        return false; /* AH, CH, DH, BH */
    }
    m->len = (uint8_t)i;
    return true;
}
