/* SPDX-License-Identifier: Apache-2.0 */
/* test_profile.c: the model: zero entries, interning, merge and clone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "profile.h"

/* Builds a small batch: service `svc`, one profile of `n` samples whose
 * stacks alternate between two stacks that share locations. */
static struct pcol_batch *make_batch(const char *svc, const char *fn_prefix, int n)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_resource *r = pcol_batch_add_resource(b);
    struct pcol_scope *s;
    struct pcol_profile *p;
    struct pcol_function f = {0};
    struct pcol_mapping m = {0};
    struct pcol_line lines[2];
    struct pcol_location loc = {0};
    int32_t fidx[2], locs[3], st[2];
    struct pcol_value v = {PCOL_VAL_STR, 0, {0}};
    char name[64];
    int i;

    r->attrs = pcol_arena_alloc(b->arena, sizeof(struct pcol_kv));
    r->attrs[0].key = pcol_dict_cstr(b, "service.name");
    r->attrs[0].value.kind = PCOL_VAL_STR;
    r->attrs[0].value.u.str = pcol_dict_cstr(b, svc);
    r->n_attrs = 1;
    s = pcol_resource_add_scope(b, r);
    s->name = pcol_dict_cstr(b, "test");
    p = pcol_scope_add_profile(b, s);
    p->sample_type.type = pcol_dict_cstr(b, "cpu");
    p->sample_type.unit = pcol_dict_cstr(b, "nanoseconds");
    p->period = 10;

    m.memory_start = 0x1000;
    m.memory_limit = 0x9000;
    m.filename = pcol_dict_cstr(b, "/bin/app");
    m.attrs.n = 0;
    loc.mapping = pcol_dict_intern(b, &b->dict.mappings, &m);
    for (i = 0; i < 2; i++) {
        snprintf(name, sizeof(name), "%s%d", fn_prefix, i);
        f.name = pcol_dict_cstr(b, name);
        f.filename = pcol_dict_cstr(b, "main.c");
        fidx[i] = pcol_dict_intern(b, &b->dict.functions, &f);
    }
    for (i = 0; i < 3; i++) {
        lines[0].function = fidx[i % 2];
        lines[0].line = 10 + i;
        lines[0].column = 0;
        loc.address = 0x1000 + (uint64_t)i * 16;
        loc.lines = pcol_arena_memdup(b->arena, lines, sizeof(lines[0]));
        loc.n_lines = 1;
        locs[i] = pcol_dict_intern(b, &b->dict.locations, &loc);
    }
    st[0] = pcol_dict_stack(b, locs, 3);
    st[1] = pcol_dict_stack(b, locs + 1, 2);
    v.u.str = pcol_dict_cstr(b, "worker");
    for (i = 0; i < n; i++) {
        struct pcol_sample *smp = pcol_profile_add_sample(b, p);
        int32_t a = pcol_dict_attr(b, pcol_dict_cstr(b, "thread.name"), &v, 0);
        smp->stack = st[i % 2];
        smp->attrs = pcol_ilist_dup(b, &a, 1);
        smp->values = pcol_arena_alloc(b->arena, sizeof(int64_t));
        smp->values[0] = i + 1;
        smp->n_values = 1;
    }
    return b;
}

static void test_zero_entries(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0);

    (void)state;
    assert_int_equal(b->dict.strings.n, 1);
    assert_string_equal(pcol_cstr(b, 0), "");
    assert_int_equal(b->dict.stacks.n, 1);
    assert_int_equal(pcol_stack_at(b, 0)->locations.n, 0);
    assert_int_equal(b->dict.links.n, 1);
    assert_int_equal(pcol_dict_cstr(b, ""), 0);
    pcol_batch_release(b);
}

static void test_interning(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0);
    char buf[32];
    int32_t a, c, i;

    (void)state;
    a = pcol_dict_cstr(b, "alpha");
    c = pcol_dict_cstr(b, "beta");
    assert_int_not_equal(a, c);
    strcpy(buf, "alpha");
    assert_int_equal(pcol_dict_cstr(b, buf), a);
    buf[0] = 'X'; /* the table kept its own copy */
    assert_string_equal(pcol_cstr(b, a), "alpha");
    assert_int_equal(pcol_dict_find_str(b, "beta", 4), c);
    assert_int_equal(pcol_dict_find_str(b, "gamma", 5), -1);
    /* Many strings: the index grows and every one is still found. */
    for (i = 0; i < 5000; i++) {
        snprintf(buf, sizeof(buf), "s%d", i);
        assert_int_equal(pcol_dict_cstr(b, buf), i + 3);
    }
    for (i = 0; i < 5000; i++) {
        snprintf(buf, sizeof(buf), "s%d", i);
        assert_int_equal(pcol_dict_find_str(b, buf, strlen(buf)), i + 3);
    }
    pcol_batch_release(b);
}

static void test_append_then_intern(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0);
    int32_t x, y;

    (void)state;
    /* Appends skip dedupe; a later intern still finds them (lazy index). */
    x = pcol_dict_str_append(b, "dup", 3);
    y = pcol_dict_str_append(b, "dup", 3);
    assert_int_not_equal(x, y);
    assert_true(pcol_dict_cstr(b, "dup") == x || pcol_dict_cstr(b, "dup") == y);
    assert_int_equal(b->dict.strings.n, 3);
    pcol_batch_release(b);
}

static void test_value_equality(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_value arr1[2], arr2[2], v1, v2;
    int32_t k = pcol_dict_cstr(b, "k"), i1, i2;

    (void)state;
    arr1[0].kind = arr2[0].kind = PCOL_VAL_INT;
    arr1[0].u.i = arr2[0].u.i = 7;
    arr1[1].kind = arr2[1].kind = PCOL_VAL_STR;
    arr1[1].u.str = arr2[1].u.str = pcol_dict_cstr(b, "x");
    v1.kind = v2.kind = PCOL_VAL_ARRAY;
    v1.n = v2.n = 2;
    v1.u.array = arr1;
    v2.u.array = arr2;
    assert_true(pcol_value_eq(&v1, &v2));
    assert_int_equal(pcol_value_hash(&v1, 0), pcol_value_hash(&v2, 0));
    i1 = pcol_dict_attr(b, k, &v1, 0);
    i2 = pcol_dict_attr(b, k, &v2, 0);
    assert_int_equal(i1, i2);
    arr2[0].u.i = 8;
    assert_false(pcol_value_eq(&v1, &v2));
    /* Same value, different unit: different attribute. */
    arr2[0].u.i = 7;
    assert_int_not_equal(pcol_dict_attr(b, k, &v2, pcol_dict_cstr(b, "bytes")), i1);
    pcol_batch_release(b);
}

/* Walks a sample's stack to its leaf function name. */
static const char *leaf_name(const struct pcol_batch *b, const struct pcol_sample *s)
{
    const struct pcol_stack *st = pcol_stack_at(b, s->stack);
    const struct pcol_location *l = pcol_location_at(b, st->locations.v[0]);

    return pcol_cstr(b, pcol_function_at(b, l->lines[0].function)->name);
}

static void test_merge_dedupes_and_remaps(void **state)
{
    struct pcol_batch *a = make_batch("svc-a", "fn", 10);
    struct pcol_batch *b = make_batch("svc-b", "fn", 6);
    struct pcol_batch *c = make_batch("svc-c", "other", 4);
    uint32_t strings, stacks, locations;
    const struct pcol_profile *p;
    uint32_t i;

    (void)state;
    strings = a->dict.strings.n;
    stacks = a->dict.stacks.n;
    locations = a->dict.locations.n;
    pcol_batch_merge(a, b);
    /* Same functions and stacks: only the new service name is added. */
    assert_int_equal(a->dict.strings.n, strings + 1);
    assert_int_equal(a->dict.stacks.n, stacks);
    assert_int_equal(a->dict.locations.n, locations);
    assert_int_equal(a->n_resources, 2);
    assert_int_equal(pcol_batch_sample_count(a), 16);

    pcol_batch_merge(a, c);
    assert_int_equal(a->n_resources, 3);
    assert_int_equal(a->dict.stacks.n, stacks + 2);
    /* Samples of merged batches resolve to their own functions, and stacks
     * shared between samples stay shared (the collector's old merge bug). */
    p = &a->resources[2].scopes[0].profiles[0];
    for (i = 0; i < p->n_samples; i++) {
        assert_true(strncmp(leaf_name(a, &p->samples[i]), "other", 5) == 0);
        assert_int_equal(p->samples[i].values[0], (int64_t)i + 1);
    }
    assert_int_equal(p->samples[0].stack, p->samples[2].stack);
    assert_int_not_equal(p->samples[0].stack, p->samples[1].stack);
    assert_string_equal(pcol_cstr(a, a->resources[2].attrs[0].value.u.str), "svc-c");
    assert_string_equal(pcol_cstr(a, a->resources[1].scopes[0].name), "test");
    pcol_batch_release(a);
    pcol_batch_release(b);
    pcol_batch_release(c);
}

static void test_clone_is_deep_and_equal(void **state)
{
    struct pcol_batch *a = make_batch("svc", "fn", 8);
    struct pcol_batch *c = pcol_batch_clone(a);
    const struct pcol_profile *pa = &a->resources[0].scopes[0].profiles[0];
    const struct pcol_profile *pc = &c->resources[0].scopes[0].profiles[0];
    uint32_t i;

    (void)state;
    assert_ptr_not_equal(a->arena, c->arena);
    assert_int_equal(a->dict.strings.n, c->dict.strings.n);
    assert_int_equal(pc->n_samples, pa->n_samples);
    for (i = 0; i < pa->n_samples; i++) {
        assert_string_equal(leaf_name(a, &pa->samples[i]), leaf_name(c, &pc->samples[i]));
        assert_ptr_not_equal(pa->samples[i].values, pc->samples[i].values);
    }
    pcol_batch_release(a); /* the clone must not point into a's arena */
    assert_string_equal(leaf_name(c, &pc->samples[1]), "fn1");
    pcol_batch_release(c);
}

/* A clone copies only what something refers to: after the names of one
 * function are cut off and a sample type string is orphaned, they are gone
 * from the clone while everything reachable is still there. */
static void test_clone_compacts(void **state)
{
    struct pcol_batch *a = make_batch("svc", "fn", 4);
    struct pcol_batch *c;
    struct pcol_function *f0 = &PCOL_TABLE_AT(a->dict.functions, struct pcol_function, 1);
    int32_t unused = pcol_dict_cstr(a, "nobody.refers.to.me");

    (void)state;
    assert_true(unused > 0);
    assert_string_equal(pcol_cstr(a, f0->name), "fn0");
    f0->name = 0;
    f0->filename = 0;
    c = pcol_batch_clone(a);
    assert_int_equal(pcol_dict_find_str(c, "nobody.refers.to.me", 19), -1);
    assert_int_equal(pcol_dict_find_str(c, "fn0", 3), -1);
    assert_true(pcol_dict_find_str(c, "fn1", 3) > 0);
    assert_true(pcol_dict_find_str(c, "main.c", 6) > 0);
    assert_true(c->dict.strings.n < a->dict.strings.n);
    assert_int_equal(pcol_batch_sample_count(c), 4);
    pcol_batch_release(a);
    pcol_batch_release(c);
}

/* Samples copied one at a time through a map land on equal indexes in the
 * destination, and equal stacks of two sources map to one stack. */
static void test_dict_map_samples(void **state)
{
    struct pcol_batch *a = make_batch("svc", "fn", 2), *b = make_batch("svc", "fn", 2);
    struct pcol_batch *d = pcol_batch_create(0);
    struct pcol_dict_map *ma = pcol_dict_map_create(d, a), *mb = pcol_dict_map_create(d, b);
    const struct pcol_profile *pa = &a->resources[0].scopes[0].profiles[0];
    const struct pcol_profile *pb = &b->resources[0].scopes[0].profiles[0];
    struct pcol_sample sa, sb;

    (void)state;
    pcol_map_sample(ma, &sa, &pa->samples[1]);
    pcol_map_sample(mb, &sb, &pb->samples[1]);
    assert_int_equal(sa.stack, sb.stack);
    assert_int_equal(sa.attrs.v[0], sb.attrs.v[0]);
    assert_int_equal(sa.values[0], 2);
    assert_int_equal(d->dict.stacks.n, 2); /* the zero stack and one real one */
    assert_string_equal(leaf_name(d, &sa), "fn1");
    pcol_dict_map_free(ma);
    pcol_dict_map_free(mb);
    pcol_batch_release(a);
    pcol_batch_release(b);
    pcol_batch_release(d);
}

static void test_refcount(void **state)
{
    struct pcol_batch *a = make_batch("svc", "fn", 2);

    (void)state;
    assert_ptr_equal(pcol_batch_ref(a), a);
    assert_int_equal(a->refcount, 2);
    pcol_batch_release(a);
    assert_int_equal(a->refcount, 1);
    assert_int_equal(pcol_batch_profile_count(a), 1);
    pcol_batch_release(a);
    pcol_batch_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_entries),
        cmocka_unit_test(test_interning),
        cmocka_unit_test(test_append_then_intern),
        cmocka_unit_test(test_value_equality),
        cmocka_unit_test(test_merge_dedupes_and_remaps),
        cmocka_unit_test(test_clone_is_deep_and_equal),
        cmocka_unit_test(test_clone_compacts),
        cmocka_unit_test(test_dict_map_samples),
        cmocka_unit_test(test_refcount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
