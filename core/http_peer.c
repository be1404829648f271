/* SPDX-License-Identifier: Apache-2.0 */
/* http_peer.c: an exporter's client, TLS context and stop. See http_peer.h. */
#include "http_peer.h"

#include <stdio.h>

int pcol_http_peer_start(struct pcol_http_peer *p, struct pcol_instance *inst, bool use_tls,
                         const struct pcol_tls_settings *tls, const char *const *alpn,
                         struct pcol_http_client_opts opts)
{
    struct pcol_err err = {{0}};

    p->inst = inst;
    snprintf(p->who, sizeof(p->who), "exporter %s", pcol_id(inst));
    if (use_tls) {
        struct pcol_tls_settings s = *tls;

        s.insecure = false;
        p->tls = pcol_tls_ctx_create_client(&s, alpn, &err);
        if (!p->tls) {
            pcol_log(inst, PCOL_LOG_ERROR, "%s", err.msg);
            return PCOL_EINVAL;
        }
    }
    opts.log_who = p->who;
    p->client = pcol_http_client_create(pcol_loop(inst), &opts);
    return 0;
}

static void client_closed(void *data)
{
    struct pcol_http_peer *p = data;

    p->stop_done(p->inst);
}

void pcol_http_peer_stop(struct pcol_http_peer *p, struct pcol_instance *inst, pcol_stop_cb done)
{
    struct pcol_http_client *c = p->client;

    if (!c) {
        done(inst);
        return;
    }
    p->inst = inst;
    p->client = NULL;
    p->stop_done = done;
    pcol_http_client_close(c, client_closed, p);
}

void pcol_http_peer_destroy(struct pcol_http_peer *p)
{
    if (p->client) {
        pcol_http_client_close(p->client, NULL, NULL);
        p->client = NULL;
    }
    pcol_tls_ctx_unref(p->tls);
    p->tls = NULL;
}
