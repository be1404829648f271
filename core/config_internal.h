/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_internal.h: what the two halves of the config share and nobody else
 * may use: config.c (YAML -> node tree, ${...} expansion, merge, loading)
 * and config_check.c (schema, wiring and the checked view). The config owns
 * its arena; everything both halves hang on it lives there.
 */
#ifndef PCOL_CONFIG_INTERNAL_H
#define PCOL_CONFIG_INTERNAL_H

#include "config.h"

struct pcol_config {
    struct pcol_arena *arena;
    const struct pcol_cfg_node *root;
    bool load_failed;
    struct pcol_cfg_component *comps[PCOL_COMPONENT_KINDS];
    size_t n_comps[PCOL_COMPONENT_KINDS];
    struct pcol_cfg_pipeline *pipes;
    size_t n_pipes;
    struct pcol_telemetry_config telemetry;
    struct pcol_service_config service;
    const struct pcol_cfg_node *plugins;
};

/* The pair stored under `key` in mapping `map`, or NULL (also when `map` is
 * NULL or not a mapping). Defined in config.c. */
const struct pcol_cfg_pair *pcol__cfg_find_pair(const struct pcol_cfg_node *map, const char *key);

#endif
