/* shadow_flush.c: before KVM runs a TLB flush the engine handed it, KVM's shadow page tables are dropped, so that the page-table writes the engine made are seen. */
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "vmm/paging.h"
#include "vmm/pmvm.h"
#include "vmm/vpmu/shadow_flush.h"

#define CR3_NOFLUSH (1ull << 63)

/* Does the instruction at the state's RIP flush TLB entries (SDM 4.10.4.1):
 * INVLPG, INVPCID, MOV to CR3 without bit 63 (with CR4.PCIDE, bit 63 set
 * keeps the PCID's entries), MOV to CR0 or CR4? */
static bool flushes(struct pmvm *p, const struct engine_state *st)
{
    uint8_t b[15];
    size_t n = paging_read(&p->vm, vm_sregs(&p->vm), st->rip, b, sizeof b);
    size_t i = 0;
    unsigned rex = 0;
    bool opsize = false;

    for (; i < n && (b[i] == 0x66 || b[i] == 0xF2 || b[i] == 0xF3 ||
                     b[i] == 0x2E || b[i] == 0x36 || b[i] == 0x3E ||
                     b[i] == 0x26 || b[i] == 0x64 || b[i] == 0x65); i++)
        opsize |= b[i] == 0x66;
    if (i < n && (b[i] & 0xF0) == 0x40)
        rex = b[i++];
    if (i + 2 >= n || b[i] != 0x0F)
        return false;
    uint8_t op = b[i + 1], modrm = b[i + 2];
    if (op == 0x01) /* INVLPG m: 0F 01 /7, a memory operand */
        return ((modrm >> 3) & 7) == 7 && (modrm >> 6) != 3;
    if (op == 0x38) /* INVPCID: 66 0F 38 82 */
        return opsize && modrm == 0x82;
    if (op != 0x22) /* MOV CRn, r64: 0F 22 /r */
        return false;
    unsigned cr = ((rex & 4) ? 8 : 0) | ((modrm >> 3) & 7);
    unsigned reg = ((rex & 1) ? 8 : 0) | (modrm & 7);
    if (cr == 3)
        return !(st->gpr[reg] & CR3_NOFLUSH) || !(st->cr4 & CR4_PCIDE);
    return cr == 0 || cr == 4;
}

void shadow_flush_before(struct pmvm *p, const struct engine_state *st)
{
    if (!p->bridge.cpl0 || !flushes(p, st))
        return;
    vm_shadow_flush(&p->vm);
    p->bridge.shadow_flushes++;
}
