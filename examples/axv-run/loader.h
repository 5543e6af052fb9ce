/* Guest image loading for axv-run: flat binary, ELF64, Multiboot v1. */
#ifndef AXV_RUN_LOADER_H
#define AXV_RUN_LOADER_H

#include <stddef.h>
#include <stdint.h>

enum image_format { IMAGE_FLAT, IMAGE_ELF64, IMAGE_MULTIBOOT };

struct image {
    enum image_format format;
    uint64_t entry;
    uint64_t end;            /* highest guest-physical byte loaded + 1 */
};

/*
 * Loads `path` into guest memory mem[0, mem_size). Returns 0, or -1 with a
 * one-line reason in err (no "axv-run:" prefix).
 */
int image_load(const char *path, uint8_t *mem, uint64_t mem_size, struct image *img, char *err, size_t errlen);

const char *image_format_name(enum image_format f);

#endif
