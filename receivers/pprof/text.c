/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text.c: Pyroscope's text upload formats -> the model. "folded" (also
 * called collapsed: `main;work;leaf 12`) and "lines" (`main;work;leaf`, one
 * line per sample) carry bare function names, so each function gets one
 * location with no mapping and address 0, and the app-name suffix picks the
 * one sample type. Part of the pprof receiver (see ingest.h); thread-safe.
 *
 * Ownership: the builder's scratch arrays are heap memory freed before
 * returning; everything the profile keeps lives in the batch arena.
 */
#include "ingest.h"

#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000

/* ---- app-name suffix -> sample type ------------------------------------------------ */

struct text_type {
    const char *suffix;
    const char *type;
    const char *unit;
    bool timed; /* counts are samples taken at sampleRate Hz */
};

/* Pyroscope's table for text uploads (reference: pyroscope.md §2.3). */
static const struct text_type text_types[] = {
    {"", "cpu", "nanoseconds", true},
    {"cpu", "cpu", "nanoseconds", true},
    {"itimer", "cpu", "nanoseconds", true},
    {"wall", "wall", "nanoseconds", true},
    {"seconds", "wall", "nanoseconds", true},
    {"milliseconds", "wall", "nanoseconds", true},
    {"microseconds", "wall", "nanoseconds", true},
    {"nanoseconds", "wall", "nanoseconds", true},
    {"inuse_objects", "inuse_objects", "count", false},
    {"alloc_objects", "alloc_objects", "count", false},
    {"inuse_space", "inuse_space", "bytes", false},
    {"alloc_space", "alloc_space", "bytes", false},
    {"goroutines", "goroutine", "count", false},
    {"mutex_count", "contentions", "count", false},
    {"mutex_duration", "delay", "nanoseconds", false},
    {"block_count", "contentions", "count", false},
    {"block_duration", "delay", "nanoseconds", false},
    {"lock_count", "contentions", "count", false},
    {"lock_duration", "delay", "nanoseconds", false},
    {"alloc_in_new_tlab_objects", "alloc_in_new_tlab_objects", "count", false},
    {"alloc_in_new_tlab_bytes", "alloc_in_new_tlab_bytes", "bytes", false},
    {"alloc_outside_tlab_objects", "alloc_outside_tlab_objects", "count", false},
    {"alloc_outside_tlab_bytes", "alloc_outside_tlab_bytes", "bytes", false},
    {"live", "live", "count", false},
    {"exceptions", "samples", "count", false},
    {"bytes", "samples", "bytes", false},
};

const char *pcol_pyro_app_suffix(const char *app, size_t *service_len)
{
    const char *dot = strrchr(app, '.');

    *service_len = dot ? (size_t)(dot - app) : strlen(app);
    return dot ? dot + 1 : "";
}

int pcol_pyro_text_sample_type(const char *suffix, int64_t sample_rate,
                               struct pcol_pyro_sample_type *out, struct pcol_err *err)
{
    const struct text_type *t = NULL;
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(text_types) && !t; i++) {
        t = strcmp(text_types[i].suffix, suffix) == 0 ? &text_types[i] : NULL;
    }
    if (!t) {
        return pcol_err_set(err, PCOL_EINVAL,
                            "name: unknown profile type \"%.64s\" (the text after the last '.' "
                            "of the app name selects it, e.g. app.cpu)",
                            suffix);
    }
    memset(out, 0, sizeof(*out));
    out->type = t->type;
    out->unit = t->unit;
    out->period = 1;
    if (t->timed && sample_rate <= 0) {
        out->type = "samples";
        out->unit = "count";
    } else if (t->timed) {
        out->period_type = t->type;
        out->period_unit = t->unit;
        out->period = NS_PER_S / sample_rate;
    }
    return 0;
}

/* ---- text -> model -------------------------------------------------------------------- */

struct builder {
    struct pcol_batch *b;
    const struct pcol_pyro_sample_type *st;
    struct pcol_profile *prof; /* created with the first sample */
    int32_t *loc_of_fn;        /* function index -> its location index, 0 = none yet */
    size_t n_loc_of_fn;
    uint32_t *sample_of_stack; /* stack index -> sample index + 1, 0 = none yet */
    size_t n_sample_of_stack;
    int32_t *frames; /* the stack being read */
    size_t n_frames, cap_frames;
};

/* Makes a[0..want) addressable, zero-filling what is new. */
static void *grow_zeroed(void *a, size_t *n, size_t want, size_t size)
{
    size_t cap = *n ? *n : 64;

    if (want <= *n) {
        return a;
    }
    while (cap < want) {
        cap *= 2;
    }
    a = pcol_xrealloc(a, cap * size);
    memset((char *)a + *n * size, 0, (cap - *n) * size);
    *n = cap;
    return a;
}

/* The location of function `name`: one per function, made on first use. */
static int32_t location_of(struct builder *t, const char *name, size_t len)
{
    struct pcol_batch *b = t->b;
    struct pcol_function fn = {0};
    struct pcol_location loc = {0};
    struct pcol_line *line;
    int32_t f;

    fn.name = pcol_dict_str(b, name, len);
    f = pcol_dict_intern(b, &b->dict.functions, &fn);
    t->loc_of_fn = grow_zeroed(t->loc_of_fn, &t->n_loc_of_fn, (size_t)f + 1, sizeof(int32_t));
    if (!t->loc_of_fn[f]) {
        line = pcol_arena_calloc(b->arena, sizeof(*line));
        line->function = f;
        loc.lines = line;
        loc.n_lines = 1;
        /* Distinct by construction: one location per function. */
        t->loc_of_fn[f] = pcol_dict_append(b, &b->dict.locations, &loc);
    }
    return t->loc_of_fn[f];
}

static void push_frame(struct builder *t, int32_t loc)
{
    if (t->n_frames == t->cap_frames) {
        t->cap_frames = t->cap_frames ? t->cap_frames * 2 : 64;
        t->frames = pcol_xrealloc(t->frames, t->cap_frames * sizeof(*t->frames));
    }
    t->frames[t->n_frames++] = loc;
}

/* Reads "a;b;c" (root first) into t->frames, leaf first. */
static void read_stack(struct builder *t, const char *s, size_t n)
{
    size_t i = 0, len, k;
    int32_t tmp;

    t->n_frames = 0;
    while (i < n) {
        const char *semi = memchr(s + i, ';', n - i);
        len = semi ? (size_t)(semi - (s + i)) : n - i;
        if (len) {
            push_frame(t, location_of(t, s + i, len));
        }
        i += len + 1;
    }
    for (k = 0; k < t->n_frames / 2; k++) {
        tmp = t->frames[k];
        t->frames[k] = t->frames[t->n_frames - 1 - k];
        t->frames[t->n_frames - 1 - k] = tmp;
    }
}

static struct pcol_profile *new_profile(struct builder *t)
{
    struct pcol_batch *b = t->b;
    struct pcol_resource *r = pcol_batch_add_resource(b);
    struct pcol_scope *s = pcol_resource_add_scope(b, r);
    struct pcol_profile *p = pcol_scope_add_profile(b, s);

    p->sample_type.type = pcol_dict_cstr(b, t->st->type);
    p->sample_type.unit = pcol_dict_cstr(b, t->st->unit);
    if (t->st->period_type) {
        p->period_type.type = pcol_dict_cstr(b, t->st->period_type);
        p->period_type.unit = pcol_dict_cstr(b, t->st->period_unit);
        p->period = t->st->period;
    }
    return p;
}

/* Adds `value` to the sample of the stack in t->frames, making it if new. */
static int add_sample(struct builder *t, int64_t value, size_t lineno, struct pcol_err *err)
{
    int32_t stack = pcol_dict_stack(t->b, t->frames, (uint32_t)t->n_frames);
    struct pcol_sample *s;
    uint32_t at;

    t->sample_of_stack =
        grow_zeroed(t->sample_of_stack, &t->n_sample_of_stack, (size_t)stack + 1, sizeof(uint32_t));
    at = t->sample_of_stack[stack];
    if (at) {
        int64_t *v = &t->prof->samples[at - 1].values[0];
        if (__builtin_add_overflow(*v, value, v)) {
            return pcol_err_set(err, PCOL_EINVAL, "line %zu: the stack's total overflows int64",
                                lineno);
        }
        return 0;
    }
    if (!t->prof) {
        t->prof = new_profile(t);
    }
    s = pcol_profile_add_sample(t->b, t->prof);
    s->stack = stack;
    s->values = pcol_arena_alloc(t->b->arena, sizeof(*s->values));
    s->values[0] = value;
    s->n_values = 1;
    t->sample_of_stack[stack] = t->prof->n_samples;
    return 0;
}

/* A folded count: decimal digits only. */
static int parse_count(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    size_t i;

    if (n == 0) {
        return PCOL_EINVAL;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || __builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, s[i] - '0', &v)) {
            return PCOL_EINVAL;
        }
    }
    *out = v;
    return 0;
}

static int text_line(struct builder *t, bool lines, const char *s, size_t n, size_t lineno,
                     struct pcol_err *err)
{
    size_t stack_len = n;
    int64_t count = 1, value;

    if (!lines) {
        while (stack_len && s[stack_len - 1] != ' ') {
            stack_len--;
        }
        if (!stack_len) {
            return 0; /* no space: Pyroscope skips the line */
        }
        if (parse_count(s + stack_len, n - stack_len, &count) != 0) {
            return pcol_err_set(err, PCOL_EINVAL,
                                "line %zu: the count \"%.*s\" after the last space is not a "
                                "non-negative integer",
                                lineno, (int)(n - stack_len > 32 ? 32 : n - stack_len),
                                s + stack_len);
        }
        stack_len--;
    }
    read_stack(t, s, stack_len);
    if (!t->n_frames) {
        return 0;
    }
    if (__builtin_mul_overflow(count, t->st->period, &value)) {
        return pcol_err_set(err, PCOL_EINVAL, "line %zu: count %lld times the period overflows",
                            lineno, (long long)count);
    }
    return add_sample(t, value, lineno, err);
}

int pcol_pyro_parse_text(struct pcol_batch *b, bool lines, const uint8_t *p, size_t n,
                         const struct pcol_pyro_sample_type *st, struct pcol_err *err)
{
    struct builder t;
    const char *s = (const char *)p;
    size_t i = 0, len, lineno = 0;
    int rc = 0;

    memset(&t, 0, sizeof(t));
    t.b = b;
    t.st = st;
    while (i < n && rc == 0) {
        const char *nl = memchr(s + i, '\n', n - i);
        len = nl ? (size_t)(nl - (s + i)) : n - i;
        lineno++;
        rc = text_line(&t, lines, s + i, len - (len && s[i + len - 1] == '\r'), lineno, err);
        i += len + 1;
    }
    free(t.loc_of_fn);
    free(t.sample_of_stack);
    free(t.frames);
    return rc;
}
