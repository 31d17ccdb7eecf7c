/* insn_at.c: the instruction at a guest address, read through the vCPU's code segment and page tables, decoded (insn.h). */
#include "vmm/paging.h"
#include "vmm/vpmu/insn.h"

int insn_at(const struct vm *vm, const struct kvm_sregs *s, uint64_t rip,
            struct insn *out)
{
    enum insn_mode mode = insn_mode_of(s);
    uint64_t la = mode == INSN_MODE_64 ? rip : s->cs.base + rip;
    uint8_t code[INSN_MAX_LEN];
    size_t n = paging_read(vm, s, la, code, sizeof code);

    return n ? insn_decode(code, n, mode, out) : -1;
}
