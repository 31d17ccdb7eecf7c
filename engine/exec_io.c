/* exec_io.c: the engine's port I/O: IN and OUT (OUTS in exec_string.c) through the caller, once IOPL or the TSS's I/O bitmap allows the ports; INS goes back to KVM. */
#include "engine/engine_internal.h"

/* One port access through the caller: *val is written for OUT, read for
 * IN. */
void eng_port_io(struct eng *e, uint16_t port, unsigned size, bool in,
                 uint32_t *val)
{
    bool stop = false;

    if (!e->ops.io)
        eng_handback(e, ENGINE_WHY_IO);
    switch (e->ops.io(e->ops.ctx, port, size, in, val, &stop)) {
    case ENGINE_OK:
        e->stop_after |= stop;
        return;
    case ENGINE_GP:
        eng_gp0(e);
    default:
        eng_handback(e, ENGINE_WHY_IO);
    }
}

/* IN and OUT; OUTS in exec_string.c; INS goes back to KVM (its port read
 * would happen again if the memory write then faulted). */
static void io_access(struct eng *e, const struct eng_insn *in,
                      unsigned size)
{
    struct engine_state *st = e->st;
    bool is_in = in->mnemonic == ZYDIS_MNEMONIC_IN;
    uint16_t port = (uint16_t)(st->gpr[ENGINE_RDX] & 0xFFFF);
    uint32_t val = (uint32_t)st->gpr[ENGINE_RAX];

    if (in->mnemonic == ZYDIS_MNEMONIC_OUTSB ||
        in->mnemonic == ZYDIS_MNEMONIC_OUTSW ||
        in->mnemonic == ZYDIS_MNEMONIC_OUTSD) {
        eng_exec_outs(e, in);
        return;
    }
    if (!is_in && in->mnemonic != ZYDIS_MNEMONIC_OUT)
        eng_handback(e, ENGINE_WHY_IO);
    for (unsigned i = 0; i < in->nopnd; i++)
        if (in->op[i].type == OPND_IMM)
            port = (uint16_t)(in->op[i].imm & 0xFF);
    eng_port_io(e, port, size, is_in, &val);
    if (is_in)
        eng_gpr_set(e, ENGINE_RAX, size, val);
}

/*
 * Port I/O: allowed at CPL <= IOPL, else where the TSS's I/O bitmap
 * clears every bit of the ports (SDM 19.5); refused is #GP(0), allowed is
 * KVM's to run.
 */
static void exec_io(struct eng *e, const struct eng_insn *in)
{
    const struct engine_state *st = e->st;
    unsigned iopl = (unsigned)((st->rflags & RFLAGS_IOPL) >> 12);
    unsigned size = in->opsize ? in->opsize : 1;
    uint64_t port = 0;

    if (eng_cpl(e) > iopl) {
        /* the port: an immediate operand, or DX */
        bool imm = false;
        for (unsigned i = 0; i < in->nopnd; i++)
            if (in->op[i].type == OPND_IMM) {
                port = in->op[i].imm & 0xFF;
                imm = true;
            }
        if (!imm)
            port = st->gpr[ENGINE_RDX] & 0xFFFF;
        if (st->tr.limit < 103)
            eng_gp0(e);
        uint64_t base = (uint16_t)eng_read_la(e, st->tr.base + 102, 2, true);
        uint64_t byte = base + port / 8;
        if (byte + 1 > st->tr.limit)
            eng_gp0(e);
        uint64_t bits = eng_read_la(e, st->tr.base + byte, 2, true);
        if ((bits >> (port % 8)) & ((1u << size) - 1))
            eng_gp0(e);
    }
    io_access(e, in, size);
}

eng_exec_fn eng_exec_io_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_IN: case ZYDIS_MNEMONIC_OUT:
    case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
    case ZYDIS_MNEMONIC_INSD: case ZYDIS_MNEMONIC_OUTSB:
    case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
        return exec_io;
    default:
        return NULL;
    }
}
