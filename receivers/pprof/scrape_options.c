/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scrape_options.c: the pprof receiver's `scrape:` section (see scrape.h):
 * its option rows, which are the user documentation, the checks the option
 * engine cannot make (URLs, profile names, paths, seconds against
 * interval), and the pure helpers the scraper (scrape.c) builds its
 * requests with.
 *
 * Ownership: the option engine owns every string of the settings; the
 * helpers return heap strings their callers free.
 */
#include "scrape.h"
#include "url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_PER_SEC 1000000000ll

/* ---- options ---------------------------------------------------------------------- */

#define TARGET(field) offsetof(struct pcol_pprof_scrape_target, field)
#define SCRAPE(field) offsetof(struct pcol_pprof_scrape_settings, field)

static const struct pcol_option target_options[] = {
    {"url", PCOL_OPT_STRING, TARGET(url), NULL, "1", NULL, NULL, PCOL_OPT_REQUIRED, NULL, 0,
     "Base URL of the program's net/http/pprof handlers, e.g. http://127.0.0.1:6060 (https:// "
     "uses scrape.tls); a path here, e.g. http://host:8080/app, goes before every profile "
     "path."},
    {"service_name", PCOL_OPT_STRING, TARGET(service_name), "unspecified", "1", NULL, NULL, 0, NULL,
     0,
     "Resource attribute service.name of the target's profiles (unspecified when not given, "
     "as Grafana Alloy's pyroscope.scrape does)."},
    {"labels", PCOL_OPT_STRING_MAP, TARGET(labels), NULL, NULL, NULL, NULL, 0, NULL, 0,
     "More resource attributes (strings) of the target's profiles, e.g. env: prod; "
     "service.name is set with service_name."},
    {0},
};

const struct pcol_option pcol_pprof_scrape_options[] = {
    {"targets", PCOL_OPT_SECTION_LIST, SCRAPE(targets), NULL, NULL, NULL, NULL, 0, target_options,
     sizeof(struct pcol_pprof_scrape_target),
     "Go programs to pull profiles from (net/http/pprof); every target x profile is fetched "
     "once per interval, independently of the others. Each profile becomes a resource with "
     "service.name, the labels and profcol.scrape.url (the target's url), its scope "
     "pyroscope.profile.name (cpu, allocs, block, ...); metrics "
     "profcol_scrape_profiles_total and profcol_scrape_failures_total{reason} count them by "
     "target and profile."},
    {"profiles", PCOL_OPT_STRING_LIST, SCRAPE(profiles), "[cpu, allocs, goroutine, mutex, block]",
     "1", NULL, NULL, 0, NULL, 0,
     "Profiles fetched from every target: cpu, heap, allocs, goroutine, mutex, block, "
     "threadcreate (the default is Alloy's set). allocs/heap, mutex and block are cumulative "
     "since the program started and are passed on as they come; mutex and block stay empty "
     "unless the program calls runtime.SetMutexProfileFraction / SetBlockProfileRate."},
    {"paths", PCOL_OPT_STRING_MAP, SCRAPE(paths), NULL, NULL, NULL, NULL, 0, NULL, 0,
     "Path of a profile instead of net/http/pprof's, e.g. allocs: /debug/pprof/delta_heap "
     "(defaults: cpu /debug/pprof/profile, and /debug/pprof/NAME for the others); a query is "
     "kept."},
    {"interval", PCOL_OPT_DURATION, SCRAPE(interval), "15s", "1s", NULL, NULL, 0, NULL, 0,
     "How often every target x profile is scraped; a scrape still running when the next is "
     "due makes that one skipped (profcol_scrape_skipped_total)."},
    {"seconds", PCOL_OPT_DURATION, SCRAPE(seconds), "0", "0", NULL, NULL, 0, NULL, 0,
     "Length of each CPU profile (?seconds=N on the cpu path), whole seconds shorter than "
     "interval; 0 means interval - 1s."},
    {"timeout", PCOL_OPT_DURATION, SCRAPE(timeout), "10s", "1ms", NULL, NULL, 0, NULL, 0,
     "Longest wait for a profile, connecting included; CPU profiles get seconds + timeout."},
    {"max_response_size", PCOL_OPT_SIZE, SCRAPE(max_response_size), "32MiB", "1KiB", NULL, NULL, 0,
     NULL, 0,
     "Largest profile accepted from a target, as sent (gzip); larger ones fail with "
     "reason too_large."},
    {"tls", PCOL_OPT_SECTION, SCRAPE(tls), NULL, NULL, NULL, NULL, 0, pcol_tls_client_options, 0,
     "TLS to https:// targets (CA, client certificate, server name); insecure is ignored: "
     "http:// targets are plain text, https:// ones always use TLS."},
    {0},
};

/* ---- profile names and paths -------------------------------------------------------- */

static const struct {
    const char *name;
    const char *path;
} kinds[] = {
    {"cpu", "/debug/pprof/profile"},
    {"heap", "/debug/pprof/heap"},
    {"allocs", "/debug/pprof/allocs"},
    {"goroutine", "/debug/pprof/goroutine"},
    {"mutex", "/debug/pprof/mutex"},
    {"block", "/debug/pprof/block"},
    {"threadcreate", "/debug/pprof/threadcreate"},
};

const char *pcol_pprof_scrape_default_path(const char *profile)
{
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(kinds); i++) {
        if (!strcmp(kinds[i].name, profile)) {
            return kinds[i].path;
        }
    }
    return NULL;
}

char *pcol_pprof_scrape_request_path(const char *prefix, const char *path, int64_t cpu_seconds)
{
    struct pcol_buf b = {0};

    pcol_buf_puts(&b, prefix);
    pcol_buf_puts(&b, path);
    if (cpu_seconds > 0) {
        pcol_buf_printf(&b, "%cseconds=%lld", strchr(path, '?') ? '&' : '?',
                        (long long)cpu_seconds);
    }
    pcol_buf_putc(&b, '\0');
    return (char *)b.p;
}

int64_t pcol_pprof_scrape_cpu_seconds(const struct pcol_pprof_scrape_settings *s)
{
    return s->seconds ? s->seconds / NS_PER_SEC : s->interval / NS_PER_SEC - 1;
}

/* ---- URLs ------------------------------------------------------------------------------ */

void pcol_pprof_scrape_url_free(struct pcol_pprof_scrape_url *u)
{
    free(u->host);
    free(u->prefix);
    memset(u, 0, sizeof(*u));
}

int pcol_pprof_scrape_url_parse(const char *url, struct pcol_pprof_scrape_url *out,
                                struct pcol_err *err)
{
    struct pcol_url u;
    const char *c;
    size_t n;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    for (c = url; *c && rc == 0; c++) {
        /* The URL is also a metric label value: keep it plain. */
        if ((unsigned char)*c <= ' ' || *c == '"' || *c == '\\' || *c == 0x7f) {
            rc = pcol_err_set(err, PCOL_EINVAL,
                              "no spaces, quotes, backslashes or control characters");
        }
    }
    if (rc == 0 && strpbrk(url, "?#")) {
        rc = pcol_err_set(err, PCOL_EINVAL,
                          "no query or fragment (a profile's query goes in scrape.paths)");
    }
    if (rc == 0) {
        rc = pcol_url_parse(url, false, &u, err);
    }
    if (rc != 0) {
        return pcol_err_wrap(err, rc, "url \"%.80s\"", url);
    }
    n = strlen(u.path);
    while (n && u.path[n - 1] == '/') {
        u.path[--n] = '\0';
    }
    out->host = u.host;
    out->port = u.port;
    out->tls = u.tls;
    out->prefix = u.path;
    return 0;
}

/* ---- validation ------------------------------------------------------------------------- */

/* Where to report about `key` of mapping `node`: its value, else the mapping. */
static const struct pcol_cfg_node *at(const struct pcol_cfg_node *node, const char *key)
{
    const struct pcol_cfg_node *v = pcol_cfg_get(node, key);

    return v ? v : node;
}

static const struct pcol_cfg_node *item(const struct pcol_cfg_node *seq, size_t i)
{
    return seq && seq->kind == PCOL_NODE_SEQUENCE && i < seq->count ? seq->items[i] : seq;
}

/* The key node of `key` in mapping `map`, else the mapping. */
static const struct pcol_cfg_node *key_at(const struct pcol_cfg_node *map, const char *key)
{
    size_t i;

    for (i = 0; map && map->kind == PCOL_NODE_MAPPING && i < map->count; i++) {
        if (!strcmp(map->pairs[i].key->text, key)) {
            return map->pairs[i].key;
        }
    }
    return map;
}

static void unknown_profile(struct pcol_diag *d, const struct pcol_cfg_node *where,
                            const char *name)
{
    struct pcol_suggest sg;
    size_t i;

    pcol_suggest_init(&sg, name);
    for (i = 0; i < PCOL_ARRAY_SIZE(kinds); i++) {
        pcol_suggest_add(&sg, kinds[i].name);
    }
    pcol_diag_add(d, where,
                  "unknown profile \"%.60s\"%s%s%s (known: cpu, heap, allocs, goroutine, mutex, "
                  "block, threadcreate)",
                  name, sg.best ? "; did you mean \"" : "", sg.best ? sg.best : "",
                  sg.best ? "\"?" : "");
}

static bool has_profile(const struct pcol_pprof_scrape_settings *s, const char *name)
{
    size_t i;

    for (i = 0; i < s->profiles.n; i++) {
        if (!strcmp(s->profiles.v[i], name)) {
            return true;
        }
    }
    return false;
}

static void check_targets(const struct pcol_pprof_scrape_settings *s,
                          const struct pcol_cfg_node *node, struct pcol_diag *d)
{
    const struct pcol_cfg_node *list = pcol_cfg_get(node, "targets");
    const struct pcol_pprof_scrape_target *t = s->targets.v;
    struct pcol_pprof_scrape_url u;
    struct pcol_err err = {{0}};
    size_t i, j;

    for (i = 0; i < s->targets.n; i++) {
        const struct pcol_cfg_node *tn = item(list, i);
        if (t[i].url && pcol_pprof_scrape_url_parse(t[i].url, &u, &err) != 0) {
            pcol_diag_add(d, at(tn, "url"), "%s", err.msg);
        } else if (t[i].url) {
            pcol_pprof_scrape_url_free(&u);
        }
        for (j = 0; j < t[i].labels.n; j++) {
            if (!strcmp(t[i].labels.v[j].key, "service.name")) {
                pcol_diag_add(d, key_at(pcol_cfg_get(tn, "labels"), "service.name"),
                              "set service.name with service_name, not as a label");
            } else if (!*t[i].labels.v[j].key) {
                pcol_diag_add(d, at(tn, "labels"), "a label needs a name");
            }
        }
    }
    if (node && s->targets.n == 0) {
        pcol_diag_warn(d, node, "scrape has no targets: nothing is scraped");
    }
}

static void check_profiles(const struct pcol_pprof_scrape_settings *s,
                           const struct pcol_cfg_node *node, struct pcol_diag *d)
{
    const struct pcol_cfg_node *list = pcol_cfg_get(node, "profiles");
    const struct pcol_cfg_node *paths = pcol_cfg_get(node, "paths");
    size_t i, j;

    for (i = 0; i < s->profiles.n; i++) {
        const char *name = s->profiles.v[i];
        if (!pcol_pprof_scrape_default_path(name)) {
            unknown_profile(d, item(list, i), name);
            continue;
        }
        for (j = 0; j < i; j++) {
            if (!strcmp(s->profiles.v[j], name)) {
                pcol_diag_add(d, item(list, i), "profile \"%s\" is listed twice", name);
            }
        }
    }
    for (i = 0; i < s->paths.n; i++) {
        const struct pcol_str_pair *p = &s->paths.v[i];
        const struct pcol_cfg_node *key = key_at(paths, p->key);
        if (!pcol_pprof_scrape_default_path(p->key)) {
            unknown_profile(d, key, p->key);
        } else if (p->value[0] != '/' || strpbrk(p->value, " \t\r\n\"\\#")) {
            pcol_diag_add(d, at(paths, p->key),
                          "path \"%.80s\": start with '/', no spaces, quotes or '#'", p->value);
        } else if (!has_profile(s, p->key)) {
            pcol_diag_warn(d, key, "profile \"%s\" is not in scrape.profiles: its path is unused",
                           p->key);
        }
    }
}

static void check_seconds(const struct pcol_pprof_scrape_settings *s,
                          const struct pcol_cfg_node *node, struct pcol_diag *d)
{
    if (!has_profile(s, "cpu")) {
        return;
    }
    if (s->seconds % NS_PER_SEC != 0) {
        pcol_diag_add(d, at(node, "seconds"),
                      "seconds must be whole seconds (Go's ?seconds=N takes an integer)");
    } else if (s->seconds && s->seconds >= s->interval) {
        pcol_diag_add(d, at(node, "seconds"),
                      "seconds (%llds) must be shorter than interval (%.3gs): one CPU profile "
                      "is taken per interval",
                      (long long)(s->seconds / NS_PER_SEC), (double)s->interval / NS_PER_SEC);
    } else if (!s->seconds && s->interval < 2 * NS_PER_SEC) {
        pcol_diag_add(d, at(node, "interval"),
                      "an interval under 2s leaves no time for a CPU profile (seconds defaults "
                      "to interval - 1s): raise interval or leave cpu out of profiles");
    }
}

void pcol_pprof_scrape_validate(const struct pcol_pprof_scrape_settings *s,
                                const struct pcol_cfg_node *node, struct pcol_diag *d)
{
    check_targets(s, node, d);
    check_profiles(s, node, d);
    check_seconds(s, node, d);
    pcol_tls_validate(&s->tls, false, pcol_cfg_get(node, "tls"), d);
}
