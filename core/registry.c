/* SPDX-License-Identifier: Apache-2.0 */
/* registry.c: built-in components (a plain list, greppable) and plugins. */
#include "registry.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

extern const struct pcol_component_def pcol_receiver_pprof;
extern const struct pcol_component_def pcol_receiver_file;
extern const struct pcol_component_def pcol_receiver_otlp;
extern const struct pcol_component_def pcol_processor_resource;
extern const struct pcol_component_def pcol_processor_sampling;
extern const struct pcol_component_def pcol_processor_aggregation;
extern const struct pcol_component_def pcol_processor_symbolstrip;
extern const struct pcol_component_def pcol_exporter_file;
extern const struct pcol_component_def pcol_exporter_otlp;
extern const struct pcol_component_def pcol_exporter_otlp_grpc;
extern const struct pcol_component_def pcol_exporter_otlp_http;
extern const struct pcol_component_def pcol_exporter_nop;
extern const struct pcol_component_def pcol_exporter_pyroscope;

static const struct pcol_component_def *const builtins[] = {
    &pcol_receiver_pprof,        &pcol_receiver_file,      &pcol_receiver_otlp,
    &pcol_processor_resource,    &pcol_processor_sampling, &pcol_processor_aggregation,
    &pcol_processor_symbolstrip, &pcol_exporter_file,      &pcol_exporter_otlp,
    &pcol_exporter_otlp_grpc,    &pcol_exporter_otlp_http, &pcol_exporter_pyroscope,
    &pcol_exporter_nop,
};

struct plugin {
    struct plugin *next;
    char *path;
    void *handle;
    const struct pcol_component_def *const *defs;
};

static struct plugin *plugins;

void pcol_registry_each(void (*fn)(const struct pcol_component_def *, void *), void *data)
{
    const struct plugin *pl;
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(builtins); i++) {
        fn(builtins[i], data);
    }
    for (pl = plugins; pl; pl = pl->next) {
        for (i = 0; pl->defs[i]; i++) {
            fn(pl->defs[i], data);
        }
    }
}

struct find {
    enum pcol_component_kind kind;
    const char *type;
    const struct pcol_component_def *found;
    struct pcol_suggest suggest;
};

static void find_one(const struct pcol_component_def *def, void *data)
{
    struct find *f = data;

    if (def->kind != (uint32_t)f->kind) {
        return;
    }
    if (!f->found && !strcmp(def->name, f->type)) {
        f->found = def;
    }
    pcol_suggest_add(&f->suggest, def->name);
}

const struct pcol_component_def *pcol_registry_find(enum pcol_component_kind kind, const char *type)
{
    struct find f = {kind, type, NULL, {0}};

    pcol_suggest_init(&f.suggest, type);
    pcol_registry_each(find_one, &f);
    return f.found;
}

const char *pcol_registry_suggest(enum pcol_component_kind kind, const char *type)
{
    struct find f = {kind, type, NULL, {0}};

    pcol_suggest_init(&f.suggest, type);
    pcol_registry_each(find_one, &f);
    return f.suggest.best;
}

int pcol_registry_load_plugin(const char *path, struct pcol_err *err)
{
    const struct pcol_component_def *const *defs;
    struct plugin *pl;
    void *handle;
    size_t i;

    for (pl = plugins; pl; pl = pl->next) {
        if (!strcmp(pl->path, path)) {
            return 0;
        }
    }
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        return pcol_err_set(err, PCOL_ENOENT, "cannot load plugin %s: %s", path, dlerror());
    }
    defs = (const struct pcol_component_def *const *)dlsym(handle, PCOL_PLUGIN_SYMBOL);
    if (!defs) {
        dlclose(handle);
        return pcol_err_set(err, PCOL_EINVAL, "plugin %s does not export %s", path,
                            PCOL_PLUGIN_SYMBOL);
    }
    /* The definitions live in the plugin: format any error before dlclose. */
    for (i = 0; defs[i]; i++) {
        const struct pcol_component_def *d = defs[i];
        int rc = 0;
        if (d->abi_version != PCOL_ABI_VERSION) {
            rc = pcol_err_set(err, PCOL_EINVAL,
                              "plugin %s: component %s was built for ABI %u, profcol has %u", path,
                              d->name ? d->name : "?", d->abi_version, PCOL_ABI_VERSION);
        } else if (!d->name || d->kind >= PCOL_COMPONENT_KINDS ||
                   (d->kind == PCOL_PROCESSOR && !d->process) ||
                   (d->kind == PCOL_EXPORTER && !d->send)) {
            rc = pcol_err_set(err, PCOL_EINVAL, "plugin %s: component %zu is incomplete", path, i);
        } else if (pcol_registry_find(d->kind, d->name)) {
            rc = pcol_err_set(err, PCOL_EINVAL, "plugin %s: %s type \"%s\" already exists", path,
                              pcol_component_kind_name(d->kind), d->name);
        }
        if (rc != 0) {
            dlclose(handle);
            return rc;
        }
    }
    pl = pcol_xcalloc(1, sizeof(*pl));
    pl->path = pcol_xstrdup(path);
    pl->handle = handle;
    pl->defs = defs;
    pl->next = plugins;
    plugins = pl;
    return 0;
}

void pcol_registry_unload_plugins(void)
{
    struct plugin *pl, *next;

    for (pl = plugins; pl; pl = next) {
        next = pl->next;
        dlclose(pl->handle);
        free(pl->path);
        free(pl);
    }
    plugins = NULL;
}
