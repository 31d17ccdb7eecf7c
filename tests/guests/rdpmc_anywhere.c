/* rdpmc_anywhere.c: an RDPMC in a data buffer, at CPL0 and CPL3 (CR4.PCE), is answered by pmvm's model like one in the image's code: every RDPMC the guest executes is trapped. */
#include "guest.h"
#include "x86.h"

/*
 * The model's answer is known: PMC0 holds what the guest wrote, and
 * nothing counts (pmu-spec 1: RDPMC ECX 0 reads IA32_PMC0). The buffer's
 * bytes are "mov %edi, %ecx; rdpmc; shl $32, %rdx; or %rdx, %rax; ret",
 * in .data, which the runtime maps executable: no scan of the image's
 * code finds this RDPMC, and a copy made at run time is no different.
 */
#define MSR_PMC0 0xC1u
#define VALUE 0x123456u

static uint8_t rdpmc_code[16] __attribute__((aligned(16))) = {
    0x89, 0xf9, 0x0f, 0x33, 0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, 0xc3,
};

static volatile unsigned gp_taken;

static void on_gp(struct ex_regs *r)
{
    gp_taken++;
    r->rip += 2; /* past the RDPMC: rax stays what it was */
    r->rax = r->rdx = 0;
}

int main(void)
{
    uint64_t (*rdpmc_at)(uint64_t) = (uint64_t (*)(uint64_t))(void *)rdpmc_code;
    uint8_t copy[16] __attribute__((aligned(16)));

    set_exception_handler(13, on_gp);
    ktap_plan(5);
    wrmsr(MSR_PMC0, VALUE);
    uint64_t v = rdpmc_at(0);
    ktap_result(v == VALUE && !gp_taken, "RDPMC in .data at CPL0 reads PMC0 "
                "(0x%llx, %u #GP)", (unsigned long long)v, gp_taken);
    gp_taken = 0;
    memcpy(copy, rdpmc_code, sizeof(copy));
    v = ((uint64_t (*)(uint64_t))(void *)copy)(0);
    ktap_result(v == VALUE && !gp_taken, "RDPMC written to the stack at run "
                "time reads PMC0 (0x%llx, %u #GP)", (unsigned long long)v,
                gp_taken);
    gp_taken = 0;
    /* An ECX no counter answers: the model's #GP, through the guest's
     * own handler (SDM RDPMC: #GP(0) for an invalid ECX), once. */
    v = rdpmc_at(0x7FFF0000u);
    ktap_result(gp_taken == 1, "RDPMC of type 0x7fff in .data at CPL0 "
                "raises one #GP (%u)", gp_taken);
    gp_taken = 0;
    write_cr4(read_cr4() | CR4_PCE);
    v = run_user(rdpmc_at, 0);
    ktap_result(v == VALUE && !gp_taken, "RDPMC in .data at CPL3 with "
                "CR4.PCE reads PMC0 (0x%llx, %u #GP)", (unsigned long long)v,
                gp_taken);
    gp_taken = 0;
    v = run_user(rdpmc_at, 0x7FFF0000u);
    ktap_result(gp_taken == 1, "RDPMC of type 0x7fff in .data at CPL3 "
                "raises one #GP (%u)", gp_taken);
    ktap_exit();
}
