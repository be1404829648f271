/* SPDX-License-Identifier: Apache-2.0 */
/*
 * symbolstrip.h: what the files of the `symbolstrip` processor share: the
 * context struct its option table fills, the modes, and the two pieces
 * symbolstrip.c calls: the keyed name hash (symbolstrip_hash.c) and the
 * rewrite of one batch's dictionary (symbolstrip_rewrite.c).
 *
 * Ownership: the core owns the context; the option engine owns the option
 * values in it. The HMAC context (`mac`) is made by pcol__symstrip_hash_init
 * and freed by pcol__symstrip_hash_free. The rewrite borrows the batch and
 * changes its dictionary in place.
 */
#ifndef PCOL_SYMBOLSTRIP_H
#define PCOL_SYMBOLSTRIP_H

#include "component.h"

enum pcol__symstrip_mode {
    PCOL__SYMSTRIP_DROP,
    PCOL__SYMSTRIP_HASH,
    PCOL__SYMSTRIP_FILENAMES,
    PCOL__SYMSTRIP_MAPPING_PATHS,
};

/* "h:" + 16 lowercase hex digits (the first 8 bytes of the HMAC). */
#define PCOL__SYMSTRIP_HASH_LEN 18

struct evp_mac_ctx_st; /* OpenSSL's EVP_MAC_CTX */

struct pcol__symstrip {
    /* options */
    int mode; /* enum pcol__symstrip_mode */
    bool mapping_paths;
    struct pcol_regex_list keep;
    struct pcol_str_list trim_prefixes;
    const char *hash_key_env;

    /* state (init .. destroy) */
    struct pcol_instance *inst;
    struct evp_mac_ctx_st *mac; /* HMAC-SHA256 keyed with the key; hash mode only */
};

/* What one rewrite changed, for the debug log and the decision to clone. */
struct pcol__symstrip_stats {
    uint32_t functions; /* function entries changed */
    uint32_t lines;     /* location lines removed */
    uint32_t mappings;  /* mapping entries changed */
};

/* Reads the key from the environment variable `hash_key_env` and keys an
 * HMAC-SHA256 context with it. Returns 0, or PCOL_EINVAL (logged) when the
 * variable is unset or empty or OpenSSL fails. */
int pcol__symstrip_hash_init(struct pcol__symstrip *s);
void pcol__symstrip_hash_free(struct pcol__symstrip *s);

/* Writes "h:" + 16 hex digits of HMAC-SHA256(key, p[0..len)) and a NUL into
 * `out`. Returns false when OpenSSL fails (nothing written). */
bool pcol__symstrip_hash(const struct pcol__symstrip *s, const char *p, size_t len,
                         char out[PCOL__SYMSTRIP_HASH_LEN + 1]);

/* Applies the configured stripping to `b`'s dictionary in place: function
 * entries, location lines (drop mode) and mapping entries. Strings it
 * creates are interned into `b`. Returns what changed. */
struct pcol__symstrip_stats pcol__symstrip_rewrite(const struct pcol__symstrip *s,
                                                   struct pcol_batch *b);

#endif
