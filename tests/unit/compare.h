/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compare.h: normalising comparators for the round-trip guarantee tests.
 *
 * "Lossless" means semantically equal after normalising ids, table order and
 * string order (reference otlp-profiles.md §3.3), so these compare what a
 * profile says, never its bytes: every id and string index is resolved and
 * each sample is rendered to a canonical string; samples compare as a
 * multiset. tu_pprof_load() is the oracle reader (plain protobuf-c, not our
 * pprof codec), so a codec bug cannot hide behind the reader.
 *
 * Ownership: the comparators borrow both inputs and keep nothing; `why`
 * (caller-owned, `whylen` bytes, may be NULL) receives one line naming the
 * first difference. tu_pprof_load() allocates its result in the caller's
 * arena.
 */
#ifndef PCOL_TEST_COMPARE_H
#define PCOL_TEST_COMPARE_H

#include "arena.h"
#include "profile.h"

#include "pprof/profile.pb-c.h"

/* Gunzips `p` if it starts with the gzip magic, then unpacks it as a pprof
 * Profile into arena `a`. Returns NULL if the bytes are not a pprof. */
Perftools__Profiles__Profile *tu_pprof_load(const uint8_t *p, size_t n, struct pcol_arena *a);

/* True when both pprofs say the same thing: sample types in order, the
 * effective default sample type (default_sample_type, else the last type),
 * period type and period, time, duration, comments in order, drop/keep
 * frames, doc_url, and the same multiset of samples (values, stacks with
 * their mappings, lines and functions, labels as a multiset). A reference
 * to an all-empty function or mapping equals no reference, as in OTLP,
 * whose entry 0 is the empty one. A pprof with an id or string index that
 * does not resolve is never equal. */
bool tu_pprof_equal(const Perftools__Profiles__Profile *a, const Perftools__Profiles__Profile *b,
                    char *why, size_t whylen);

struct tu_batch_cmp_opts {
    /* NULL-terminated list of scope attribute keys both sides skip: lets a
     * test leave out attributes a conversion adds by design. May be NULL. */
    const char *const *ignore_scope_attrs;
};

/* True when both batches say the same thing: resources, scopes and
 * profiles in order with their fields and attribute sets, and each
 * profile's samples as a multiset of deep renderings (stack with mappings,
 * functions and attributes, sample attributes with units, link, values,
 * timestamps). Dictionary order and unused entries do not matter. */
bool tu_batch_equal(const struct pcol_batch *a, const struct pcol_batch *b, char *why,
                    size_t whylen);
/* The same with options (`opts` may be NULL). */
bool tu_batch_equal_opts(const struct pcol_batch *a, const struct pcol_batch *b,
                         const struct tu_batch_cmp_opts *opts, char *why, size_t whylen);

#endif
