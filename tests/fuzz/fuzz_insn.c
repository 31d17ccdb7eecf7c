/* fuzz_insn.c: libFuzzer harness for the decoder pmvm runs on guest memory at every step and trap: insn_decode in each mode, and the RDPMC scan. */
#include <stdlib.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/vpmu/insn.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum insn_mode modes[] = {INSN_MODE_64, INSN_MODE_32,
                                           INSN_MODE_16};
    for (size_t i = 0; i < 3; i++) {
        struct insn in;
        size_t n = size < INSN_MAX_LEN ? size : INSN_MAX_LEN;
        if (insn_decode(data, n, modes[i], &in) == 0 &&
            (in.length == 0 || in.length > n))
            abort(); /* a decoded length fits what was given */
    }
    uint64_t sites[4];
    engine_find_rdpmc(data, size, 0x100000, sites, 4);
    return 0;
}
