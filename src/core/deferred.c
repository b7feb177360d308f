/* Deferreds: any number of (callback, errback, arg) pairs, run in order when
 * the operation completes, always from the loop (asmb__conn_dispatch), never
 * inside the call that attached them. */
#include "deferred.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "../mem.h"

asmb_deferred *asmb__deferred_new(asmb_conn *c)
{
    asmb_deferred *d = asmb__calloc(1, sizeof *d);
    if (!d) return NULL;
    d->ev.kind = ASMB_EV_DEFERRED;
    d->conn = c;
    d->refs = 1;
    d->lib_ref = 1;
    d->pairs = d->first_pairs;
    d->cap = ASMB_ARRAY_LEN(d->first_pairs);
    asmb__conn_ref(c);
    return d;
}

static void deferred_free(asmb_deferred *d)
{
    if (d->result_free) d->result_free(d->result);
    if (d->pairs != d->first_pairs) asmb__free(d->pairs);
    asmb_conn *c = d->conn;
    asmb__free(d);
    asmb__conn_unref(c);
}

void asmb__deferred_discard(asmb_deferred *d) { deferred_free(d); }

static void fire(asmb_deferred *d, int state)
{
    if (state == ASMB_DEFERRED_FAILED)
        ASMB_LOG(d->conn, ASMB_LOG_DEBUG, "operation failed: %s (%s)", d->failure.text,
                 asmb_err_name(d->failure.f.code));
    d->state = state;
    d->cancel = NULL;
    d->op = NULL;
    asmb__conn_post(d->conn, &d->ev);
}

void asmb__deferred_succeed(asmb_deferred *d, void *result, void (*result_free)(void *))
{
    if (d->state != ASMB_DEFERRED_PENDING) { /* exactly once; a late second outcome is dropped */
        if (result_free) result_free(result);
        return;
    }
    d->result = result;
    d->result_free = result_free;
    fire(d, ASMB_DEFERRED_SUCCEEDED);
}

void asmb__deferred_fail_with(asmb_deferred *d, const asmb_failure *f)
{
    if (d->state != ASMB_DEFERRED_PENDING) return;
    asmb__failure_set(&d->failure, f->code, f->ntstatus, "%s", f->message ? f->message : "");
    fire(d, ASMB_DEFERRED_FAILED);
}

void asmb__deferred_fail(asmb_deferred *d, int code, uint32_t ntstatus, const char *fmt, ...)
{
    if (d->state != ASMB_DEFERRED_PENDING) return;
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    asmb__utf8_trim(text);
    asmb__failure_set(&d->failure, code, ntstatus, "%s", text);
    fire(d, ASMB_DEFERRED_FAILED);
}

void asmb__deferred_deliver(asmb_deferred *d)
{
    d->refs++; /* a callback may drop the caller's reference */
    while (d->next < d->npairs) {
        asmb_pair p = d->pairs[d->next++];
        if (d->state == ASMB_DEFERRED_SUCCEEDED) {
            if (p.cb) p.cb(d, d->result, p.arg);
        } else if (p.eb) {
            p.eb(d, &d->failure.f, p.arg);
        }
    }
    if (d->lib_ref) { /* the library's reference ends with the first delivery */
        d->lib_ref = 0;
        d->refs--;
    }
    if (--d->refs == 0) deferred_free(d);
}

ASMB_API int asmb_deferred_then(asmb_deferred *d, asmb_callback cb, asmb_errback eb, void *arg)
{
    if (!d) return ASMB_EINVAL;
    ASMB_THREAD_CHECK(d->conn, "asmb_deferred_then");
    if (d->npairs == d->cap) {
        size_t cap = d->cap * 2;
        int first = d->pairs == d->first_pairs;
        asmb_pair *p = asmb__realloc(first ? NULL : d->pairs, cap * sizeof *p);
        if (!p) return ASMB_ENOMEM;
        if (first) memcpy(p, d->pairs, d->npairs * sizeof *p);
        d->pairs = p;
        d->cap = cap;
    }
    d->pairs[d->npairs++] = (asmb_pair){cb, eb, arg};
    if (d->state != ASMB_DEFERRED_PENDING) asmb__conn_post(d->conn, &d->ev);
    return 0;
}

ASMB_API int asmb_deferred_cancel(asmb_deferred *d)
{
    if (!d) return ASMB_EINVAL;
    ASMB_THREAD_CHECK(d->conn, "asmb_deferred_cancel");
    if (d->state != ASMB_DEFERRED_PENDING) return ASMB_EALREADY;
    void (*cancel)(void *) = d->cancel;
    void *op = d->op;
    if (cancel) cancel(op); /* the op stops its requests (SMB2 CANCEL) and forgets d */
    asmb__deferred_fail(d, ASMB_ECANCELED, 0, "operation canceled");
    return 0;
}

ASMB_API void asmb_deferred_ref(asmb_deferred *d)
{
    if (d) d->refs++;
}

ASMB_API void asmb_deferred_unref(asmb_deferred *d)
{
    if (d && --d->refs == 0) deferred_free(d);
}

ASMB_API int asmb_deferred_state(const asmb_deferred *d) { return d ? d->state : ASMB_EINVAL; }

ASMB_API const asmb_failure *asmb_deferred_failure(const asmb_deferred *d)
{
    return d && d->state == ASMB_DEFERRED_FAILED ? &d->failure.f : NULL;
}

ASMB_API const void *asmb_deferred_result(const asmb_deferred *d)
{
    return d && d->state == ASMB_DEFERRED_SUCCEEDED ? d->result : NULL;
}
