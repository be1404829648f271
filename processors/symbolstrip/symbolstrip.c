/* SPDX-License-Identifier: Apache-2.0 */
/* symbolstrip.c: processor `symbolstrip` (being written). */
#include "component.h"

static const struct pcol_option symbolstrip_options[] = {
    {0},
};

static enum pcol_status symbolstrip_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    (void)inst;
    (void)b;
    return PCOL_CONTINUE;
}

const struct pcol_component_def pcol_processor_symbolstrip = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_PROCESSOR,
    .name = "symbolstrip",
    .summary = "symbolstrip (being written)",
    .options = symbolstrip_options,
    .process = symbolstrip_process,
    .mutates = true,
};
