/* SPDX-License-Identifier: Apache-2.0 */
/* resource.c: processor `resource` (being written). */
#include "component.h"

static const struct pcol_option resource_options[] = {
    {0},
};

static enum pcol_status resource_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    (void)inst;
    (void)b;
    return PCOL_CONTINUE;
}

const struct pcol_component_def pcol_processor_resource = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_PROCESSOR,
    .name = "resource",
    .summary = "resource (being written)",
    .options = resource_options,
    .process = resource_process,
    .mutates = true,
};
