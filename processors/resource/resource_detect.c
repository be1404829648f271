/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resource_detect.c: the resource detectors of the `resource` processor,
 * run once at init:
 *
 *   env         OTEL_RESOURCE_ATTRIBUTES (`k1=v1,k2=v2`: keys and values
 *               trimmed, then %XX-decoded; later duplicates win) and
 *               OTEL_SERVICE_NAME as service.name, which wins over one in
 *               OTEL_RESOURCE_ATTRIBUTES (the OpenTelemetry SDK rule)
 *   system      host.name (gethostname), host.arch (uname, in OTel's names:
 *               amd64, arm64, arm32, x86, ppc64, ppc32, s390x, ia64), os.type
 *               (linux, darwin, freebsd, ...)
 *   kubernetes  k8s.pod.name, k8s.namespace.name, k8s.node.name,
 *               k8s.container.name, k8s.pod.uid from the environment
 *               variables named under `kubernetes` (unset or empty: skipped)
 *
 * Detectors run in the configured order; a key an earlier detector found is
 * kept (earlier wins). Problems (a malformed pair) are logged, never fatal.
 *
 * Ownership: c->detected and its strings are heap memory the context owns
 * until pcol__res_detected_free().
 */
#include "resource.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* A small list of heap key/value pairs. */
struct kvs {
    struct pcol__res_detected *v;
    size_t n;
};

static void kvs_put(struct kvs *l, const char *key, size_t klen, char *value, bool replace)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (strlen(l->v[i].key) == klen && !memcmp(l->v[i].key, key, klen)) {
            if (replace) {
                free(l->v[i].value);
                l->v[i].value = value;
            } else {
                free(value);
            }
            return;
        }
    }
    l->v = pcol_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n].key = pcol_xmalloc(klen + 1);
    memcpy(l->v[l->n].key, key, klen);
    l->v[l->n].key[klen] = '\0';
    l->v[l->n].value = value;
    l->n++;
}

static void kvs_free(struct kvs *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

char *pcol__res_percent_decode(const char *s, size_t n)
{
    char *out = pcol_xmalloc(n + 1);
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        int hi, lo;

        if (s[i] == '%' && i + 2 < n && (hi = pcol_hex_value(s[i + 1])) >= 0 &&
            (lo = pcol_hex_value(s[i + 2])) >= 0) {
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
            continue;
        }
        out[o++] = s[i];
    }
    out[o] = '\0';
    return out;
}

/* Trims ASCII spaces around [*p, *p + *n). */
static void trim(const char **p, size_t *n)
{
    while (*n && isspace((unsigned char)**p)) {
        (*p)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*p)[*n - 1])) {
        (*n)--;
    }
}

static void detect_env(struct pcol__res_ctx *c, struct kvs *out)
{
    const char *all = getenv("OTEL_RESOURCE_ATTRIBUTES");
    const char *svc = getenv("OTEL_SERVICE_NAME");
    const char *p = all;

    while (p && *p) {
        const char *comma = strchr(p, ','), *eq;
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *pair = p, *k = p, *v;
        size_t klen, vlen;
        char *key;

        p = comma ? comma + 1 : p + n;
        if (!(eq = memchr(k, '=', n))) {
            if (n) {
                pcol_log(c->inst, PCOL_LOG_WARN,
                         "OTEL_RESOURCE_ATTRIBUTES: ignoring \"%.*s\" (not key=value)", (int)n,
                         pair);
            }
            continue;
        }
        klen = (size_t)(eq - k);
        v = eq + 1;
        vlen = n - klen - 1;
        trim(&k, &klen);
        trim(&v, &vlen);
        if (!klen) {
            pcol_log(c->inst, PCOL_LOG_WARN,
                     "OTEL_RESOURCE_ATTRIBUTES: ignoring \"%.*s\" (empty key)", (int)n, pair);
            continue;
        }
        key = pcol__res_percent_decode(k, klen);
        kvs_put(out, key, strlen(key), pcol__res_percent_decode(v, vlen), true);
        free(key);
    }
    if (svc && *svc) {
        kvs_put(out, "service.name", strlen("service.name"), pcol_xstrdup(svc), true);
    }
}

/* OTel's host.arch values for uname's machine names. */
static const char *otel_arch(const char *m)
{
    static const struct {
        const char *machine, *arch;
    } map[] = {
        {"x86_64", "amd64"}, {"amd64", "amd64"},   {"aarch64", "arm64"}, {"arm64", "arm64"},
        {"i386", "x86"},     {"i486", "x86"},      {"i586", "x86"},      {"i686", "x86"},
        {"ppc64", "ppc64"},  {"ppc64le", "ppc64"}, {"ppc", "ppc32"},     {"ppcle", "ppc32"},
        {"s390x", "s390x"},  {"ia64", "ia64"},
    };
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(map); i++) {
        if (!strcmp(m, map[i].machine)) {
            return map[i].arch;
        }
    }
    if (!strncmp(m, "arm", 3)) {
        return "arm32"; /* armv6l, armv7l, armv8l (32-bit userland) */
    }
    return m; /* riscv64, loongarch64, ...: no OTel name yet */
}

/* OTel's os.type values for uname's system names. */
static char *otel_os(const char *sys)
{
    static const struct {
        const char *sys, *type;
    } map[] = {
        {"Linux", "linux"},   {"Darwin", "darwin"},   {"FreeBSD", "freebsd"},
        {"NetBSD", "netbsd"}, {"OpenBSD", "openbsd"}, {"DragonFly", "dragonflybsd"},
        {"SunOS", "solaris"}, {"AIX", "aix"},         {"HP-UX", "hpux"},
        {"z/OS", "z_os"},
    };
    size_t i;
    char *out;

    for (i = 0; i < PCOL_ARRAY_SIZE(map); i++) {
        if (!strcmp(sys, map[i].sys)) {
            return pcol_xstrdup(map[i].type);
        }
    }
    out = pcol_xstrdup(sys);
    for (i = 0; out[i]; i++) {
        out[i] = (char)tolower((unsigned char)out[i]);
    }
    return out;
}

static void detect_system(struct pcol__res_ctx *c, struct kvs *out)
{
    char host[256];
    struct utsname u;

    if (gethostname(host, sizeof(host)) == 0 && host[0]) {
        host[sizeof(host) - 1] = '\0';
        kvs_put(out, "host.name", strlen("host.name"), pcol_xstrdup(host), false);
    } else {
        pcol_log(c->inst, PCOL_LOG_WARN, "system detector: no host name");
    }
    if (uname(&u) == 0) {
        kvs_put(out, "host.arch", strlen("host.arch"), pcol_xstrdup(otel_arch(u.machine)), false);
        kvs_put(out, "os.type", strlen("os.type"), otel_os(u.sysname), false);
    } else {
        pcol_log(c->inst, PCOL_LOG_WARN, "system detector: uname failed");
    }
}

static void detect_kubernetes(struct pcol__res_ctx *c, struct kvs *out)
{
    const struct {
        const char *key, *var;
    } vars[] = {
        {"k8s.pod.name", c->kubernetes.pod_name},
        {"k8s.namespace.name", c->kubernetes.namespace_name},
        {"k8s.node.name", c->kubernetes.node_name},
        {"k8s.container.name", c->kubernetes.container_name},
        {"k8s.pod.uid", c->kubernetes.pod_uid},
    };
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(vars); i++) {
        const char *v = vars[i].var ? getenv(vars[i].var) : NULL;
        if (v && *v) {
            kvs_put(out, vars[i].key, strlen(vars[i].key), pcol_xstrdup(v), false);
        }
    }
}

void pcol__res_detect(struct pcol__res_ctx *c)
{
    struct kvs all = {0};
    size_t i, j;

    for (i = 0; i < c->detectors.n; i++) {
        const char *name = c->detectors.v[i];
        struct kvs one = {0};

        if (!strcmp(name, "env")) {
            detect_env(c, &one);
        } else if (!strcmp(name, "system")) {
            detect_system(c, &one);
        } else if (!strcmp(name, "kubernetes")) {
            detect_kubernetes(c, &one);
        }
        for (j = 0; j < one.n; j++) {
            /* Earlier detectors win: never replace. */
            kvs_put(&all, one.v[j].key, strlen(one.v[j].key), one.v[j].value, false);
            one.v[j].value = NULL;
        }
        kvs_free(&one);
    }
    c->detected = all.v;
    c->n_detected = all.n;
}

void pcol__res_detected_free(struct pcol__res_ctx *c)
{
    struct kvs l = {c->detected, c->n_detected};

    kvs_free(&l);
    c->detected = NULL;
    c->n_detected = 0;
}
