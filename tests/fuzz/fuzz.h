/* fuzz.h: the libFuzzer entry points and a reader that takes fixed-size values from the input bytes. */
#ifndef PMVM_FUZZ_H
#define PMVM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Called by libFuzzer (make fuzz) or by tests/fuzz/replay.c (make check). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Input bytes consumed front to back; past the end every read is 0. */
struct fuzz_in {
    const uint8_t *p;
    size_t left;
};

static inline uint64_t fuzz_take(struct fuzz_in *in, size_t n)
{
    uint64_t v = 0;
    size_t k = n < in->left ? n : in->left;
    memcpy(&v, in->p, k); /* little-endian, as the guest */
    in->p += k;
    in->left -= k;
    return v;
}

#define fuzz_u8(in) ((uint8_t)fuzz_take((in), 1))
#define fuzz_u32(in) ((uint32_t)fuzz_take((in), 4))
#define fuzz_u64(in) fuzz_take((in), 8)

#endif
