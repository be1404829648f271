/* SPDX-License-Identifier: Apache-2.0 */
/* sampling.c: processor `sampling` (being written). */
#include "component.h"

static const struct pcol_option sampling_options[] = {
    {0},
};

static enum pcol_status sampling_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    (void)inst;
    (void)b;
    return PCOL_CONTINUE;
}

const struct pcol_component_def pcol_processor_sampling = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_PROCESSOR,
    .name = "sampling",
    .summary = "sampling (being written)",
    .options = sampling_options,
    .process = sampling_process,
    .mutates = true,
};
