/* SPDX-License-Identifier: Apache-2.0 */
/* aggregation.c: processor `aggregation` (being written). */
#include "component.h"

static const struct pcol_option aggregation_options[] = {
    {0},
};

static enum pcol_status aggregation_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    (void)inst;
    (void)b;
    return PCOL_CONTINUE;
}

const struct pcol_component_def pcol_processor_aggregation = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_PROCESSOR,
    .name = "aggregation",
    .summary = "aggregation (being written)",
    .options = aggregation_options,
    .process = aggregation_process,
    .mutates = true,
};
