/* feature.c: what the guest's CPUID offers, for the instructions the engine runs only where it says so. */
#include <string.h>

#include "engine/engine_internal.h"

static const struct {
    uint32_t leaf;
    uint8_t reg, bit; /* reg: 0 EAX, 1 EBX, 2 ECX, 3 EDX */
    uint8_t sub;      /* the subleaf */
} where[] = {
    [FEAT_HLE] = {7, 1, 4},
    [FEAT_RTM] = {7, 1, 11},
    [FEAT_RDPID] = {7, 2, 22},
    [FEAT_RDTSCP] = {0x80000001u, 3, 27},
    [FEAT_PDPE1GB] = {0x80000001u, 3, 26},
    [FEAT_NX] = {0x80000001u, 3, 20},
    [FEAT_LM] = {0x80000001u, 3, 29},
    [FEAT_XSAVE] = {1, 2, 26},
    [FEAT_PCID] = {1, 2, 17},
    [FEAT_FSGSBASE] = {7, 1, 0},
    [FEAT_SMEP] = {7, 1, 7},
    [FEAT_SMAP] = {7, 1, 20},
    [FEAT_UMIP] = {7, 2, 2},
    [FEAT_PKU] = {7, 2, 3},
    [FEAT_SHSTK] = {7, 2, 7},
    [FEAT_LA57] = {7, 2, 16},
    [FEAT_IBT] = {7, 3, 20},
    [FEAT_CX8] = {1, 3, 8},
    [FEAT_CX16] = {1, 2, 13},
    [FEAT_FXSR] = {1, 3, 24},
    [FEAT_SSE] = {1, 3, 25},
    /* CPUID.(EAX=0DH,ECX=1):EAX (SDM vol. 1, 13.2) */
    [FEAT_XSAVEOPT] = {0xD, 0, 0, 1},
    [FEAT_XSAVEC] = {0xD, 0, 1, 1},
    [FEAT_XGETBV1] = {0xD, 0, 2, 1},
};

/* A CPUID answer the caller gives, or a hand-back if it gives none; no
 * callback at all is a CPU whose CPUID offers nothing. */
static void ask(struct eng *e, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    if (!e->ops.cpuid) {
        memset(r, 0, 4 * sizeof(r[0]));
        return;
    }
    if (e->ops.cpuid(e->ops.ctx, leaf, sub, r) != ENGINE_OK)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
}

bool eng_has(struct eng *e, enum eng_feature f)
{
    uint32_t r[4];

    /* Page walks ask often; the guest's CPUID does not change. */
    if (f == FEAT_PDPE1GB && e->pdpe1gb_known)
        return e->pdpe1gb;

    /* A leaf above the highest of its range does not hold the bit (a
     * basic one would read as the highest basic leaf). */
    ask(e, where[f].leaf & 0x80000000u, 0, r);
    if (r[0] < where[f].leaf)
        return false;
    ask(e, where[f].leaf, where[f].sub, r);
    bool has = (r[where[f].reg] >> where[f].bit) & 1;
    if (f == FEAT_PDPE1GB)
        e->pdpe1gb_known = true, e->pdpe1gb = has;
    return has;
}

/* Each CPUID-gated CR4 bit with the feature that allows it (SDM Vol. 3A
 * 2.5; KVM's __cr4_reserved_bits()); CET needs either of shadow stacks
 * and indirect-branch tracking. */
uint64_t eng_cr4_reserved(struct eng *e)
{
    static const struct {
        uint64_t bit;
        enum eng_feature f;
    } gated[] = {
        {CR4_OSXSAVE, FEAT_XSAVE},   {CR4_PCIDE, FEAT_PCID},
        {CR4_FSGSBASE, FEAT_FSGSBASE}, {CR4_SMEP, FEAT_SMEP},
        {CR4_SMAP, FEAT_SMAP},       {CR4_UMIP, FEAT_UMIP},
        {CR4_PKE, FEAT_PKU},         {CR4_LA57, FEAT_LA57},
    };
    uint64_t reserved = 0;

    for (size_t i = 0; i < sizeof(gated) / sizeof(gated[0]); i++)
        if (!eng_has(e, gated[i].f))
            reserved |= gated[i].bit;
    if (!eng_has(e, FEAT_SHSTK) && !eng_has(e, FEAT_IBT))
        reserved |= CR4_CET;
    return reserved;
}

unsigned eng_maxphyaddr(struct eng *e)
{
    uint32_t r[4];

    if (!e->maxphyaddr) {
        /* Without leaf 0x80000008, 36 bits (SDM CPUID, "MAXPHYADDR"). */
        ask(e, 0x80000000u, 0, r);
        e->maxphyaddr = 36;
        if (r[0] >= 0x80000008u) {
            ask(e, 0x80000008u, 0, r);
            if (r[0] & 0xFF)
                e->maxphyaddr = r[0] & 0xFF;
        }
    }
    return e->maxphyaddr;
}
