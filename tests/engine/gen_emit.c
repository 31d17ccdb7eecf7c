/* gen_emit.c: the generator's helpers: its random numbers, the registers it may write, memory operands in the data pages, and instructions encoded with Zydis or as raw bytes. */
#include <string.h>

#include "tests/engine/gen_internal.h"

uint64_t gen_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The registers random instructions may write: all but RSP (the stack),
 * R13 (the wild base) and R15 (the data base). */
static const ZydisRegister pool64[] = {
    ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_RBX, ZYDIS_REGISTER_RCX,
    ZYDIS_REGISTER_RDX, ZYDIS_REGISTER_RSI, ZYDIS_REGISTER_RDI,
    ZYDIS_REGISTER_RBP, ZYDIS_REGISTER_R8, ZYDIS_REGISTER_R9,
    ZYDIS_REGISTER_R10, ZYDIS_REGISTER_R11, ZYDIS_REGISTER_R12,
    ZYDIS_REGISTER_R14,
};
#define NPOOL (sizeof(pool64) / sizeof(pool64[0]))
/* In 32-bit code, and 64-bit code on the legacy GPRs: all but ESP (the
 * stack) and EBP (the data base). */
#define NPOOL32 6

/* The same register at (size) bytes; AH..BH sometimes for bytes. */
ZydisRegister sized(struct g *g, ZydisRegister r64, unsigned size)
{
    static const ZydisRegisterClass cls[9] = {
        [1] = ZYDIS_REGCLASS_GPR8, [2] = ZYDIS_REGCLASS_GPR16,
        [4] = ZYDIS_REGCLASS_GPR32, [8] = ZYDIS_REGCLASS_GPR64};
    unsigned id = (unsigned)ZydisRegisterGetId(r64);

    if (size == 1) {
        if (id < 4 && rnd(g, 4) == 0)
            return (ZydisRegister)(ZYDIS_REGISTER_AH + id);
        if (id < 4)
            return (ZydisRegister)(ZYDIS_REGISTER_AL + id);
        if (id < 8)
            return (ZydisRegister)(ZYDIS_REGISTER_SPL + id - 4);
        return (ZydisRegister)(ZYDIS_REGISTER_R8B + id - 8);
    }
    return ZydisRegisterEncode(cls[size], (ZyanU8)id);
}

ZydisRegister pick(struct g *g, unsigned size)
{
    ZydisRegister r;

    do
        r = pool64[rnd(g, g->m32 || g->legacy ? NPOOL32 : NPOOL)];
    while ((g->no_rcx && r == ZYDIS_REGISTER_RCX) ||
           /* no SIL/DIL without REX */
           (g->m32 && size == 1 && ZydisRegisterGetId(r) >= 4));
    return sized(g, r, size);
}

unsigned pick_size(struct g *g)
{
    static const unsigned sizes[] = {1, 2, 4, 8, 4, 8};
    return cap_size(g, sizes[rnd(g, 6)]);
}

/* A memory operand in the data pages, through the data base (EBP or RBP:
 * through SS). */
ZydisEncoderOperand M(struct g *g, unsigned size)
{
    ZydisEncoderOperand o = {.type = ZYDIS_OPERAND_TYPE_MEMORY};
    o.mem.base = data_base(g);
    o.mem.displacement = (int64_t)rnd(g, 0x2800) - 0x800;
    o.mem.size = (ZyanU16)size;
    return o;
}

bool emit(struct g *g, ZydisMnemonic m, unsigned n,
          const ZydisEncoderOperand *ops)
{
    ZydisEncoderRequest req;
    ZyanUSize len = g->cap - g->len;

    if (g->cap - g->len < 20)
        return false;
    memset(&req, 0, sizeof(req));
    req.machine_mode = g->m32 ? ZYDIS_MACHINE_MODE_LEGACY_32
                              : ZYDIS_MACHINE_MODE_LONG_64;
    req.mnemonic = m;
    req.operand_count = (ZyanU8)n;
    memcpy(req.operands, ops, n * sizeof(ops[0]));
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&req, g->buf + g->len,
                                                    &len)))
        return false;
    g->def_at[g->len] = (uint16_t)g->def;
    g->len += len;
    g->ninsns++;
    return true;
}

bool raw(struct g *g, const char *bytes, size_t n)
{
    if (g->cap - g->len < n + 4)
        return false;
    g->def_at[g->len] = (uint16_t)g->def;
    memcpy(g->buf + g->len, bytes, n);
    g->len += n;
    g->ninsns++;
    return true;
}

/* An operand-size prefix and REX.W for the string and flag forms. */
bool raw_sized(struct g *g, unsigned size, uint8_t op8, uint8_t op,
               uint8_t rep)
{
    char b[4];
    size_t n = 0;

    if (rep)
        b[n++] = (char)rep;
    if (size == 2)
        b[n++] = 0x66;
    if (size == 8)
        b[n++] = 0x48;
    b[n++] = (char)(size == 1 ? op8 : op);
    return raw(g, b, n);
}
