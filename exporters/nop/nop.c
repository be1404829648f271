/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nop.c: the `nop` exporter, as in the OpenTelemetry Collector: it accepts
 * every batch and sends nothing. For benchmarks of receivers and
 * processors, and for pipelines whose only output is profcol's own metrics.
 * It still goes through the exporter helper, so its sent counters count.
 */
#include "component.h"
#include "pipeline.h"

struct nop_ctx {
    struct pcol_export_settings helper;
};

static const struct pcol_option nop_options[] = {
    PCOL_EXPORT_OPTIONS(struct nop_ctx, helper),
    {0},
};

static int nop_send(struct pcol_instance *inst, struct pcol_export *exp)
{
    PCOL_UNUSED(inst);
    pcol_export_done(exp, PCOL_EXPORT_OK, 0, NULL);
    return 0;
}

const struct pcol_component_def pcol_exporter_nop = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_EXPORTER,
    .name = "nop",
    .summary = "Accepts every batch and sends nothing (for benchmarks and metrics-only pipelines).",
    .options = nop_options,
    .ctx_size = sizeof(struct nop_ctx),
    .send = nop_send,
    .settings_offset = offsetof(struct nop_ctx, helper),
};
