/*
 * The generic exit record as a backend's exit assembly fills it: included
 * by an arch's asm_defs.c (compiled with -S, its DEFINE(name, value)
 * leaving "->NAME value" for asm_defs.h), so the offsets are the compiler's
 * and a layout the assembly cannot store stops the build, not the guest.
 */
#ifndef AXV_ASM_EXIT_H
#define AXV_ASM_EXIT_H

#include <stddef.h>

#include "axv/gen/exits.h"

#define AXV_ASM_EXIT_FIELD_SIZE(field) sizeof(((struct axv_exit *)0)->field)
_Static_assert(AXV_ASM_EXIT_FIELD_SIZE(kind) == 4, "exit assembly stores the kind as a 32-bit word");
_Static_assert(AXV_ASM_EXIT_FIELD_SIZE(raw.source) == 1, "exit assembly stores raw.source as a byte");
_Static_assert(AXV_ASM_EXIT_FIELD_SIZE(raw.code) == 8 && AXV_ASM_EXIT_FIELD_SIZE(raw.qual) == 8 &&
                   AXV_ASM_EXIT_FIELD_SIZE(raw.addr) == 8 && AXV_ASM_EXIT_FIELD_SIZE(raw.insn) == 8,
               "exit assembly stores the raw record's words with 64-bit stores");
_Static_assert(sizeof(struct axv_exit_hypercall) == 7 * sizeof(uint64_t) &&
                   offsetof(struct axv_exit_hypercall, args) == offsetof(struct axv_exit_hypercall, nr) + 8 &&
                   AXV_ASM_EXIT_FIELD_SIZE(u.hypercall.args) == 6 * sizeof(uint64_t),
               "exit assembly fills a hypercall as nr and six arguments: a new field needs filling there too");

/* Inside the asm_defs function, after DEFINE is defined. */
#define AXV_ASM_EXIT_DEFINES()                                                   \
    do {                                                                         \
        DEFINE(EXIT_KIND, offsetof(struct axv_exit, kind));                      \
        DEFINE(EXIT_KIND_HYPERCALL, AXV_EXIT_HYPERCALL);                         \
        DEFINE(EXIT_RAW_SOURCE, offsetof(struct axv_exit, raw.source));          \
        DEFINE(EXIT_RAW_CODE, offsetof(struct axv_exit, raw.code));              \
        DEFINE(EXIT_RAW_QUAL, offsetof(struct axv_exit, raw.qual));              \
        DEFINE(EXIT_RAW_ADDR, offsetof(struct axv_exit, raw.addr));              \
        DEFINE(EXIT_RAW_INSN, offsetof(struct axv_exit, raw.insn));              \
        DEFINE(EXIT_HYPERCALL_NR, offsetof(struct axv_exit, u.hypercall.nr));    \
        DEFINE(EXIT_HYPERCALL_ARGS, offsetof(struct axv_exit, u.hypercall.args)); \
    } while (0)

#endif /* AXV_ASM_EXIT_H */
