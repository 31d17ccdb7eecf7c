/* oracle_text.h: what the text output of `pmvm cpuid` and `pmvm explain` shares. */
#ifndef PMVM_ORACLE_TEXT_H
#define PMVM_ORACLE_TEXT_H

#include "pmu/pmu.h"

/* The first line: the model, its policy, and under kvm-mediated whether
 * KVM intercepts RDPMC. */
void oracle_text_model_line(const struct pmu_model *g);

#endif
