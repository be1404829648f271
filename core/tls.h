/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls.h: TLS for every server and client of profcol, on OpenSSL 3 with
 * memory BIOs. This module never touches a socket: its caller moves the
 * bytes. Ciphertext received goes in with pcol_tls_conn_feed(), plaintext
 * comes out with pcol_tls_conn_read() when the caller has room for it (so
 * back-pressure stays with the caller), plaintext to send goes in with
 * pcol_tls_conn_write(), and every ciphertext block to send comes out through
 * the connection's send callback. http_server.c runs it on libuv streams,
 * http_client.c on its outbound connections, the tests in memory.
 *
 * Settings come from a component's YAML `tls:` section, whose option table
 * embeds pcol_tls_server_options or pcol_tls_client_options (the
 * collector's key names). A context holds the loaded certificates, keys and
 * CAs; pcol_tls_ctx_reload() re-reads the files, and pcol_tls_reload_all()
 * does so for every live context (the service calls it on SIGHUP).
 *
 * Threading: the loop thread only. The registry of live contexts is not
 * locked, and a connection must stay on one thread.
 *
 * Ownership:
 * - Settings are borrowed for the call; a context copies what it keeps.
 * - A context is refcounted: create returns one reference; whoever keeps the
 *   pointer takes its own (pcol_tls_ctx_ref) and drops it with
 *   pcol_tls_ctx_unref. A connection keeps the certificates it started
 *   with, so a reload or the last unref never disturbs it.
 * - A connection belongs to its creator. Each ciphertext block handed to
 *   the send callback is a heap block the callee owns (release with free()).
 */
#ifndef PCOL_TLS_H
#define PCOL_TLS_H

#include "config.h"
#include "option.h"

enum pcol_tls_version {
    PCOL_TLS_1_2,
    PCOL_TLS_1_3,
};

/* Filled by pcol_tls_server_options / pcol_tls_client_options; the fields
 * a table does not list stay zero. */
struct pcol_tls_settings {
    const char *cert_file;            /* PEM chain: the server's, or the client's for mTLS */
    const char *key_file;             /* PEM private key of cert_file */
    const char *ca_file;              /* client: CAs that verify the server (NULL: system store) */
    const char *client_ca_file;       /* server: require client certificates signed by these */
    int min_version;                  /* enum pcol_tls_version */
    bool insecure;                    /* client: plain text, no TLS at all */
    bool insecure_skip_verify;        /* client: TLS without checking the server's certificate */
    const char *server_name_override; /* client: the name sent (SNI) and verified */
};

/* Option sub-tables to embed as a SECTION named `tls` (offsets are relative
 * to a struct pcol_tls_settings). */
extern const struct pcol_option pcol_tls_server_options[];
extern const struct pcol_option pcol_tls_client_options[];

/* A server's settings turn TLS on by naming a certificate. */
bool pcol_tls_server_enabled(const struct pcol_tls_settings *s);

/* Cross-field checks for a component's validate hook (files are read only
 * by create): reports to `d` at `at` (the `tls` node; may be NULL). */
void pcol_tls_validate(const struct pcol_tls_settings *s, bool server,
                       const struct pcol_cfg_node *at, struct pcol_diag *d);

struct pcol_tls_ctx;

/* Load the files named by `s` and return a context holding one reference,
 * or NULL with `err` naming the file and OpenSSL's reason. `alpn` is the
 * NULL-terminated list of protocols, most preferred first ("h2",
 * "http/1.1"); NULL means no ALPN. A server picks h2 when the client offers
 * it and `alpn` has it, else http/1.1, else goes on without ALPN; a client
 * offers the list. A client context needs `s->insecure` false. */
struct pcol_tls_ctx *pcol_tls_ctx_create_server(const struct pcol_tls_settings *s,
                                                const char *const *alpn, struct pcol_err *err);
struct pcol_tls_ctx *pcol_tls_ctx_create_client(const struct pcol_tls_settings *s,
                                                const char *const *alpn, struct pcol_err *err);
/* Takes one more reference; returns `ctx`. */
struct pcol_tls_ctx *pcol_tls_ctx_ref(struct pcol_tls_ctx *ctx);
/* Drops one reference (NULL is ignored); the last frees the context. */
void pcol_tls_ctx_unref(struct pcol_tls_ctx *ctx);

/* Re-reads the certificate, key and CA files for connections made from now
 * on. On failure the context keeps what it had and `err` says why. */
int pcol_tls_ctx_reload(struct pcol_tls_ctx *ctx, struct pcol_err *err);
/* Reloads every live context, logging each failure as a warning; returns
 * how many failed. */
unsigned pcol_tls_reload_all(void);

/* ---- connections ---------------------------------------------------------- */

struct pcol_tls_conn;

/* Ciphertext to put on the wire, in order; takes `p` (free()). Called from
 * inside the pcol_tls_conn_* calls, so it must not destroy the connection. */
typedef void (*pcol_tls_send_cb)(void *data, uint8_t *p, size_t len);

/* A connection on `ctx` (borrowed; the connection keeps what it needs). For
 * a client, `host` is the name or IP literal it connects to, verified
 * against the server's certificate and sent as SNI unless the settings
 * override it; servers pass NULL. Nothing is sent before the first call. */
struct pcol_tls_conn *pcol_tls_conn_create(struct pcol_tls_ctx *ctx, const char *host,
                                           pcol_tls_send_cb send, void *data);
void pcol_tls_conn_destroy(struct pcol_tls_conn *c);

/* Drives the handshake: a client calls it once connected to send its hello;
 * feeding does the rest. 0, or PCOL_EIO when the handshake failed (the
 * alert is sent; `err` says why). */
int pcol_tls_conn_handshake(struct pcol_tls_conn *c, struct pcol_err *err);
/* Takes ciphertext received (copied) and advances the handshake. 0, or
 * PCOL_EIO as for pcol_tls_conn_handshake(). */
int pcol_tls_conn_feed(struct pcol_tls_conn *c, const void *p, size_t len, struct pcol_err *err);
/* Decrypts up to `cap` bytes of what was fed into buf: 0 with `*got` set
 * (0 when nothing more is ready), PCOL_ENOENT once the peer has closed the
 * session (close_notify), PCOL_EIO on a TLS failure. */
int pcol_tls_conn_read(struct pcol_tls_conn *c, void *buf, size_t cap, size_t *got,
                       struct pcol_err *err);
/* Encrypts `len` bytes (borrowed) and sends them; bytes written before the
 * handshake is done are kept and sent when it is. 0 or PCOL_EIO. */
int pcol_tls_conn_write(struct pcol_tls_conn *c, const void *p, size_t len, struct pcol_err *err);
/* Sends close_notify, once the handshake is done; the caller closes after. */
void pcol_tls_conn_shutdown(struct pcol_tls_conn *c);

bool pcol_tls_conn_established(const struct pcol_tls_conn *c);
/* The protocol agreed by ALPN ("h2", "http/1.1"), "" when none. */
const char *pcol_tls_conn_alpn(const struct pcol_tls_conn *c);
/* Whether the peer presented a certificate that verified against the CAs
 * (and, for a client given a host, the name). A verifying client and an
 * mTLS server never get this far with false. */
bool pcol_tls_conn_peer_verified(const struct pcol_tls_conn *c);

#endif
