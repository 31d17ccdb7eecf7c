/* raw_kvm.c: the floor: runs a benchmark guest's bytes on /dev/kvm doing nothing but KVM_RUN and completing each exit. */
#include <err.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * usage: raw_kvm [--step | --rdpmc-bp] [--sync-regs[=MASK]]
 *                [--irqchip[=full]] [--guest-debug] IMAGE.bin
 *
 * IMAGE.bin is a bench/guests image as a flat binary: it is loaded at
 * 1 MiB and entered in 64-bit mode at 1 MiB + 16 (boot.S), with the
 * tables of host-kvm-facts.md section 10. The guest's COM1 bytes go to
 * standard output; a write to port 0xF4 ends the run with that status.
 *
 * Nothing is done per exit but what the exit needs: an RDMSR of a
 * filtered MSR reads 0, a WRMSR is dropped, a debug exit is resumed.
 * --step single-steps from the first instruction (the raw step loop);
 * --rdpmc-bp is the floor of the breakpoint path: a hardware breakpoint
 * on each of rdpmc.S's four RDPMCs, emulated as reading 0 (RIP += 2,
 * through KVM_CAP_SYNC_REGS). The others add, one at a time, what pmvm
 * adds, to attribute its cost: --sync-regs[=MASK] asks KVM for REGS (1),
 * SREGS (2) and EVENTS (4) in kvm_run at every exit (all three by
 * default, as pmvm does), --irqchip gives the VM an in-kernel local APIC
 * as pmvm does (a split irqchip; --irqchip=full: KVM_CREATE_IRQCHIP's
 * PIC, I/O APIC and local APIC), and --guest-debug enables hardware
 * breakpoints with none set.
 */

#define MEM_SIZE (64ul << 20)
#define LOAD_ADDR 0x100000ul
#define ENTRY64 (LOAD_ADDR + 16)
#define STACK_TOP 0x80000ul
#define GDT 0x1000ul
#define PML4 0x3000ul
#define PDPT 0x4000ul
#define PD 0x5000ul
#define TSS 0x6000ul
#define COM1 0x3F8
#define EXIT_PORT 0xF4
#define TIMEOUT_S 60
#define RDPMC_SITES 0x100800ul /* bench/guests/bench.h */
#define RDPMC_NSITES 4
#define RDPMC_STRIDE 3         /* RDPMC, NOP */
#define RFLAGS_RF (1ul << 16)

struct options {
    bool step, rdpmc_bp, guest_debug;
    int irqchip; /* 0 none, 1 the local APIC (split), 2 KVM_CREATE_IRQCHIP */
    unsigned sync_regs;
    const char *image;
};

/* The PMU MSRs the guests touch, denied (so sent here) for both reads
 * and writes, as pmvm's filter does. */
static const struct { uint32_t base, n; } filtered[] = {
    {0x309, 4},   /* fixed counters */
    {0x38D, 3},   /* FIXED_CTR_CTRL, GLOBAL_STATUS, GLOBAL_CTRL */
};

static void options_parse(struct options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--step") == 0)
            o->step = true;
        else if (strcmp(argv[i], "--rdpmc-bp") == 0)
            o->rdpmc_bp = true;
        else if (strcmp(argv[i], "--sync-regs") == 0)
            o->sync_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS |
                           KVM_SYNC_X86_EVENTS;
        else if (strncmp(argv[i], "--sync-regs=", 12) == 0)
            o->sync_regs = (unsigned)strtoul(argv[i] + 12, NULL, 0) & 7;
        else if (strcmp(argv[i], "--irqchip") == 0)
            o->irqchip = 1;
        else if (strcmp(argv[i], "--irqchip=full") == 0)
            o->irqchip = 2;
        else if (strcmp(argv[i], "--guest-debug") == 0)
            o->guest_debug = true;
        else if (argv[i][0] == '-' || o->image)
            errx(64, "usage: raw_kvm [--step | --rdpmc-bp] "
                 "[--sync-regs[=MASK]] [--irqchip[=full]] [--guest-debug] "
                 "IMAGE.bin");
        else
            o->image = argv[i];
    }
    if (!o->image)
        errx(64, "raw_kvm: no image given");
    if (o->step && o->rdpmc_bp)
        errx(64, "raw_kvm: --step and --rdpmc-bp exclude each other");
}

static void image_load(uint8_t *mem, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        err(66, "cannot open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        err(66, "cannot stat %s", path);
    if (st.st_size <= 16 || (uint64_t)st.st_size > MEM_SIZE / 2)
        errx(65, "%s: %lld bytes is not a benchmark image", path,
             (long long)st.st_size);
    for (size_t done = 0; done < (size_t)st.st_size;) {
        ssize_t n = read(fd, mem + LOAD_ADDR + done,
                         (size_t)st.st_size - done);
        if (n <= 0)
            err(66, "cannot read %s", path);
        done += (size_t)n;
    }
    close(fd);
}

/* GDT, TSS and an identity map of the first GiB (host-kvm-facts.md 10). */
static void tables_write(uint8_t *mem)
{
    uint64_t *gdt = (uint64_t *)(mem + GDT);
    gdt[1] = 0x00AF9B000000FFFF;             /* 0x08 code64 */
    gdt[2] = 0x00CF93000000FFFF;             /* 0x10 data */
    gdt[5] = 0x00008B0000000067 | (TSS << 16);  /* 0x28 TSS, base < 16 MiB */
    uint64_t *pml4 = (uint64_t *)(mem + PML4);
    uint64_t *pdpt = (uint64_t *)(mem + PDPT);
    uint64_t *pd = (uint64_t *)(mem + PD);
    pml4[0] = PDPT | 3;
    pdpt[0] = PD | 3;
    for (uint64_t i = 0; i < 512; i++)
        pd[i] = (i << 21) | 0x83;
    *(uint32_t *)(mem + TSS + 4) = STACK_TOP;
    *(uint16_t *)(mem + TSS + 102) = 104;
}

static void long_mode_enter(int vcpu)
{
    struct kvm_sregs s;
    if (ioctl(vcpu, KVM_GET_SREGS, &s) < 0)
        err(71, "KVM_GET_SREGS");
    struct kvm_segment code = {
        .base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 11,
        .present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
    };
    struct kvm_segment data = {
        .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 3,
        .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
    };
    s.cs = code;
    s.ds = s.es = s.fs = s.gs = s.ss = data;
    s.tr = (struct kvm_segment){
        .base = TSS, .limit = 0x67, .selector = 0x28, .type = 11,
        .present = 1, .s = 0,
    };
    s.gdt.base = GDT;
    s.gdt.limit = 63;
    s.idt.base = 0;
    s.idt.limit = 0;
    s.cr0 = 0x80010033;
    s.cr3 = PML4;
    s.cr4 = 0x620;
    s.efer = 0x501;
    if (ioctl(vcpu, KVM_SET_SREGS, &s) < 0)
        err(71, "KVM_SET_SREGS");
    struct kvm_regs r = {.rip = ENTRY64, .rsp = STACK_TOP, .rflags = 2};
    if (ioctl(vcpu, KVM_SET_REGS, &r) < 0)
        err(71, "KVM_SET_REGS");
}

static void msr_filter_install(int vm)
{
    struct kvm_enable_cap cap = {
        .cap = KVM_CAP_X86_USER_SPACE_MSR,
        .args = {KVM_MSR_EXIT_REASON_FILTER},
    };
    if (ioctl(vm, KVM_ENABLE_CAP, &cap) < 0)
        err(69, "KVM_CAP_X86_USER_SPACE_MSR");
    static uint8_t deny[8];
    struct kvm_msr_filter f = {.flags = KVM_MSR_FILTER_DEFAULT_ALLOW};
    for (size_t i = 0; i < sizeof filtered / sizeof filtered[0]; i++)
        f.ranges[i] = (struct kvm_msr_filter_range){
            .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
            .nmsrs = filtered[i].n,
            .base = filtered[i].base,
            .bitmap = deny,
        };
    if (ioctl(vm, KVM_X86_SET_MSR_FILTER, &f) < 0)
        err(69, "KVM_X86_SET_MSR_FILTER");
}

/* A breakpoint on each RDPMC of rdpmc.S, whose bytes must be there. */
static void rdpmc_bp_arm(const uint8_t *mem, struct kvm_guest_debug *dbg)
{
    for (unsigned i = 0; i < RDPMC_NSITES; i++) {
        uint64_t site = RDPMC_SITES + RDPMC_STRIDE * i;
        if (mem[site] != 0x0f || mem[site + 1] != 0x33)
            errx(65, "--rdpmc-bp: no RDPMC at 0x%lx: not rdpmc.bin",
                 (unsigned long)site);
        dbg->arch.debugreg[i] = site;
        dbg->arch.debugreg[7] |= 1ul << (2 * i);
    }
}

/* What pmvm's breakpoint path must do at least: RDPMC reads 0 here. */
static void rdpmc_emulate(struct kvm_run *r)
{
    struct kvm_regs *regs = &r->s.regs.regs;
    if (regs->rip < RDPMC_SITES ||
        regs->rip >= RDPMC_SITES + RDPMC_STRIDE * RDPMC_NSITES)
        errx(70, "raw_kvm: debug exit at 0x%llx, not at an RDPMC",
             (unsigned long long)regs->rip);
    regs->rax = regs->rdx = 0;
    regs->rip += 2;
    regs->rflags &= ~RFLAGS_RF;
    r->kvm_dirty_regs = KVM_SYNC_X86_REGS;
}

/* The loop this program exists for. Returns the guest's exit status. */
static int run(int vcpu, struct kvm_run *r, bool rdpmc_bp)
{
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0)
            err(71, "KVM_RUN");
        switch (r->exit_reason) {
        case KVM_EXIT_X86_RDMSR:
            r->msr.data = 0;
            r->msr.error = 0;
            break;
        case KVM_EXIT_X86_WRMSR:
            break;
        case KVM_EXIT_DEBUG:
            if (rdpmc_bp)
                rdpmc_emulate(r);
            break;
        case KVM_EXIT_IO: {
            uint8_t *data = (uint8_t *)r + r->io.data_offset;
            if (r->io.direction == KVM_EXIT_IO_OUT && r->io.port == COM1)
                putchar(*data);
            else if (r->io.direction == KVM_EXIT_IO_OUT &&
                     r->io.port == EXIT_PORT)
                return *data;
            else if (r->io.direction == KVM_EXIT_IO_IN)
                memset(data, 0xff, (size_t)r->io.size * r->io.count);
            break;
        }
        case KVM_EXIT_HLT:
            return 0;
        default:
            errx(70, "raw_kvm: unexpected exit %u", r->exit_reason);
        }
    }
}

int main(int argc, char **argv)
{
    struct options o;
    options_parse(&o, argc, argv);
    alarm(TIMEOUT_S); /* a guest stuck inside KVM_RUN ends here */

    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        err(69, "/dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        err(71, "KVM_CREATE_VM");
    struct kvm_enable_cap split = {.cap = KVM_CAP_SPLIT_IRQCHIP};
    if (o.irqchip == 1 && ioctl(vm, KVM_ENABLE_CAP, &split) < 0)
        err(71, "KVM_CAP_SPLIT_IRQCHIP");
    if (o.irqchip == 2 && ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
        err(71, "KVM_CREATE_IRQCHIP");
    uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
        err(71, "mmap");
    struct kvm_userspace_memory_region region = {
        .memory_size = MEM_SIZE, .userspace_addr = (uintptr_t)mem,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        err(71, "KVM_SET_USER_MEMORY_REGION");
    msr_filter_install(vm);

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        err(71, "KVM_CREATE_VCPU");
    int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < (int)sizeof(struct kvm_run))
        errx(71, "KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *r = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                             MAP_SHARED, vcpu, 0);
    if (r == MAP_FAILED)
        err(71, "mmap kvm_run");

    image_load(mem, o.image);
    tables_write(mem);
    long_mode_enter(vcpu);
    r->kvm_valid_regs = o.sync_regs | (o.rdpmc_bp ? KVM_SYNC_X86_REGS : 0);
    if (o.step || o.rdpmc_bp || o.guest_debug) {
        struct kvm_guest_debug dbg = {
            .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP |
                       (o.step ? KVM_GUESTDBG_SINGLESTEP : 0),
        };
        if (o.rdpmc_bp)
            rdpmc_bp_arm(mem, &dbg);
        if (ioctl(vcpu, KVM_SET_GUEST_DEBUG, &dbg) < 0)
            err(71, "KVM_SET_GUEST_DEBUG");
    }

    int status = run(vcpu, r, o.rdpmc_bp);
    fflush(stdout);
    return status;
}
