/* SPDX-License-Identifier: Apache-2.0 */
/* placeholder while the component is written */
#include "component.h"

const struct pcol_component_def pcol_receiver_pprof = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_RECEIVER,
    .name = "pprof",
    .summary = "placeholder",
};
