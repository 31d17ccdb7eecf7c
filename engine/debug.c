/* debug.c: the guest's own debug features in the engine: its DR0-DR3 execute and data breakpoints and its TF single-step, each a #DB with DR6 as the SDM sets it (Vol. 3, 18.2-18.3). */
#include <Zydis/Zydis.h>

#include "engine/engine_internal.h"

static bool enabled(uint64_t dr7, unsigned n)
{
    return (dr7 & DR7_EN(n)) != 0;
}

/* R/Wn: 00 execute, 01 write, 10 I/O, 11 read or write. */
static unsigned rw_of(uint64_t dr7, unsigned n)
{
    return (unsigned)(dr7 >> (16 + 4 * n)) & 3;
}

/* LENn: 00 one byte, 01 two, 10 eight, 11 four (SDM 18.2.5). */
static uint64_t len_of(uint64_t dr7, unsigned n)
{
    static const uint8_t len[4] = {1, 2, 8, 4};
    return len[(dr7 >> (18 + 4 * n)) & 3];
}

/* A #DB whose conditions are (hits) and, for a single-step, BS. */
static void raise_db(struct eng *e, unsigned hits, bool step,
                     uint64_t return_rip)
{
    e->st->dr6 = x86_dr6_after_db(e->st->dr6, hits, step);
    eng_deliver(e, VEC_DB, false, 0, false, return_rip);
}

bool eng_debug_fetch(struct eng *e)
{
    struct engine_state *st = e->st;
    unsigned hits = 0;

    if (!(st->dr7 & DR7_ENABLES) || (st->rflags & RFLAGS_RF))
        return false;
    for (unsigned n = 0; n < 4; n++)
        if (enabled(st->dr7, n) && rw_of(st->dr7, n) == 0 &&
            st->dr[n] == st->rip)
            hits |= 1u << n;
    if (!hits)
        return false;
    /* A fault: the frame at the instruction, with RF as it is (clear),
     * which the handler sets to go on. */
    raise_db(e, hits, false, st->rip);
    return true;
}

void eng_debug_access(struct eng *e, uint64_t la, unsigned size, bool write)
{
    const struct engine_state *st = e->st;

    for (unsigned n = 0; n < 4; n++) {
        unsigned rw = rw_of(st->dr7, n);
        if (!enabled(st->dr7, n) || (rw != 1 && rw != 3) || (rw == 1 && !write))
            continue;
        uint64_t len = len_of(st->dr7, n), at = st->dr[n] & ~(len - 1);
        if (la < at + len && at < la + size)
            e->bp_hits |= 1u << n;
    }
}

void eng_debug_after(struct eng *e, const struct eng_insn *in)
{
    /* INT n, INT3, INTO and INT1 clear TF on the way into their handler:
     * no single-step trap follows them (SDM 18.3.1.4). */
    bool is_int = in->mnemonic == ZYDIS_MNEMONIC_INT ||
                  in->mnemonic == ZYDIS_MNEMONIC_INT3 ||
                  in->mnemonic == ZYDIS_MNEMONIC_INTO ||
                  in->mnemonic == ZYDIS_MNEMONIC_INT1;
    bool step = e->tf_start && !is_int;

    if (step || e->bp_hits)
        raise_db(e, e->bp_hits, step, e->st->rip); /* a trap: after it */
}
