/* fuzz_loader.c: libFuzzer harness for the image path: loader_parse, loader_copy and the RDPMC site scan over the executable segments. */
#include <stdlib.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/vpmu/insn.h"
#include "vmm/loader.h"

/* Small RAM keeps each run fast; the loader must refuse whatever does not
 * fit, and loader_copy must stay inside it (ASan watches the bounds). */
#define FUZZ_MEM (4u << 20)

static uint8_t *ram;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    ram = malloc(FUZZ_MEM);
    return ram ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that ASan sees any read past the image. */
    uint8_t *image = malloc(size ? size : 1);
    if (!image)
        return 0;
    memcpy(image, data, size);
    struct load_image li;
    char why[256] = "";
    if (loader_parse(image, size, FUZZ_MEM, &li, why, sizeof why) == 0) {
        if (li.nsegs > LOADER_MAX_SEGMENTS)
            abort();
        loader_copy(&li, image, ram);
        uint64_t sites[4];
        for (unsigned i = 0; i < li.nsegs; i++)
            if (li.segs[i].exec)
                engine_find_rdpmc(image + li.segs[i].offset, li.segs[i].filesz,
                                li.segs[i].vaddr, sites, 4);
    } else if (why[0] == '\0' || strchr(why, '\n')) {
        abort(); /* a refusal is one non-empty line */
    }
    free(image);
    return 0;
}
