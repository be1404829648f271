/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_roundtrip.c: the corpus round-trip guarantee.
 *
 *   pprof -> OTLP (protobuf or JSON) -> pprof, and pprof -> model -> pprof,
 *   give the same profile after normalising ids and string order;
 *   OTLP -> pprof -> OTLP gives the same batch, apart from the scope
 *   attributes pprof -> OTLP adds by design.
 *
 * Every corpus file is its own test case so a failure names the file. The
 * original side of each pprof comparison is read by the oracle reader
 * (tu_pprof_load, plain protobuf-c), never by our codec. The comparators
 * are tested here too, on mutated corpus data, so the guarantee can fail.
 */
#include "testutil.h"

#include "codec_otlp.h"
#include "codec_pprof.h"
#include "compare.h"

#include <stdio.h>
#include <string.h>

#define WHY_LEN 4096

/* The pprof codec adds these to the scope when it decodes a pprof (codec_pprof.h):
 * the original sample type order, and the default type when pprof named one.
 * An OTLP input never had them, so OTLP -> pprof -> OTLP compares without them. */
static const char *const pprof_scope_keys[] = {
    "pprof.scope.sample_type_order",
    "pprof.scope.default_sample_type",
    NULL,
};

/* ---- helpers ------------------------------------------------------------- */

static const Perftools__Profiles__Profile *load_oracle(const char *name, struct pcol_arena *a)
{
    struct pcol_buf raw = {0};
    const Perftools__Profiles__Profile *p;

    tu_read_corpus(name, &raw);
    p = tu_pprof_load(raw.p, raw.len, a);
    pcol_buf_free(&raw);
    if (!p) {
        fail_msg("%s: the oracle reader cannot parse it as pprof", name);
    }
    return p;
}

static struct pcol_batch *decode_pprof(const char *name, const uint8_t *p, size_t n)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_err err = {{0}};
    int rc = pcol_pprof_decode(b, p, n, NULL, &err);

    if (rc != 0) {
        fail_msg("%s: pcol_pprof_decode: %s (%d)", name, err.msg, rc);
    }
    return b;
}

static struct pcol_batch *decode_pprof_file(const char *name)
{
    struct pcol_buf raw = {0};
    struct pcol_batch *b;

    tu_read_corpus(name, &raw);
    b = decode_pprof(name, raw.p, raw.len);
    pcol_buf_free(&raw);
    return b;
}

static struct pcol_batch *decode_otlp(const char *name, const uint8_t *p, size_t n, bool json)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_err err = {{0}};
    int rc =
        json ? pcol_otlp_json_decode(b, (const char *)p, n, &err) : pcol_otlp_decode(b, p, n, &err);

    if (rc != 0) {
        fail_msg("%s: pcol_otlp%s_decode: %s (%d)", name, json ? "_json" : "", err.msg, rc);
    }
    return b;
}

static struct pcol_batch *decode_otlp_file(const char *name)
{
    struct pcol_buf raw = {0};
    size_t len = strlen(name);
    struct pcol_batch *b;

    tu_read_corpus(name, &raw);
    b = decode_otlp(name, raw.p, raw.len, len > 5 && strcmp(name + len - 5, ".json") == 0);
    pcol_buf_free(&raw);
    return b;
}

/* Through OTLP protobuf or OTLP/JSON into a fresh batch; takes `b`. */
static struct pcol_batch *via_otlp(const char *name, struct pcol_batch *b, bool json)
{
    struct pcol_buf wire = {0};
    struct pcol_batch *out;

    if (json) {
        pcol_otlp_json_encode(b, &wire);
    } else {
        pcol_otlp_encode(b, &wire);
    }
    pcol_batch_release(b);
    out = decode_otlp(name, wire.p, wire.len, json);
    pcol_buf_free(&wire);
    return out;
}

struct emitted {
    struct pcol_buf data;
    unsigned count;
};

static int collect_pprof(void *ctx, const struct pcol_pprof_meta *meta, const uint8_t *data,
                         size_t len)
{
    struct emitted *e = ctx;

    PCOL_UNUSED(meta);
    e->count++;
    pcol_buf_append(&e->data, data, len);
    return 0;
}

/* Encodes `b` (borrowed) as gzipped pprof, which must be exactly one profile. */
static void encode_one_pprof(const char *name, const struct pcol_batch *b, struct pcol_buf *out)
{
    struct pcol_pprof_encode_opts opts = {.gzip = true};
    struct emitted e = {{0}};
    struct pcol_err err = {{0}};
    int rc = pcol_pprof_encode(b, &opts, collect_pprof, &e, &err);

    if (rc != 0) {
        fail_msg("%s: pcol_pprof_encode: %s (%d)", name, err.msg, rc);
    }
    if (e.count != 1) {
        fail_msg("%s: pcol_pprof_encode emitted %u profiles, want 1", name, e.count);
    }
    *out = e.data;
}

/* Encodes `b` (taken) as pprof and checks it against the original. */
static void assert_same_pprof(const char *name, struct pcol_batch *b,
                              const Perftools__Profiles__Profile *orig, struct pcol_arena *a)
{
    const Perftools__Profiles__Profile *back;
    struct pcol_buf out;
    char why[WHY_LEN];

    encode_one_pprof(name, b, &out);
    pcol_batch_release(b);
    back = tu_pprof_load(out.p, out.len, a);
    pcol_buf_free(&out);
    if (!back) {
        fail_msg("%s: our pprof output does not parse as pprof", name);
    }
    if (!tu_pprof_equal(orig, back, why, sizeof(why))) {
        fail_msg("%s: round trip changed the profile (A = original, B = result): %s", name, why);
    }
}

/* One OTLP profile per pprof sample type, each with every pprof sample. */
static void assert_sample_counts(const char *name, const struct pcol_batch *b,
                                 const Perftools__Profiles__Profile *orig)
{
    const struct pcol_scope *s;
    uint32_t i;

    if (b->n_resources != 1 || b->resources[0].n_scopes != 1) {
        fail_msg("%s: %u resources, %u scopes in the first, want one of each", name, b->n_resources,
                 b->n_resources ? b->resources[0].n_scopes : 0);
    }
    s = &b->resources[0].scopes[0];
    if (s->n_profiles != orig->n_sample_type) {
        fail_msg("%s: %u OTLP profiles for %zu pprof sample types", name, s->n_profiles,
                 orig->n_sample_type);
    }
    for (i = 0; i < s->n_profiles; i++) {
        if (s->profiles[i].n_samples != orig->n_sample) {
            fail_msg("%s: OTLP profile %u has %u samples, the pprof %zu", name, i,
                     s->profiles[i].n_samples, orig->n_sample);
        }
    }
}

/* ---- pprof -> ... -> pprof ---------------------------------------------- */

static void pprof_through_otlp(const char *name, bool json)
{
    struct pcol_arena *a = pcol_arena_create(0);
    const Perftools__Profiles__Profile *orig = load_oracle(name, a);
    struct pcol_batch *b = via_otlp(name, decode_pprof_file(name), json);

    assert_sample_counts(name, b, orig);
    assert_same_pprof(name, b, orig, a);
    pcol_arena_destroy(a);
}

static void pprof_via_otlp(void **state)
{
    pprof_through_otlp(*state, false);
}

static void pprof_via_otlp_json(void **state)
{
    pprof_through_otlp(*state, true);
}

static void pprof_via_model(void **state)
{
    const char *name = *state;
    struct pcol_arena *a = pcol_arena_create(0);
    const Perftools__Profiles__Profile *orig = load_oracle(name, a);
    struct pcol_batch *b = decode_pprof_file(name);

    assert_sample_counts(name, b, orig);
    assert_same_pprof(name, b, orig, a);
    pcol_arena_destroy(a);
}

/* ---- OTLP -> pprof -> OTLP ---------------------------------------------- */

static void otlp_via_pprof(void **state)
{
    const char *name = *state;
    struct tu_batch_cmp_opts opts = {.ignore_scope_attrs = pprof_scope_keys};
    struct pcol_batch *orig = decode_otlp_file(name), *back;
    struct pcol_buf pprof;
    char why[WHY_LEN];

    encode_one_pprof(name, orig, &pprof);
    back = decode_pprof(name, pprof.p, pprof.len);
    pcol_buf_free(&pprof);
    if (!tu_batch_equal_opts(orig, back, &opts, why, sizeof(why))) {
        fail_msg("%s: OTLP -> pprof -> OTLP changed the data (A = original, B = result): %s", name,
                 why);
    }
    pcol_batch_release(back);
    pcol_batch_release(orig);
}

/* The .binpb and .json of one corpus example decode to the same batch. */
static void otlp_json_twin(void **state)
{
    const char *stem = *state;
    char bin[128], json[128], why[WHY_LEN];
    struct pcol_batch *a, *b;

    snprintf(bin, sizeof(bin), "%s.binpb", stem);
    snprintf(json, sizeof(json), "%s.json", stem);
    a = decode_otlp_file(bin);
    b = decode_otlp_file(json);
    if (!tu_batch_equal(a, b, why, sizeof(why))) {
        fail_msg("%s: .binpb (A) and .json (B) decode differently: %s", stem, why);
    }
    pcol_batch_release(a);
    pcol_batch_release(b);
}

/* ---- the pprof comparator itself ----------------------------------------- */

/* Two independent copies of the file that uses every pprof field. */
struct pair {
    struct pcol_arena *arena;
    Perftools__Profiles__Profile *a;
    Perftools__Profiles__Profile *b;
};

static void pair_load(struct pair *p)
{
    p->arena = pcol_arena_create(0);
    p->a = (Perftools__Profiles__Profile *)load_oracle("pprof_all_fields.pb.gz", p->arena);
    p->b = (Perftools__Profiles__Profile *)load_oracle("pprof_all_fields.pb.gz", p->arena);
}

/* Checks that the comparator sees the mutation made to p->b and names `what`. */
static void assert_detects(struct pair *p, const char *what)
{
    char why[WHY_LEN];

    if (tu_pprof_equal(p->a, p->b, why, sizeof(why))) {
        fail_msg("tu_pprof_equal missed a change of %s", what);
    }
    if (!strstr(why, what)) {
        fail_msg("tu_pprof_equal reason does not mention \"%s\": %s", what, why);
    }
    pcol_arena_destroy(p->arena);
}

static uint64_t string_index(const Perftools__Profiles__Profile *p, const char *s)
{
    size_t i;

    for (i = 0; i < p->n_string_table; i++) {
        if (strcmp(p->string_table[i], s) == 0) {
            return i;
        }
    }
    fail_msg("string \"%s\" not in the profile", s);
    return 0;
}

static Perftools__Profiles__Label *find_label(Perftools__Profiles__Profile *p, const char *key)
{
    int64_t k = (int64_t)string_index(p, key);
    size_t i, j;

    for (i = 0; i < p->n_sample; i++) {
        for (j = 0; j < p->sample[i]->n_label; j++) {
            if (p->sample[i]->label[j]->key == k) {
                return p->sample[i]->label[j];
            }
        }
    }
    fail_msg("no label \"%s\"", key);
    return NULL;
}

static void cmp_equal_after_renumbering(void **state)
{
    struct pair p;
    Perftools__Profiles__Profile *b;
    size_t i, j, k, n;
    char why[WHY_LEN];

    PCOL_UNUSED(state);
    pair_load(&p);
    b = p.b;
    /* New ids and reversed tables and samples say the same thing. */
    for (i = 0; i < b->n_location; i++) {
        b->location[i]->id += 1000;
        b->location[i]->mapping_id += b->location[i]->mapping_id ? 50 : 0;
        for (j = 0; j < b->location[i]->n_line; j++) {
            b->location[i]->line[j]->function_id += 70;
        }
    }
    for (i = 0; i < b->n_mapping; i++) {
        b->mapping[i]->id += 50;
    }
    for (i = 0; i < b->n_function; i++) {
        b->function[i]->id += 70;
    }
    for (i = 0; i < b->n_sample; i++) {
        for (j = 0; j < b->sample[i]->n_location_id; j++) {
            b->sample[i]->location_id[j] += 1000;
        }
    }
    n = b->n_sample;
    for (i = 0, k = n - 1; i < k; i++, k--) {
        Perftools__Profiles__Sample *t = b->sample[i];
        b->sample[i] = b->sample[k];
        b->sample[k] = t;
    }
    n = b->n_location;
    for (i = 0, k = n - 1; i < k; i++, k--) {
        Perftools__Profiles__Location *t = b->location[i];
        b->location[i] = b->location[k];
        b->location[k] = t;
    }
    if (!tu_pprof_equal(p.a, b, why, sizeof(why))) {
        fail_msg("renumbered copy compares unequal: %s", why);
    }
    pcol_arena_destroy(p.arena);
}

static void cmp_empty_function_is_none(void **state)
{
    Perftools__Profiles__Function empty = PERFTOOLS__PROFILES__FUNCTION__INIT;
    Perftools__Profiles__Function **fns;
    struct pair p;
    char why[WHY_LEN];

    PCOL_UNUSED(state);
    pair_load(&p);
    /* A: the line of location id 4 has no function; B: an all-empty one,
     * which OTLP cannot tell apart (its function 0 is the empty function). */
    p.a->location[3]->line[0]->function_id = 0;
    fns = pcol_arena_alloc(p.arena, (p.b->n_function + 1) * sizeof(*fns));
    memcpy(fns, p.b->function, p.b->n_function * sizeof(*fns));
    empty.id = 99;
    fns[p.b->n_function++] = &empty;
    p.b->function = fns;
    p.b->location[3]->line[0]->function_id = 99;
    if (!tu_pprof_equal(p.a, p.b, why, sizeof(why))) {
        fail_msg("empty function and no function compare unequal: %s", why);
    }
    pcol_arena_destroy(p.arena);
}

static void cmp_detects_label_str(void **state)
{
    struct pair p;

    PCOL_UNUSED(state);
    pair_load(&p);
    find_label(p.b, "thread_name")->str = (int64_t)string_index(p.b, "main");
    assert_detects(&p, "samples differ");
}

static void cmp_detects_label_num(void **state)
{
    struct pair p;

    PCOL_UNUSED(state);
    pair_load(&p);
    find_label(p.b, "allocation_size")->num++;
    assert_detects(&p, "samples differ");
}

static void cmp_detects_line_number(void **state)
{
    struct pair p;

    PCOL_UNUSED(state);
    pair_load(&p);
    p.b->location[0]->line[1]->line++;
    assert_detects(&p, "samples differ");
}

static void cmp_detects_location_swap(void **state)
{
    struct pair p;
    Perftools__Profiles__Sample *s;
    uint64_t t;

    PCOL_UNUSED(state);
    pair_load(&p);
    s = p.b->sample[0];
    assert_true(s->n_location_id >= 2);
    t = s->location_id[0];
    s->location_id[0] = s->location_id[1];
    s->location_id[1] = t;
    assert_detects(&p, "samples differ");
}

static void cmp_detects_dropped_sample(void **state)
{
    struct pair p;

    PCOL_UNUSED(state);
    pair_load(&p);
    p.b->n_sample--;
    assert_detects(&p, "1 only in A, 0 only in B");
}

static void cmp_detects_period(void **state)
{
    struct pair p;

    PCOL_UNUSED(state);
    pair_load(&p);
    p.b->period++;
    assert_detects(&p, "period differs");
}

static void cmp_detects_default_type(void **state)
{
    struct pair p;

    PCOL_UNUSED(state);
    pair_load(&p);
    /* Unset means "the last type" (wall), no longer cpu. */
    p.b->default_sample_type = 0;
    assert_detects(&p, "default sample type differs");
}

static void cmp_detects_bad_location_id(void **state)
{
    struct pair p;

    PCOL_UNUSED(state);
    pair_load(&p);
    p.b->sample[2]->location_id[0] = 99;
    assert_detects(&p, "B: sample 2: location id 99 does not exist");
}

/* ---- the batch comparator itself ----------------------------------------- */

/* What varies between the hand-built batches below. */
struct tiny {
    int pad_strings;    /* strings interned first, so indexes differ */
    bool reverse;       /* add the samples in the other order */
    bool int_service;   /* service.name as int 1 instead of string "1" */
    uint8_t span_last;  /* last byte of the span id */
    const char *thread; /* value of the thread.name sample attribute */
    bool order_attr;    /* add a pprof.scope.sample_type_order scope attribute */
};

static int32_t tiny_location(struct pcol_batch *b, const char *fn, int64_t line, uint64_t addr)
{
    struct pcol_function f = {0};
    struct pcol_line l = {0};
    struct pcol_location loc = {0};

    f.name = pcol_dict_cstr(b, fn);
    f.filename = pcol_dict_cstr(b, "main.c");
    l.function = pcol_dict_intern(b, &b->dict.functions, &f);
    l.line = line;
    loc.address = addr;
    loc.lines = pcol_arena_memdup(b->arena, &l, sizeof(l));
    loc.n_lines = 1;
    return pcol_dict_intern(b, &b->dict.locations, &loc);
}

static void tiny_sample(struct pcol_batch *b, struct pcol_profile *p, const struct tiny *t,
                        int which, const int32_t *locs)
{
    static const uint8_t trace[16] = {0x11, 0x22};
    uint8_t span[8] = {1, 2, 3, 4, 5, 6, 7, 0};
    struct pcol_value v = {.kind = PCOL_VAL_STR};
    struct pcol_sample *s = pcol_profile_add_sample(b, p);
    int32_t attr;

    s->values = pcol_arena_alloc(b->arena, sizeof(int64_t));
    s->n_values = 1;
    if (which == 0) {
        s->stack = pcol_dict_stack(b, locs, 2);
        span[7] = t->span_last;
        s->link = pcol_dict_link(b, trace, span);
        s->values[0] = 5;
    } else {
        s->stack = pcol_dict_stack(b, locs + 1, 1);
        v.u.str = pcol_dict_cstr(b, t->thread);
        attr = pcol_dict_attr(b, pcol_dict_cstr(b, "thread.name"), &v, 0);
        s->attrs = pcol_ilist_dup(b, &attr, 1);
        s->values[0] = 3;
    }
}

static struct pcol_batch *tiny_batch(const struct tiny *t)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_resource *r;
    struct pcol_scope *s;
    struct pcol_profile *p;
    struct pcol_kv *kv;
    int32_t locs[2];
    int i;

    for (i = 0; i < t->pad_strings; i++) {
        char pad[16];
        snprintf(pad, sizeof(pad), "pad%d", i);
        pcol_dict_cstr(b, pad);
    }
    locs[0] = tiny_location(b, "leaf", 10, 0x1000);
    locs[1] = tiny_location(b, "main", 20, 0x2000);
    r = pcol_batch_add_resource(b);
    kv = pcol_arena_calloc(b->arena, sizeof(*kv));
    kv->key = pcol_dict_cstr(b, "service.name");
    kv->value.kind = t->int_service ? PCOL_VAL_INT : PCOL_VAL_STR;
    if (t->int_service) {
        kv->value.u.i = 1;
    } else {
        kv->value.u.str = pcol_dict_cstr(b, "1");
    }
    r->attrs = kv;
    r->n_attrs = 1;
    s = pcol_resource_add_scope(b, r);
    s->name = pcol_dict_cstr(b, "tiny");
    if (t->order_attr) {
        kv = pcol_arena_calloc(b->arena, sizeof(*kv));
        kv->key = pcol_dict_cstr(b, "pprof.scope.sample_type_order");
        kv->value.kind = PCOL_VAL_INT;
        s->attrs = kv;
        s->n_attrs = 1;
    }
    p = pcol_scope_add_profile(b, s);
    p->sample_type.type = pcol_dict_cstr(b, "cpu");
    p->sample_type.unit = pcol_dict_cstr(b, "nanoseconds");
    tiny_sample(b, p, t, t->reverse ? 1 : 0, locs);
    tiny_sample(b, p, t, t->reverse ? 0 : 1, locs);
    return b;
}

/* Builds the base batch and the variant and compares them. */
static bool tiny_equal(const struct tiny *variant, const struct tu_batch_cmp_opts *opts, char *why)
{
    static const struct tiny base = {.span_last = 7, .thread = "w1"};
    struct pcol_batch *a = tiny_batch(&base), *b = tiny_batch(variant);
    bool eq = tu_batch_equal_opts(a, b, opts, why, WHY_LEN);

    pcol_batch_release(a);
    pcol_batch_release(b);
    return eq;
}

static void batch_cmp_normalises(void **state)
{
    struct tiny t = {.pad_strings = 5, .reverse = true, .span_last = 7, .thread = "w1"};
    char why[WHY_LEN];

    PCOL_UNUSED(state);
    if (!tiny_equal(&t, NULL, why)) {
        fail_msg("same content, other dictionary order compares unequal: %s", why);
    }
}

static void batch_cmp_detects(void **state)
{
    static const struct {
        struct tiny t;
        const char *what;
    } cases[] = {
        {{.span_last = 8, .thread = "w1"}, "samples differ"},
        {{.span_last = 7, .thread = "w2"}, "samples differ"},
        {{.span_last = 7, .thread = "w1", .int_service = true}, "attribute set differs"},
        {{.span_last = 7, .thread = "w1", .order_attr = true}, "scope 0: attribute set differs"},
    };
    char why[WHY_LEN];
    size_t i;

    PCOL_UNUSED(state);
    for (i = 0; i < PCOL_ARRAY_SIZE(cases); i++) {
        if (tiny_equal(&cases[i].t, NULL, why)) {
            fail_msg("tu_batch_equal missed difference %zu (%s)", i, cases[i].what);
        }
        if (!strstr(why, cases[i].what)) {
            fail_msg("case %zu: reason does not mention \"%s\": %s", i, cases[i].what, why);
        }
    }
}

static void batch_cmp_ignores_scope_keys(void **state)
{
    struct tiny t = {.span_last = 7, .thread = "w1", .order_attr = true};
    struct tu_batch_cmp_opts opts = {.ignore_scope_attrs = pprof_scope_keys};
    char why[WHY_LEN];

    PCOL_UNUSED(state);
    if (!tiny_equal(&t, &opts, why)) {
        fail_msg("ignored scope attribute still compared: %s", why);
    }
}

/* ---- test list ----------------------------------------------------------- */

/* A case per corpus file: cmocka prints the name, so it names the file. */
#define CASE(fn, file)                                                                             \
    {                                                                                              \
#fn "(" file ")", fn, NULL, NULL, (void *)(file)                                           \
    }
#define PPROF(file)                                                                                \
    CASE(pprof_via_otlp, file), CASE(pprof_via_otlp_json, file), CASE(pprof_via_model, file)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cmp_equal_after_renumbering),
        cmocka_unit_test(cmp_empty_function_is_none),
        cmocka_unit_test(cmp_detects_label_str),
        cmocka_unit_test(cmp_detects_label_num),
        cmocka_unit_test(cmp_detects_line_number),
        cmocka_unit_test(cmp_detects_location_swap),
        cmocka_unit_test(cmp_detects_dropped_sample),
        cmocka_unit_test(cmp_detects_period),
        cmocka_unit_test(cmp_detects_default_type),
        cmocka_unit_test(cmp_detects_bad_location_id),
        cmocka_unit_test(batch_cmp_normalises),
        cmocka_unit_test(batch_cmp_detects),
        cmocka_unit_test(batch_cmp_ignores_scope_keys),
        PPROF("pprof_all_fields.pb.gz"),
        PPROF("google-pprof__sample.cpu"),
        PPROF("google-pprof__cppbench.cpu_no_samples_type"),
        PPROF("google-pprof__go.nomappings.crash"),
        PPROF("google-pprof__large.cpu"),
        PPROF("parca__two-stacks.pb.gz"),
        PPROF("parca__single-stack.pb.gz"),
        PPROF("parca__profile-with-labels.pb.gz"),
        PPROF("parca__alloc_objects.pb.gz"),
        PPROF("parca__fgprof.pb.gz"),
        PPROF("parca__normal-cpu.stripped.pprof"),
        PPROF("parca__normalizer-profile.pb.gz"),
        CASE(otlp_via_pprof, "otlp_spec_simple_cpu.binpb"),
        CASE(otlp_via_pprof, "otlp_spec_simple_cpu.json"),
        CASE(otlp_via_pprof, "otlp_spec_resource_link.binpb"),
        CASE(otlp_via_pprof, "otlp_spec_resource_link.json"),
        CASE(otlp_json_twin, "otlp_spec_simple_cpu"),
        CASE(otlp_json_twin, "otlp_spec_resource_link"),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
