/* SPDX-License-Identifier: Apache-2.0 */
/*
 * symbolstrip_hash.c: the keyed name hash of `symbolstrip` mode `hash`.
 *
 * A name becomes "h:" followed by the first 16 lowercase hex digits (8
 * bytes) of HMAC-SHA256(key, name), the key being the bytes of the
 * environment variable named by `hash_key_env`, as they are (no decoding).
 * The same name with the same key gives the same text in every run and
 * every instance, so hashed profiles from many hosts still aggregate; whoever
 * holds the key can hash a candidate name and look it up, nobody else can.
 *
 * The key is read once at init and handed to OpenSSL: init keys one HMAC
 * context, and each hash works on a copy of it (EVP_MAC_CTX_dup), so the
 * key is never processed twice and never stored by this file.
 *
 * Ownership: the keyed context lives in the processor context from
 * pcol__symstrip_hash_init() to pcol__symstrip_hash_free().
 */
#include "symbolstrip.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <stdlib.h>
#include <string.h>

int pcol__symstrip_hash_init(struct pcol__symstrip *s)
{
    const char *key = getenv(s->hash_key_env);
    char digest[] = "SHA256";
    OSSL_PARAM params[2];
    EVP_MAC *mac;

    if (!key || !*key) {
        pcol_log(s->inst, PCOL_LOG_ERROR,
                 "mode hash needs a key, but the environment variable %s is %s", s->hash_key_env,
                 key ? "empty" : "not set");
        return PCOL_EINVAL;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    s->mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac); /* the context keeps its own reference */
    if (!s->mac || !EVP_MAC_init(s->mac, (const unsigned char *)key, strlen(key), params)) {
        pcol_log(s->inst, PCOL_LOG_ERROR, "OpenSSL cannot set up HMAC-SHA256");
        pcol__symstrip_hash_free(s);
        return PCOL_EINVAL;
    }
    return 0;
}

void pcol__symstrip_hash_free(struct pcol__symstrip *s)
{
    EVP_MAC_CTX_free(s->mac); /* cleanses the key material */
    s->mac = NULL;
}

bool pcol__symstrip_hash(const struct pcol__symstrip *s, const char *p, size_t len,
                         char out[PCOL__SYMSTRIP_HASH_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(s->mac);
    size_t n = 0, i;
    bool ok = c && EVP_MAC_update(c, (const unsigned char *)p, len) &&
              EVP_MAC_final(c, md, &n, sizeof(md)) && n >= (PCOL__SYMSTRIP_HASH_LEN - 2) / 2;

    EVP_MAC_CTX_free(c);
    if (!ok) {
        return false;
    }
    out[0] = 'h';
    out[1] = ':';
    for (i = 0; i < (PCOL__SYMSTRIP_HASH_LEN - 2) / 2; i++) {
        out[2 + 2 * i] = hex[md[i] >> 4];
        out[3 + 2 * i] = hex[md[i] & 15];
    }
    out[PCOL__SYMSTRIP_HASH_LEN] = '\0';
    return true;
}
