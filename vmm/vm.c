/* vm.c: opens /dev/kvm, checks capabilities, creates the VM, its RAM and its vCPU. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/x86.h"
#include "vmm/status.h"
#include "vmm/vm.h"

#define SYNC_ALL (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS)

struct required_cap {
    int cap;
    const char *name;
    const char *why;
};

/* Every capability pmvm cannot run without, and what it is needed for. */
static const struct required_cap required_caps[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "the guest's CPUID"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "the watchdog"},
    {KVM_CAP_X86_USER_SPACE_MSR, "KVM_CAP_X86_USER_SPACE_MSR",
     "MSR exits to userspace"},
    {KVM_CAP_X86_MSR_FILTER, "KVM_CAP_X86_MSR_FILTER", "trapping PMU MSRs"},
    {KVM_CAP_SET_GUEST_DEBUG, "KVM_CAP_SET_GUEST_DEBUG", "trapping RDPMC"},
    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", "the local APIC that delivers PMIs"},
    {KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI", "raising PMIs"},
    {KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE", "noticing a halted guest"},
};

/* /dev/kvm opened and its API version checked: the descriptor, or -1
 * with the reason, in one line, in (why). */
static int kvm_dev_open(char *why, size_t len)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(why, len, "cannot open /dev/kvm: %s%s", strerror(e),
                 e == EACCES || e == EPERM
                     ? " (add your user to the kvm group)"
                 : e == ENOENT || e == ENXIO || e == ENODEV
                     ? " (KVM is not available: load the kvm module or "
                       "enable virtualization)"
                     : "");
        return -1;
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version == KVM_API_VERSION)
        return fd;
    if (version < 0)
        snprintf(why, len, "/dev/kvm is not a KVM device "
                 "(KVM_GET_API_VERSION: %s)", strerror(errno));
    else
        snprintf(why, len, "/dev/kvm speaks KVM API version %d, pmvm "
                 "needs %d", version, KVM_API_VERSION);
    close(fd);
    return -1;
}

static void kvm_open(struct vm *vm)
{
    char why[256];
    vm->kvm_fd = kvm_dev_open(why, sizeof why);
    if (vm->kvm_fd < 0)
        errx(STATUS_UNAVAILABLE, "%s", why);
    for (size_t i = 0; i < sizeof required_caps / sizeof required_caps[0];
         i++) {
        const struct required_cap *c = &required_caps[i];
        if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, c->cap) <= 0)
            errx(STATUS_UNAVAILABLE, "/dev/kvm lacks %s, which pmvm needs "
                 "for %s", c->name, c->why);
    }
    int sync = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
    vm->sync_regs = sync > 0 && (sync & SYNC_ALL) == SYNC_ALL;
}

bool vm_kvm_usable(char *why, size_t len)
{
    int fd = kvm_dev_open(why, len);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

static void ram_map(struct vm *vm, uint64_t mem_size)
{
    vm->mem_size = mem_size;
    vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (vm->mem == MAP_FAILED)
        err(STATUS_OSERR, "cannot map %llu MiB of guest RAM",
            (unsigned long long)(mem_size >> 20));
}

void vm_create_ram(struct vm *vm, uint64_t mem_size)
{
    memset(vm, 0, sizeof *vm);
    vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
    ram_map(vm, mem_size);
    /* The register cache is the vCPU: always valid, never fetched. */
    vm->regs_valid = vm->sregs_valid = vm->events_valid = true;
}

/* Guest RAM as KVM's memory slot 0, with (flags). */
static int ram_slot(struct vm *vm, uint32_t flags)
{
    struct kvm_userspace_memory_region region = {
        .slot = 0, .flags = flags,
        .guest_phys_addr = 0, .memory_size = vm->mem_size,
        .userspace_addr = (uint64_t)(uintptr_t)vm->mem,
    };
    return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

static void vm_mem_init(struct vm *vm, uint64_t mem_size)
{
    ram_map(vm, mem_size);
    if (ram_slot(vm, 0) < 0)
        err(STATUS_OSERR, "KVM_SET_USER_MEMORY_REGION");
}

static void vcpu_init(struct vm *vm)
{
    vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
    if (vm->vcpu_fd < 0)
        err(STATUS_OSERR, "KVM_CREATE_VCPU");
    int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < (int)sizeof(struct kvm_run))
        errx(STATUS_OSERR, "KVM_GET_VCPU_MMAP_SIZE returned %d", size);
    vm->run_size = (size_t)size;
    vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   vm->vcpu_fd, 0);
    if (vm->run == MAP_FAILED)
        err(STATUS_OSERR, "cannot map the vCPU's kvm_run");
    if (vm->sync_regs)
        vm->run->kvm_valid_regs = SYNC_ALL;
}

/* The in-kernel local APIC, whose LVTPC delivers PMIs as on real
 * hardware; it must exist before the vCPU. Only the local APIC (a split
 * irqchip) where KVM offers that (Linux 4.4 on): KVM_CREATE_IRQCHIP's PIC
 * and I/O APIC, which pmvm's guests do not use, make every later memslot
 * and MSR-filter change and the teardown wait out SRCU grace periods,
 * about 6 ms of a 13 ms boot (docs/performance.md). */
static void lapic_create(struct vm *vm)
{
    struct kvm_enable_cap split = {.cap = KVM_CAP_SPLIT_IRQCHIP};
    if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &split) < 0 &&
        ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        err(STATUS_OSERR, "KVM_CREATE_IRQCHIP");
}

/* A PC's interrupt hardware for a Linux guest (--machine=linux), all in
 * KVM as Firecracker and kvmtool have it: the two 8259s, the I/O APIC at
 * 0xFEC00000 and the local APIC (KVM_CREATE_IRQCHIP), then the 8254 PIT
 * on ports 0x40-0x43 and 0x61, wired to IRQ 0 (KVM_CREATE_PIT2; a dummy
 * speaker port, as both do). */
static void pc_irqchip_create(struct vm *vm)
{
    if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        err(STATUS_OSERR, "KVM_CREATE_IRQCHIP");
    if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2) <= 0)
        errx(STATUS_UNAVAILABLE, "this host's KVM has no in-kernel PIT "
             "(KVM_CAP_PIT2), which --machine=linux needs");
    struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
    if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
        err(STATUS_OSERR, "KVM_CREATE_PIT2");
}

void vm_create(struct vm *vm, uint64_t mem_size, bool pc_irqchip)
{
    memset(vm, 0, sizeof *vm);
    vm->vm_fd = vm->vcpu_fd = -1;
    kvm_open(vm);
    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0)
        err(STATUS_OSERR, "KVM_CREATE_VM");
    if (pc_irqchip)
        pc_irqchip_create(vm);
    else
        lapic_create(vm);
    vm_mem_init(vm, mem_size);
}

/* Split from vm_create() so that VM-wide set-up (PMU capability, MSR
 * filter) can happen before the vCPU exists, as KVM requires. */
void vm_create_vcpu(struct vm *vm)
{
    vcpu_init(vm);
}

/* A one-page memory slot that lives only inside vm_shadow_flush(), while
 * no vCPU runs, above RAM (--mem is at most 3 GiB). */
#define ZAP_SLOT 1
#define ZAP_GPA (1ull << 36)

void vm_shadow_flush(struct vm *vm)
{
    /* Deleting any memory slot drops every shadow page (x86's
     * kvm_arch_flush_shadow_memslot zaps them all, the default
     * KVM_X86_QUIRK_SLOT_ZAP_ALL), and a slot of one page costs none of
     * the RAM slot's rmap arrays to take away and give back. */
    static uint8_t page[4096] __attribute__((aligned(4096)));
    struct kvm_userspace_memory_region region = {
        .slot = ZAP_SLOT, .guest_phys_addr = ZAP_GPA,
        .memory_size = sizeof page,
        .userspace_addr = (uint64_t)(uintptr_t)page,
    };
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        err(STATUS_OSERR, "KVM_SET_USER_MEMORY_REGION (a slot to delete)");
    region.memory_size = 0;
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        err(STATUS_OSERR, "KVM_SET_USER_MEMORY_REGION (deleting it)");
}

bool vm_dirty_log_start(struct vm *vm)
{
    return ram_slot(vm, KVM_MEM_LOG_DIRTY_PAGES) == 0;
}

void vm_dirty_log(struct vm *vm, uint64_t *bitmap)
{
    struct kvm_dirty_log log = {.slot = 0, .dirty_bitmap = bitmap};
    if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
        err(STATUS_OSERR, "KVM_GET_DIRTY_LOG");
}

void vm_irq_line(struct vm *vm, unsigned irq, bool level)
{
    struct kvm_irq_level line = {.irq = irq, .level = level};
    if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &line) < 0)
        err(STATUS_OSERR, "KVM_IRQ_LINE");
}

void vm_destroy(struct vm *vm)
{
    if (vm->run && vm->run != MAP_FAILED)
        munmap(vm->run, vm->run_size);
    if (vm->mem && vm->mem != MAP_FAILED)
        munmap(vm->mem, vm->mem_size);
    if (vm->vcpu_fd >= 0)
        close(vm->vcpu_fd);
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    memset(vm, 0, sizeof *vm);
}

void *vm_gpa(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    if (gpa > vm->mem_size || len > vm->mem_size - gpa)
        return NULL;
    return vm->mem + gpa;
}

struct kvm_regs *vm_regs(struct vm *vm)
{
    if (vm->sync_active)
        return &vm->run->s.regs.regs;
    if (!vm->regs_valid) {
        if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &vm->regs) < 0)
            err(STATUS_OSERR, "KVM_GET_REGS");
        vm->regs_valid = true;
    }
    return &vm->regs;
}

struct kvm_sregs *vm_sregs(struct vm *vm)
{
    if (vm->sync_active)
        return &vm->run->s.regs.sregs;
    if (!vm->sregs_valid) {
        if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &vm->sregs) < 0)
            err(STATUS_OSERR, "KVM_GET_SREGS");
        vm->sregs_valid = true;
    }
    return &vm->sregs;
}

unsigned vm_cpl(struct vm *vm)
{
    return x86_cpl(vm_sregs(vm)->cr0, vm_regs(vm)->rflags,
                   vm_sregs(vm)->ss.dpl);
}

struct kvm_vcpu_events *vm_events(struct vm *vm)
{
    if (vm->sync_active)
        return &vm->run->s.regs.events;
    if (!vm->events_valid) {
        if (ioctl(vm->vcpu_fd, KVM_GET_VCPU_EVENTS, &vm->events) < 0)
            err(STATUS_OSERR, "KVM_GET_VCPU_EVENTS");
        vm->events_valid = true;
    }
    return &vm->events;
}

void vm_events_dirty(struct vm *vm)
{
    if (vm->sync_active)
        vm->run->kvm_dirty_regs |= KVM_SYNC_X86_EVENTS;
    else
        vm->events_dirty = true;
}

void vm_inject_exception(struct vm *vm, unsigned vector, int error_code)
{
    struct kvm_vcpu_events *e = vm_events(vm);
    /* "injected", not "pending": without KVM_CAP_EXCEPTION_PAYLOAD a
     * pending exception at a hardware breakpoint re-triggers the
     * breakpoint forever (docs/architecture.md). */
    e->exception.injected = 1;
    e->exception.pending = 0;
    e->exception.nr = (uint8_t)vector;
    e->exception.has_error_code = error_code >= 0;
    e->exception.error_code = error_code >= 0 ? (uint32_t)error_code : 0;
    e->flags &= ~(uint32_t)(KVM_VCPUEVENT_VALID_NMI_PENDING |
                            KVM_VCPUEVENT_VALID_SIPI_VECTOR |
                            KVM_VCPUEVENT_VALID_SMM);
    vm_events_dirty(vm);
}

void vm_regs_dirty(struct vm *vm)
{
    if (vm->sync_active)
        vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
    else
        vm->regs_dirty = true;
}

void vm_sregs_dirty(struct vm *vm)
{
    if (vm->sync_active)
        vm->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
    else
        vm->sregs_dirty = true;
}

void vm_regs_flush(struct vm *vm)
{
    if (vm->sync_active)
        return;
    if (vm->regs_dirty && ioctl(vm->vcpu_fd, KVM_SET_REGS, &vm->regs) < 0)
        err(STATUS_OSERR, "KVM_SET_REGS");
    if (vm->sregs_dirty && ioctl(vm->vcpu_fd, KVM_SET_SREGS, &vm->sregs) < 0)
        err(STATUS_OSERR, "KVM_SET_SREGS");
    if (vm->events_dirty &&
        ioctl(vm->vcpu_fd, KVM_SET_VCPU_EVENTS, &vm->events) < 0)
        err(STATUS_OSERR, "KVM_SET_VCPU_EVENTS");
    vm->regs_dirty = vm->sregs_dirty = vm->events_dirty = false;
}

bool vm_regs_push(struct vm *vm)
{
    if (!vm->sync_active) {
        bool regs = vm->regs_dirty;
        vm_regs_flush(vm);
        return regs;
    }
    /* In the order KVM applies run->s itself: regs, sregs, events. */
    struct kvm_sync_regs *s = &vm->run->s.regs;
    uint64_t dirty = vm->run->kvm_dirty_regs;
    if ((dirty & KVM_SYNC_X86_REGS) &&
        ioctl(vm->vcpu_fd, KVM_SET_REGS, &s->regs) < 0)
        err(STATUS_OSERR, "KVM_SET_REGS");
    if ((dirty & KVM_SYNC_X86_SREGS) &&
        ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s->sregs) < 0)
        err(STATUS_OSERR, "KVM_SET_SREGS");
    if ((dirty & KVM_SYNC_X86_EVENTS) &&
        ioctl(vm->vcpu_fd, KVM_SET_VCPU_EVENTS, &s->events) < 0)
        err(STATUS_OSERR, "KVM_SET_VCPU_EVENTS");
    vm->run->kvm_dirty_regs = 0;
    return dirty & KVM_SYNC_X86_REGS;
}

bool vm_msr(struct vm *vm, bool set, uint32_t msr, uint64_t *val)
{
    struct {
        struct kvm_msrs head;
        struct kvm_msr_entry e;
    } m = {.head = {.nmsrs = 1}, .e = {.index = msr, .data = *val}};

    if (ioctl(vm->vcpu_fd, set ? KVM_SET_MSRS : KVM_GET_MSRS, &m) != 1)
        return false;
    *val = m.e.data;
    return true;
}

void vm_debugregs(struct vm *vm, bool set, struct kvm_debugregs *d)
{
    if (ioctl(vm->vcpu_fd, set ? KVM_SET_DEBUGREGS : KVM_GET_DEBUGREGS, d) < 0)
        err(STATUS_OSERR, set ? "KVM_SET_DEBUGREGS" : "KVM_GET_DEBUGREGS");
}

void vm_regs_invalidate(struct vm *vm)
{
    vm->regs_valid = vm->sregs_valid = vm->events_valid = false;
    /* From the first exit on, KVM fills run->s for us. */
    vm->sync_active = vm->sync_regs;
}

bool vm_kvm_pmu_disable(struct vm *vm)
{
    int caps = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
                     KVM_CAP_PMU_CAPABILITY);
    if (caps <= 0 || !(caps & KVM_PMU_CAP_DISABLE))
        return false;
    struct kvm_enable_cap cap = {
        .cap = KVM_CAP_PMU_CAPABILITY,
        .args = {KVM_PMU_CAP_DISABLE},
    };
    return ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) == 0;
}
