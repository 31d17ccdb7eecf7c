/* cpuid.c: the CPUID the guest sees: KVM's supported leaves (or the engine's, without KVM), with vendor, signature and PMU leaves from the CPU model. */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86.h"
#include "engine/engine.h"
#include "pmu/pmu.h"
#include "vmm/vpmu/cpuid.h"
#include "vmm/status.h"

#define CPUID_MAX_ENTRIES 256
#define B(n) (1u << (n))
#define LEAF1_ECX_PDCM (1u << 15)
#define LEAF_PMU 0xAu
#define LEAF_PMU_EXT 0x23u
#define LEAF_PMU_EXT_SUBLEAVES 6u
#define LEAF_CORE_TYPE 0x1Au
#define LEAF7_EDX_HYBRID (1u << 15)
#define LEAF7_EBX_HLE (1u << 4)
#define LEAF7_EBX_RTM (1u << 11)

struct cpuid_table {
    struct kvm_cpuid2 head;
    struct kvm_cpuid_entry2 entries[CPUID_MAX_ENTRIES];
};

static void cpuid_supported(int kvm_fd, struct cpuid_table *t)
{
    t->head.nent = CPUID_MAX_ENTRIES;
    if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, &t->head) < 0)
        err(STATUS_OSERR, "KVM_GET_SUPPORTED_CPUID");
}

static struct kvm_cpuid_entry2 *entry_get(struct cpuid_table *t,
                                          uint32_t leaf, uint32_t subleaf)
{
    for (uint32_t i = 0; i < t->head.nent; i++) {
        struct kvm_cpuid_entry2 *e = &t->entries[i];
        if (e->function == leaf && (e->index == subleaf ||
            !(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)))
            return e;
    }
    if (t->head.nent == CPUID_MAX_ENTRIES)
        errx(STATUS_SOFTWARE, "more than %d CPUID entries",
             CPUID_MAX_ENTRIES);
    struct kvm_cpuid_entry2 *e = &t->entries[t->head.nent++];
    memset(e, 0, sizeof *e);
    e->function = leaf;
    e->index = subleaf;
    if (leaf == LEAF_PMU_EXT || leaf == 7)
        e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
    return e;
}

static void entries_remove(struct cpuid_table *t, uint32_t leaf)
{
    uint32_t out = 0;
    for (uint32_t i = 0; i < t->head.nent; i++)
        if (t->entries[i].function != leaf)
            t->entries[out++] = t->entries[i];
    t->head.nent = out;
}

static void regs_put(struct kvm_cpuid_entry2 *e, const uint32_t r[4])
{
    e->eax = r[0], e->ebx = r[1], e->ecx = r[2], e->edx = r[3];
}

/* The model's vendor, signature, PDCM and PMU leaves over a base table
 * (KVM's supported CPUID, or the engine's own). */
static void model_overlay(struct pmvm *p, struct cpuid_table *t)
{
    struct kvm_cpuid_entry2 *l0 = entry_get(t, 0, 0);
    const char *vendor = pmu_vendor(p->pmu); /* 12 characters */
    memcpy(&l0->ebx, vendor, 4);
    memcpy(&l0->edx, vendor + 4, 4);
    memcpy(&l0->ecx, vendor + 8, 4);

    struct kvm_cpuid_entry2 *l1 = entry_get(t, 1, 0);
    l1->eax = pmu_cpuid1_eax(p->pmu);
    l1->ecx = (l1->ecx & ~LEAF1_ECX_PDCM) |
              (pmu_pdcm(p->pmu) ? LEAF1_ECX_PDCM : 0);

    uint32_t r[4];
    if (!pmu_cpuid(p->pmu, LEAF_PMU, 0, r))
        memset(r, 0, sizeof r);
    regs_put(entry_get(t, LEAF_PMU, 0), r);

    /* A hybrid part's vCPU is of one core type: leaf 0x1A says which,
     * and leaf 7 EDX[15] that the part is hybrid (native policy only:
     * KVM gives hybrid hosts no vPMU and does not pass the bit [I]). */
    const struct pmu_model *m = pmu_get_model(p->pmu);
    entries_remove(t, LEAF_CORE_TYPE);
    if (pmu_cpuid(p->pmu, LEAF_CORE_TYPE, 0, r))
        regs_put(entry_get(t, LEAF_CORE_TYPE, 0), r);
    struct kvm_cpuid_entry2 *l7 = entry_get(t, 7, 0);
    l7->edx = (l7->edx & ~LEAF7_EDX_HYBRID) |
              (m->hybrid && m->policy == PMU_POLICY_NATIVE ? LEAF7_EDX_HYBRID
                                                           : 0);
    /* No TSX where KVM lets pmvm say so: the engine begins no
     * transaction (docs/counting.md, "Transactions"). */
    l7->ebx &= ~(LEAF7_EBX_HLE | LEAF7_EBX_RTM);

    entries_remove(t, LEAF_PMU_EXT);
    for (uint32_t sub = 0; sub < LEAF_PMU_EXT_SUBLEAVES; sub++)
        if (pmu_cpuid(p->pmu, LEAF_PMU_EXT, sub, r))
            regs_put(entry_get(t, LEAF_PMU_EXT, sub), r);
    /* The model's highest leaf where it names one (a real CPU's); else
     * never below the base's, so the guest keeps every leaf it offers. */
    l0 = entry_get(t, 0, 0);
    if (m->max_leaf || l0->eax < pmu_model_max_leaf(m))
        l0->eax = pmu_model_max_leaf(m);
}

#define LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define LEAF1_ECX_HYPERVISOR (1u << 31)

/* What a Linux guest is told of its platform (--machine=linux), as QEMU
 * and Firecracker tell it: that it runs on a hypervisor, and the local
 * APIC's TSC-deadline mode where KVM has it (KVM_GET_SUPPORTED_CPUID
 * leaves that bit to userspace, api.rst). KVM's own leaves from
 * 0x40000000 (its paravirtual clock) stay as KVM offers them. */
static void linux_platform_bits(struct pmvm *p, struct cpuid_table *t)
{
    struct kvm_cpuid_entry2 *l1 = entry_get(t, 1, 0);

    l1->ecx |= LEAF1_ECX_HYPERVISOR;
    if (ioctl(p->vm.kvm_fd, KVM_CHECK_EXTENSION,
              KVM_CAP_TSC_DEADLINE_TIMER) > 0)
        l1->ecx |= LEAF1_ECX_TSC_DEADLINE;
}

/* The guest's CPUID under KVM, as KVM took it. */
static struct cpuid_table kvm_cpuid;

void cpuid_setup(struct pmvm *p)
{
    cpuid_supported(p->vm.kvm_fd, &kvm_cpuid);
    model_overlay(p, &kvm_cpuid);
    if (p->machine == MACHINE_LINUX)
        linux_platform_bits(p, &kvm_cpuid);

    if (ioctl(p->vm.vcpu_fd, KVM_SET_CPUID2, &kvm_cpuid.head) < 0)
        err(STATUS_OSERR, "KVM_SET_CPUID2");
    /* What the guest really sees: KVM may have changed entries (nested PVM
     * ORs host bits into leaves 1 and 7, host-kvm-facts 5). KVM keeps as
     * many entries as it was given, and some kernels (Linux 6.1) report
     * nent only on failure: ask for exactly that many. */
    if (ioctl(p->vm.vcpu_fd, KVM_GET_CPUID2, &kvm_cpuid.head) < 0)
        err(STATUS_OSERR, "KVM_GET_CPUID2");
    p->cpuid = &kvm_cpuid.head;
    /* Nested PVM puts the host's HLE and RTM back: then the event
     * selects have IN_TX and IN_TXCP, as KVM derives them from the
     * guest's CPUID (intel_pmu_refresh). */
    uint32_t r7[4];
    pmu_set_tsx(p->pmu, cpuid_lookup(p, 0, 7, 0, r7) &&
                            (r7[1] & (LEAF7_EBX_HLE | LEAF7_EBX_RTM)));
}

/*
 * The vector extensions beyond SSE2, which the kernel uses in its own
 * code when the CPU offers them (kernel_fpu_begin(): BLAKE2s for the
 * random pool, CRC32C, RAID6, the crypto API): where pmvm's engine runs
 * the guest's CPL0 code, which has no vector unit, the guest is not
 * offered them, and its kernel takes its generic code instead. SSE and
 * SSE2, which x86-64 user space needs, stay. SDM vol. 2A, CPUID, names
 * each bit.
 */
#define L1_ECX_VECTOR (B(0) /* PCLMULQDQ */ | B(9) /* SSSE3 */ | \
                       B(12) /* FMA */ | B(19) /* SSE4.1 */ | \
                       B(20) /* SSE4.2 */ | B(25) /* AES */ | \
                       B(28) /* AVX */ | B(29) /* F16C */)
#define L7_EBX_VECTOR (B(5) /* AVX2 */ | B(16) /* AVX512F */ | \
                       B(17) /* AVX512DQ */ | B(21) /* AVX512_IFMA */ | \
                       B(26) | B(27) /* AVX512PF, ER */ | \
                       B(28) /* AVX512CD */ | B(29) /* SHA */ | \
                       B(30) /* AVX512BW */ | B(31) /* AVX512VL */)
#define L7_ECX_VECTOR (B(1) /* AVX512_VBMI */ | B(6) /* AVX512_VBMI2 */ | \
                       B(8) /* GFNI */ | B(9) /* VAES */ | \
                       B(10) /* VPCLMULQDQ */ | B(11) /* AVX512_VNNI */ | \
                       B(12) /* AVX512_BITALG */ | \
                       B(14) /* AVX512_VPOPCNTDQ */)
#define L7_EDX_VECTOR (B(2) | B(3) /* AVX512_4VNNIW, 4FMAPS */ | \
                       B(8) /* AVX512_VP2INTERSECT */ | \
                       B(22) | B(24) | B(25) /* AMX */ | \
                       B(23) /* AVX512_FP16 */)
#define L7_1_EAX_VECTOR (B(4) /* AVX_VNNI */ | B(5) /* AVX512_BF16 */)

void cpuid_hide_vector(struct pmvm *p)
{
    struct cpuid_table *t = &kvm_cpuid;

    entry_get(t, 1, 0)->ecx &= ~L1_ECX_VECTOR;
    struct kvm_cpuid_entry2 *l7 = entry_get(t, 7, 0);
    l7->ebx &= ~L7_EBX_VECTOR;
    l7->ecx &= ~L7_ECX_VECTOR;
    l7->edx &= ~L7_EDX_VECTOR;
    entry_get(t, 7, 1)->eax &= ~L7_1_EAX_VECTOR;
    /* KVM, which answers the guest's CPUID where it runs the guest,
     * too; a host that puts its own bits back (nested PVM) keeps them
     * there, but the engine, which runs the kernel, answers from this
     * table. */
    if (ioctl(p->vm.vcpu_fd, KVM_SET_CPUID2, &t->head) < 0 && p->trace)
        fprintf(stderr, "pmvm: trace: KVM did not take the CPUID without "
                "vector extensions (%s); the engine answers it\n",
                strerror(errno));
}

void cpuid_setup_engine(struct pmvm *p)
{
    static struct cpuid_table t;
    const struct engine_cpuid_leaf *base;
    size_t n = engine_cpuid_base(&base);

    t.head.nent = 0;
    for (size_t i = 0; i < n; i++)
        regs_put(entry_get(&t, base[i].leaf, base[i].subleaf), base[i].regs);
    model_overlay(p, &t);
    p->cpuid = &t.head;
    pmu_set_tsx(p->pmu, false);
}

#define LEAF1_ECX_OSXSAVE (1u << 27)
#define LEAF_XSAVE 0xDu

bool cpuid_lookup(const struct pmvm *p, uint64_t cr4, uint32_t leaf,
                  uint32_t subleaf, uint32_t r[4])
{
    /* Leaf 0xD's subleaves 0 and 1 depend on XCR0 and IA32_XSS, which
     * KVM keeps: their answer is KVM's (the engine's CPU has no XSAVE:
     * its table answers; xstate_cpuid() works them out for the engine).
     * The others, each component's size, offset and alignment, are
     * the table's. */
    if (leaf == LEAF_XSAVE && subleaf < 2 && p->vm.kvm_fd >= 0)
        return false;
    return cpuid_lookup_table(p, cr4, leaf, subleaf, r);
}

bool cpuid_lookup_table(const struct pmvm *p, uint64_t cr4, uint32_t leaf,
                        uint32_t subleaf, uint32_t r[4])
{
    const struct kvm_cpuid2 *t = p->cpuid;
    const struct kvm_cpuid_entry2 *e0 = NULL, *hit = NULL, *max = NULL;

    if (!t)
        return false;
    for (uint32_t i = 0; i < t->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &t->entries[i];
        if (e->function == 0)
            e0 = e;
        if (e->function == leaf && (e->index == subleaf ||
            !(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)))
            hit = e;
    }
    /* A basic leaf above the highest one reads that highest leaf (Intel;
     * KVM's cpuid_entry2 lookup does the same for a GenuineIntel guest). */
    if (!hit && e0 && leaf < 0x80000000u && leaf > e0->eax)
        for (uint32_t i = 0; i < t->nent; i++)
            if (t->entries[i].function == e0->eax &&
                t->entries[i].index == 0)
                max = &t->entries[i];
    hit = hit ? hit : max;
    memset(r, 0, 4 * sizeof(r[0]));
    if (hit)
        r[0] = hit->eax, r[1] = hit->ebx, r[2] = hit->ecx, r[3] = hit->edx;
    /* OSXSAVE mirrors CR4 (KVM updates it at run time). */
    if (leaf == 1)
        r[2] = (r[2] & ~LEAF1_ECX_OSXSAVE) |
               (cr4 & CR4_OSXSAVE ? LEAF1_ECX_OSXSAVE : 0);
    return true;
}
