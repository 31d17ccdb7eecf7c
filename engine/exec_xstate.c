/* exec_xstate.c: FXSAVE, FXRSTOR and the XSAVE family (XSAVE, XSAVEOPT, XSAVEC, XRSTOR), on the guest's x87/SSE/AVX state that the caller keeps (ops->xstate, ops->xcr). */
#include <string.h>

#include "engine/engine_internal.h"
#include "engine/mem_fast.h"

/*
 * The engine keeps no x87, SSE or AVX state of its own: the caller holds
 * it (KVM's vCPU) and hands it over whole as a standard-format XSAVE
 * area (engine.h, ops->xstate). These handlers move it between that area
 * and the guest's memory operand in the layouts the SDM gives (vol. 1,
 * Table 10-2 for the legacy region, 13.4 for the XSAVE area), with each
 * instruction's exceptions (vol. 2, its "Protected Mode Exceptions").
 * Every page of the operand is translated and checked before anything is
 * written or any state changed, so a #PF leaves both as they were.
 */

/* The legacy region (SDM vol. 1, Table 10-2; 13.4.1) and the header. */
enum {
    XS_FCW = 0, XS_FIP = 8, XS_FDP = 16, XS_MXCSR = 24, XS_MXCSR_MASK = 28,
    XS_ST = 32, XS_XMM = 160, XS_HDR = 512, XS_EXT = 576,
};

#define XFEAT_X87 1ull
#define XFEAT_SSE 2ull
#define XFEAT_AVX 4ull
#define XCOMP_COMPACT (1ull << 63)
/* AMD's fast FXSAVE/FXRSTOR (APM vol. 2, 3.1.7, EFER.FFXSR): at CPL0
 * in 64-bit mode, the XMM registers are neither saved nor restored. */
#define EFER_FFXSR (1ull << 14)


void eng_xstate_get(struct eng *e, uint8_t *area)
{
    if (!e->ops.xstate ||
        !e->ops.xstate(e->ops.ctx, area, ENGINE_XSAVE_SIZE, false))
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
}

void eng_xstate_put(struct eng *e, uint8_t *area)
{
    if (!e->ops.xstate ||
        !e->ops.xstate(e->ops.ctx, area, ENGINE_XSAVE_SIZE, true))
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
}

uint64_t eng_xcr0(struct eng *e)
{
    uint64_t v;

    if (!e->ops.xcr || !e->ops.xcr(e->ops.ctx, 0, &v, false))
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    return v;
}

/* MXCSR_MASK as the area has it; 0 there stands for the default 0000FFBFH
 * (SDM vol. 1, 11.6.6): the bits of MXCSR software may set. */
static uint32_t mxcsr_mask(const uint8_t *area)
{
    uint32_t m = eng_le_get32(area + XS_MXCSR_MASK);
    return m ? m : 0xFFBFu;
}

/* ---- the memory operand: translated whole first, then accessed ---- */

struct span {
    uint64_t la;
    unsigned len, first;     /* bytes in all, and in the first page */
    uint64_t gpa[2];         /* at most two pages: len <= 4096 */
    bool write;
};

static void span_map(struct eng *e, struct span *s, uint64_t la,
                     unsigned len, bool write)
{
    enum acc acc = write ? ACC_WRITE : ACC_READ;

    s->la = la;
    s->len = len;
    s->write = write;
    s->first = 0x1000 - (unsigned)(la & 0xFFF);
    if (s->first > len)
        s->first = len;
    s->gpa[0] = eng_translate(e, la, acc, false);
    s->gpa[1] = s->first < len ? eng_translate(e, la + s->first, acc, false)
                               : 0;
    if (e->st->dr7 & DR7_ENABLES)
        eng_debug_access(e, la, len, write);
}

static uint64_t span_gpa(const struct span *s, unsigned off)
{
    return off < s->first ? s->gpa[0] + off : s->gpa[1] + (off - s->first);
}

/* Copies [off, off + n) of the operand into (to), or (write) from
 * (from); one access a cache line for the caller's model. */
static void span_copy(struct eng *e, const struct span *s, unsigned off,
                      uint8_t *to, const uint8_t *from, unsigned n,
                      bool write)
{
    for (unsigned done = 0; done < n;) {
        unsigned at = off + done, chunk = n - done;
        if (at < s->first && at + chunk > s->first)
            chunk = s->first - at;
        uint64_t gpa = span_gpa(s, at);
        if (write) {
            memcpy(e->ram + gpa, from + done, chunk);
            eng_code_written(e, gpa);
        } else {
            memcpy(to + done, e->ram + gpa, chunk);
        }
        done += chunk;
    }
    for (unsigned line = off & ~63u; line < off + n; line += 64)
        log_access(e, span_gpa(s, line < off ? off : line), write);
}

static void span_rd(struct eng *e, const struct span *s, unsigned off,
                    void *buf, unsigned n)
{
    span_copy(e, s, off, buf, NULL, n, false);
}

static void span_wr(struct eng *e, const struct span *s, unsigned off,
                    const void *buf, unsigned n)
{
    span_copy(e, s, off, NULL, buf, n, true);
}

/* The memory operand's linear address, checked for (align) (#GP(0)
 * whatever the segment, as each of these instructions has it). */
static uint64_t operand_la(struct eng *e, const struct eng_insn *in,
                           unsigned len, unsigned align)
{
    const struct eng_opnd *o = &in->op[0];

    if (in->nopnd < 1 || o->type != OPND_MEM)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    uint64_t la = eng_linear(e, o->seg, eng_ea(e, in, o), len);
    if (la & (align - 1))
        eng_gp0(e);
    return la;
}

/* ---- the x87 state's first 24 bytes, in either of its formats ---- */

/*
 * REX.W (FXSAVE64, XSAVE64, ...): FIP and FDP are 64 bits, as the area
 * holds them. Without it: their low 32 bits, with FCS and FDS beside
 * them (SDM vol. 1, 13.5.1, Table 10-2). The area keeps no selectors, so
 * a save writes them 0 as processors that deprecate FCS and FDS do
 * (CPUID.(EAX=07H,ECX=0):EBX[13]), and a restore zero-extends the
 * offsets.
 */
static void x87_out(const uint8_t *area, uint8_t *m, bool w64)
{
    memcpy(m, area, 24);
    if (!w64) {
        memset(m + XS_FIP + 4, 0, 4);
        memset(m + XS_FDP + 4, 0, 4);
    }
    memcpy(m + XS_ST, area + XS_ST, XS_XMM - XS_ST);
}

static void x87_in(uint8_t *area, const uint8_t *m, bool w64)
{
    memcpy(area, m, 24);
    if (!w64) {
        memset(area + XS_FIP + 4, 0, 4);
        memset(area + XS_FDP + 4, 0, 4);
    }
    memcpy(area + XS_ST, m + XS_ST, XS_XMM - XS_ST);
}

/* x87 state's initial configuration (SDM vol. 1, 13.6): FCW 037FH, FSW
 * 0, every tag empty (the abridged FTW 0), FOP, FIP, FDP and the
 * registers 0. */
static void x87_init(uint8_t *area)
{
    memset(area, 0, 24);
    area[XS_FCW] = 0x7F;
    area[XS_FCW + 1] = 0x03;
    memset(area + XS_ST, 0, XS_XMM - XS_ST);
}

/* Bytes of the XMM registers this mode moves: XMM8-XMM15 in 64-bit mode
 * only (SDM vol. 1, 13.5.2). */
static unsigned xmm_bytes(struct eng *e)
{
    return eng_mode64(e) ? 16 * 16 : 8 * 16;
}

/* ---- FXSAVE, FXRSTOR ---- */

/* SDM FXSAVE, FXRSTOR, "Protected Mode Exceptions": #UD with LOCK, without
 * CPUID.01H:EDX.FXSR, or with CR0.EM; #NM with CR0.TS. */
static void fx_checks(struct eng *e, const struct eng_insn *in)
{
    if (!e->ops.xstate)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    if (in->lock || !eng_has(e, FEAT_FXSR) || (e->st->cr0 & CR0_EM))
        eng_fault(e, VEC_UD, false, 0);
    if (e->st->cr0 & CR0_TS)
        eng_fault(e, VEC_NM, false, 0);
}

/* Where the XMM registers end in the image; with CR4.OSFXSR clear the SDM
 * lets an implementation move them or not: the engine does. */
static unsigned fx_end(struct eng *e)
{
    bool fast = (e->st->efer & EFER_FFXSR) && eng_cpl(e) == 0 &&
                eng_mode64(e);
    return XS_XMM + (fast ? 0 : xmm_bytes(e));
}

/* Bytes 511:416 are not written (reserved, and software's). */
static void exec_fxsave(struct eng *e, const struct eng_insn *in)
{
    bool w64 = in->mnemonic == ZYDIS_MNEMONIC_FXSAVE64;
    uint8_t area[ENGINE_XSAVE_SIZE], m[512];
    struct span s;

    fx_checks(e, in);
    unsigned end = fx_end(e);
    span_map(e, &s, operand_la(e, in, 512, 16), end, true);
    eng_xstate_get(e, area);
    x87_out(area, m, w64);
    eng_le_put32(m + XS_MXCSR, eng_le_get32(area + XS_MXCSR));
    eng_le_put32(m + XS_MXCSR_MASK, mxcsr_mask(area));
    memcpy(m + XS_XMM, area + XS_XMM, end - XS_XMM);
    span_wr(e, &s, 0, m, end);
}

/* MXCSR with a bit set outside MXCSR_MASK is #GP(0). x87 and SSE state
 * are then in use: the area's XSTATE_BV says so. */
static void exec_fxrstor(struct eng *e, const struct eng_insn *in)
{
    bool w64 = in->mnemonic == ZYDIS_MNEMONIC_FXRSTOR64;
    uint8_t area[ENGINE_XSAVE_SIZE], m[512];
    struct span s;

    fx_checks(e, in);
    unsigned end = fx_end(e);
    span_map(e, &s, operand_la(e, in, 512, 16), end, false);
    span_rd(e, &s, 0, m, end);
    eng_xstate_get(e, area);
    uint32_t mxcsr = eng_le_get32(m + XS_MXCSR);
    if (mxcsr & ~mxcsr_mask(area))
        eng_gp0(e);
    x87_in(area, m, w64);
    eng_le_put32(area + XS_MXCSR, mxcsr);
    memcpy(area + XS_XMM, m + XS_XMM, end - XS_XMM);
    eng_le_put64(area + XS_HDR, eng_le_get64(area + XS_HDR) | XFEAT_X87 | XFEAT_SSE);
    eng_xstate_put(e, area);
}

/* ---- the XSAVE family ---- */

/* A state component of the extended region (i >= 2): its size, its
 * standard-format offset (CPUID.(EAX=0DH,ECX=i): EAX, EBX) and whether
 * the compacted format aligns it to 64 bytes (ECX[1]). One the area
 * cannot hold (AMX's, beyond 4096 bytes) is handed back. */
struct comp {
    uint32_t size, off;
    bool align64;
};

static void comp_of(struct eng *e, unsigned i, struct comp *c)
{
    uint32_t r[4];

    if (!e->ops.cpuid || e->ops.cpuid(e->ops.ctx, 0xD, i, r) != ENGINE_OK)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    c->size = r[0];
    c->off = r[1];
    c->align64 = (r[2] & 2) != 0;
    if (c->off < XS_EXT || c->size > ENGINE_XSAVE_SIZE - c->off)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
}

/* Where each component of (rfbm) lies in the memory image: the standard
 * format's offsets, or (compact) the compacted format's, packed from 576
 * in order of i (SDM vol. 1, 13.4.3); the image's length returned. */
static unsigned layout(struct eng *e, uint64_t rfbm, bool compact,
                       struct comp c[64], uint32_t at[64])
{
    unsigned end = XS_EXT, next = XS_EXT;

    for (unsigned i = 2; i < 63; i++) {
        if (!(rfbm >> i & 1))
            continue;
        comp_of(e, i, &c[i]);
        if (compact) {
            if (c[i].align64)
                next = (next + 63) & ~63u;
            at[i] = next;
            next += c[i].size;
        } else {
            at[i] = c[i].off;
        }
        if (at[i] + c[i].size > end)
            end = at[i] + c[i].size;
    }
    if (end > ENGINE_XSAVE_SIZE)
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    return end;
}

/* SDM vol. 1, 13.7-13.10 and each instruction's exceptions: #UD with
 * LOCK, without CPUID.01H:ECX.XSAVE (and the instruction's own bit), or
 * with CR4.OSXSAVE clear; #NM with CR0.TS; #GP(0) if the area is not 64-
 * byte aligned. Returns the requested-feature bitmap, EDX:EAX & XCR0.
 * Outside 64-bit mode (machine mode's 32-bit code) they are handed back:
 * no 32-bit code the engine runs has needed them. */
static uint64_t xsave_checks(struct eng *e, const struct eng_insn *in,
                             enum eng_feature own)
{
    const struct engine_state *st = e->st;

    if (!e->ops.xstate || !e->ops.xcr || !eng_mode64(e))
        eng_handback(e, ENGINE_WHY_UNIMPLEMENTED);
    if (in->lock || !eng_has(e, FEAT_XSAVE) || !(st->cr4 & CR4_OSXSAVE) ||
        (own != FEAT_XSAVE && !eng_has(e, own)))
        eng_fault(e, VEC_UD, false, 0);
    if (st->cr0 & CR0_TS)
        eng_fault(e, VEC_NM, false, 0);
    uint64_t mask = (st->gpr[ENGINE_RDX] << 32) |
                    (st->gpr[ENGINE_RAX] & 0xFFFFFFFFu);
    return mask & eng_xcr0(e);
}

static bool w64_of(ZydisMnemonic m)
{
    return m == ZYDIS_MNEMONIC_XSAVE64 || m == ZYDIS_MNEMONIC_XSAVEOPT64 ||
           m == ZYDIS_MNEMONIC_XSAVEC64 || m == ZYDIS_MNEMONIC_XRSTOR64;
}

/*
 * XSAVE, XSAVEOPT, XSAVEC (SDM vol. 1, 13.7, 13.9, 13.10). XSAVE writes
 * each component of RFBM, MXCSR and MXCSR_MASK if RFBM[1] or RFBM[2],
 * and XSTATE_BV[i] = XINUSE[i] for i in RFBM, the header's other bits and
 * bytes as they were. XSAVEOPT may skip components in their initial
 * configuration or unmodified since the last XRSTOR from this area (the
 * init and modified optimizations, 13.9): each of those leaves the image
 * with what XSAVE would have written, so the engine's XSAVEOPT is XSAVE,
 * which the SDM allows ("may"). XSAVEC uses the compacted format and the
 * init optimization: component i is written iff RFBM[i] = XINUSE[i] = 1,
 * with XSTATE_BV = RFBM & XINUSE and XCOMP_BV = RFBM | bit 63 (SSE counts
 * as in use while MXCSR is not 1F80H, 13.10's footnote). XINUSE is the
 * area's XSTATE_BV.
 */
static void exec_xsave(struct eng *e, const struct eng_insn *in)
{
    ZydisMnemonic mn = (ZydisMnemonic)in->mnemonic;
    bool compact = mn == ZYDIS_MNEMONIC_XSAVEC || mn == ZYDIS_MNEMONIC_XSAVEC64;
    bool opt = mn == ZYDIS_MNEMONIC_XSAVEOPT || mn == ZYDIS_MNEMONIC_XSAVEOPT64;
    uint8_t area[ENGINE_XSAVE_SIZE], m[ENGINE_XSAVE_SIZE];
    struct comp c[64];
    uint32_t at[64];
    struct span s;

    uint64_t rfbm = xsave_checks(e, in, compact ? FEAT_XSAVEC
                                        : opt ? FEAT_XSAVEOPT : FEAT_XSAVE);
    unsigned end = layout(e, rfbm, compact, c, at);
    span_map(e, &s, operand_la(e, in, end, 64), end, true);
    eng_xstate_get(e, area);
    uint64_t xinuse = eng_le_get64(area + XS_HDR);
    if (compact && eng_le_get32(area + XS_MXCSR) != 0x1F80u)
        xinuse |= XFEAT_SSE;
    uint64_t saved = compact ? rfbm & xinuse : rfbm;

    if (saved & XFEAT_X87) {
        x87_out(area, m, w64_of(mn));
        span_wr(e, &s, 0, m, 24);
        span_wr(e, &s, XS_ST, m + XS_ST, XS_XMM - XS_ST);
    }
    if ((saved & XFEAT_SSE) || (!compact && (rfbm & XFEAT_AVX))) {
        eng_le_put32(m + XS_MXCSR, eng_le_get32(area + XS_MXCSR));
        eng_le_put32(m + XS_MXCSR_MASK, mxcsr_mask(area));
        span_wr(e, &s, XS_MXCSR, m + XS_MXCSR, 8);
    }
    if (saved & XFEAT_SSE)
        span_wr(e, &s, XS_XMM, area + XS_XMM, xmm_bytes(e));
    for (unsigned i = 2; i < 63; i++)
        if (saved >> i & 1)
            span_wr(e, &s, at[i], area + c[i].off, c[i].size);
    if (compact) {
        eng_le_put64(m + XS_HDR, rfbm & xinuse);
        eng_le_put64(m + XS_HDR + 8, rfbm | XCOMP_COMPACT);
        span_wr(e, &s, XS_HDR, m + XS_HDR, 16);
    } else {
        uint64_t bv;
        span_rd(e, &s, XS_HDR, &bv, 8);
        bv = (bv & ~rfbm) | (xinuse & rfbm);
        span_wr(e, &s, XS_HDR, &bv, 8);
    }
}

/* The header's #GP(0) rules (SDM vol. 1, 13.8.1, 13.8.2; XRSTOR's
 * exceptions). Standard form: XSTATE_BV with a bit XCR0 lacks, or bytes
 * 23:8 of the header not 0. Compacted form (XCOMP_BV[63]): without
 * XSAVEC, XCOMP_BV[62:0] with a bit XCR0 lacks, XSTATE_BV with a bit
 * XCOMP_BV lacks, or bytes 63:16 not 0. */
static void xrstor_header_check(struct eng *e, const uint8_t *hdr,
                                uint64_t xcr0)
{
    uint64_t bv = eng_le_get64(hdr), comp = eng_le_get64(hdr + 8);
    unsigned from = 16;

    if (comp & XCOMP_COMPACT) {
        if (!eng_has(e, FEAT_XSAVEC) || (comp & ~XCOMP_COMPACT & ~xcr0) ||
            (bv & ~comp))
            eng_gp0(e);
    } else {
        if ((bv & ~xcr0) || comp)
            eng_gp0(e);
        from = 24;
        for (unsigned i = 16; i < from; i++)
            if (hdr[i])
                eng_gp0(e);
        return;
    }
    for (unsigned i = from; i < 64; i++)
        if (hdr[i])
            eng_gp0(e);
}

/*
 * XRSTOR (SDM vol. 1, 13.8): for each i of RFBM, component i is loaded
 * from the image if XSTATE_BV[i] = 1, else put in its initial
 * configuration (x87_init(); the XMM registers and every other
 * component's registers 0); components outside RFBM are left alone. The
 * standard form loads MXCSR from the image whenever RFBM[1] or RFBM[2]
 * is set, whatever XSTATE_BV says; the compacted form only with RFBM[1]
 * = XSTATE_BV[1] = 1, and sets it to 1F80H when RFBM[1] = 1 and
 * XSTATE_BV[1] = 0. A value with a bit outside MXCSR_MASK is #GP(0).
 */
static void exec_xrstor(struct eng *e, const struct eng_insn *in)
{
    uint8_t area[ENGINE_XSAVE_SIZE], m[ENGINE_XSAVE_SIZE];
    struct comp c[64];
    uint32_t at[64];
    struct span s;

    uint64_t rfbm = xsave_checks(e, in, FEAT_XSAVE);
    uint64_t xcr0 = eng_xcr0(e);
    bool w64 = w64_of((ZydisMnemonic)in->mnemonic);
    uint64_t la = operand_la(e, in, XS_EXT, 64);
    span_map(e, &s, la, XS_EXT, false);
    span_rd(e, &s, XS_HDR, m + XS_HDR, XS_EXT - XS_HDR);
    xrstor_header_check(e, m + XS_HDR, xcr0);
    uint64_t bv = eng_le_get64(m + XS_HDR);
    bool compact = (eng_le_get64(m + XS_HDR + 8) & XCOMP_COMPACT) != 0;
    uint64_t placed = compact ? eng_le_get64(m + XS_HDR + 8) & ~XCOMP_COMPACT
                              : rfbm;
    unsigned end = layout(e, placed, compact, c, at);
    span_map(e, &s, operand_la(e, in, end, 64), end, false);
    eng_xstate_get(e, area);

    bool mxcsr_load = compact ? (rfbm & bv & XFEAT_SSE) != 0
                              : (rfbm & (XFEAT_SSE | XFEAT_AVX)) != 0;
    if (mxcsr_load) {
        span_rd(e, &s, XS_MXCSR, m + XS_MXCSR, 4);
        if (eng_le_get32(m + XS_MXCSR) & ~mxcsr_mask(area))
            eng_gp0(e);
    }
    /* nothing has changed yet: from here on nothing faults */
    if (rfbm & XFEAT_X87) {
        if (bv & XFEAT_X87) {
            span_rd(e, &s, 0, m, 24);
            span_rd(e, &s, XS_ST, m + XS_ST, XS_XMM - XS_ST);
            x87_in(area, m, w64);
        } else {
            x87_init(area);
        }
    }
    if (mxcsr_load)
        eng_le_put32(area + XS_MXCSR, eng_le_get32(m + XS_MXCSR));
    else if (compact && (rfbm & XFEAT_SSE))
        eng_le_put32(area + XS_MXCSR, 0x1F80u);
    if (rfbm & XFEAT_SSE) {
        if (bv & XFEAT_SSE)
            span_rd(e, &s, XS_XMM, area + XS_XMM, xmm_bytes(e));
        else
            memset(area + XS_XMM, 0, xmm_bytes(e));
    }
    for (unsigned i = 2; i < 63; i++) {
        if (!(rfbm >> i & 1))
            continue;
        if (!(placed >> i & 1))
            comp_of(e, i, &c[i]); /* compacted, not in the image: init */
        if (bv >> i & 1)
            span_rd(e, &s, at[i], area + c[i].off, c[i].size);
        else
            memset(area + c[i].off, 0, c[i].size);
    }
    eng_le_put64(area + XS_HDR, (eng_le_get64(area + XS_HDR) & ~rfbm) | (bv & rfbm));
    eng_xstate_put(e, area);
}

eng_exec_fn eng_exec_xstate_for(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_FXSAVE: case ZYDIS_MNEMONIC_FXSAVE64:
        return exec_fxsave;
    case ZYDIS_MNEMONIC_FXRSTOR: case ZYDIS_MNEMONIC_FXRSTOR64:
        return exec_fxrstor;
    case ZYDIS_MNEMONIC_XSAVE: case ZYDIS_MNEMONIC_XSAVE64:
    case ZYDIS_MNEMONIC_XSAVEOPT: case ZYDIS_MNEMONIC_XSAVEOPT64:
    case ZYDIS_MNEMONIC_XSAVEC: case ZYDIS_MNEMONIC_XSAVEC64:
        return exec_xsave;
    case ZYDIS_MNEMONIC_XRSTOR: case ZYDIS_MNEMONIC_XRSTOR64:
        return exec_xrstor;
    default:
        return eng_exec_fpu_for(m);
    }
}
