/*
 * Loads guest images into guest memory, refusing anything malformed with a
 * one-line reason: every size and offset read from the file is checked
 * against the file and against guest memory before it is used.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "abi.h"
#include "loader.h"

#define MB_MAGIC 0x1BADB002u
#define MB_BOOT_MAGIC 0x2BADB002u
#define MB_SEARCH 8192u
#define MB_FLAG_AOUT_KLUDGE (1u << 16)
#define MB_FLAGS_SUPPORTED ((1u << 0) | (1u << 1) | MB_FLAG_AOUT_KLUDGE)
#define EM_X86_64 62u
#define EM_386 3u
#define PT_LOAD 1u
/* Below 1 MiB axv-run keeps its GDT, page tables, stacks and boot info. */
#define LOW_RESERVED 0x100000u

struct file {
    uint8_t *data;
    uint64_t size;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

const char *image_format_name(enum image_format f)
{
    switch (f) {
    case IMAGE_FLAT:
        return "flat binary";
    case IMAGE_ELF64:
        return "ELF64";
    case IMAGE_MULTIBOOT:
        return "Multiboot";
    }
    return "?";
}

static int read_file(const char *path, struct file *f, char *err, size_t errlen)
{
    struct stat st;
    FILE *fp = fopen(path, "rb");

    if (!fp)
        return fail(err, errlen, "cannot open image '%s': %s", path, strerror(errno));
    if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return fail(err, errlen, "image '%s' is not a regular file", path);
    }
    if (st.st_size == 0) {
        fclose(fp);
        return fail(err, errlen, "image '%s' is empty", path);
    }
    f->size = (uint64_t)st.st_size;
    f->data = malloc(f->size);
    if (!f->data || fread(f->data, 1, f->size, fp) != f->size) {
        fclose(fp);
        free(f->data);
        return fail(err, errlen, "cannot read image '%s'", path);
    }
    fclose(fp);
    return 0;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* [gpa, gpa + size) must lie in guest RAM above the reserved low area. */
static int check_dest(uint64_t gpa, uint64_t size, uint64_t mem_size, char *err, size_t errlen, const char *what)
{
    if (gpa < LOW_RESERVED)
        return fail(err, errlen, "%s at 0x%llx overlaps axv-run's boot area below 1 MiB", what,
                    (unsigned long long)gpa);
    if (size > mem_size || gpa > mem_size - size)
        return fail(err, errlen, "%s [0x%llx, +0x%llx) does not fit in %llu MiB of guest memory", what,
                    (unsigned long long)gpa, (unsigned long long)size, (unsigned long long)(mem_size >> 20));
    return 0;
}

static int load_segment(const struct file *f, uint64_t off, uint64_t filesz, uint64_t gpa, uint64_t memsz,
                        uint8_t *mem, uint64_t mem_size, struct image *img, char *err, size_t errlen)
{
    if (filesz > memsz)
        return fail(err, errlen, "segment at 0x%llx has more file bytes than memory bytes", (unsigned long long)gpa);
    if (off > f->size || filesz > f->size - off)
        return fail(err, errlen, "segment at 0x%llx lies beyond the end of the file (truncated image?)",
                    (unsigned long long)gpa);
    if (check_dest(gpa, memsz, mem_size, err, errlen, "segment"))
        return -1;
    memcpy(mem + gpa, f->data + off, filesz);
    memset(mem + gpa + filesz, 0, memsz - filesz);
    if (gpa + memsz > img->end)
        img->end = gpa + memsz;
    return 0;
}

/* ELF64 or ELF32 program headers: which fields sit where. */
struct elf_layout {
    unsigned ehsize, phsize;
    uint64_t (*word)(const uint8_t *p);
    unsigned ph_off, ph_num, ph_entsize, entry;
    unsigned p_type, p_offset, p_paddr, p_filesz, p_memsz;
};

static uint64_t rd32w(const uint8_t *p)
{
    return rd32(p);
}

static const struct elf_layout elf64 = {64, 56, rd64, 32, 56, 54, 24, 0, 8, 24, 32, 40};
static const struct elf_layout elf32 = {52, 32, rd32w, 28, 44, 42, 24, 0, 4, 12, 16, 20};

static int load_elf(const struct file *f, const struct elf_layout *l, unsigned machine, uint8_t *mem,
                    uint64_t mem_size, struct image *img, char *err, size_t errlen)
{
    if (f->size < l->ehsize)
        return fail(err, errlen, "ELF header truncated (%llu bytes)", (unsigned long long)f->size);
    if (f->data[5] != 1)
        return fail(err, errlen, "ELF image is not little-endian");
    if (rd16(f->data + 18) != machine)
        return fail(err, errlen, "ELF image is for machine %u, not x86", rd16(f->data + 18));
    uint64_t phoff = l->word(f->data + l->ph_off);
    uint64_t phnum = rd16(f->data + l->ph_num);
    uint64_t phent = rd16(f->data + l->ph_entsize);
    if (phnum == 0)
        return fail(err, errlen, "ELF image has no program headers");
    if (phent < l->phsize || phoff > f->size || phnum * phent > f->size - phoff)
        return fail(err, errlen, "ELF program headers lie beyond the end of the file");
    unsigned loads = 0;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = f->data + phoff + i * phent;
        if (rd32(ph + l->p_type) != PT_LOAD)
            continue;
        loads++;
        if (load_segment(f, l->word(ph + l->p_offset), l->word(ph + l->p_filesz), l->word(ph + l->p_paddr),
                         l->word(ph + l->p_memsz), mem, mem_size, img, err, errlen))
            return -1;
    }
    if (!loads)
        return fail(err, errlen, "ELF image has no loadable segment");
    img->entry = l->word(f->data + l->entry);
    return 0;
}

/* The Multiboot v1 header's offset, 0 if absent, -1 if present but broken. */
static int64_t find_multiboot(const struct file *f, char *err, size_t errlen)
{
    uint64_t limit = f->size < MB_SEARCH ? f->size : MB_SEARCH;

    for (uint64_t off = 0; off + 12 <= limit; off += 4) {
        if (rd32(f->data + off) != MB_MAGIC)
            continue;
        uint32_t flags = rd32(f->data + off + 4), sum = rd32(f->data + off + 8);
        if (MB_MAGIC + flags + sum != 0) {
            fail(err, errlen, "Multiboot header at offset 0x%llx has a bad checksum", (unsigned long long)off);
            return -1;
        }
        if ((flags & 0xffffu) & ~MB_FLAGS_SUPPORTED) {
            fail(err, errlen, "Multiboot kernel requires features axv-run lacks (flags 0x%x)", flags);
            return -1;
        }
        return (int64_t)off + 1; /* +1: offset 0 is a valid place */
    }
    return 0;
}

static int load_multiboot(const struct file *f, uint64_t hdr, uint8_t *mem, uint64_t mem_size, struct image *img,
                          char *err, size_t errlen)
{
    uint32_t flags = rd32(f->data + hdr + 4);

    img->format = IMAGE_MULTIBOOT;
    if (flags & MB_FLAG_AOUT_KLUDGE) {
        if (hdr + 32 > f->size)
            return fail(err, errlen, "Multiboot header truncated");
        uint32_t header_addr = rd32(f->data + hdr + 12), load_addr = rd32(f->data + hdr + 16);
        uint32_t load_end = rd32(f->data + hdr + 20), bss_end = rd32(f->data + hdr + 24);
        uint32_t entry = rd32(f->data + hdr + 28);
        if (header_addr < load_addr || header_addr - load_addr > hdr)
            return fail(err, errlen, "Multiboot header_addr/load_addr are inconsistent");
        uint64_t off = hdr - (header_addr - load_addr);
        uint64_t filesz = load_end ? (uint64_t)load_end - load_addr : f->size - off;
        if (load_end && load_end < load_addr)
            return fail(err, errlen, "Multiboot load_end_addr is below load_addr");
        uint64_t memsz = bss_end > load_addr + filesz ? (uint64_t)bss_end - load_addr : filesz;
        if (load_segment(f, off, filesz, load_addr, memsz, mem, mem_size, img, err, errlen))
            return -1;
        img->entry = entry;
    } else {
        if (f->size < 4 || memcmp(f->data, "\177ELF", 4) != 0 || f->data[4] != 1)
            return fail(err, errlen, "Multiboot kernel without load addresses must be an ELF32 image");
        if (load_elf(f, &elf32, EM_386, mem, mem_size, img, err, errlen))
            return -1;
    }
    /* The information structure the kernel finds in ebx. */
    uint8_t *info = mem + AXVRUN_MB_INFO;
    uint32_t mb_flags = 1, lower = 640, upper = (uint32_t)((mem_size - 0x100000) >> 10);
    memset(info, 0, 128);
    memcpy(info, &mb_flags, 4);
    memcpy(info + 4, &lower, 4);
    memcpy(info + 8, &upper, 4);
    return 0;
}

int image_load(const char *path, uint8_t *mem, uint64_t mem_size, struct image *img, char *err, size_t errlen)
{
    struct file f;
    int rc;

    memset(img, 0, sizeof(*img));
    if (read_file(path, &f, err, errlen))
        return -1;
    int64_t mb = find_multiboot(&f, err, errlen);
    if (mb < 0) {
        rc = -1;
    } else if (f.size >= 5 && memcmp(f.data, "\177ELF", 4) == 0 && f.data[4] == 2) {
        img->format = IMAGE_ELF64;
        rc = load_elf(&f, &elf64, EM_X86_64, mem, mem_size, img, err, errlen);
    } else if (mb > 0) {
        rc = load_multiboot(&f, (uint64_t)(mb - 1), mem, mem_size, img, err, errlen);
    } else if (f.size >= 4 && memcmp(f.data, "\177ELF", 4) == 0) {
        rc = fail(err, errlen, "32-bit ELF image without a Multiboot header");
    } else {
        img->format = IMAGE_FLAT;
        img->entry = AXVRUN_LOAD_ADDR;
        rc = load_segment(&f, 0, f.size, AXVRUN_LOAD_ADDR, f.size, mem, mem_size, img, err, errlen);
        if (rc)
            snprintf(err, errlen, "image of %llu bytes is too big for %llu MiB of guest memory",
                     (unsigned long long)f.size, (unsigned long long)(mem_size >> 20));
    }
    if (rc == 0 && (img->entry >= mem_size))
        rc = fail(err, errlen, "entry point 0x%llx is outside guest memory", (unsigned long long)img->entry);
    free(f.data);
    return rc;
}
