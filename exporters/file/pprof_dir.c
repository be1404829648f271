/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pprof_dir.c: the `file` exporter's pprof mode: `path` is a directory and
 * every pprof the encoder makes becomes one gzip file in it, named
 * `<service.name>.<sample type>.<UTC time>.pb.gz`.
 *
 * encode() (any thread) turns a batch into a list of (name, bytes) records
 * in the payload; send() (the loop thread) writes them. Names are built
 * from data that comes from the network, so they are sanitised when made
 * and checked again when written: a record can never name a file outside
 * the directory. Files are written and closed under a hidden temporary name
 * and then renamed, so a crash never leaves a partial pprof visible; they
 * are not fsynced (as the collector's file exporter), so a power loss may
 * still lose the newest ones.
 *
 * Ownership: the payload is the exporter helper's; this file only reads it.
 */
#include "file_exporter.h"

#include "codec_pprof.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SERVICE_CAP 65 /* bytes of each name part, with the NUL */
#define TYPE_CAP 33
#define NAME_CAP 128 /* a whole record name; far below NAME_MAX with the suffixes */
#define MAX_COPIES 10000

/* ---- names ------------------------------------------------------------------- */

static bool plain_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

void pcol__fileexp_sanitize(const char *s, size_t len, const char *fallback, char *out, size_t cap)
{
    size_t i, o = 0;

    for (i = 0; i < len && o + 1 < cap; i++) {
        char c = s[i];
        bool keep = plain_char(c) || (c == '.' && o > 0 && out[o - 1] != '.');
        out[o++] = keep ? c : '_';
    }
    if (o > 0 && out[o - 1] == '.') {
        out[o - 1] = '_';
    }
    out[o] = '\0';
    if (o == 0) {
        snprintf(out, cap, "%s", fallback);
    }
}

bool pcol__fileexp_name_is_safe(const char *name)
{
    const char *p;

    if (!*name || *name == '.' || strstr(name, "..")) {
        return false;
    }
    for (p = name; *p; p++) {
        if (!plain_char(*p) && *p != '.') {
            return false;
        }
    }
    return true;
}

static const struct pcol_str *string_at(const struct pcol_batch *b, int32_t i)
{
    return i > 0 && (uint32_t)i < b->dict.strings.n ? pcol_str_at(b, i) : NULL;
}

/* The resource's service.name. The attributes are walked rather than
 * looked up by key, because a lookup builds the string hash index and the
 * batch may be shared read-only with other exporters' threads. */
static const struct pcol_str *service_name(const struct pcol_batch *b,
                                           const struct pcol_resource *r)
{
    static const char key[] = "service.name";
    uint32_t i;

    for (i = 0; i < r->n_attrs; i++) {
        const struct pcol_str *k = string_at(b, r->attrs[i].key);
        if (k && k->len == sizeof(key) - 1 && !memcmp(k->p, key, sizeof(key) - 1) &&
            r->attrs[i].value.kind == PCOL_VAL_STR) {
            return string_at(b, r->attrs[i].value.u.str);
        }
    }
    return NULL;
}

static void utc_stamp(uint64_t unix_nano, char *out, size_t cap)
{
    time_t secs = (time_t)(unix_nano / 1000000000u);
    struct tm tm;

    if (!gmtime_r(&secs, &tm) || !strftime(out, cap, "%Y%m%dT%H%M%SZ", &tm)) {
        snprintf(out, cap, "notime");
    }
}

/* ---- encode ------------------------------------------------------------------ */

struct pprof_enc {
    const struct pcol_batch *b;
    struct pcol_buf *out;
    uint64_t fallback_time; /* for profiles that carry no time */
};

static void put_be(struct pcol_buf *out, uint64_t v, unsigned bytes)
{
    while (bytes--) {
        pcol_buf_putc(out, (char)(uint8_t)(v >> (8 * bytes)));
    }
}

static int emit_record(void *arg, const struct pcol_pprof_meta *meta, const uint8_t *data,
                       size_t len)
{
    struct pprof_enc *e = arg;
    const struct pcol_batch *b = e->b;
    const struct pcol_resource *r = &b->resources[meta->resource];
    const struct pcol_profile *p = &r->scopes[meta->scope].profiles[meta->first_profile];
    const struct pcol_str *svc = service_name(b, r);
    const struct pcol_str *type = string_at(b, p->sample_type.type);
    char svc_part[SERVICE_CAP], type_part[TYPE_CAP], stamp[32], name[NAME_CAP];
    int n;

    if (len > UINT32_MAX) {
        return PCOL_ERANGE;
    }
    pcol__fileexp_sanitize(svc ? svc->p : "", svc ? svc->len : 0, "unknown_service", svc_part,
                           sizeof(svc_part));
    pcol__fileexp_sanitize(type ? type->p : "", type ? type->len : 0, "profile", type_part,
                           sizeof(type_part));
    utc_stamp(meta->time_unix_nano ? meta->time_unix_nano : e->fallback_time, stamp, sizeof(stamp));
    n = snprintf(name, sizeof(name), "%s.%s.%s", svc_part, type_part, stamp);
    put_be(e->out, (uint64_t)n, 2);
    pcol_buf_append(e->out, name, (size_t)n);
    put_be(e->out, len, 4);
    pcol_buf_append(e->out, data, len);
    return 0;
}

int pcol__fileexp_encode_pprof(const struct pcol_batch *b, struct pcol_buf *out)
{
    const struct pcol_pprof_encode_opts opts = {.gzip = true};
    struct pprof_enc e = {b, out, b->received_unix_nano};
    struct pcol_err err = {{0}};

    if (!e.fallback_time) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        e.fallback_time = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    return pcol_pprof_encode(b, &opts, emit_record, &e, &err);
}

/* ---- send -------------------------------------------------------------------- */

struct record {
    char name[NAME_CAP];
    const uint8_t *data;
    size_t len;
    char *tmp; /* heap; set once the temporary file exists */
};

static uint64_t get_be(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;

    while (bytes--) {
        v = (v << 8) | *p++;
    }
    return v;
}

/* Splits the payload into records, checking every length and name. */
static int parse_records(const uint8_t *p, size_t n, struct record **out, size_t *count,
                         struct pcol_err *err)
{
    struct record *v = NULL;
    size_t pos = 0, k = 0, cap = 0, name_len, len;

    while (pos < n) {
        if (n - pos < 2 || (name_len = get_be(p + pos, 2)) >= NAME_CAP ||
            n - pos - 2 < name_len + 4) {
            goto truncated;
        }
        len = get_be(p + pos + 2 + name_len, 4);
        if (n - pos - 6 - name_len < len) {
            goto truncated;
        }
        if (k == cap) {
            cap = cap ? cap * 2 : 4;
            v = pcol_xrealloc(v, cap * sizeof(*v));
        }
        memcpy(v[k].name, p + pos + 2, name_len);
        v[k].name[name_len] = '\0';
        if (!pcol__fileexp_name_is_safe(v[k].name)) {
            free(v);
            return pcol_err_set(err, PCOL_EINVAL, "record %zu: unsafe file name", k);
        }
        v[k].data = p + pos + 6 + name_len;
        v[k].len = len;
        v[k].tmp = NULL;
        pos += 6 + name_len + len;
        k++;
    }
    *out = v;
    *count = k;
    return 0;
truncated:
    free(v);
    return pcol_err_set(err, PCOL_EINVAL, "record %zu: truncated at byte %zu", k, pos);
}

static int write_file(const char *path, const uint8_t *p, size_t n, struct pcol_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc;

    if (fd < 0) {
        return pcol_err_set(err, PCOL_EIO, "cannot create %s: %s", path, strerror(errno));
    }
    rc = pcol__fileexp_write_all(fd, p, n);
    if (close(fd) != 0 && rc == 0) {
        rc = -errno;
    }
    if (rc != 0) {
        unlink(path);
        return pcol_err_set(err, PCOL_EIO, "cannot write %s: %s", path, strerror(-rc));
    }
    return 0;
}

/* Renames the record's temporary file to the first free `name[.N].pb.gz`. */
static int publish(const char *dir, struct record *r, struct pcol_err *err)
{
    size_t cap = strlen(dir) + NAME_CAP + 32;
    char *path = pcol_xmalloc(cap);
    struct stat st;
    int copy, rc = 0;

    for (copy = 1; copy <= MAX_COPIES; copy++) {
        if (copy == 1) {
            snprintf(path, cap, "%s/%s.pb.gz", dir, r->name);
        } else {
            snprintf(path, cap, "%s/%s.%d.pb.gz", dir, r->name, copy);
        }
        if (lstat(path, &st) != 0 && errno == ENOENT) {
            break;
        }
    }
    if (copy > MAX_COPIES) {
        rc = pcol_err_set(err, PCOL_EIO, "%s/%s.pb.gz: %d copies exist already", dir, r->name,
                          MAX_COPIES);
    } else if (rename(r->tmp, path) != 0) {
        rc = pcol_err_set(err, PCOL_EIO, "cannot rename %s to %s: %s", r->tmp, path,
                          strerror(errno));
    } else {
        free(r->tmp);
        r->tmp = NULL;
    }
    free(path);
    return rc;
}

/* Every record is written to a hidden temporary file before any is
 * published: a failure then leaves nothing behind, and the retry does not
 * write the same profile twice. */
int pcol__fileexp_write_pprofs(const char *dir, const uint8_t *payload, size_t n,
                               struct pcol_err *err)
{
    struct record *recs = NULL;
    size_t count = 0, i;
    int rc = parse_records(payload, n, &recs, &count, err);

    for (i = 0; i < count && rc == 0; i++) {
        size_t cap = strlen(dir) + NAME_CAP + 32;
        recs[i].tmp = pcol_xmalloc(cap);
        snprintf(recs[i].tmp, cap, "%s/.%s.%zu.tmp", dir, recs[i].name, i);
        rc = write_file(recs[i].tmp, recs[i].data, recs[i].len, err);
        if (rc != 0) {
            free(recs[i].tmp);
            recs[i].tmp = NULL;
        }
    }
    for (i = 0; i < count && rc == 0; i++) {
        rc = publish(dir, &recs[i], err);
    }
    for (i = 0; i < count; i++) {
        if (recs[i].tmp) {
            unlink(recs[i].tmp);
            free(recs[i].tmp);
        }
    }
    free(recs);
    return rc;
}
