/* SPDX-License-Identifier: Apache-2.0 */
/* test_arena.c: alignment, growth in place, large blocks, cleanups. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arena.h"

static void test_alignment_and_content(void **state)
{
    struct pcol_arena *a = pcol_arena_create(0);
    uint8_t *blocks[1000];
    int i;

    (void)state;
    for (i = 0; i < 1000; i++) {
        blocks[i] = pcol_arena_alloc(a, (size_t)(i % 37) + 1);
        assert_int_equal((uintptr_t)blocks[i] % PCOL_ARENA_ALIGN, 0);
        memset(blocks[i], i & 0xff, (size_t)(i % 37) + 1);
    }
    /* Nothing overlapped: every block still holds its own fill byte. */
    for (i = 0; i < 1000; i++) {
        assert_int_equal(blocks[i][(i % 37)], i & 0xff);
        assert_int_equal(blocks[i][0], i & 0xff);
    }
    pcol_arena_destroy(a);
}

static void test_grow_in_place_and_copy(void **state)
{
    struct pcol_arena *a = pcol_arena_create(0);
    char *p = pcol_arena_alloc(a, 16), *q, *r;

    (void)state;
    memcpy(p, "0123456789abcdef", 16);
    q = pcol_arena_grow(a, p, 16, 64);
    assert_ptr_equal(p, q); /* last block: extended in place */
    r = pcol_arena_alloc(a, 8);
    q = pcol_arena_grow(a, p, 64, 128);
    assert_ptr_not_equal(p, q); /* no longer last: copied */
    assert_memory_equal(q, "0123456789abcdef", 16);
    assert_non_null(r);
    pcol_arena_destroy(a);
}

static void test_large_blocks_keep_current_chunk(void **state)
{
    struct pcol_arena *a = pcol_arena_create(0);
    char *small1 = pcol_arena_alloc(a, 32);
    char *big = pcol_arena_alloc(a, 10 * 1024 * 1024);
    char *small2 = pcol_arena_alloc(a, 32);

    (void)state;
    memset(big, 0x5a, 10 * 1024 * 1024);
    /* The small blocks come from the same chunk, right after each other. */
    assert_ptr_equal(small2, small1 + 32);
    assert_true(pcol_arena_bytes(a) >= 10 * 1024 * 1024);
    pcol_arena_destroy(a);
}

static int cleanup_order[3];
static int cleanup_n;

static void record(void *arg)
{
    cleanup_order[cleanup_n++] = (int)(intptr_t)arg;
}

static void test_cleanups_run_in_reverse(void **state)
{
    struct pcol_arena *a = pcol_arena_create(0);

    (void)state;
    cleanup_n = 0;
    pcol_arena_on_destroy(a, record, (void *)1);
    pcol_arena_on_destroy(a, record, (void *)2);
    pcol_arena_on_destroy(a, record, (void *)3);
    pcol_arena_destroy(a);
    assert_int_equal(cleanup_n, 3);
    assert_int_equal(cleanup_order[0], 3);
    assert_int_equal(cleanup_order[2], 1);
}

static void test_strings(void **state)
{
    struct pcol_arena *a = pcol_arena_create(0);
    char *s = pcol_arena_strndup(a, "hello world", 5);

    (void)state;
    assert_string_equal(s, "hello");
    assert_string_equal(pcol_arena_sprintf(a, "%s-%d", "x", 42), "x-42");
    pcol_arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_content),
        cmocka_unit_test(test_grow_in_place_and_copy),
        cmocka_unit_test(test_large_blocks_keep_current_chunk),
        cmocka_unit_test(test_cleanups_run_in_reverse),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
