/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_otlp_encode.c: the model -> an OTLP Profiles request in protobuf-c
 * structs (pcol__otlp_to_pb, behind both the protobuf and the JSON encoder),
 * and the resource/scope context JSON the pprof encoder writes
 * (pcol__otlp_context_to_json).
 *
 * Ownership: the structs are built in a caller-given (or scratch) arena and
 * borrow the batch's strings, bytes and int arrays, so nothing is copied
 * before packing and the batch must outlive them.
 */
#include "codec_otlp_internal.h"

#include <string.h>

#define PB_P(n) Opentelemetry__Proto__Profiles__V1development__##n
#define PB_C(n) Opentelemetry__Proto__Common__V1__##n
#define PB_R(n) Opentelemetry__Proto__Resource__V1__##n
#define AV_CASE(c) OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_##c

struct enc {
    const struct pcol_batch *b;
    struct pcol_arena *a;
    /* Resource/scope KeyValues: keys and non-empty strings as string-table
     * indexes (what the collector sends), or plain (context JSON). */
    bool strindex;
};

static const PB_C(AnyValue) anyvalue_init = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__INIT;
static const PB_C(KeyValue) keyvalue_init = OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE__INIT;

static char *cs(const struct pcol_batch *b, int32_t i)
{
    return (char *)pcol_cstr(b, i);
}

/* n messages copied from `init` in one block, plus the pointer array that
 * protobuf-c wants, also in one block. */
static void *msg_array(struct pcol_arena *a, size_t n, const void *init, size_t size)
{
    char *m;
    void **v;
    size_t i;

    if (!n) {
        return NULL;
    }
    m = pcol_arena_alloc(a, n * size);
    v = pcol_arena_alloc(a, n * sizeof(void *));
    for (i = 0; i < n; i++) {
        memcpy(m + i * size, init, size);
        v[i] = m + i * size;
    }
    return v;
}

static PB_C(KeyValue) *
    *kvs_to_pb(struct enc *e, const struct pcol_kv *kv, uint32_t n, bool strindex);

static void value_to_pb(struct enc *e, const struct pcol_value *v, PB_C(AnyValue) * out,
                        bool strindex)
{
    uint32_t i;

    *out = anyvalue_init;
    switch (v->kind) {
    case PCOL_VAL_STR:
        if (strindex && v->u.str > 0) {
            out->value_case = AV_CASE(STRING_VALUE_STRINDEX);
            out->string_value_strindex = v->u.str;
        } else {
            out->value_case = AV_CASE(STRING_VALUE);
            out->string_value = cs(e->b, v->u.str);
        }
        break;
    case PCOL_VAL_BOOL:
        out->value_case = AV_CASE(BOOL_VALUE);
        out->bool_value = v->u.b;
        break;
    case PCOL_VAL_INT:
        out->value_case = AV_CASE(INT_VALUE);
        out->int_value = v->u.i;
        break;
    case PCOL_VAL_DOUBLE:
        out->value_case = AV_CASE(DOUBLE_VALUE);
        out->double_value = v->u.d;
        break;
    case PCOL_VAL_BYTES:
        out->value_case = AV_CASE(BYTES_VALUE);
        out->bytes_value.len = v->n;
        out->bytes_value.data = (uint8_t *)v->u.bytes;
        break;
    case PCOL_VAL_ARRAY: {
        static const PB_C(ArrayValue) init = OPENTELEMETRY__PROTO__COMMON__V1__ARRAY_VALUE__INIT;
        PB_C(ArrayValue) *arr = pcol_arena_alloc(e->a, sizeof(*arr));
        *arr = init;
        arr->n_values = v->n;
        arr->values = msg_array(e->a, v->n, &anyvalue_init, sizeof(PB_C(AnyValue)));
        for (i = 0; i < v->n; i++) {
            value_to_pb(e, &v->u.array[i], arr->values[i], strindex);
        }
        out->value_case = AV_CASE(ARRAY_VALUE);
        out->array_value = arr;
        break;
    }
    case PCOL_VAL_KVLIST: {
        static const PB_C(KeyValueList) init =
            OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE_LIST__INIT;
        PB_C(KeyValueList) *kl = pcol_arena_alloc(e->a, sizeof(*kl));
        *kl = init;
        kl->n_values = v->n;
        kl->values = kvs_to_pb(e, v->u.kvlist, v->n, strindex);
        out->value_case = AV_CASE(KVLIST_VALUE);
        out->kvlist_value = kl;
        break;
    }
    default: break;
    }
}

/* An AnyValue for a single field, or NULL for the empty value. */
static PB_C(AnyValue) * value_msg(struct enc *e, const struct pcol_value *v, bool strindex)
{
    PB_C(AnyValue) * out;

    if (v->kind == PCOL_VAL_EMPTY) {
        return NULL;
    }
    out = pcol_arena_alloc(e->a, sizeof(*out));
    value_to_pb(e, v, out, strindex);
    return out;
}

static PB_C(KeyValue) *
    *kvs_to_pb(struct enc *e, const struct pcol_kv *kv, uint32_t n, bool strindex)
{
    PB_C(KeyValue) **out = msg_array(e->a, n, &keyvalue_init, sizeof(PB_C(KeyValue)));
    uint32_t i;

    for (i = 0; i < n; i++) {
        if (strindex) {
            out[i]->key_strindex = kv[i].key;
        } else {
            out[i]->key = cs(e->b, kv[i].key);
        }
        out[i]->value = value_msg(e, &kv[i].value, strindex);
    }
    return out;
}

static PB_P(ProfilesDictionary) * dict_to_pb(struct enc *e)
{
    static const PB_P(ProfilesDictionary) dict_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__PROFILES_DICTIONARY__INIT;
    static const PB_P(Mapping) mapping_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__MAPPING__INIT;
    static const PB_P(Location) location_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__LOCATION__INIT;
    static const PB_P(Line) line_init = OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__LINE__INIT;
    static const PB_P(Function) function_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__FUNCTION__INIT;
    static const PB_P(Link) link_init = OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__LINK__INIT;
    static const PB_P(KeyValueAndUnit) attr_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__KEY_VALUE_AND_UNIT__INIT;
    static const PB_P(Stack) stack_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__STACK__INIT;
    const struct pcol_batch *b = e->b;
    const struct pcol_dict *dt = &b->dict;
    PB_P(ProfilesDictionary) *d = pcol_arena_alloc(e->a, sizeof(*d));
    uint32_t i, k;

    *d = dict_init;
    d->n_string_table = dt->strings.n;
    d->string_table = pcol_arena_alloc(e->a, dt->strings.n * sizeof(char *));
    for (i = 0; i < dt->strings.n; i++) {
        d->string_table[i] = cs(b, (int32_t)i);
    }

    d->n_mapping_table = dt->mappings.n;
    d->mapping_table = msg_array(e->a, dt->mappings.n, &mapping_init, sizeof(mapping_init));
    for (i = 0; i < dt->mappings.n; i++) {
        const struct pcol_mapping *m = pcol_mapping_at(b, (int32_t)i);
        PB_P(Mapping) *o = d->mapping_table[i];
        o->memory_start = m->memory_start;
        o->memory_limit = m->memory_limit;
        o->file_offset = m->file_offset;
        o->filename_strindex = m->filename;
        o->n_attribute_indices = m->attrs.n;
        o->attribute_indices = m->attrs.v;
    }

    d->n_location_table = dt->locations.n;
    d->location_table = msg_array(e->a, dt->locations.n, &location_init, sizeof(location_init));
    for (i = 0; i < dt->locations.n; i++) {
        const struct pcol_location *l = pcol_location_at(b, (int32_t)i);
        PB_P(Location) *o = d->location_table[i];
        o->mapping_index = l->mapping;
        o->address = l->address;
        o->n_lines = l->n_lines;
        o->lines = msg_array(e->a, l->n_lines, &line_init, sizeof(line_init));
        for (k = 0; k < l->n_lines; k++) {
            o->lines[k]->function_index = l->lines[k].function;
            o->lines[k]->line = l->lines[k].line;
            o->lines[k]->column = l->lines[k].column;
        }
        o->n_attribute_indices = l->attrs.n;
        o->attribute_indices = l->attrs.v;
    }

    d->n_function_table = dt->functions.n;
    d->function_table = msg_array(e->a, dt->functions.n, &function_init, sizeof(function_init));
    for (i = 0; i < dt->functions.n; i++) {
        const struct pcol_function *f = pcol_function_at(b, (int32_t)i);
        PB_P(Function) *o = d->function_table[i];
        o->name_strindex = f->name;
        o->system_name_strindex = f->system_name;
        o->filename_strindex = f->filename;
        o->start_line = f->start_line;
    }

    /* Every link, entry 0 included, gets 16 + 8 bytes, as the proto asks. */
    d->n_link_table = dt->links.n;
    d->link_table = msg_array(e->a, dt->links.n, &link_init, sizeof(link_init));
    for (i = 0; i < dt->links.n; i++) {
        const struct pcol_link *l = pcol_link_at(b, (int32_t)i);
        d->link_table[i]->trace_id.len = sizeof(l->trace_id);
        d->link_table[i]->trace_id.data = (uint8_t *)l->trace_id;
        d->link_table[i]->span_id.len = sizeof(l->span_id);
        d->link_table[i]->span_id.data = (uint8_t *)l->span_id;
    }

    d->n_attribute_table = dt->attrs.n;
    d->attribute_table = msg_array(e->a, dt->attrs.n, &attr_init, sizeof(attr_init));
    for (i = 0; i < dt->attrs.n; i++) {
        const struct pcol_attr *a = pcol_attr_at(b, (int32_t)i);
        PB_P(KeyValueAndUnit) *o = d->attribute_table[i];
        o->key_strindex = a->key;
        o->unit_strindex = a->unit;
        o->value = value_msg(e, &a->value, false);
    }

    d->n_stack_table = dt->stacks.n;
    d->stack_table = msg_array(e->a, dt->stacks.n, &stack_init, sizeof(stack_init));
    for (i = 0; i < dt->stacks.n; i++) {
        const struct pcol_stack *s = pcol_stack_at(b, (int32_t)i);
        d->stack_table[i]->n_location_indices = s->locations.n;
        d->stack_table[i]->location_indices = s->locations.v;
    }
    return d;
}

static PB_R(Resource) * resource_to_pb(struct enc *e, const struct pcol_resource *r)
{
    static const PB_R(Resource) init = OPENTELEMETRY__PROTO__RESOURCE__V1__RESOURCE__INIT;
    static const PB_R(EntityRef) ref_init = OPENTELEMETRY__PROTO__RESOURCE__V1__ENTITY_REF__INIT;
    PB_R(Resource) * o;
    uint32_t i, k;

    if (!r->n_attrs && !r->dropped_attributes_count && !r->n_entity_refs) {
        return NULL;
    }
    o = pcol_arena_alloc(e->a, sizeof(*o));
    *o = init;
    o->n_attributes = r->n_attrs;
    o->attributes = kvs_to_pb(e, r->attrs, r->n_attrs, e->strindex);
    o->dropped_attributes_count = r->dropped_attributes_count;
    o->n_entity_refs = r->n_entity_refs;
    o->entity_refs = msg_array(e->a, r->n_entity_refs, &ref_init, sizeof(ref_init));
    for (i = 0; i < r->n_entity_refs; i++) {
        const struct pcol_entity_ref *er = &r->entity_refs[i];
        PB_R(EntityRef) *oe = o->entity_refs[i];
        oe->schema_url = cs(e->b, er->schema_url);
        oe->type = cs(e->b, er->type);
        oe->n_id_keys = er->id_keys.n;
        oe->id_keys = pcol_arena_alloc(e->a, er->id_keys.n * sizeof(char *));
        for (k = 0; k < er->id_keys.n; k++) {
            oe->id_keys[k] = cs(e->b, er->id_keys.v[k]);
        }
        oe->n_description_keys = er->description_keys.n;
        oe->description_keys = pcol_arena_alloc(e->a, er->description_keys.n * sizeof(char *));
        for (k = 0; k < er->description_keys.n; k++) {
            oe->description_keys[k] = cs(e->b, er->description_keys.v[k]);
        }
    }
    return o;
}

static PB_C(InstrumentationScope) * scope_to_pb(struct enc *e, const struct pcol_scope *s)
{
    static const PB_C(InstrumentationScope) init =
        OPENTELEMETRY__PROTO__COMMON__V1__INSTRUMENTATION_SCOPE__INIT;
    PB_C(InstrumentationScope) * o;

    if (!s->name && !s->version && !s->n_attrs && !s->dropped_attributes_count) {
        return NULL;
    }
    o = pcol_arena_alloc(e->a, sizeof(*o));
    *o = init;
    o->name = cs(e->b, s->name);
    o->version = cs(e->b, s->version);
    o->n_attributes = s->n_attrs;
    o->attributes = kvs_to_pb(e, s->attrs, s->n_attrs, e->strindex);
    o->dropped_attributes_count = s->dropped_attributes_count;
    return o;
}

static PB_P(ValueType) * value_type_to_pb(struct enc *e, struct pcol_value_type vt)
{
    static const PB_P(ValueType) init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__VALUE_TYPE__INIT;
    PB_P(ValueType) *o = pcol_arena_alloc(e->a, sizeof(*o));

    *o = init;
    o->type_strindex = vt.type;
    o->unit_strindex = vt.unit;
    return o;
}

static void profile_to_pb(struct enc *e, const struct pcol_profile *p, PB_P(Profile) * o)
{
    static const PB_P(Sample) sample_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__SAMPLE__INIT;
    uint32_t i;

    /* Always present, as the collector writes them. */
    o->sample_type = value_type_to_pb(e, p->sample_type);
    o->period_type = value_type_to_pb(e, p->period_type);
    o->time_unix_nano = p->time_unix_nano;
    o->duration_nano = p->duration_nano;
    o->period = p->period;
    if (!pcol__all_zero(p->profile_id, sizeof(p->profile_id))) {
        o->profile_id.len = sizeof(p->profile_id);
        o->profile_id.data = (uint8_t *)p->profile_id;
    }
    o->dropped_attributes_count = p->dropped_attributes_count;
    o->original_payload_format = cs(e->b, p->original_payload_format);
    o->original_payload.len = p->original_payload_len;
    o->original_payload.data = (uint8_t *)p->original_payload;
    o->n_attribute_indices = p->attrs.n;
    o->attribute_indices = p->attrs.v;
    o->n_samples = p->n_samples;
    o->samples = msg_array(e->a, p->n_samples, &sample_init, sizeof(sample_init));
    for (i = 0; i < p->n_samples; i++) {
        const struct pcol_sample *s = &p->samples[i];
        PB_P(Sample) *os = o->samples[i];
        os->stack_index = s->stack;
        os->link_index = s->link;
        os->n_attribute_indices = s->attrs.n;
        os->attribute_indices = s->attrs.v;
        os->n_values = s->n_values;
        os->values = s->values;
        os->n_timestamps_unix_nano = s->n_timestamps;
        os->timestamps_unix_nano = s->timestamps;
    }
}

static PB_P(ScopeProfiles) * *scopes_to_pb(struct enc *e, const struct pcol_resource *r)
{
    static const PB_P(ScopeProfiles) init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__SCOPE_PROFILES__INIT;
    static const PB_P(Profile) profile_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__PROFILE__INIT;
    PB_P(ScopeProfiles) **out = msg_array(e->a, r->n_scopes, &init, sizeof(init));
    uint32_t j, k;

    for (j = 0; j < r->n_scopes; j++) {
        const struct pcol_scope *s = &r->scopes[j];
        PB_P(ScopeProfiles) *o = out[j];
        o->scope = scope_to_pb(e, s);
        o->schema_url = cs(e->b, s->schema_url);
        o->n_profiles = s->n_profiles;
        o->profiles = msg_array(e->a, s->n_profiles, &profile_init, sizeof(profile_init));
        for (k = 0; k < s->n_profiles; k++) {
            profile_to_pb(e, &s->profiles[k], o->profiles[k]);
        }
    }
    return out;
}

pcol_pb_export_request *pcol__otlp_to_pb(const struct pcol_batch *b, struct pcol_arena *a)
{
    static const pcol_pb_export_request init = PCOL_PB_REQUEST_INIT;
    static const PB_P(ResourceProfiles) rp_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__RESOURCE_PROFILES__INIT;
    struct enc e = {b, a, true};
    pcol_pb_export_request *req = pcol_arena_alloc(a, sizeof(*req));
    uint32_t i;

    *req = init;
    req->dictionary = dict_to_pb(&e);
    req->n_resource_profiles = b->n_resources;
    req->resource_profiles = msg_array(a, b->n_resources, &rp_init, sizeof(rp_init));
    for (i = 0; i < b->n_resources; i++) {
        const struct pcol_resource *r = &b->resources[i];
        PB_P(ResourceProfiles) *o = req->resource_profiles[i];
        o->resource = resource_to_pb(&e, r);
        o->schema_url = cs(b, r->schema_url);
        o->n_scope_profiles = r->n_scopes;
        o->scope_profiles = scopes_to_pb(&e, r);
    }
    return req;
}

/* ---- context JSON -------------------------------------------------------- */

void pcol__otlp_context_to_json(const struct pcol_batch *b, const struct pcol_resource *r,
                                const struct pcol_scope *s, struct pcol_buf *out)
{
    static const PB_P(ResourceProfiles) rp_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__RESOURCE_PROFILES__INIT;
    static const PB_P(ScopeProfiles) sp_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__SCOPE_PROFILES__INIT;
    struct pcol_arena *a = pcol_arena_create(0);
    struct enc e = {b, a, false};
    PB_P(ResourceProfiles) rp = rp_init;
    PB_P(ScopeProfiles) sp = sp_init, *sps[1] = {&sp};

    rp.resource = resource_to_pb(&e, r);
    rp.schema_url = cs(b, r->schema_url);
    sp.scope = scope_to_pb(&e, s);
    sp.schema_url = cs(b, s->schema_url);
    rp.n_scope_profiles = 1;
    rp.scope_profiles = sps;
    pcol_pbjson_encode(&rp.base, out);
    pcol_arena_destroy(a);
}
