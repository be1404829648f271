/* SPDX-License-Identifier: Apache-2.0 */
/* placeholder while the component is written */
#include "component.h"

const struct pcol_component_def pcol_exporter_file = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_EXPORTER,
    .name = "file",
    .summary = "placeholder",
};
