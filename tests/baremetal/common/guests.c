/* Lookup of the guest images make embeds (bm_guest_table, generated). */
#include "bm.h"

const struct bm_blob *bm_guest(const char *name)
{
    for (const struct bm_blob *b = bm_guest_table; b->name; b++)
        if (bm_strcmp(b->name, name) == 0)
            return b;
    return NULL;
}

/* The generated table is assembly (.quad name, data, size): keep the layout. */
_Static_assert(sizeof(void *) == 8, "bm_blob table is emitted for 64-bit targets");
_Static_assert(offsetof(struct bm_blob, name) == 0, "bm_blob layout");
_Static_assert(offsetof(struct bm_blob, data) == 8, "bm_blob layout");
_Static_assert(offsetof(struct bm_blob, size) == 16, "bm_blob layout");
_Static_assert(sizeof(struct bm_blob) == 24, "bm_blob layout");
