/* mkbzimage.c: packs an ELF into a bzImage as the kernel's build does (tests/linux/pack.c), for linux_boot.sh: mkbzimage gzip|xz|zstd|lz4|raw [--version=N] [--no-64] [--init-size=N] IN OUT. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/bootparam.h>

#include "tests/linux/pack.h"

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        err(1, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
        err(1, "%s", path);
    fclose(f);
    *len = (size_t)n;
    return b;
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"gzip", "xz", "zstd", "lz4", "raw"};
    struct bz_options o = {0x020F, XLF_KERNEL_64, 0x200000, 0x1000000};
    int how = -1, i;

    for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strncmp(argv[i], "--version=", 10))
            o.version = (uint16_t)strtoul(argv[i] + 10, NULL, 0);
        else if (!strcmp(argv[i], "--no-64"))
            o.xloadflags = 0;
        else if (!strncmp(argv[i], "--init-size=", 12))
            o.init_size = (uint32_t)strtoul(argv[i] + 12, NULL, 0);
        else
            errx(2, "unknown option %s", argv[i]);
    }
    if (argc - i != 3)
        errx(2, "usage: mkbzimage [options] gzip|xz|zstd|lz4|raw IN OUT");
    for (int k = 0; k < 5; k++)
        if (!strcmp(argv[i], names[k]))
            how = k;
    if (how < 0)
        errx(2, "%s: not gzip, xz, zstd, lz4 or raw", argv[i]);
    size_t len, plen, blen;
    uint8_t *elf = slurp(argv[i + 1], &len);
    uint8_t *payload = pack((enum pack_how)how, elf, len, &plen);
    if (!payload)
        errx(1, "cannot compress %s", argv[i + 1]);
    uint8_t *bz = bzimage(payload, plen, &o, &blen);
    FILE *f = fopen(argv[i + 2], "wb");
    if (!bz || !f || fwrite(bz, 1, blen, f) != blen || fclose(f))
        err(1, "%s", argv[i + 2]);
    free(bz);
    free(payload);
    free(elf);
    return 0;
}
