/* feature.c: what the guest's CPUID offers, for the instructions the engine runs only where it says so. */
#include "engine/engine_internal.h"

static const struct {
    uint32_t leaf;
    uint8_t reg, bit; /* reg: 0 EAX, 1 EBX, 2 ECX, 3 EDX */
} where[] = {
    [FEAT_HLE] = {7, 1, 4},
    [FEAT_RTM] = {7, 1, 11},
    [FEAT_RDPID] = {7, 2, 22},
    [FEAT_RDTSCP] = {0x80000001u, 3, 27},
};

/* A CPUID answer the caller gives, or a hand-back if it gives none. */
static void ask(struct eng *e, uint32_t leaf, uint32_t r[4])
{
    if (e->ops.cpuid(e->ops.ctx, leaf, 0, r) != ENGINE_OK)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
}

bool eng_has(struct eng *e, enum eng_feature f)
{
    uint32_t r[4];

    /* A leaf above the highest of its range does not hold the bit (a
     * basic one would read as the highest basic leaf). */
    ask(e, where[f].leaf & 0x80000000u, r);
    if (r[0] < where[f].leaf)
        return false;
    ask(e, where[f].leaf, r);
    return (r[where[f].reg] >> where[f].bit) & 1;
}
