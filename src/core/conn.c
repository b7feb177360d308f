/* The public connection object: configuration, lifetime, the ordered
 * delivery of events to the caller, and the end of a connection. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h> /* OPENSSL_cleanse */

#include "deferred.h"
#include "session.h"
#include "log.h"
#include "../mem.h"
#include "../ntstatus.h"

ASMB_API void asmb_config_init(asmb_config *cfg)
{
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->min_dialect = ASMB_SMB2_02;
    cfg->max_dialect = ASMB_SMB3_11;
    cfg->signing = ASMB_IF_SUPPORTED;
    cfg->encryption = ASMB_OFF;
    cfg->connect_timeout_ms = 10000;
    cfg->auth_timeout_ms = 10000;
    cfg->op_timeout_ms = 30000;
    cfg->credit_target = 512;
    cfg->io_size = 4u << 20; /* measured on loopback vs Samba 4.17 (README, bench/) */
    cfg->io_window = 2;      /* deeper windows made smbd fault its buffers in again */
}

/* Cuts an incomplete UTF-8 sequence left at the end by a truncating snprintf. */
void asmb__utf8_trim(char *s)
{
    size_t n = strlen(s), i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) i--; /* continuation bytes */
    if (i == 0 || (unsigned char)s[i - 1] < 0xC0) return;         /* ends on ASCII */
    unsigned char lead = (unsigned char)s[i - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (n - (i - 1) < want) s[i - 1] = 0;
}

void asmb__failure_set(asmb_failure *fb, int code, uint32_t ntstatus, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fb->message, sizeof fb->message, fmt, ap);
    va_end(ap);
    asmb__utf8_trim(fb->message);
    fb->code = code;
    fb->ntstatus = ntstatus;
}


ASMB_API int asmb_config_check(const asmb_config *cfg, asmb_failure *why)
{
    asmb_failure ignored;
    if (!why) why = &ignored;
    memset(why, 0, sizeof *why);
    if (!cfg) return 0; /* the defaults */
    uint16_t lo = cfg->min_dialect ? cfg->min_dialect : ASMB_SMB2_02;
    uint16_t hi = cfg->max_dialect ? cfg->max_dialect : ASMB_SMB3_11;
    if (!*asmb_dialect_name(lo) || !*asmb_dialect_name(hi))
        asmb__failure_set(why, ASMB_EINVAL, 0, "config: unknown dialect 0x%04x (use ASMB_SMB*)",
                          *asmb_dialect_name(lo) ? hi : lo);
    else if (lo > hi)
        asmb__failure_set(why, ASMB_EINVAL, 0, "config: min_dialect %s is above max_dialect %s",
                          asmb_dialect_name(lo), asmb_dialect_name(hi));
    else if (cfg->signing < ASMB_OFF || cfg->signing > ASMB_REQUIRED)
        asmb__failure_set(why, ASMB_EINVAL, 0, "config: signing %d is not ASMB_OFF, "
                          "ASMB_IF_SUPPORTED or ASMB_REQUIRED", cfg->signing);
    else if (cfg->encryption < ASMB_OFF || cfg->encryption > ASMB_REQUIRED)
        asmb__failure_set(why, ASMB_EINVAL, 0, "config: encryption %d is not ASMB_OFF, "
                          "ASMB_IF_SUPPORTED or ASMB_REQUIRED", cfg->encryption);
    return why->code;
}

static int copy_config(asmb_conn *c, const asmb_config *in)
{
    int rc = asmb_config_check(in, NULL);
    if (rc) return rc;
    asmb_config_init(&c->cfg);
    if (in) c->cfg = *in;
    asmb_config *g = &c->cfg;
    if (!g->min_dialect) g->min_dialect = ASMB_SMB2_02;
    if (!g->max_dialect) g->max_dialect = ASMB_SMB3_11;
    if (!g->connect_timeout_ms) g->connect_timeout_ms = 10000;
    if (!g->auth_timeout_ms) g->auth_timeout_ms = 10000;
    if (!g->op_timeout_ms) g->op_timeout_ms = 30000;
    if (!g->credit_target) g->credit_target = 512;
    if (g->credit_target > 8192) g->credit_target = 8192;
    if (!g->io_size) g->io_size = 4u << 20;
    if (!g->io_window) g->io_window = 2;
    if (g->io_window > 64) g->io_window = 64;
    c->user = asmb__strdup(g->username ? g->username : "");
    c->domain = asmb__strdup(g->domain ? g->domain : "");
    c->workstation = asmb__strdup(g->workstation ? g->workstation : "ASMB");
    c->my_name = asmb__strdup(g->my_name ? g->my_name : "");
    c->remote_name = asmb__strdup(g->remote_name ? g->remote_name : "");
    /* The caller's strings are not kept; the copies stand in for them. */
    g->username = g->password = g->domain = g->workstation = NULL;
    g->my_name = c->my_name;
    g->remote_name = c->remote_name;
    return c->user && c->domain && c->workstation && c->my_name && c->remote_name
               ? 0
               : ASMB_ENOMEM;
}

static void conn_destroy(asmb_conn *c)
{
    asmb__eng_drop_all(c, ASMB_ENOTCONN);
    asmb__trees_free(c);
    asmb_frame *f = asmb__eng_take_output(c);
    while (f) {
        asmb_frame *n = f->next;
        asmb__frame_free(f);
        f = n;
    }
    while (c->pool) {
        asmb_frame *n = c->pool->next;
        asmb__frame_free(c->pool);
        c->pool = n;
    }
    asmb__ntlm_free(c->ntlm);
    if (c->ops_state_free) c->ops_state_free(c->ops_state);
    asmb__enc_free(c);
    asmb__crypto_free(c->crypto);
    /* Secrets do not outlive the connection in freed memory. */
    OPENSSL_cleanse(c->nt_hash, sizeof c->nt_hash);
    OPENSSL_cleanse(c->session_key, sizeof c->session_key);
    OPENSSL_cleanse(c->signing_key, sizeof c->signing_key);
    OPENSSL_cleanse(c->enc_key, sizeof c->enc_key);
    OPENSSL_cleanse(c->dec_key, sizeof c->dec_key);
    OPENSSL_cleanse(c->app_key, sizeof c->app_key);
    OPENSSL_cleanse(c->preauth, sizeof c->preauth);
    asmb__free(c->user);
    asmb__free(c->domain);
    asmb__free(c->workstation);
    asmb__free(c->my_name);
    asmb__free(c->remote_name);
    asmb__free(c->host);
    asmb__free(c->rx);
    asmb__free(c);
}

/* A connection without a transport yet; NULL when out of memory or cfg is bad. */
asmb_conn *asmb__conn_create(const asmb_config *cfg, const asmb_handlers *handlers, void *arg)
{
    asmb_conn *c = asmb__calloc(1, sizeof *c);
    if (!c) return NULL;
    c->refs = 1; /* the caller's */
    c->ev_auth_ok.kind = ASMB_EV_AUTH_OK;
    c->ev_auth_failed.kind = ASMB_EV_AUTH_FAILED;
    c->ev_disconnected.kind = ASMB_EV_DISCONNECTED;
    if (handlers) c->handlers = *handlers;
    c->arg = arg;
    /* Only the password's NT hash is kept (re-authentication needs no more). */
    if (copy_config(c, cfg) || !(c->crypto = asmb__crypto_new()) ||
        asmb__ntlm_hash(c->crypto, cfg && cfg->password ? cfg->password : "", c->nt_hash)) {
        conn_destroy(c);
        return NULL;
    }
    return c;
}

void asmb__conn_destroy(asmb_conn *c) { conn_destroy(c); }

ASMB_API int asmb_conn_connect(asmb_conn *c, const char *host, int port)
{
    if (!c || !host || !*host || port <= 0 || port > 65535) return ASMB_EINVAL;
    if (c->state != ASMB_ST_IDLE || c->user_gone) return ASMB_EALREADY;
    asmb__thread_bind(c); /* from here on, this thread drives it */
    c->host = asmb__strdup(host);
    if (!c->host) return ASMB_ENOMEM;
    int rc = c->tp->connect(c, host, port);
    if (rc) {
        asmb__free(c->host);
        c->host = NULL;
        return rc;
    }
    c->state = ASMB_ST_CONNECTING;
    ASMB_LOG(c, ASMB_LOG_INFO, "connecting to %s port %d%s", host, port,
             c->cfg.netbios ? " (NetBIOS session service)" : "");
    c->tp->clock(c);
    c->phase_deadline = c->now + c->cfg.connect_timeout_ms;
    c->tp->rearm(c);
    return 0;
}

ASMB_API void asmb_conn_close(asmb_conn *c)
{
    if (!c) return;
    ASMB_THREAD_CHECK(c, "asmb_conn_close");
    if (c->state == ASMB_ST_IDLE || c->state == ASMB_ST_DEAD) return;
    if (c->state == ASMB_ST_READY) {
        /* Polite goodbye, best effort: written before the socket closes. */
        c->state = ASMB_ST_CLOSING;
        asmb__trees_close(c);
        asmb__session_logoff(c);
    }
    asmb__conn_fail(c, ASMB_ECLOSED, 0, "connection closed by the caller");
}

ASMB_API void asmb_conn_free(asmb_conn *c)
{
    if (!c || c->user_gone) return;
    ASMB_THREAD_CHECK(c, "asmb_conn_free");
    asmb_conn_close(c);
    c->user_gone = 1;
    if (c->tp && c->tp->on_free) c->tp->on_free(c);
    asmb__conn_unref(c);
}

void asmb__thread_bind(asmb_conn *c)
{
    c->owner = pthread_self();
    c->has_owner = 1;
}

#ifndef NDEBUG
void asmb__thread_check(const asmb_conn *c, const char *what)
{
    if (!c->has_owner || pthread_equal(pthread_self(), c->owner)) return;
    fprintf(stderr, "asmb: %s called on a thread other than the connection's; a connection "
                    "and its deferreds are used from the thread that runs their loop only\n",
            what);
    abort();
}
#endif

void asmb__conn_ref(asmb_conn *c) { c->refs++; }

void asmb__conn_unref(asmb_conn *c)
{
    if (--c->refs == 0) {
        conn_destroy(c);
        return;
    }
    /* Only the transport's reference left: let it close its handles; it
     * drops that last reference from its close callback. */
    if (c->refs == 1 && c->user_gone && !c->ev_head && c->tp) c->tp->release(c);
}

void asmb__conn_post(asmb_conn *c, asmb_evnode *ev)
{
    if (ev->queued) return;
    ev->queued = 1;
    ev->next = NULL;
    if (c->ev_tail) c->ev_tail->next = ev; else c->ev_head = ev;
    c->ev_tail = ev;
    if (c->tp) c->tp->schedule(c);
}

void asmb__conn_dispatch(asmb_conn *c)
{
    if (c->dispatching) return;
    c->dispatching = 1;
    asmb__conn_ref(c);
    asmb_evnode *ev;
    while ((ev = c->ev_head)) {
        c->ev_head = ev->next;
        if (!c->ev_head) c->ev_tail = NULL;
        ev->queued = 0;
        const asmb_handlers *h = &c->handlers;
        int quiet = c->user_gone;
        switch (ev->kind) {
        case ASMB_EV_DEFERRED: asmb__deferred_deliver((asmb_deferred *)ev); break;
        case ASMB_EV_AUTH_OK:
            if (!quiet && h->auth_ok) h->auth_ok(c, c->arg);
            break;
        case ASMB_EV_AUTH_FAILED:
            if (!quiet && h->auth_failed) h->auth_failed(c, &c->auth_failure, c->arg);
            break;
        case ASMB_EV_DISCONNECTED:
            if (!quiet && h->disconnected) h->disconnected(c, &c->disc_failure, c->arg);
            break;
        }
    }
    c->dispatching = 0;
    asmb__conn_unref(c);
}

void asmb__conn_fail(asmb_conn *c, int code, uint32_t ntstatus, const char *fmt, ...)
{
    if (c->state == ASMB_ST_DEAD) return;
    int was = c->state;
    char text[sizeof c->disc_failure.message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    asmb__failure_set(&c->disc_failure, code, ntstatus, "%s", text);
    c->state = ASMB_ST_DEAD;
    c->phase_deadline = 0;
    ASMB_LOG(c, code == ASMB_ECLOSED ? ASMB_LOG_INFO : ASMB_LOG_ERROR, "connection ended: %s (%s)",
             c->disc_failure.message, asmb_err_name(code));
    /* Before auth_ok, whatever ended it (DNS, TCP connect, a peer that is
     * not SMB, a refusal, a timeout) is the outcome of connecting:
     * auth_failed carries the reason, and disconnected, with the same code,
     * only says so, so that a caller handling both doesn't show the reason
     * twice. The caller's own close is no failure: disconnected alone. */
    if (was >= ASMB_ST_CONNECTING && was <= ASMB_ST_SESSION && code != ASMB_ECLOSED) {
        asmb__failure_set(&c->auth_failure, code, ntstatus, "%s", c->disc_failure.message);
        asmb__conn_post(c, &c->ev_auth_failed);
        asmb__failure_set(&c->disc_failure, code, 0, "%s", ASMB__NEVER_AUTHENTICATED);
    }
    /* Operations learn of a protocol fault as such; anything else is "not
     * connected", with the reason in the message. */
    int op_code = (code == ASMB_EPROTO || code == ASMB_ESIGNATURE || code == ASMB_EDECRYPT)
                      ? code
                      : ASMB_ENOTCONN;
    asmb__eng_drop_all(c, op_code);
    asmb__trees_free(c);
    asmb__ntlm_free(c->ntlm);
    c->ntlm = NULL;
    asmb__conn_post(c, &c->ev_disconnected);
    if (c->tp) c->tp->shutdown(c);
}

void asmb__conn_clock(asmb_conn *c)
{
    if (c->tp) c->tp->clock(c);
}

int asmb__conn_check_ready(asmb_conn *c)
{
    ASMB_THREAD_CHECK(c, "an operation");
    c->last_error[0] = 0;
    if (c->state == ASMB_ST_READY) return 0;
    return c->state == ASMB_ST_DEAD || c->state == ASMB_ST_CLOSING || c->user_gone
               ? ASMB_ENOTCONN
               : ASMB_ENOTREADY;
}

unsigned asmb__op_timeout(const asmb_conn *c, const asmb_opts *o)
{
    return o && o->timeout_ms ? o->timeout_ms : c->cfg.op_timeout_ms;
}

ASMB_API int asmb_conn_is_ready(const asmb_conn *c) { return c && c->state == ASMB_ST_READY; }

ASMB_API int asmb_conn_info_get(const asmb_conn *c, asmb_conn_info *out)
{
    if (!c || !out) return ASMB_EINVAL;
    *out = c->info;
    return 0;
}

static const struct { uint16_t d; const char *name; } dialect_names[] = {
    {ASMB_SMB2_02, "SMB2_02"}, {ASMB_SMB2_10, "SMB2_10"}, {ASMB_SMB3_00, "SMB3_00"},
    {ASMB_SMB3_02, "SMB3_02"}, {ASMB_SMB3_11, "SMB3_11"}};

ASMB_API const char *asmb_dialect_name(uint16_t d)
{
    for (size_t i = 0; i < ASMB_ARRAY_LEN(dialect_names); i++)
        if (dialect_names[i].d == d) return dialect_names[i].name;
    return "";
}

ASMB_API const char *asmb_signing_name(int algorithm)
{
    static const char *const names[] = {"none", "HMAC-SHA256", "AES-128-CMAC", "AES-128-GMAC"};
    return algorithm >= 0 && (size_t)algorithm < ASMB_ARRAY_LEN(names) ? names[algorithm] : "";
}

#ifndef ASMB_VERSION_STRING /* set by CMake from project(VERSION) */
#define ASMB_VERSION_STRING "asmb" /* a build outside CMake (fuzz/build.sh) */
#endif
ASMB_API const char *asmb_version(void) { return ASMB_VERSION_STRING; }
