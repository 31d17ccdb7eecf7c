/* decode.c: the engine's instruction decoding (Zydis), the operands the executor reads, and the cache of decoded instructions. */
#include <string.h>

#include "engine/engine_internal.h"

void eng_decode_init(struct eng *e)
{
    ZydisDecoderInit(&e->dec64, ZYDIS_MACHINE_MODE_LONG_64,
                     ZYDIS_STACK_WIDTH_64);
    ZydisDecoderInit(&e->dec32, ZYDIS_MACHINE_MODE_LEGACY_32,
                     ZYDIS_STACK_WIDTH_32);
}

/* The decoder for the code at RIP: 64-bit mode's, or 32-bit code's
 * (machine mode; the state check refused 16-bit code). */
static const ZydisDecoder *decoder_of(const struct eng *e)
{
    return eng_mode64(e) ? &e->dec64 : &e->dec32;
}

/* O(1): the VMM flushes after every instruction KVM runs for the engine,
 * and sweeping 16,384 slots each time cost as much as the instruction. */
void eng_icache_flush(struct eng *e)
{
    if (++e->icache_epoch == 0)
        for (size_t i = 0; i < e->icache_used; i++)
            e->icache[i].gpa = ~0ull;
}

/* A register operand: a GPR (with AH..BH), a segment, control or debug
 * register; anything else (x87, MMX, XMM, ...) is not the engine's (but
 * as the hidden operands of the state-management instructions that
 * convert() lets through). */
static bool reg_of(ZydisRegister r, struct eng_opnd *o)
{
    ZydisRegisterClass c = ZydisRegisterGetClass(r);

    o->regkind = REGK_GPR;
    o->high8 = 0;
    switch (c) {
    case ZYDIS_REGCLASS_GPR8:
        if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH) {
            o->reg = (uint8_t)(r - ZYDIS_REGISTER_AH);
            o->high8 = 1;
        } else if (r >= ZYDIS_REGISTER_SPL && r <= ZYDIS_REGISTER_DIL) {
            o->reg = (uint8_t)(4 + r - ZYDIS_REGISTER_SPL);
        } else if (r >= ZYDIS_REGISTER_R8B) {
            o->reg = (uint8_t)(8 + r - ZYDIS_REGISTER_R8B);
        } else {
            o->reg = (uint8_t)(r - ZYDIS_REGISTER_AL);
        }
        return true;
    case ZYDIS_REGCLASS_GPR16:
    case ZYDIS_REGCLASS_GPR32:
    case ZYDIS_REGCLASS_GPR64:
        o->reg = (uint8_t)ZydisRegisterGetId(r);
        return true;
    case ZYDIS_REGCLASS_SEGMENT:
        o->regkind = REGK_SEG;
        o->reg = (uint8_t)(r - ZYDIS_REGISTER_ES);
        return true;
    case ZYDIS_REGCLASS_CONTROL:
        o->regkind = REGK_CR;
        o->reg = (uint8_t)ZydisRegisterGetId(r);
        return true;
    case ZYDIS_REGCLASS_DEBUG:
        o->regkind = REGK_DR;
        o->reg = (uint8_t)ZydisRegisterGetId(r);
        return true;
    default:
        return false;
    }
}

static int8_t gpr64_of(ZydisRegister r)
{
    if (r == ZYDIS_REGISTER_NONE)
        return REG_NONE;
    if (r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_EIP)
        return REG_RIP;
    return (int8_t)ZydisRegisterGetId(r);
}

static bool opnd_of(const ZydisDecodedOperand *z, struct eng_opnd *o)
{
    memset(o, 0, sizeof(*o));
    o->size = (uint8_t)(z->size / 8);
    switch (z->type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
        o->type = OPND_REG;
        return reg_of(z->reg.value, o);
    case ZYDIS_OPERAND_TYPE_MEMORY:
        if (z->mem.type != ZYDIS_MEMOP_TYPE_MEM &&
            z->mem.type != ZYDIS_MEMOP_TYPE_AGEN)
            return false; /* MIB, VSIB */
        o->type = OPND_MEM;
        o->agen = z->mem.type == ZYDIS_MEMOP_TYPE_AGEN;
        o->base = gpr64_of(z->mem.base);
        o->index = gpr64_of(z->mem.index);
        o->scale = z->mem.scale ? z->mem.scale : 1;
        o->disp = z->mem.disp.has_displacement ? z->mem.disp.value : 0;
        o->seg = z->mem.segment == ZYDIS_REGISTER_NONE
                     ? ENGINE_DS
                     : (uint8_t)(z->mem.segment - ZYDIS_REGISTER_ES);
        return o->index != REG_RIP;
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        o->type = OPND_IMM;
        o->imm = z->imm.is_signed ? (uint64_t)z->imm.value.s : z->imm.value.u;
        return true;
    case ZYDIS_OPERAND_TYPE_POINTER: /* ptr16:16, ptr16:32 (not in 64-bit) */
        o->type = OPND_PTR;
        o->ptr_seg = z->ptr.segment;
        o->imm = z->ptr.offset;
        return true;
    default:
        return false;
    }
}

/* What the VMM's trap paths look for (engine.h's enum engine_kind). */
static enum engine_kind kind_of(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_RDPMC: return ENGINE_KIND_RDPMC;
    case ZYDIS_MNEMONIC_RDMSR: return ENGINE_KIND_RDMSR;
    case ZYDIS_MNEMONIC_WRMSR: return ENGINE_KIND_WRMSR;
    case ZYDIS_MNEMONIC_CPUID: return ENGINE_KIND_CPUID;
    case ZYDIS_MNEMONIC_HLT: return ENGINE_KIND_HLT;
    case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ: return ENGINE_KIND_IRET;
    case ZYDIS_MNEMONIC_SYSRET: case ZYDIS_MNEMONIC_SYSEXIT:
        return ENGINE_KIND_SYSRET;
    case ZYDIS_MNEMONIC_POPF: case ZYDIS_MNEMONIC_POPFD:
    case ZYDIS_MNEMONIC_POPFQ: return ENGINE_KIND_POPF;
    case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD:
    case ZYDIS_MNEMONIC_PUSHFQ: return ENGINE_KIND_PUSHF;
    case ZYDIS_MNEMONIC_SYSCALL: case ZYDIS_MNEMONIC_SYSENTER:
    case ZYDIS_MNEMONIC_INT: case ZYDIS_MNEMONIC_INT3:
    case ZYDIS_MNEMONIC_INT1: case ZYDIS_MNEMONIC_INTO:
        return ENGINE_KIND_SYSCALL;
    case ZYDIS_MNEMONIC_IN: case ZYDIS_MNEMONIC_OUT:
    case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
    case ZYDIS_MNEMONIC_INSD: case ZYDIS_MNEMONIC_OUTSB:
    case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
        return ENGINE_KIND_IO;
    default: return ENGINE_KIND_OTHER;
    }
}

/* The instruction's class for counting (pmu/pmu.h's classes). */
static enum engine_class class_of(const ZydisDecodedInstruction *zi,
                                  const ZydisDecodedOperand *ops)
{
    bool far = zi->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
    bool direct = zi->operand_count_visible > 0 &&
                  ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE;

    /* Zydis files the RTM instructions under branches; what the PMU
     * counts them as is not established [?]: pmvm counts none of them as
     * a branch (docs/counting.md, "Transactions"). */
    if (zi->meta.isa_set == ZYDIS_ISA_SET_RTM)
        return ENGINE_CLASS_OTHER;
    switch (zi->meta.category) {
    case ZYDIS_CATEGORY_COND_BR:
        return ENGINE_CLASS_JCC;
    case ZYDIS_CATEGORY_UNCOND_BR:
        return far ? ENGINE_CLASS_FAR : direct ? ENGINE_CLASS_JMP
                                               : ENGINE_CLASS_JMP_INDIRECT;
    case ZYDIS_CATEGORY_CALL:
        return far ? ENGINE_CLASS_FAR : direct ? ENGINE_CLASS_CALL
                                               : ENGINE_CLASS_CALL_INDIRECT;
    case ZYDIS_CATEGORY_RET:
        return far || zi->mnemonic == ZYDIS_MNEMONIC_IRET ||
                       zi->mnemonic == ZYDIS_MNEMONIC_IRETD ||
                       zi->mnemonic == ZYDIS_MNEMONIC_IRETQ
                   ? ENGINE_CLASS_FAR : ENGINE_CLASS_RET;
    case ZYDIS_CATEGORY_SYSCALL:
    case ZYDIS_CATEGORY_SYSRET:
    case ZYDIS_CATEGORY_INTERRUPT:
        return ENGINE_CLASS_FAR;
    default:
        break;
    }
    switch (zi->mnemonic) {
    case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ: case ZYDIS_MNEMONIC_SYSENTER:
    case ZYDIS_MNEMONIC_SYSEXIT:
        return ENGINE_CLASS_FAR;
    case ZYDIS_MNEMONIC_CPUID: case ZYDIS_MNEMONIC_RDMSR:
    case ZYDIS_MNEMONIC_WRMSR: case ZYDIS_MNEMONIC_RDPMC:
    case ZYDIS_MNEMONIC_IN: case ZYDIS_MNEMONIC_OUT:
    case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
    case ZYDIS_MNEMONIC_INSD: case ZYDIS_MNEMONIC_OUTSB:
    case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
    case ZYDIS_MNEMONIC_LGDT: case ZYDIS_MNEMONIC_LIDT:
    case ZYDIS_MNEMONIC_HLT:
        return ENGINE_CLASS_SERIALIZING;
    case ZYDIS_MNEMONIC_MOV:
        /* MOV to a control register serializes. */
        return ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                       ZydisRegisterGetClass(ops[0].reg.value) ==
                           ZYDIS_REGCLASS_CONTROL
                   ? ENGINE_CLASS_SERIALIZING : ENGINE_CLASS_OTHER;
    case ZYDIS_MNEMONIC_MFENCE: case ZYDIS_MNEMONIC_LFENCE:
    case ZYDIS_MNEMONIC_SFENCE:
        return ENGINE_CLASS_FENCE;
    case ZYDIS_MNEMONIC_CLFLUSH: case ZYDIS_MNEMONIC_CLFLUSHOPT:
    case ZYDIS_MNEMONIC_CLWB: case ZYDIS_MNEMONIC_WBINVD:
    case ZYDIS_MNEMONIC_INVD:
        return ENGINE_CLASS_CACHE;
    case ZYDIS_MNEMONIC_DIV: case ZYDIS_MNEMONIC_IDIV:
        return ENGINE_CLASS_DIV;
    default:
        return ENGINE_CLASS_OTHER;
    }
}

/* Memory the instruction itself reads or writes, for counting: explicit
 * operands and the implicit stack (address generation alone does not). */
static void mem_use(const ZydisDecodedInstruction *zi,
                    const ZydisDecodedOperand *ops, bool *read, bool *write)
{
    *read = *write = false;
    if (zi->mnemonic == ZYDIS_MNEMONIC_LEA ||
        zi->mnemonic == ZYDIS_MNEMONIC_NOP)
        return;
    for (unsigned i = 0; i < zi->operand_count; i++) {
        if (ops[i].type != ZYDIS_OPERAND_TYPE_MEMORY ||
            ops[i].mem.type == ZYDIS_MEMOP_TYPE_AGEN)
            continue;
        *read |= (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_READ) != 0;
        *write |= (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0;
    }
}

static const ZydisDecoder *decoder_for_bits(unsigned bits)
{
    static ZydisDecoder dec[3]; /* 16, 32, 64 */
    static bool ready;

    if (!ready) {
        ZydisDecoderInit(&dec[0], ZYDIS_MACHINE_MODE_LEGACY_16,
                         ZYDIS_STACK_WIDTH_16);
        ZydisDecoderInit(&dec[1], ZYDIS_MACHINE_MODE_LEGACY_32,
                         ZYDIS_STACK_WIDTH_32);
        ZydisDecoderInit(&dec[2], ZYDIS_MACHINE_MODE_LONG_64,
                         ZYDIS_STACK_WIDTH_64);
        ready = true;
    }
    return &dec[bits == 64 ? 2 : bits == 32 ? 1 : 0];
}

int engine_insn_info(const uint8_t *code, size_t len, unsigned mode_bits,
                     struct engine_insn_info *out)
{
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(decoder_for_bits(mode_bits),
                                             code, len, &zi, ops)))
        return -1;
    out->length = zi.length;
    out->mnemonic = zi.mnemonic;
    out->kind = kind_of(zi.mnemonic);
    for (unsigned i = 0; i < 2 && zi.mnemonic == ZYDIS_MNEMONIC_MOV; i++)
        if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            ZydisRegisterGetClass(ops[i].reg.value) == ZYDIS_REGCLASS_DEBUG)
            out->kind = ENGINE_KIND_MOV_DR;
    out->cls = class_of(&zi, ops);
    out->rep = (zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
                                 ZYDIS_ATTRIB_HAS_REPNE)) != 0;
    mem_use(&zi, ops, &out->mem_read, &out->mem_write);
    out->xbegin = zi.mnemonic == ZYDIS_MNEMONIC_XBEGIN;
    out->relative = ((out->cls >= ENGINE_CLASS_JCC &&
                      out->cls <= ENGINE_CLASS_CALL) || out->xbegin) &&
                    zi.operand_count_visible > 0 &&
                    ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
                    ops[0].imm.is_relative;
    out->rel = out->relative ? ops[0].imm.value.s : 0;
    return 0;
}

size_t engine_find_rdpmc(const uint8_t *code, size_t len, uint64_t base,
                         uint64_t *sites, size_t max)
{
    /* Lengths and mnemonics only: no operands. */
    const ZydisDecoder *dec = decoder_for_bits(64);
    ZydisDecodedInstruction zi;
    size_t found = 0;

    for (size_t off = 0; off < len;) {
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(
                dec, NULL, code + off, len - off, &zi))) {
            off++;
            continue;
        }
        if (zi.mnemonic == ZYDIS_MNEMONIC_RDPMC) {
            if (found < max)
                sites[found] = base + off;
            found++;
        }
        off += zi.length;
    }
    return found;
}

/* Fills (in) from Zydis' decoding; an operand the engine cannot handle
 * makes the instruction a hand-back. */
static void convert(const ZydisDecodedInstruction *zi,
                    const ZydisDecodedOperand *ops, struct eng_insn *in)
{
    memset(in, 0, sizeof(*in));
    in->mnemonic = (uint16_t)zi->mnemonic;
    in->length = zi->length;
    in->opsize = (uint8_t)(zi->operand_width / 8);
    in->addrsize = (uint8_t)(zi->address_width / 8);
    in->rep = (zi->attributes & (ZYDIS_ATTRIB_HAS_REP |
                                 ZYDIS_ATTRIB_HAS_REPE)) != 0;
    in->repne = (zi->attributes & ZYDIS_ATTRIB_HAS_REPNE) != 0;
    in->lock = (zi->attributes & ZYDIS_ATTRIB_HAS_LOCK) != 0;
    in->cls = (uint8_t)class_of(zi, ops);
    in->cc = (uint8_t)eng_cc_of(zi->mnemonic);
    mem_use(zi, ops, &in->mem_read, &in->mem_write);
    in->nopnd = zi->operand_count_visible > 4 ? 4
                                              : zi->operand_count_visible;
    in->exec = eng_exec_for(zi->mnemonic);
    for (unsigned i = 0; i < in->nopnd; i++)
        if (!opnd_of(&ops[i], &in->op[i]))
            in->exec = eng_exec_unimplemented;
    /* Only the general-purpose registers' instructions are the engine's:
     * anything touching x87, MMX, SSE, AVX state is KVM's, but for the
     * instructions that save, restore and control that state, whose
     * other operands are its registers (exec_xstate.c, exec_fpu.c). */
    bool xstate = eng_exec_xstate_for(zi->mnemonic) != NULL;
    for (unsigned i = in->nopnd; i < zi->operand_count && !xstate; i++) {
        struct eng_opnd o;
        if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            !reg_of(ops[i].reg.value, &o) &&
            ZydisRegisterGetClass(ops[i].reg.value) != ZYDIS_REGCLASS_FLAGS &&
            ZydisRegisterGetClass(ops[i].reg.value) != ZYDIS_REGCLASS_IP &&
            ZydisRegisterGetClass(ops[i].reg.value) != ZYDIS_REGCLASS_TABLE)
            in->exec = eng_exec_unimplemented;
    }
    if (in->exec != eng_exec_unimplemented) {
        eng_exec_fn fast = eng_exec_fast_for(zi->mnemonic, in);
        if (fast) {
            in->exec = fast;
            in->lazy = true;
        }
    }
    in->trace = (uint8_t)eng_trace_role_of(zi->mnemonic, in);
}

/* Decodes (len) bytes: 0, or -1 if they do not hold a whole instruction
 * (*more: they may, with more bytes; *too_long: more than 15 bytes). */
static int decode_bytes(struct eng *e, const uint8_t *code, size_t len,
                        struct eng_insn *in, bool *more, bool *too_long)
{
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    ZyanStatus s = ZydisDecoderDecodeFull(decoder_of(e), code, len, &zi, ops);

    *more = s == ZYDIS_STATUS_NO_MORE_DATA;
    *too_long = s == ZYDIS_STATUS_INSTRUCTION_TOO_LONG ||
                (*more && len >= 15);
    if (!ZYAN_SUCCESS(s))
        return -1;
    convert(&zi, ops, in);
    return 0;
}

bool eng_decode_bytes(struct eng *e, const uint8_t *code, size_t len,
                      struct eng_insn *in)
{
    bool more, too_long;

    return decode_bytes(e, code, len, in, &more, &too_long) == 0;
}

/* The cache slot for an instruction at (gpa): the pool slot of its
 * bucket, the next unused one on the bucket's first use. Each host page
 * of the cache first touched costs a fault and a clear (about 2 us on
 * nested PVM): with slots indexed by address, a third of a short boot in
 * the engine. */
static struct icache_slot *slot_of(struct eng *e, uint64_t gpa)
{
    uint16_t *m = &e->icache_map[gpa % ICACHE_SLOTS];

    if (!*m)
        *m = (uint16_t)++e->icache_used;
    return &e->icache[*m - 1];
}

/*
 * Bytes that are no instruction in 64-bit mode (DAA, a bad prefix, an
 * unassigned opcode) raise #UD, as the CPU does; more than 15 bytes of
 * prefixes and instruction raise #GP(0) (SDM 2.3.11). Zydis knows every
 * encoding the CPU does, so its refusal is the architecture's: an
 * instruction the guest's CPUID does not offer would #UD all the same.
 */
static _Noreturn void undefined(struct eng *e, bool too_long)
{
    if (too_long)
        eng_gp0(e);
    eng_fault(e, VEC_UD, false, 0);
}

/* The page of the last instruction, at the same privilege, with no flush
 * since: the translation and the checks the TLB look-up would give,
 * without it (most instructions follow one on their page). */
uint64_t eng_fetch_gpa(struct eng *e, uint64_t la)
{
    bool user = eng_cpl(e) == 3;

    if (la >> 12 == e->fetch_vpn && e->fetch_epoch == e->tlb_epoch &&
        e->fetch_user == user)
        return e->fetch_pfn << 12 | (la & 0xFFF);
    uint64_t gpa = eng_translate(e, la, ACC_FETCH, false);
    e->fetch_vpn = la >> 12;
    e->fetch_pfn = gpa >> 12;
    e->fetch_epoch = e->tlb_epoch;
    e->fetch_user = user;
    return gpa;
}

const struct eng_insn *eng_decode_in_page(struct eng *e, uint64_t gpa)
{
    uint8_t mode = eng_mode64(e) ? 64 : 32;
    uint64_t pfn = gpa >> 12;
    struct icache_slot *slot = slot_of(e, gpa);
    size_t n = 0x1000 - (gpa & 0xFFF);
    bool more, too_long;

    if (slot->gpa == gpa && slot->gen == e->page_gen[pfn] &&
        slot->epoch == e->icache_epoch && slot->mode == mode)
        return &slot->in;
    if (pfn >= e->ram_pages || (pfn + 1) << 12 > e->ram_size)
        return NULL;
    if (decode_bytes(e, e->ram + gpa, n < 15 ? n : 15, &slot->in, &more,
                     &too_long) != 0) {
        slot->gpa = ~0ull;
        return NULL;
    }
    slot->gpa = gpa;
    slot->gen = e->page_gen[pfn];
    slot->epoch = e->icache_epoch;
    slot->mode = mode;
    if (!e->code_page[pfn]) {
        /* the TLB may let writes reach this page unchecked: no more */
        e->code_page[pfn] = 1;
        eng_tlb_flush(e);
    }
    return &slot->in;
}

const struct eng_insn *eng_decode_at_rip(struct eng *e)
{
    static __thread struct eng_insn crossing;
    uint64_t la = eng_code_la(e, e->st->rip), gpa, gpa2;
    uint8_t code[15];
    bool more, too_long;
    const struct eng_insn *in = eng_decode_in_page(e, eng_fetch_gpa(e, la));

    if (in)
        return in;
    /* Bytes that are no instruction, or one that goes on in the next
     * page (whose fetch may fault). */
    size_t n = eng_fetch(e, la, code, sizeof(code), &gpa);
    if (decode_bytes(e, code, n, &crossing, &more, &too_long) == 0)
        return &crossing;
    if (more && n < sizeof(code)) {
        n += eng_fetch(e, la + n, code + n, sizeof(code) - n, &gpa2);
        if (decode_bytes(e, code, n, &crossing, &more, &too_long) == 0)
            return &crossing;
    }
    undefined(e, too_long);
}
