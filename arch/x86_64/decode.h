/*
 * Decoding the MOV forms a guest uses for MMIO, from the bytes at its RIP.
 * Pure and portable, so the host unit tests exercise it without VMX.
 */
#ifndef AXV_X86_64_DECODE_H
#define AXV_X86_64_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct axv_vmx_mov {
    uint8_t len;          /* instruction length in bytes */
    uint8_t width;        /* bytes accessed in memory */
    uint8_t reg;          /* register operand, x86 numbering */
    uint8_t reg_width;    /* bytes of the register a load writes (4 and 8 clear bits 63:32) */
    bool store;
    bool sign_extend;     /* a load sign-extends width up to reg_width */
    bool has_imm;         /* a store of imm (C6/C7) instead of reg */
    uint64_t imm;         /* already sign-extended to width */
};

/* Decodes bytes[0..n); false for anything but the supported MOV forms
 * (and for the legacy high-byte registers AH..BH, which have no number). */
bool axv_vmx_decode_mov(const uint8_t *bytes, size_t n, struct axv_vmx_mov *m);

#endif /* AXV_X86_64_DECODE_H */
