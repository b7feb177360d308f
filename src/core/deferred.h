/* Deferred completion handles (internal side). */
#ifndef ASMB_DEFERRED_H
#define ASMB_DEFERRED_H
#include "conn.h"

typedef struct asmb_pair {
    asmb_callback cb;
    asmb_errback eb;
    void *arg;
} asmb_pair;

struct asmb_deferred {
    asmb_evnode ev; /* first: the delivery queue links it */
    asmb_conn *conn; /* referenced until the deferred is freed */
    int refs;        /* the library's (until first delivery) + the caller's */
    int state;       /* ASMB_DEFERRED_* */
    int lib_ref;     /* the library still holds its reference */
    asmb_pair *pairs;         /* first_pairs until more are attached */
    size_t npairs, cap, next; /* next = first pair not run yet */
    /* Room for the usual pairs, so that attaching them can't run out of
     * memory and leave an operation nobody hears from. */
    asmb_pair first_pairs[2];
    asmb_failure_buf failure;
    void *result;
    void (*result_free)(void *);
    /* The operation behind it, while pending: cancel asks it to stop. */
    void (*cancel)(void *op);
    void *op;
};

/* A pending deferred bound to c; NULL on no memory. */
asmb_deferred *asmb__deferred_new(asmb_conn *c);
/* Frees a deferred never handed to the caller (the op call failed at once). */
void asmb__deferred_discard(asmb_deferred *d);
/* Fire once: queued for delivery from the loop. result is owned by the
 * deferred (freed with result_free) from here on. */
void asmb__deferred_succeed(asmb_deferred *d, void *result, void (*result_free)(void *));
void asmb__deferred_fail(asmb_deferred *d, int code, uint32_t ntstatus, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void asmb__deferred_fail_with(asmb_deferred *d, const asmb_failure *f);
/* Runs the pairs not run yet; called by asmb__conn_dispatch. */
void asmb__deferred_deliver(asmb_deferred *d);

#endif
