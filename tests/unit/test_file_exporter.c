/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_file_exporter.c: the pure parts of the `file` exporter
 * (exporters/file/): name sanitising and the path-safety check, rotation
 * backup names, the pprof record encoding with names from real data, and
 * publishing records into a directory (no overwrite, no partial files, no
 * escaping it). The running exporter is covered by tests/e2e/file_exporter.sh.
 * Owned by the file exporter work.
 */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../exporters/file/file_exporter.h"
#include "codec_pprof.h"
#include "compress.h"

static void sanitized(const char *in, const char *want)
{
    char out[16];

    pcol__fileexp_sanitize(in, strlen(in), "fallback", out, sizeof(out));
    assert_string_equal(out, want);
    assert_true(pcol__fileexp_name_is_safe(out));
}

static void test_sanitize(void **state)
{
    (void)state;
    sanitized("checkout-api", "checkout-api");
    sanitized("com.example.app", "com.example.app");
    sanitized("../../etc/passwd", "_._.__etc_passw"); /* and cut to the buffer */
    sanitized("..", "__");
    sanitized(".", "_");
    sanitized("a..b", "a._b");
    sanitized("trailing.", "trailing_");
    sanitized("sp ace/\\x", "sp_ace__x");
    sanitized("caf\xc3\xa9", "caf__");
    sanitized("", "fallback");
}

static void test_name_is_safe(void **state)
{
    (void)state;
    assert_true(pcol__fileexp_name_is_safe("svc.cpu.20261121T051000Z"));
    assert_false(pcol__fileexp_name_is_safe(""));
    assert_false(pcol__fileexp_name_is_safe(".hidden"));
    assert_false(pcol__fileexp_name_is_safe("a..b"));
    assert_false(pcol__fileexp_name_is_safe("a/b"));
    assert_false(pcol__fileexp_name_is_safe("a b"));
}

static void backup_is(const char *path, const char *want)
{
    const struct timespec ts = {1795237800, 123456789}; /* 2026-11-21T05:10:00.123Z */
    char out[128];

    assert_true(pcol__fileexp_backup_name(path, &ts, out, sizeof(out)));
    assert_string_equal(out, want);
}

static void test_backup_names(void **state)
{
    const struct timespec ts = {1795237800, 0};
    char small[20];

    (void)state;
    backup_is("/var/lib/p/profiles.jsonl", "/var/lib/p/profiles-2026-11-21T05-10-00.123.jsonl");
    backup_is("out.tar.gz", "out.tar-2026-11-21T05-10-00.123.gz");
    backup_is("dir.d/noext", "dir.d/noext-2026-11-21T05-10-00.123");
    backup_is(".hidden", ".hidden-2026-11-21T05-10-00.123");
    assert_false(pcol__fileexp_backup_name("profiles.jsonl", &ts, small, sizeof(small)));

    assert_true(
        pcol__fileexp_is_backup("profiles.jsonl", "profiles-2026-11-21T05-10-00.123.jsonl"));
    assert_true(pcol__fileexp_is_backup("noext", "noext-2026-11-21T05-10-00.123"));
    assert_false(pcol__fileexp_is_backup("profiles.jsonl", "profiles.jsonl"));
    assert_false(
        pcol__fileexp_is_backup("profiles.jsonl", "profiles-2026-11-21T05-10-00.123.json"));
    assert_false(pcol__fileexp_is_backup("profiles.jsonl", "other-2026-11-21T05-10-00.123.jsonl"));
    assert_false(
        pcol__fileexp_is_backup("profiles.jsonl", "profiles-2026-11-21T05-10-0x.123.jsonl"));
    assert_false(
        pcol__fileexp_is_backup("profiles.jsonl", "profiles-2026-11-21T05-10-00.1234.jsonl"));
}

/* ---- pprof records ----------------------------------------------------------- */

/* A corpus profile whose resource gets a hostile service.name. */
static struct pcol_batch *batch_with_service(const char *service)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_buf in = {0};
    struct pcol_err err = {{0}};
    struct pcol_resource *r;
    struct pcol_kv *kv;

    tu_read_corpus("parca__two-stacks.pb.gz", &in);
    assert_int_equal(pcol_pprof_decode(b, in.p, in.len, NULL, &err), 0);
    pcol_buf_free(&in);
    r = &b->resources[0];
    kv = pcol_arena_alloc(b->arena, (r->n_attrs + 1) * sizeof(*kv));
    if (r->n_attrs) {
        memcpy(kv, r->attrs, r->n_attrs * sizeof(*kv));
    }
    memset(&kv[r->n_attrs], 0, sizeof(*kv));
    kv[r->n_attrs].key = pcol_dict_cstr(b, "service.name");
    kv[r->n_attrs].value.kind = PCOL_VAL_STR;
    kv[r->n_attrs].value.u.str = pcol_dict_cstr(b, service);
    r->attrs = kv;
    r->n_attrs++;
    return b;
}

static size_t be(const uint8_t *p, unsigned n)
{
    size_t v = 0;

    while (n--) {
        v = (v << 8) | *p++;
    }
    return v;
}

static void test_encode_pprof_names(void **state)
{
    struct pcol_batch *b = batch_with_service("../check out/api");
    struct pcol_buf out = {0};
    size_t name_len, len;

    (void)state;
    assert_int_equal(pcol__fileexp_encode_pprof(b, &out), 0);
    name_len = be(out.p, 2);
    assert_memory_equal(out.p + 2, "_._check_out_api.cpu.20240521T111223Z", name_len);
    assert_int_equal(name_len, strlen("_._check_out_api.cpu.20240521T111223Z"));
    len = be(out.p + 2 + name_len, 4);
    assert_int_equal(out.len, 6 + name_len + len); /* one pprof */
    assert_true(pcol_is_gzip(out.p + 6 + name_len, len));
    pcol_buf_free(&out);
    pcol_batch_release(b);
}

/* The entries of `dir` (except . and ..) joined by spaces, sorted. */
static void list_dir(const char *dir, char *out, size_t cap)
{
    char *names[16];
    size_t n = 0, i, j;
    struct dirent *e;
    DIR *d = opendir(dir);

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            assert_true(n < 16);
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    for (i = 1; i < n; i++) {
        for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    }
    out[0] = '\0';
    for (i = 0; i < n; i++) {
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? " " : "", names[i]);
        free(names[i]);
    }
}

static void remove_dir(const char *dir)
{
    char path[512];
    struct dirent *e;
    DIR *d = opendir(dir);

    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    if (d) {
        closedir(d);
    }
    rmdir(dir);
}

static void test_write_pprofs(void **state)
{
    struct pcol_batch *b = batch_with_service("svc");
    struct pcol_buf out = {0}, back = {0};
    struct pcol_err err = {{0}};
    char dir[] = "/tmp/pcol-fexp-XXXXXX", listing[512], path[256];

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(pcol__fileexp_encode_pprof(b, &out), 0);
    assert_int_equal(pcol__fileexp_write_pprofs(dir, out.p, out.len, &err), 0);
    /* The same profile again never replaces the first file. */
    assert_int_equal(pcol__fileexp_write_pprofs(dir, out.p, out.len, &err), 0);
    list_dir(dir, listing, sizeof(listing));
    assert_string_equal(listing, "svc.cpu.20240521T111223Z.2.pb.gz svc.cpu.20240521T111223Z.pb.gz");
    snprintf(path, sizeof(path), "%s/svc.cpu.20240521T111223Z.pb.gz", dir);
    tu_read_file(path, &back);
    assert_int_equal(back.len, out.len - 6 - be(out.p, 2));
    assert_memory_equal(back.p, out.p + 6 + be(out.p, 2), back.len);
    pcol_buf_free(&back);
    pcol_buf_free(&out);
    pcol_batch_release(b);
    remove_dir(dir);
}

/* Records that would escape the directory or are cut short write nothing. */
static void test_write_pprofs_refuses_bad_records(void **state)
{
    static const uint8_t escape[] = {0, 4, '.', '.', '/', 'x', 0, 0, 0, 1, 'A'};
    static const uint8_t good_then_cut[] = {0, 1, 'a', 0, 0, 0, 1, 'A', 0, 1, 'b', 0, 0, 0, 9};
    static const uint8_t empty_name[] = {0, 0, 0, 0, 0, 1, 'A'};
    struct pcol_err err = {{0}};
    char dir[] = "/tmp/pcol-fexp-XXXXXX", listing[512];

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(pcol__fileexp_write_pprofs(dir, escape, sizeof(escape), &err), PCOL_EINVAL);
    assert_non_null(strstr(err.msg, "unsafe file name"));
    err.msg[0] = '\0';
    assert_int_equal(pcol__fileexp_write_pprofs(dir, good_then_cut, sizeof(good_then_cut), &err),
                     PCOL_EINVAL);
    assert_non_null(strstr(err.msg, "record 1: truncated"));
    err.msg[0] = '\0';
    assert_int_equal(pcol__fileexp_write_pprofs(dir, empty_name, sizeof(empty_name), &err),
                     PCOL_EINVAL);
    list_dir(dir, listing, sizeof(listing));
    assert_string_equal(listing, "");
    remove_dir(dir);
}

static void test_mkdirs(void **state)
{
    struct pcol_err err = {{0}};
    char dir[] = "/tmp/pcol-fexp-XXXXXX", path[256];
    struct stat st;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/a/b//c/", dir);
    assert_int_equal(pcol__fileexp_mkdirs(path, &err), 0);
    assert_int_equal(pcol__fileexp_mkdirs(path, &err), 0); /* already there */
    snprintf(path, sizeof(path), "%s/a/b/c", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    snprintf(path, sizeof(path), "%s/file", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(pcol__fileexp_mkdirs(path, &err), PCOL_EIO);
    assert_non_null(strstr(err.msg, "is not a directory"));
    unlink(path);
    snprintf(path, sizeof(path), "%s/a/b/c", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/a/b", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/a", dir);
    rmdir(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_name_is_safe),
        cmocka_unit_test(test_backup_names),
        cmocka_unit_test(test_encode_pprof_names),
        cmocka_unit_test(test_write_pprofs),
        cmocka_unit_test(test_write_pprofs_refuses_bad_records),
        cmocka_unit_test(test_mkdirs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
