/* count.c: counts guest instructions at retirement by single-stepping while any PMU counter is enabled. */
#include <stdio.h>

#include "pmu/pmu.h"
#include "vmm/vpmu/count.h"
#include "vmm/vpmu/guest_debug.h"
#include "vmm/host_probe.h"
#include "vmm/paging.h"
#include "vmm/pmvm.h"

#define RING_USER 2u
#define MERGE_DEPTH 4 /* instructions one stop may cover on merging hosts */

static int decode_at(struct pmvm *p, uint64_t rip, struct insn *in)
{
    return insn_at(&p->vm, vm_sregs(&p->vm), rip, in);
}

void count_reset(struct pmvm *p)
{
    p->count.resume_valid = p->count.done_valid = false;
}

void count_debug_wish(const struct pmvm *p, struct debug_wish *w)
{
    if (count_active(p))
        w->step = true;
}

bool count_active(const struct pmvm *p)
{
    return p->count.rings != 0;
}

uint64_t count_block_room(struct pmvm *p)
{
    return pmu_block_room(p->pmu, ENGINE_BLOCK_MAX_ACCESSES);
}

void count_mem_access(void *ctx, uint64_t gpa, enum engine_mem kind)
{
    struct pmvm *p = ctx;

    if (count_active(p))
        pmu_mem_access(p->pmu, gpa, kind == ENGINE_MEM_FLUSH ? PMU_MEM_FLUSH
                                    : kind == ENGINE_MEM_WRITE
                                        ? PMU_MEM_WRITE : PMU_MEM_READ);
}

bool count_mem_wanted(void *ctx)
{
    return count_active(ctx);
}

bool count_update(struct pmvm *p)
{
    struct count *c = &p->count;
    unsigned rings = pmu_counting_rings(p->pmu);
    bool changed = (rings != 0) != (c->rings != 0);
    c->rings = rings;
    if (changed)
        c->resume_valid = c->done_valid = false;
    return changed;
}

static void retire(struct pmvm *p, const struct insn *in, uint64_t addr,
                   uint64_t next, unsigned cpl)
{
    struct pmu_insn pi = {
        .addr = addr,
        .next = next,
        .length = in->length,
        .cls = in->cls,
        .taken = next != addr + in->length,
        .mem_read = in->mem_read,
        .mem_write = in->mem_write,
        .cpl = cpl,
        /* A #DB in a transaction aborts it: a stepped XBEGIN's does. */
        .tx_abort = in->xbegin,
    };
    if (pmu_retire(p->pmu, &pi))
        p->pmi_due = true;
}

struct step_path {
    int n;
    struct insn in[MERGE_DEPTH];
    uint64_t addr[MERGE_DEPTH];
    uint64_t next[MERGE_DEPTH];
};

/*
 * Can execution that starts at (at) arrive at (rip) by retiring at most
 * (depth) more instructions, following only what the instructions say
 * (fall-through, or a direct branch's target)? If so, the path holds them.
 */
static bool path_find(struct pmvm *p, uint64_t at, uint64_t rip, int depth,
                      struct step_path *path)
{
    struct insn in;
    if (depth == 0 || decode_at(p, at, &in) < 0)
        return false;
    uint64_t fall = at + in.length;
    bool branch = in.cls >= PMU_INSN_JCC && in.cls <= PMU_INSN_FAR;
    uint64_t succ[2];
    int n = 0;
    if (!branch || in.cls == PMU_INSN_JCC)
        succ[n++] = fall;
    if (in.relative)
        succ[n++] = fall + (uint64_t)in.rel;
    /* An indirect or far branch goes where the stop says, but only as the
     * last instruction of the path: its target is otherwise unknown. */
    if (branch && !in.relative)
        succ[n++] = rip;
    int k = path->n++;
    path->in[k] = in;
    path->addr[k] = at;
    for (int i = 0; i < n; i++) {
        path->next[k] = succ[i];
        if (succ[i] == rip ||
            path_find(p, succ[i], rip, depth - 1, path))
            return true;
    }
    path->n = k;
    return false;
}

void count_on_step(struct pmvm *p)
{
    struct count *c = &p->count;
    if (!c->rings)
        return;
    uint64_t rip = vm_regs(&p->vm)->rip;
    if (!c->resume_valid || rip == c->resume)
        return; /* nothing retired (a string instruction's iteration) */
    if (c->done_valid && rip == c->done)
        return; /* a stop that repeats an instruction already counted */
    struct step_path path = {0};
    /* No path: the instruction faulted and the stop is in a handler; a
     * faulting instruction does not retire. */
    if (path_find(p, c->resume, rip, MERGE_DEPTH, &path)) {
        unsigned cpl = vm_cpl(&p->vm);
        for (int i = 0; i < path.n; i++)
            retire(p, &path.in[i], path.addr[i], path.next[i], cpl);
    }
    c->done_valid = false;
}

/* About to leave CPL0 for CPL3 while a counter counts user code, on a
 * host that cannot step CPL3: say once that those instructions go
 * uncounted, rather than report a wrong count silently. */
static void warn_if_user_uncounted(struct pmvm *p, uint64_t rip)
{
    struct count *c = &p->count;
    if (c->warned_cpl3 || !(c->rings & RING_USER) || bridge_has_engine(p) ||
        !trap_enters_user(p, rip) || host_steps_cpl3(p->vm.kvm_fd))
        return;
    fprintf(stderr, "pmvm: this host's KVM does not single-step CPL3 "
            "code, so counters do not count the instructions the guest "
            "runs at CPL3 (docs/counting.md)\n");
    c->warned_cpl3 = true;
}

void count_prepare(struct pmvm *p)
{
    struct count *c = &p->count;
    if (!c->rings)
        return;
    uint64_t rip = vm_regs(&p->vm)->rip;
    if (!c->done_valid) {
        c->resume = rip;
        c->resume_valid = true;
    }
    warn_if_user_uncounted(p, rip);
}

void count_on_completed_exit(struct pmvm *p, bool retired)
{
    struct count *c = &p->count;
    if (!c->rings)
        return;
    uint64_t rip = vm_regs(&p->vm)->rip;
    struct insn in;
    if (decode_at(p, rip, &in) < 0)
        return;
    count_on_emulated(p, &in, rip, retired);
}

void count_on_emulated(struct pmvm *p, const struct insn *in, uint64_t addr,
                       bool retired)
{
    struct count *c = &p->count;
    if (!c->rings)
        return;
    c->done_valid = false;
    c->resume_valid = retired;
    if (!retired)
        return;
    retire(p, in, addr, addr + in->length, vm_cpl(&p->vm));
    c->resume = addr + in->length;
    c->done = addr;
    c->done_valid = true;
}
