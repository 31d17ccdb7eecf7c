/* oracle_text.c: what the text output of `pmvm cpuid` and `pmvm explain` shares. */
#include <stdio.h>

#include "cli/oracle_text.h"

void oracle_text_model_line(const struct pmu_model *g)
{
    printf("model %s, policy %s%s\n", g->name, pmu_policy_name(g->policy),
           g->policy == PMU_POLICY_KVM_MEDIATED && g->version ?
               (g->rdpmc_kvm_decode ? " (RDPMC intercepted)" :
                                      " (RDPMC passed through)") : "");
}
