/* machine.c: one run of a guest from its parsed configuration: the VM set up in KVM's order, run to its end, torn down. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmm/boot.h"
#include "vmm/host_probe.h"
#include "vmm/linux_boot.h"
#include "vmm/machine.h"
#include "vmm/mptable.h"
#include "vmm/pmvm.h"
#include "vmm/sandbox.h"
#include "vmm/status.h"
#include "vmm/vpmu/cpuid.h"
#include "vmm/vpmu/msr.h"
#include "vmm/vpmu/trap.h"

/* Read a whole file (what: "image" or "initrd", for messages); its size
 * is checked against guest RAM first so a huge file is refused before it
 * is read. */
static uint8_t *file_read(const char *what, const char *path, uint64_t mem,
                          size_t *len)
{
    /* Non-blocking: a FIFO without a writer would block open() itself,
     * before the watchdog runs; only a regular file is read. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        err(STATUS_NOINPUT, "cannot open %s %s", what, path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        err(STATUS_NOINPUT, "cannot stat %s %s", what, path);
    if (!S_ISREG(st.st_mode))
        errx(STATUS_NOINPUT, "%s %s is not a regular file", what, path);
    if ((uint64_t)st.st_size > mem)
        errx(STATUS_DATAERR, "%s %s is %lld bytes, larger than guest RAM "
             "(%llu MiB): use a larger --mem", what, path,
             (long long)st.st_size, (unsigned long long)(mem >> 20));
    *len = (size_t)st.st_size;
    uint8_t *buf = malloc(*len ? *len : 1);
    if (!buf)
        err(STATUS_OSERR, "malloc");
    size_t done = 0;
    while (done < *len) {
        ssize_t n = read(fd, buf + done, *len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            err(STATUS_NOINPUT, "cannot read %s %s", what, path);
        if (n == 0)
            errx(STATUS_NOINPUT, "%s %s shrank while being read", what,
                 path);
        done += (size_t)n;
    }
    close(fd);
    return buf;
}

/* The Multiboot module: the --initrd file, then the --env lines. */
static uint8_t *module_build(const struct run_config *o, size_t *len)
{
    size_t file_len = 0;
    uint8_t *file = o->initrd ? file_read("initrd", o->initrd, o->mem,
                                          &file_len)
                              : NULL;
    *len = file_len + o->env_len;
    if (!*len) {
        free(file);
        return NULL;
    }
    uint8_t *m = realloc(file, *len);
    if (!m)
        err(STATUS_OSERR, "realloc");
    if (o->env_len)
        memcpy(m + file_len, o->env, o->env_len);
    return m;
}

/* COM1's interrupt output, wired to the 8259's IRQ 4 as on a PC. */
static void com1_irq(void *ctx, bool level)
{
    pic_set_irq(&((struct pmvm *)ctx)->pic, SERIAL_IRQ, level);
}

/* A device's ISA interrupt line into KVM's 8259s and I/O APIC. */
static void kvm_isa_irq(void *ctx, unsigned irq, bool level)
{
    vm_irq_line(&((struct pmvm *)ctx)->vm, irq, level);
}

static void com1_kvm_irq(void *ctx, bool level)
{
    kvm_isa_irq(ctx, SERIAL_IRQ, level);
}

/* The keyboard controller's lines: KVM's, or the 8259 pmvm models. */
static void i8042_pic_irq(void *ctx, unsigned irq, bool level)
{
    pic_set_irq(&((struct pmvm *)ctx)->pic, irq, level);
}

static time_t host_time(void)
{
    return time(NULL);
}

/* --machine=linux's own devices: the RTC and the keyboard controller,
 * whose reset ends the run with status 0 (as QEMU's -no-reboot). */
static bool linux_devices_attach(struct pmvm *p)
{
    rtc_init(&p->rtc, host_time);
    i8042_init(&p->i8042, STATUS_OK,
               p->pc_irqchip ? kvm_isa_irq : i8042_pic_irq, p);
    return rtc_attach(&p->rtc, &p->bus) && i8042_attach(&p->i8042, &p->bus);
}

/* The devices on the port bus; kvm-unit-tests' runner gives
 * isa-debug-exit four ports (iosize=4), pmvm's guest ABI one. */
static void devices_attach(struct pmvm *p, const struct run_config *cfg)
{
    bus_init(&p->bus);
    pic_init(&p->pic);
    /* With KVM's irqchip its 8259s answer their ports themselves. */
    serial_connect_irq(&p->serial, p->pc_irqchip ? com1_kvm_irq : com1_irq,
                       p);
    if (!serial_attach(&p->serial, &p->bus) ||
        !exit_port_attach(&p->exit_port, &p->bus,
                          cfg->exit_code == EXIT_CODE_QEMU, cfg->trace,
                          cfg->machine == MACHINE_PC ? 4 : 1) ||
        !fw_cfg_attach(&p->fw_cfg, &p->bus) ||
        (!p->pc_irqchip && !pic_attach(&p->pic, &p->bus)) ||
        (p->machine == MACHINE_LINUX && !linux_devices_attach(p)))
        errx(STATUS_SOFTWARE, "two devices claim the same port");
}

/* The image read and checked before KVM is touched, so that a bad one
 * is refused whatever /dev/kvm is: a Multiboot image if it has the
 * header, else a Linux kernel (p->linux_kernel.vmlinux set). */
static uint8_t *image_load(struct pmvm *p, const struct run_config *cfg)
{
    size_t len;
    uint8_t *image = file_read("image", cfg->image, cfg->mem, &len);
    char why[256], why_linux[256];
    int multiboot = loader_is_multiboot(image, len);
    if (loader_parse(image, len, cfg->mem, &p->image, why, sizeof why) == 0)
        return image;
    if (multiboot)
        errx(STATUS_DATAERR, "%s: %s", cfg->image, why);
    int r = linux_image_parse(image, len, &p->linux_kernel, why_linux,
                              sizeof why_linux);
    if (r < 0)
        errx(STATUS_DATAERR, "%s: %s", cfg->image, why_linux);
    if (r == 0)
        errx(STATUS_DATAERR, "%s: %s, nor a Linux kernel (no bzImage "
             "setup header, no x86-64 ELF)", cfg->image, why);
    memset(&p->image, 0, sizeof(p->image));
    return image;
}

/* A Linux kernel runs on --machine=linux, which it implies; that
 * machine is for nothing else. */
static void machine_choose(struct pmvm *p, const struct run_config *cfg,
                           bool linux_kernel, uint8_t *image,
                           uint8_t *module_data)
{
    const char *bad = NULL;

    if (linux_kernel && cfg->machine_given && cfg->machine != MACHINE_LINUX)
        bad = "is a Linux kernel, which runs on --machine=linux";
    else if (!linux_kernel && cfg->machine == MACHINE_LINUX)
        bad = "is a Multiboot image; --machine=linux is for a Linux kernel";
    if (bad) {
        free(image);
        free(module_data);
        linux_image_free(&p->linux_kernel);
        errx(STATUS_USAGE, "%s %s", cfg->image, bad);
    }
    if (linux_kernel)
        p->machine = MACHINE_LINUX;
}

/* A Linux kernel boots where KVM takes a SYSCALL from CPL3 into CPL0
 * only; elsewhere (nested PVM: user mode runs natively there, and its
 * SYSCALL goes on at LSTAR still at CPL3) its first process dies at its
 * first system call. Said in one line before the boot, which goes on:
 * the kernel's own messages are still worth having. */
static void linux_host_check(struct pmvm *p)
{
    if (!host_syscall_enters_cpl0(p->vm.kvm_fd) && !p->syscall_catch.on)
        fprintf(stderr, "pmvm: this host's KVM does not take a SYSCALL "
                "from CPL3 into the guest's kernel (as on nested PVM), so "
                "the kernel boots but its user space cannot make a system "
                "call (docs/cli.md, \"Linux kernels\")\n");
}

/* The MP table, where Linux finds the I/O APIC and the IRQs' pins (with
 * acpi=off; with ACPI it would look for tables pmvm does not write). */
static void mptable_setup(struct pmvm *p)
{
    uint32_t leaf1[4] = {0};

    cpuid_lookup(p, 0, 1, 0, leaf1);
    if (!mptable_write(vm_gpa(&p->vm, MPTABLE_AT, 0x400), 0x400, leaf1[0],
                       leaf1[3]))
        errx(STATUS_SOFTWARE, "the MP table does not fit in its KiB");
}

/* The VM in the order KVM needs: VM-wide settings before the vCPU,
 * CPUID before the first run, the traps once the image is in RAM. */
static void vm_setup(struct pmvm *p, const struct run_config *cfg,
                     const uint8_t *image)
{
    vm_create(&p->vm, cfg->mem, p->pc_irqchip);
    bool kvm_pmu_off = vm_kvm_pmu_disable(&p->vm);
    if (p->trace)
        fprintf(stderr, "pmvm: trace: KVM's own vPMU %s\n", kvm_pmu_off
                ? "switched off (KVM_CAP_PMU_CAPABILITY)"
                : "cannot be switched off here (no KVM_CAP_PMU_CAPABILITY)");
    msr_filter_install(p);
    vm_create_vcpu(&p->vm);
    cpuid_setup(p);
    loader_copy(&p->image, image, p->vm.mem);
    bridge_setup(p, cfg->count_step, cfg->cpl0);
    if (p->machine == MACHINE_LINUX && p->bridge.cpl0)
        cpuid_hide_vector(p);
    syscall_catch_setup(p);
    trap_setup(p, cfg->trap, image);
    dr_catch_setup(p);
}

/* Without KVM the engine is the CPU: RAM, the engine's CPUID under the
 * model's leaves, the image. No KVM call is made. */
static void vm_setup_engine(struct pmvm *p, const struct run_config *cfg,
                            const uint8_t *image)
{
    vm_create_ram(&p->vm, cfg->mem);
    cpuid_setup_engine(p);
    loader_copy(&p->image, image, p->vm.mem);
}

/* --accel: auto takes KVM where /dev/kvm answers, and says so when it
 * does not. */
static bool engine_chosen(const struct run_config *cfg)
{
    char why[256];

    if (cfg->accel != ACCEL_AUTO) {
        if (cfg->trace && cfg->accel == ACCEL_ENGINE)
            fprintf(stderr, "pmvm: trace: the engine is the CPU "
                    "(--accel=engine): no KVM\n");
        return cfg->accel == ACCEL_ENGINE;
    }
    if (vm_kvm_usable(why, sizeof why))
        return false;
    const char *kvm_only = run_config_needs_kvm(cfg);
    if (kvm_only)
        errx(STATUS_UNAVAILABLE, "%s, and %s needs KVM", why, kvm_only);
    fprintf(stderr, "pmvm: %s: the guest runs in pmvm's engine "
            "(--accel=engine)\n", why);
    if (cfg->trace)
        fprintf(stderr, "pmvm: trace: the engine is the CPU: no KVM\n");
    return true;
}

int vmm_run(const struct run_config *cfg)
{
    static struct pmvm p;
    p.pmu = pmu_create(&cfg->pmu_model);
    if (!p.pmu)
        errx(STATUS_OSERR, "cannot allocate the PMU model");
    p.trace = cfg->trace;
    p.trace_all = cfg->trace_all;
    p.machine = cfg->machine;
    uint8_t *image = image_load(&p, cfg);
    bool linux_kernel = p.linux_kernel.vmlinux != NULL;
    struct boot_module module = {0};
    uint8_t *module_data = module_build(cfg, &module.len);
    module.data = module_data;
    const char *kernel_cmdline = cfg->append ? cfg->append : "";
    machine_choose(&p, cfg, linux_kernel, image, module_data);
    if (linux_kernel) {
        char why[256];
        int bad = 0;
        if (cfg->env_len) {
            snprintf(why, sizeof why, "--env is kvm-unit-tests', for a "
                     "Multiboot image; %s is a Linux kernel", cfg->image);
            bad = STATUS_USAGE;
        } else if (linux_boot_check(&p.linux_kernel, cfg->mem, module.len,
                                    kernel_cmdline, why, sizeof why) < 0) {
            bad = STATUS_DATAERR;
        }
        if (bad) {
            /* freed first: a refused kernel leaves nothing behind */
            free(image);
            free(module_data);
            linux_image_free(&p.linux_kernel);
            if (bad == STATUS_USAGE)
                errx(bad, "%s", why);
            errx(bad, "%s: %s", cfg->image, why);
        }
    }

    bool engine = engine_chosen(cfg);
    /* On KVM a kernel gets a PC's interrupt hardware in KVM; the engine
     * as the CPU keeps its own local APIC and pmvm's 8259s, and has no
     * PIT or I/O APIC. */
    p.pc_irqchip = p.machine == MACHINE_LINUX && !engine;
    if (engine)
        vm_setup_engine(&p, cfg, image);
    else
        vm_setup(&p, cfg, image);
    free(image);
    if (linux_kernel && !engine)
        linux_host_check(&p);
    if (linux_kernel)
        linux_boot(&p.vm, &p.linux_kernel, kernel_cmdline, module.data,
                   module.len);
    else
        boot_multiboot(&p.vm, &p.image, cfg->cmdline, &module);
    if (p.pc_irqchip)
        mptable_setup(&p);
    linux_image_free(&p.linux_kernel);
    if (engine)
        engine_cpu_setup(&p);
    free(module_data);
    fw_cfg_init(&p.fw_cfg, cfg->mem);

    /* A reader that goes away is a failed write (EPIPE, said in one
     * line), not a signal that ends pmvm mid-sentence. */
    signal(SIGPIPE, SIG_IGN);
    console_init(&p.console, STDOUT_FILENO);
    console_in_init(&p.console_in,
                    p.machine == MACHINE_LINUX ? STDIN_FILENO : -1);
    serial_init(&p.serial, console_putc, &p.console);
    devices_attach(&p, cfg);

    if (cfg->sandbox)
        sandbox_install();
    /* A Linux guest runs as long as its user wants (a shell), unless
     * --timeout says otherwise. */
    double timeout = p.machine == MACHINE_LINUX && !cfg->timeout_given
                         ? 0 : cfg->timeout;
    int status = vcpu_run(&p, timeout);
    console_in_restore(&p.console_in);
    rdpmc_trace_flush(&p);
    if (p.trace && !engine)
        vcpu_print_exit_counts(&p);
    bridge_teardown(&p);
    engine_cpu_teardown(&p);
    vm_destroy(&p.vm);
    pmu_destroy(p.pmu);
    return status;
}
