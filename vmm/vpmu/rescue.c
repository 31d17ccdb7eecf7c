/* rescue.c: the instructions the host's KVM failed to emulate, run by pmvm's engine instead: the bridge's in 64-bit mode, one in machine mode outside it (and for a MOV DR the #DB catcher took). */
#include <err.h>
#include <stdio.h>

#include "arch/x86.h"
#include "vmm/pmvm.h"
#include "vmm/status.h"
#include "vmm/vpmu/count.h"
#include "vmm/exits.h"
#include "vmm/vpmu/engine_bridge.h"

/*
 * Nested PVM interprets CPL0 code and cannot emulate INT n, INT3, ICEBP,
 * a 32-bit IRET or bytes that are no instruction (docs/guest-abi.md).
 * The bridge's engine runs only 64-bit mode; in 32-bit protected mode an
 * engine in machine mode (engine/engine.h) runs the one instruction: it
 * delivers events through a 32-bit IDT and returns with IRETD, as
 * --accel=engine does. Whatever it does not run (a task gate, 16-bit
 * code or stacks) it leaves as it was, and the run ends with the host's
 * limit named (exit_end.c).
 */

/* The engine in machine mode, made at the first rescue that needs it
 * (most guests never do). Its decoded instructions are dropped before
 * each use: KVM, or the bridge's engine, ran the guest since. */
static struct engine *machine_engine(struct pmvm *p)
{
    if (!p->bridge.rescue) {
        struct engine_ops ops = bridge_engine_ops(p);
        ops.machine = true;
        ops.cr3_writes = false; /* machine mode runs every CR write */
        p->bridge.rescue = engine_create(p->vm.mem, p->vm.mem_size, &ops);
        if (!p->bridge.rescue)
            errx(STATUS_OSERR, "cannot allocate the engine for what KVM "
                 "failed to emulate");
    }
    engine_flush(p->bridge.rescue);
    return p->bridge.rescue;
}

/* The instruction at RIP, in machine mode if (machine) or the bridge's
 * engine cannot run it (not 64-bit mode, no such engine). */
static int run_one(struct pmvm *p, bool machine, const char *what)
{
    struct engine_state st;
    struct engine_exit x;

    bridge_state_in(p, &st);
    bool mode64 = (st.efer & EFER_LMA) && st.seg[ENGINE_CS].l;
    machine |= !mode64 || !p->bridge.engine;
    bridge_takes_over(p);
    struct engine *eng = machine ? machine_engine(p) : p->bridge.engine;
    p->bridge.st = &st;
    engine_run(eng, &st, 1, &x);
    p->bridge.st = NULL;
    p->bridge.retired += x.retired;
    p->bridge.dr7_known = false; /* machine mode runs MOV DR */
    if (x.stop == ENGINE_STOP_STATE || x.stop == ENGINE_STOP_HANDBACK)
        return BRIDGE_NOT_RESCUED; /* the state is as it was */
    bridge_state_out(p, &st, machine);
    /* what it wrote (a frame) is in no dirty log the bridge's engine
     * reads: it drops what it decoded (rescues are rare) */
    if (machine && p->bridge.engine)
        engine_flush(p->bridge.engine);
    count_reset(p);
    if (p->trace)
        fprintf(stderr, "pmvm: trace: engine%s: ran %s, now at 0x%llx\n",
                machine ? " (machine mode)" : "", what,
                (unsigned long long)st.rip);
    if (p->bridge.ended)
        return p->bridge.status;
    if (x.stop == ENGINE_STOP_SHUTDOWN)
        return end_triple_fault(p, "in pmvm's engine: a fault while "
                                   "delivering #DF");
    return RUN_CONTINUE;
}

int bridge_rescue(struct pmvm *p)
{
    return run_one(p, false, "the instruction KVM failed to emulate");
}

int bridge_rescue_machine(struct pmvm *p)
{
    return run_one(p, true, "the MOV DR");
}
