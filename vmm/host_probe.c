/* host_probe.c: asks, in a throw-away VM, whether this host's KVM interprets CPL0 code, fires hardware breakpoints, single-steps CPL3 code, takes a SYSCALL from CPL3 to CPL0, and honours the guest's DR7.GD under guest debug. */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/x86.h"
#include "vmm/host_probe.h"
#include "vmm/status.h"
#include "vmm/vm.h"

#define PROBE_MEM (2u << 20)
#define PML4 0x1000u
#define PDPT 0x2000u
#define PD 0x3000u
#define CODE3 0x4000u /* CPL3: nop; nop; ud2 */
#define CODE0 0x5000u /* CPL0: CODE0_NOPS nops; hlt */
#define CODE0_NOPS (HOST_PROBE_CPL0_INSNS - 1)
#define RDPMC0 0x6000u /* CPL0: nop; rdpmc; hlt */
#define RDPMC3 0x6100u /* CPL3: nop; rdpmc; ud2 */
#define SYSCALL3 0x6200u /* CPL3: syscall */
#define LSTAR0 0x6300u   /* CPL0: hlt (SYSCALL's target) */
#define GD0 0x6400u      /* CPL0: mov %dr0, %rax; hlt */
#define DBH0 0x6500u     /* CPL0: hlt (the #DB handler) */
#define GDT 0x7000u      /* null, 64-bit code 0x08, data 0x10 */
#define IDT 0x7100u      /* vector 1: an interrupt gate to DBH0 */

static const uint8_t code3[] = {0x90, 0x90, 0x0F, 0x0B};
static const uint8_t rdpmc0[] = {0x90, 0x0F, 0x33, 0xF4};
static const uint8_t rdpmc3[] = {0x90, 0x0F, 0x33, 0x0F, 0x0B};
static const uint8_t syscall3[] = {0x0F, 0x05};
static const uint8_t gd0[] = {0x0F, 0x21, 0xC0, 0xF4};
static const uint64_t gdt[] = {0, 0x00209A0000000000ull, 0x0000920000000000ull};

struct host_answers {
    bool steps_cpl3;
    bool rdpmc_faults;
    bool breakpoints_fire;
    bool emulates_cpl0;
    uint64_t cpl0_emulated; /* of HOST_PROBE_CPL0_INSNS */
    bool syscall_enters_cpl0;
    bool gd_to_handler;
};

/* pmvm's 10 ms tick may interrupt a system call that sleeps, such as
 * KVM_CREATE_VM, when the probe runs from inside the run loop. */
static int kvm_ioctl(int fd, unsigned long request, void *arg)
{
    int r;
    do
        r = ioctl(fd, request, arg);
    while (r < 0 && errno == EINTR);
    return r;
}

static struct kvm_segment seg(uint16_t sel, uint8_t type, uint8_t dpl,
                              bool code)
{
    return (struct kvm_segment){
        .base = 0, .limit = 0xFFFFFFFF, .selector = sel, .type = type,
        .present = 1, .dpl = dpl, .db = !code, .s = 1, .l = code, .g = 1,
    };
}

/* Long mode, paging on (one 2 MiB user page), at CPL (cpl) 0 or 3, at
 * (rip). */
static void probe_enter(int vcpu, uint64_t rip, unsigned cpl)
{
    struct kvm_sregs s;
    if (kvm_ioctl(vcpu, KVM_GET_SREGS, &s) < 0)
        err(STATUS_OSERR, "host probe: KVM_GET_SREGS");
    s.cs = cpl ? seg(0x23, 0xB, 3, true) : seg(0x08, 0xB, 0, true);
    s.ss = s.ds = s.es = s.fs = s.gs = cpl ? seg(0x1B, 0x3, 3, false)
                                           : seg(0x10, 0x3, 0, false);
    s.tr = (struct kvm_segment){.limit = 0x67, .type = 0xB, .present = 1};
    s.idt.base = 0, s.idt.limit = 0; /* any fault: a triple fault */
    s.cr0 = 0x80010033; /* PG WP NE ET MP PE */
    s.cr3 = PML4;
    s.cr4 = 0x20;       /* PAE */
    s.efer = 0x500;     /* LMA LME */
    if (kvm_ioctl(vcpu, KVM_SET_SREGS, &s) < 0)
        err(STATUS_OSERR, "host probe: KVM_SET_SREGS");
    struct kvm_regs r = {.rip = rip, .rflags = 0x2, .rsp = 0x8000};
    if (kvm_ioctl(vcpu, KVM_SET_REGS, &r) < 0)
        err(STATUS_OSERR, "host probe: KVM_SET_REGS");
}

/* The vCPU's KVM_SET_GUEST_DEBUG: (control) and, unless 0, an execute
 * breakpoint in DR0 at (bp). */
static void probe_debug(int vcpu, uint32_t control, uint64_t bp)
{
    struct kvm_guest_debug dbg = {.control = control};
    if (bp) {
        dbg.arch.debugreg[0] = bp;
        dbg.arch.debugreg[7] = 1; /* L0; RW0=00: execute */
    }
    if (kvm_ioctl(vcpu, KVM_SET_GUEST_DEBUG, &dbg) < 0)
        err(STATUS_OSERR, "host probe: KVM_SET_GUEST_DEBUG");
}

/* Run once; return the exit's reason and the RIP it left. */
static uint32_t probe_step(int vcpu, struct kvm_run *run, uint64_t *rip)
{
    if (kvm_ioctl(vcpu, KVM_RUN, NULL) < 0)
        err(STATUS_OSERR, "host probe: KVM_RUN");
    struct kvm_regs r;
    if (kvm_ioctl(vcpu, KVM_GET_REGS, &r) < 0)
        err(STATUS_OSERR, "host probe: KVM_GET_REGS");
    *rip = r.rip;
    return run->exit_reason;
}

/*
 * The vCPU's "insn_emulation" statistic (KVM's binary statistics, read
 * through KVM_GET_STATS_FD): instructions KVM's emulator ran. False if
 * this KVM has no such statistic.
 */
static bool emulated_count(int stats_fd, uint64_t *count)
{
    struct kvm_stats_header h;
    if (pread(stats_fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
        return false;
    size_t each = sizeof(struct kvm_stats_desc) + h.name_size;
    struct kvm_stats_desc *d = malloc(each);
    if (!d)
        err(STATUS_OSERR, "malloc");
    bool found = false;
    for (uint32_t i = 0; i < h.num_desc && !found; i++) {
        if (pread(stats_fd, d, each, h.desc_offset + (off_t)(i * each)) !=
            (ssize_t)each)
            break;
        found = d->size >= 1 &&
                strncmp(d->name, "insn_emulation", h.name_size) == 0 &&
                pread(stats_fd, count, sizeof *count,
                      h.data_offset + (off_t)d->offset) ==
                    (ssize_t)sizeof *count;
    }
    free(d);
    return found;
}

/* Does KVM run (CODE0_NOPS) NOPs at CPL0 through its emulator? (Nested
 * PVM interprets every CPL0 instruction; VMX and SVM run them.) */
static void probe_cpl0(int vcpu, struct kvm_run *run,
                       struct host_answers *a)
{
    int stats = kvm_ioctl(vcpu, KVM_GET_STATS_FD, NULL);
    uint64_t before, after, rip;
    if (stats < 0)
        return; /* no statistics: KVM runs CPL0 code, as it should */
    probe_enter(vcpu, CODE0, 0);
    bool ok = emulated_count(stats, &before);
    ok = probe_step(vcpu, run, &rip) == KVM_EXIT_HLT && ok &&
         emulated_count(stats, &after) && after >= before;
    if (ok) {
        a->cpl0_emulated = after - before;
        a->emulates_cpl0 = a->cpl0_emulated >= CODE0_NOPS;
    }
    close(stats);
}

/* Does a DR0 execute breakpoint at the second instruction of (code), an
 * RDPMC, at (cpl), stop the vCPU there? Without one, the RDPMC raises #GP
 * (KVM's vPMU is off, or the counter does not exist), which triple-faults
 * (no IDT). */
static bool probe_breakpoint(int vcpu, struct kvm_run *run, uint64_t code,
                             unsigned cpl)
{
    uint64_t rip = 0;
    probe_enter(vcpu, code, cpl);
    probe_debug(vcpu, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP,
                code + 1);
    bool fired = probe_step(vcpu, run, &rip) == KVM_EXIT_DEBUG &&
                 rip == code + 1;
    probe_debug(vcpu, 0, 0);
    return fired;
}

/* Does a SYSCALL at CPL3 enter CPL0 at LSTAR, as the SDM has it (CS
 * from STAR[47:32])? There a HLT exits; where the CPU goes on at LSTAR at
 * CPL3 (nested PVM, docs/guest-runtime.md) the HLT is a #GP, which
 * triple-faults (no IDT). */
static bool probe_syscall(int vcpu, struct kvm_run *run)
{
    uint64_t rip = 0;
    struct {
        struct kvm_msrs head;
        struct kvm_msr_entry e[3];
    } msrs = {.head.nmsrs = 3, .e = {
        {.index = MSR_STAR, .data = 0x0013000800000000ull},
        {.index = MSR_LSTAR, .data = LSTAR0},
        {.index = MSR_FMASK, .data = 0x200}, /* IF */
    }};
    probe_enter(vcpu, SYSCALL3, 3);
    struct kvm_sregs s;
    if (kvm_ioctl(vcpu, KVM_GET_SREGS, &s) < 0)
        err(STATUS_OSERR, "host probe: KVM_GET_SREGS");
    s.efer |= 1; /* SCE */
    if (kvm_ioctl(vcpu, KVM_SET_SREGS, &s) < 0)
        err(STATUS_OSERR, "host probe: KVM_SET_SREGS");
    if (kvm_ioctl(vcpu, KVM_SET_MSRS, &msrs) != 3)
        err(STATUS_OSERR, "host probe: KVM_SET_MSRS");
    probe_debug(vcpu, 0, 0);
    return probe_step(vcpu, run, &rip) == KVM_EXIT_HLT;
}

/* With pmvm's guest debug on (an execute breakpoint on the #DB handler),
 * does the guest's own DR7.GD make a MOV DR at CPL0 a #DB (DR6.BD) that
 * the guest's IDT delivers, so that the breakpoint stops it at the
 * handler's entry with the MOV's address in the frame? Nested PVM's
 * emulator does; VMX and SVM look at the DR7 guest debug puts in place
 * of the guest's, and run the MOV. */
static bool probe_gd(int vcpu, struct kvm_run *run, const uint8_t *mem)
{
    uint64_t rip = 0, frame_rip = 0;
    probe_enter(vcpu, GD0, 0);
    struct kvm_sregs s;
    if (kvm_ioctl(vcpu, KVM_GET_SREGS, &s) < 0)
        err(STATUS_OSERR, "host probe: KVM_GET_SREGS");
    s.gdt.base = GDT, s.gdt.limit = sizeof gdt - 1;
    s.idt.base = IDT, s.idt.limit = 2 * 16 - 1;
    if (kvm_ioctl(vcpu, KVM_SET_SREGS, &s) < 0)
        err(STATUS_OSERR, "host probe: KVM_SET_SREGS");
    probe_debug(vcpu, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, DBH0);
    struct kvm_debugregs d;
    if (kvm_ioctl(vcpu, KVM_GET_DEBUGREGS, &d) < 0)
        err(STATUS_OSERR, "host probe: KVM_GET_DEBUGREGS");
    d.dr7 |= DR7_GD;
    if (kvm_ioctl(vcpu, KVM_SET_DEBUGREGS, &d) < 0)
        err(STATUS_OSERR, "host probe: KVM_SET_DEBUGREGS");
    bool caught = probe_step(vcpu, run, &rip) == KVM_EXIT_DEBUG &&
                  rip == DBH0;
    struct kvm_regs r;
    if (caught && kvm_ioctl(vcpu, KVM_GET_REGS, &r) == 0 &&
        r.rsp <= PROBE_MEM - 8)
        memcpy(&frame_rip, mem + r.rsp, 8);
    if (caught && kvm_ioctl(vcpu, KVM_GET_DEBUGREGS, &d) < 0)
        err(STATUS_OSERR, "host probe: KVM_GET_DEBUGREGS");
    probe_debug(vcpu, 0, 0);
    return caught && frame_rip == GD0 && (d.dr6 & DR6_BD);
}

struct probe_vcpu {
    int fd;
    struct kvm_run *run;
    size_t run_size;
};

/* A new vCPU (id) of (vmfd) in (v), closing the one (v) held, if any. */
static void probe_vcpu_new(int kvm_fd, int vmfd, unsigned id,
                           struct probe_vcpu *v)
{
    if (v->fd >= 0) {
        munmap(v->run, v->run_size);
        close(v->fd);
    }
    int size = kvm_ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
    if (size < 0)
        err(STATUS_OSERR, "host probe: KVM_GET_VCPU_MMAP_SIZE");
    v->fd = kvm_ioctl(vmfd, KVM_CREATE_VCPU, (void *)(uintptr_t)id);
    if (v->fd < 0)
        err(STATUS_OSERR, "host probe: KVM_CREATE_VCPU");
    v->run_size = (size_t)size;
    v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                  v->fd, 0);
    if (v->run == MAP_FAILED)
        err(STATUS_OSERR, "host probe: mmap kvm_run");
}

static void probe(int kvm_fd, struct host_answers *a)
{
    int vmfd = kvm_ioctl(kvm_fd, KVM_CREATE_VM, NULL);
    if (vmfd < 0)
        err(STATUS_OSERR, "host probe: KVM_CREATE_VM");
    uint8_t *mem = mmap(NULL, PROBE_MEM, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        err(STATUS_OSERR, "host probe: mmap");
    uint64_t pml4e = PDPT | 7, pdpte = PD | 7, pde = 0x87; /* P RW US PS */
    memcpy(mem + PML4, &pml4e, 8);
    memcpy(mem + PDPT, &pdpte, 8);
    memcpy(mem + PD, &pde, 8);
    memcpy(mem + CODE3, code3, sizeof code3);
    memcpy(mem + RDPMC0, rdpmc0, sizeof rdpmc0);
    memcpy(mem + RDPMC3, rdpmc3, sizeof rdpmc3);
    memcpy(mem + SYSCALL3, syscall3, sizeof syscall3);
    mem[LSTAR0] = 0xF4; /* hlt */
    memcpy(mem + GD0, gd0, sizeof gd0);
    mem[DBH0] = 0xF4; /* hlt */
    memcpy(mem + GDT, gdt, sizeof gdt);
    uint64_t gate[2] = {(DBH0 & 0xFFFF) | (0x08ull << 16) |
                            (0x8Eull << 40) | ((uint64_t)(DBH0 >> 16) << 48),
                        0};
    memcpy(mem + IDT + 16, gate, sizeof gate);
    memset(mem + CODE0, 0x90, CODE0_NOPS);
    mem[CODE0 + CODE0_NOPS] = 0xF4; /* hlt: an exit without an irqchip */
    struct kvm_userspace_memory_region region = {
        .memory_size = PROBE_MEM, .userspace_addr = (uintptr_t)mem,
    };
    if (kvm_ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        err(STATUS_OSERR, "host probe: KVM_SET_USER_MEMORY_REGION");
    struct probe_vcpu v = {.fd = -1};
    probe_vcpu_new(kvm_fd, vmfd, 0, &v);
    probe_cpl0(v.fd, v.run, a);
    /* Hardware breakpoints on the instruction pmvm traps: KVM accepts
     * KVM_GUESTDBG_USE_HW_BP everywhere, but under QEMU TCG's nested SVM
     * none fires, and on nested PVM one fires on a CPL3 instruction only
     * if that instruction leaves the CPU for the host, as RDPMC does (a
     * NOP's does not). The code triple-faults where nothing stops it,
     * after which a vCPU's state is undefined: the next question gets a
     * new vCPU. */
    unsigned id = 0;
    bool bp_cpl0 = probe_breakpoint(v.fd, v.run, RDPMC0, 0);
    if (!bp_cpl0)
        probe_vcpu_new(kvm_fd, vmfd, ++id, &v);
    bool bp_cpl3 = bp_cpl0 && probe_breakpoint(v.fd, v.run, RDPMC3, 3);
    a->breakpoints_fire = bp_cpl3;
    if (bp_cpl0 && !bp_cpl3)
        probe_vcpu_new(kvm_fd, vmfd, ++id, &v);
    /* Registers first: KVM arms single-step only for the RIP the vCPU has
     * when KVM_SET_GUEST_DEBUG is called (see vm_regs_push()). Does the
     * first NOP give a step exit, or does the UD2 triple-fault first? */
    uint64_t rip = 0;
    probe_enter(v.fd, CODE3, 3);
    probe_debug(v.fd, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP, 0);
    a->steps_cpl3 = probe_step(v.fd, v.run, &rip) == KVM_EXIT_DEBUG &&
                    rip == CODE3 + 1;
    /* Does an RDPMC at CPL0 fault (KVM's own vPMU off, or none), a triple
     * fault with no IDT, or read something and go on to the HLT? On a
     * fresh vCPU: the last question may have triple-faulted. */
    probe_vcpu_new(kvm_fd, vmfd, ++id, &v);
    probe_enter(v.fd, RDPMC0, 0);
    probe_debug(v.fd, 0, 0);
    a->rdpmc_faults = probe_step(v.fd, v.run, &rip) != KVM_EXIT_HLT;
    probe_vcpu_new(kvm_fd, vmfd, ++id, &v);
    a->syscall_enters_cpl0 = probe_syscall(v.fd, v.run);
    probe_vcpu_new(kvm_fd, vmfd, ++id, &v);
    a->gd_to_handler = a->breakpoints_fire && probe_gd(v.fd, v.run, mem);

    munmap(v.run, v.run_size);
    close(v.fd);
    munmap(mem, PROBE_MEM);
    close(vmfd);
}

static const struct host_answers *answers(int kvm_fd)
{
    static struct host_answers a;
    static bool asked;
    if (!asked)
        probe(kvm_fd, &a);
    asked = true;
    return &a;
}

bool host_breakpoints_fire(int kvm_fd)
{
    return answers(kvm_fd)->breakpoints_fire;
}

bool host_steps_cpl3(int kvm_fd)
{
    return answers(kvm_fd)->steps_cpl3;
}

bool host_emulates_cpl0(int kvm_fd, uint64_t *emulated)
{
    const struct host_answers *a = answers(kvm_fd);
    if (emulated)
        *emulated = a->cpl0_emulated;
    return a->emulates_cpl0;
}

bool host_syscall_enters_cpl0(int kvm_fd)
{
    return answers(kvm_fd)->syscall_enters_cpl0;
}

bool host_rdpmc_faults(int kvm_fd)
{
    return answers(kvm_fd)->rdpmc_faults;
}

bool host_gd_to_handler(int kvm_fd)
{
    return answers(kvm_fd)->gd_to_handler;
}
