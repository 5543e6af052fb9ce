/* The x86_64 backend's MOV decoder (arch/x86_64/decode.c): lengths,
 * widths, registers and extension of the forms MMIO exits carry, and the
 * refusals that keep anything else out. Encodings are from GNU as. */
#include "decode.h"
#include "fixture.h"

#define DECODE(m, ...)                                                          \
    ({                                                                          \
        static const uint8_t b_[] = {__VA_ARGS__};                              \
        axv_vmx_decode_mov(b_, sizeof(b_), (m));                                \
    })

static void expect_load(const struct axv_vmx_mov *m, uint8_t len, uint8_t width, uint8_t reg, uint8_t reg_width,
                        bool sign)
{
    ck_assert_uint_eq(m->len, len);
    ck_assert_uint_eq(m->width, width);
    ck_assert_uint_eq(m->reg, reg);
    ck_assert_uint_eq(m->reg_width, reg_width);
    ck_assert(!m->store);
    ck_assert(m->sign_extend == sign);
}

static void expect_store(const struct axv_vmx_mov *m, uint8_t len, uint8_t width, uint8_t reg)
{
    ck_assert_uint_eq(m->len, len);
    ck_assert_uint_eq(m->width, width);
    ck_assert_uint_eq(m->reg, reg);
    ck_assert(m->store);
    ck_assert(!m->has_imm);
}

START_TEST(test_decode_loads)
{
    struct axv_vmx_mov m;
    ck_assert(DECODE(&m, 0x8b, 0x03)); /* mov (%rbx),%eax */
    expect_load(&m, 2, 4, 0, 4, false);
    ck_assert(DECODE(&m, 0x48, 0x8b, 0x43, 0x08)); /* mov 8(%rbx),%rax */
    expect_load(&m, 4, 8, 0, 8, false);
    ck_assert(DECODE(&m, 0x8a, 0x1f)); /* mov (%rdi),%bl */
    expect_load(&m, 2, 1, 3, 1, false);
    ck_assert(DECODE(&m, 0x0f, 0xb6, 0x07)); /* movzbl (%rdi),%eax */
    expect_load(&m, 3, 1, 0, 4, false);
    ck_assert(DECODE(&m, 0x48, 0x0f, 0xbf, 0x47, 0x02)); /* movswq 2(%rdi),%rax */
    expect_load(&m, 5, 2, 0, 8, true);
    ck_assert(DECODE(&m, 0x48, 0x63, 0x07)); /* movslq (%rdi),%rax */
    expect_load(&m, 3, 4, 0, 8, true);
    ck_assert(DECODE(&m, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00)); /* mov 0x100(%rip),%eax */
    expect_load(&m, 6, 4, 0, 4, false);
    ck_assert(DECODE(&m, 0x65, 0x48, 0x8b, 0x04, 0x25, 0x30, 0x00, 0x00, 0x00)); /* mov %gs:0x30,%rax */
    expect_load(&m, 9, 8, 0, 8, false);
    ck_assert(DECODE(&m, 0x4d, 0x8b, 0x3c, 0xcc)); /* mov (%r12,%rcx,8),%r15 */
    expect_load(&m, 4, 8, 15, 8, false);
}
END_TEST

START_TEST(test_decode_stores)
{
    struct axv_vmx_mov m;
    ck_assert(DECODE(&m, 0x89, 0x0c, 0x25, 0x00, 0x10, 0x00, 0x00)); /* mov %ecx,0x1000 */
    expect_store(&m, 7, 4, 1);
    ck_assert(DECODE(&m, 0x44, 0x89, 0x43, 0x10)); /* mov %r8d,0x10(%rbx) */
    expect_store(&m, 4, 4, 8);
    ck_assert(DECODE(&m, 0x66, 0x89, 0x07)); /* mov %ax,(%rdi) */
    expect_store(&m, 3, 2, 0);
    ck_assert(DECODE(&m, 0x40, 0x88, 0x27)); /* mov %spl,(%rdi): with REX, 4 is spl */
    expect_store(&m, 3, 1, 4);
}
END_TEST

START_TEST(test_decode_immediates)
{
    struct axv_vmx_mov m;
    ck_assert(DECODE(&m, 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12)); /* movl $0x12345678,(%rdi) */
    ck_assert(m.store && m.has_imm);
    ck_assert_uint_eq(m.len, 6);
    ck_assert_uint_eq(m.width, 4);
    ck_assert_uint_eq(m.imm, 0x12345678);
    ck_assert(DECODE(&m, 0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff)); /* movq $-1,(%rdi) */
    ck_assert_uint_eq(m.len, 7);
    ck_assert_uint_eq(m.width, 8);
    ck_assert_uint_eq(m.imm, UINT64_MAX);
    ck_assert(DECODE(&m, 0xc6, 0x47, 0x01, 0xab)); /* movb $0xab,1(%rdi) */
    ck_assert_uint_eq(m.len, 4);
    ck_assert_uint_eq(m.width, 1);
    ck_assert_uint_eq(m.imm, 0xab);
    ck_assert(DECODE(&m, 0x66, 0xc7, 0x06, 0x34, 0x12)); /* movw $0x1234,(%rsi) */
    ck_assert_uint_eq(m.len, 5);
    ck_assert_uint_eq(m.width, 2);
    ck_assert_uint_eq(m.imm, 0x1234);
}
END_TEST

START_TEST(test_decode_refuses)
{
    struct axv_vmx_mov m;
    ck_assert(!DECODE(&m, 0x88, 0x27));                   /* mov %ah,(%rdi): no register number */
    ck_assert(!DECODE(&m, 0x8b, 0xc0));                   /* mov %eax,%eax: no memory operand */
    ck_assert(!DECODE(&m, 0x01, 0x07));                   /* add: not a MOV */
    ck_assert(!DECODE(&m, 0x48, 0x8b));                   /* cut short before ModRM */
    ck_assert(!DECODE(&m, 0x8b, 0x04));                   /* cut short before SIB */
    ck_assert(!DECODE(&m, 0x8b, 0x80, 0x00, 0x10));       /* cut short in disp32 */
    ck_assert(!DECODE(&m, 0xc7, 0x07, 0x78, 0x56));       /* cut short in the immediate */
    ck_assert(!DECODE(&m, 0xc7, 0x4f, 0x00, 1, 2, 3, 4)); /* C7 /1 is not MOV */
    ck_assert(!DECODE(&m, 0x63, 0x07));                   /* 63 without REX.W is MOVSXD to 32 bits: refused */
    ck_assert(!axv_vmx_decode_mov(NULL, 0, &m));
    /* Fifteen prefixes leave no room for an opcode. */
    static const uint8_t prefixes[16] = {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                         0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x8b};
    ck_assert(!axv_vmx_decode_mov(prefixes, sizeof(prefixes), &m));
}
END_TEST

Suite *axv_x86_decode_suite(void)
{
    Suite *s = suite_create("x86_64 MOV decoder");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, test_decode_loads);
    tcase_add_test(tc, test_decode_stores);
    tcase_add_test(tc, test_decode_immediates);
    tcase_add_test(tc, test_decode_refuses);
    suite_add_tcase(s, tc);
    return s;
}
