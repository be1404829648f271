/* SPDX-License-Identifier: Apache-2.0 */
/*
 * registry.h: the component types profcol knows: the built-ins listed by hand
 * in registry.c, plus those of plugins loaded with dlopen from the config's
 * `plugins:` list. Definitions are program-lifetime (plugins stay loaded
 * until pcol_registry_unload_plugins at exit).
 */
#ifndef PCOL_REGISTRY_H
#define PCOL_REGISTRY_H

#include "component.h"

/* The definition of `type` for `kind`, or NULL. */
const struct pcol_component_def *pcol_registry_find(enum pcol_component_kind kind,
                                                    const char *type);
/* Calls fn for every definition, built-ins first, in registration order. */
void pcol_registry_each(void (*fn)(const struct pcol_component_def *def, void *data), void *data);
/* The nearest known type name of `kind` to a misspelt one, or NULL. */
const char *pcol_registry_suggest(enum pcol_component_kind kind, const char *type);

/* Loads a plugin (path borrowed). Fails with a reason when the file cannot
 * be opened, lacks PCOL_PLUGIN_SYMBOL, has another ABI version, or defines a
 * type that already exists. Loading the same path twice is a no-op. */
int pcol_registry_load_plugin(const char *path, struct pcol_err *err);
void pcol_registry_unload_plugins(void);

#endif
