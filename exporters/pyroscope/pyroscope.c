/* SPDX-License-Identifier: Apache-2.0 */
/* pyroscope.c: exporter `pyroscope` (being written). */
#include "component.h"

#include "pipeline.h"

struct pyro_ctx {
    struct pcol_export_settings settings;
};

static const struct pcol_option pyro_options[] = {
    PCOL_EXPORT_OPTIONS(struct pyro_ctx, settings),
    {0},
};

static int pyro_encode(struct pcol_instance *inst, const struct pcol_batch *b, struct pcol_buf *out)
{
    (void)inst;
    (void)b;
    (void)out;
    return 0;
}

static int pyro_send(struct pcol_instance *inst, struct pcol_export *exp)
{
    (void)inst;
    pcol_export_done(exp, PCOL_EXPORT_PERMANENT, 0, "not written yet");
    return 0;
}

const struct pcol_component_def pcol_exporter_pyroscope = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_EXPORTER,
    .name = "pyroscope",
    .summary = "pyroscope (being written)",
    .options = pyro_options,
    .ctx_size = sizeof(struct pyro_ctx),
    .encode = pyro_encode,
    .send = pyro_send,
    .settings_offset = offsetof(struct pyro_ctx, settings),
};
