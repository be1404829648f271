/* SPDX-License-Identifier: Apache-2.0 */
/* test_proc_resource.c: processor `resource` (being written). */
#include "proc_harness.h"

extern const struct pcol_component_def pcol_processor_resource;

static void passes_a_corpus_batch(void **state)
{
    struct ph *h = ph_create(&pcol_processor_resource, "");
    struct pcol_batch *out;

    (void)state;
    ph_process(h, ph_corpus_batch("parca__profile-with-labels.pb.gz"));
    out = ph_take(h);
    assert_non_null(out);
    assert_true(pcol_batch_sample_count(out) > 0);
    pcol_batch_release(out);
    ph_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(passes_a_corpus_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
