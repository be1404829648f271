/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attrs.h: reading attributes across the model's levels, for processors.
 *
 * Resource and scope attributes are key/value arrays; profile, sample,
 * mapping and location attributes are index lists into the attribute table.
 * These helpers give processors one way to look a key up wherever it lives
 * and to read any value as text (the Collector's AsString).
 */
#ifndef PCOL_ATTRS_H
#define PCOL_ATTRS_H

#include "buf.h"
#include "profile.h"

/* Appends `v` as text: strings as they are, bools true/false, ints in
 * decimal, doubles in the shortest form that reads back, bytes in base64,
 * arrays and kvlists as JSON. */
void pcol_value_text(const struct pcol_batch *b, const struct pcol_value *v, struct pcol_buf *out);

/* The value of attribute `key` (a string index) for profile `p` of scope `s`
 * of resource `r`: the profile's own attribute first, then the scope's, then
 * the resource's. Any of r, s, p may be NULL. NULL when absent. Keys are
 * compared by their text (one string may sit at two indexes of a decoded
 * batch). */
const struct pcol_value *pcol_attr_lookup(const struct pcol_batch *b, const struct pcol_resource *r,
                                          const struct pcol_scope *s, const struct pcol_profile *p,
                                          int32_t key);

/* Like pcol_attr_lookup, with the key as a C string (not interned). */
const struct pcol_value *pcol_attr_lookup_cstr(const struct pcol_batch *b,
                                               const struct pcol_resource *r,
                                               const struct pcol_scope *s,
                                               const struct pcol_profile *p, const char *key);

#endif
